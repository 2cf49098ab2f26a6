/**
 * How old an order is, for cards and column headers: "45 s", "12 min", "2 h 10 min", "3 d 4 h". The unit words
 * come from the caller (the i18n module), so this stays free of language.
 */

export interface AgeUnits {
  seconds: string;
  minutes: string;
  hours: string;
  days: string;
}

/** Whole seconds from `createdAt` (ISO-8601) to `nowMs`; never negative, undefined for an unreadable time. */
export function ageSeconds(createdAt: string, nowMs: number): number | undefined {
  const at = Date.parse(createdAt);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.floor((nowMs - at) / 1000));
}

/** The two largest units that matter: under a minute in seconds, under an hour in minutes, then h+min, then d+h. */
export function formatAge(seconds: number, units: AgeUnits): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} ${units.seconds}`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} ${units.minutes}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest === 0 ? `${hours} ${units.hours}` : `${hours} ${units.hours} ${rest} ${units.minutes}`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest === 0 ? `${days} ${units.days}` : `${days} ${units.days} ${rest} ${units.hours}`;
}

/**
 * The difference between the server's clock and this tablet's, from a response's `asOf` taken when it arrived:
 * ages are counted on the server's clock, so a tablet set a few minutes wrong still shows true ages.
 */
export function clockOffsetMs(asOf: string, receivedAtMs: number): number {
  const server = Date.parse(asOf);
  return Number.isNaN(server) ? 0 : server - receivedAtMs;
}
