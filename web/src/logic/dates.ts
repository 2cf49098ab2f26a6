/**
 * The search's date filters. A clerk picks calendar days in the store's time; the API takes RFC 3339 instants
 * with a zone, `from` inclusive and `to` exclusive. So "from 21 Nov to 21 Nov" is 21 Nov 00:00 up to (not
 * including) 22 Nov 00:00 at the tablet's offset (+07:00 in Thailand).
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day written YYYY-MM-DD. */
export function isDay(day: string): boolean {
  const match = DAY.exec(day);
  if (!match) return false;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, date));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === date;
}

/** The day after `day` (YYYY-MM-DD). */
export function nextDay(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

/** "+07:00" for an offset east of UTC of 420 minutes (note: Date#getTimezoneOffset is the opposite sign). */
export function formatOffset(minutesEast: number): string {
  const sign = minutesEast < 0 ? '-' : '+';
  const abs = Math.abs(minutesEast);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Midnight at the start of `day` in a zone `minutesEast` of UTC, as RFC 3339. */
export const dayStart = (day: string, minutesEast: number): string => `${day}T00:00:00${formatOffset(minutesEast)}`;

/**
 * The API's `from` / `to` for the days picked (either may be empty). `offsetOf` gives the zone's offset east of
 * UTC on a day: in the app, the tablet's own, which also follows a daylight-saving change between the two days.
 */
export function dayRange(fromDay: string, toDay: string, offsetOf: (day: string) => number): { from?: string; to?: string } {
  const range: { from?: string; to?: string } = {};
  if (fromDay && isDay(fromDay)) range.from = dayStart(fromDay, offsetOf(fromDay));
  if (toDay && isDay(toDay)) {
    const end = nextDay(toDay);
    range.to = dayStart(end, offsetOf(end));
  }
  return range;
}
