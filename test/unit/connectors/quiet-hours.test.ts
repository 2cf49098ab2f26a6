// Quiet hours: the window in local time, wrapping midnight or not; when a message due inside it may go — in
// Bangkok (no daylight saving) and across New York's clock changes, where 08:00 stays 08:00 on the wall.
import t from 'tap';
import { describeQuietHours, isQuiet, parseQuietHours, quietUntil } from '../../../connectors/notifications/quiet-hours.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

t.test('parsing', async (t) => {
  t.same(parseQuietHours('21:00-08:00'), { start: 21 * 60, end: 8 * 60 });
  t.same(parseQuietHours(' 13:30 - 14:00 '), { start: 13 * 60 + 30, end: 14 * 60 });
  t.equal(parseQuietHours('none'), null);
  t.equal(parseQuietHours('OFF'), null);
  for (const bad of ['', '21:00', '24:00-08:00', '21:00-08:60', '9:00-10:00', '10:00-10:00', '21:00-08:00-09:00'])
    t.equal(parseQuietHours(bad), undefined, JSON.stringify(bad));
  t.equal(describeQuietHours(parseQuietHours('21:00-08:00')!), '21:00-08:00');
  t.equal(describeQuietHours(null), 'none');
});

t.test('Bangkok, 21:00-08:00: the window wraps midnight, its end is outside it', async (t) => {
  const window = parseQuietHours('21:00-08:00')!;
  const tz = 'Asia/Bangkok';
  // 20:59:59 local (13:59:59Z): not quiet.
  t.equal(quietUntil(at('2026-12-06T13:59:59Z'), window, tz), null);
  // 21:00 local: quiet until 08:00 the next morning (01:00Z).
  t.equal(iso(quietUntil(at('2026-12-06T14:00:00Z'), window, tz)), '2026-12-07T01:00:00.000Z');
  // 23:45:30.250 local: the same end.
  t.equal(iso(quietUntil(at('2026-12-06T16:45:30.250Z'), window, tz)), '2026-12-07T01:00:00.000Z');
  // 03:10 local, after midnight: the same morning's 08:00.
  t.equal(iso(quietUntil(at('2026-12-06T20:10:00Z'), window, tz)), '2026-12-07T01:00:00.000Z');
  // 07:59 local: one minute.
  t.equal(iso(quietUntil(at('2026-12-07T00:59:00Z'), window, tz)), '2026-12-07T01:00:00.000Z');
  // 08:00 local: open.
  t.equal(quietUntil(at('2026-12-07T01:00:00Z'), window, tz), null);
  t.ok(isQuiet(at('2026-12-06T14:00:00Z'), window, tz));
  t.notOk(isQuiet(at('2026-12-07T05:00:00Z'), window, tz));
});

t.test('a window within the day, and none', async (t) => {
  const window = parseQuietHours('12:00-13:30')!;
  t.equal(quietUntil(at('2026-12-06T11:59:00Z'), window, 'UTC'), null);
  t.equal(iso(quietUntil(at('2026-12-06T12:00:00Z'), window, 'UTC')), '2026-12-06T13:30:00.000Z');
  t.equal(quietUntil(at('2026-12-06T13:30:00Z'), window, 'UTC'), null);
  t.equal(quietUntil(at('2026-12-06T03:00:00Z'), null, 'UTC'), null, 'no quiet hours');
});

t.test('New York: the end follows the wall clock across daylight-saving changes', async (t) => {
  const window = parseQuietHours('21:00-08:00')!;
  const tz = 'America/New_York';
  // Saturday 2026-03-07 22:00 EST (03:00Z Sunday); clocks go forward at 02:00 → 03:00; 08:00 EDT is 12:00Z.
  t.equal(iso(quietUntil(at('2026-03-08T03:00:00Z'), window, tz)), '2026-03-08T12:00:00.000Z', 'spring forward: 08:00 EDT');
  // Saturday 2026-10-31 22:00 EDT (02:00Z Sunday); clocks go back at 02:00 → 01:00; 08:00 EST is 13:00Z.
  t.equal(iso(quietUntil(at('2026-11-01T02:00:00Z'), window, tz)), '2026-11-01T13:00:00.000Z', 'fall back: 08:00 EST');
  // An ordinary night: 22:00 EST → 08:00 EST.
  t.equal(iso(quietUntil(at('2026-12-07T03:00:00Z'), window, tz)), '2026-12-07T13:00:00.000Z');
  // A window ending inside the skipped hour (01:00-02:30 on the spring-forward night): the first moment after it.
  const gap = parseQuietHours('01:00-02:30')!;
  const until = quietUntil(at('2026-03-08T06:30:00Z'), gap, tz); // 01:30 EST
  t.ok(until !== null && until > at('2026-03-08T06:30:00Z'), 'later than now');
  t.notOk(isQuiet(until!, gap, tz), 'outside the window');
  t.equal(iso(until), '2026-03-08T07:00:00.000Z', '03:00 EDT, right after the gap');
});
