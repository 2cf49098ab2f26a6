/**
 * Quiet hours: a daily window of local time (in the business time zone) in which no message goes to a customer.
 * A message due inside the window waits until it ends; none is dropped for it.
 *
 * `21:00-08:00` wraps midnight (quiet from 21:00 to 08:00 the next morning); `13:00-14:00` does not; the start is
 * inside the window, the end is not. Written for any IANA zone: the wait is counted in local wall-clock time, so a
 * daylight-saving change during the night moves the end with the clock (08:00 stays 08:00). Asia/Bangkok has no
 * daylight saving; the tests use America/New_York to show it.
 */

/** Minutes since local midnight, start inclusive, end exclusive. */
export interface QuietWindow {
  readonly start: number;
  readonly end: number;
}

const TIME = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** `21:00-08:00` → the window; `none` or `off` → null (no quiet hours); undefined for anything else. */
export function parseQuietHours(text: string): QuietWindow | null | undefined {
  const trimmed = text.trim();
  if (/^(none|off)$/i.test(trimmed)) return null;
  const [from, to, ...rest] = trimmed.split('-').map((part) => part.trim());
  if (from === undefined || to === undefined || rest.length > 0) return undefined;
  const start = TIME.exec(from);
  const end = TIME.exec(to);
  if (!start || !end) return undefined;
  const window = { start: Number(start[1]) * 60 + Number(start[2]), end: Number(end[1]) * 60 + Number(end[2]) };
  return window.start === window.end ? undefined : window;
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** `21:00-08:00`. */
export const describeQuietHours = (window: QuietWindow | null): string => (window ? `${hhmm(window.start)}-${hhmm(window.end)}` : 'none');

const formatters = new Map<string, Intl.DateTimeFormat>();

function localFields(epochMs: number, timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(epochMs))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return parts as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** Local time minus UTC at an instant, in ms. */
function offsetAt(epochMs: number, timeZone: string): number {
  const f = localFields(epochMs, timeZone);
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(epochMs / 1000) * 1000;
}

const inside = (window: QuietWindow, minute: number): boolean =>
  window.start < window.end ? minute >= window.start && minute < window.end : minute >= window.start || minute < window.end;

/** Whether `at` (epoch ms) falls in the window, in `timeZone`'s local time. */
export function isQuiet(at: number, window: QuietWindow | null, timeZone: string): boolean {
  if (!window) return false;
  const local = localFields(at, timeZone);
  return inside(window, local.hour * 60 + local.minute);
}

/**
 * When a message due at `now` may go: null when `now` is outside the window (at once), otherwise the instant the
 * window ends — the next time the local clock reads its end.
 */
export function quietUntil(now: number, window: QuietWindow | null, timeZone: string): number | null {
  if (!window) return null;
  const local = localFields(now, timeZone);
  const minute = local.hour * 60 + local.minute;
  if (!inside(window, minute)) return null;
  const wait = (window.end - minute + 1440) % 1440;
  const startOfMinute = now - local.second * 1000 - (((now % 1000) + 1000) % 1000);
  let until = startOfMinute + wait * 60_000;
  // Counted in wall-clock minutes: a clock moved forward (or back) in between moves the instant back (or on).
  until += offsetAt(now, timeZone) - offsetAt(until, timeZone);
  // An end inside a skipped hour (a spring-forward gap) reads as a time after the gap, outside the window.
  for (let guard = 0; guard < 4 && isQuiet(until, window, timeZone); guard++) until += 30 * 60_000;
  return until;
}
