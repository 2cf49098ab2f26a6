import t from 'tap';
import { ageSeconds, clockOffsetMs, formatAge } from '../../../web/src/logic/age.js';

const units = { seconds: 's', minutes: 'min', hours: 'h', days: 'd' };

t.test('ages in the two largest units that matter', async (t) => {
  t.equal(formatAge(0, units), '0 s');
  t.equal(formatAge(59.9, units), '59 s');
  t.equal(formatAge(60, units), '1 min');
  t.equal(formatAge(3599, units), '59 min');
  t.equal(formatAge(3600, units), '1 h');
  t.equal(formatAge(2 * 3600 + 10 * 60 + 5, units), '2 h 10 min');
  t.equal(formatAge(86_400, units), '1 d');
  t.equal(formatAge(3 * 86_400 + 4 * 3600 + 59, units), '3 d 4 h');
  t.equal(formatAge(-5, units), '0 s');
  t.equal(formatAge(90, { seconds: 'วินาที', minutes: 'นาที', hours: 'ชม.', days: 'วัน' }), '1 นาที');
});

t.test('seconds since creation, never negative; the server clock offset', async (t) => {
  const now = Date.parse('2026-11-21T09:00:00.000Z');
  t.equal(ageSeconds('2026-11-21T08:58:30.500Z', now), 89);
  t.equal(ageSeconds('2026-11-21T09:00:05.000Z', now), 0, 'a clock behind the server is no negative age');
  t.equal(ageSeconds('yesterday', now), undefined);
  t.equal(clockOffsetMs('2026-11-21T09:00:02.000Z', now), 2000);
  t.equal(clockOffsetMs('garbage', now), 0);
});
