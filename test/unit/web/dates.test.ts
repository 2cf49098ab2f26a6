import t from 'tap';
import { dayRange, dayStart, formatOffset, isDay, nextDay } from '../../../web/src/logic/dates.js';

t.test('days picked become an inclusive-exclusive range at the store offset', async (t) => {
  const bangkok = () => 420;
  t.same(dayRange('2026-11-21', '2026-11-21', bangkok), { from: '2026-11-21T00:00:00+07:00', to: '2026-11-22T00:00:00+07:00' });
  t.same(dayRange('', '2026-12-31', bangkok), { to: '2027-01-01T00:00:00+07:00' });
  t.same(dayRange('2026-02-30', '', bangkok), {}, 'not a real day: no filter');
  t.same(dayRange('', '', bangkok), {});
});

t.test('calendar helpers', async (t) => {
  t.ok(isDay('2028-02-29'));
  t.notOk(isDay('2026-02-29'));
  t.notOk(isDay('21/11/2026'));
  t.equal(nextDay('2026-02-28'), '2026-03-01');
  t.equal(formatOffset(420), '+07:00');
  t.equal(formatOffset(-150), '-02:30');
  t.equal(formatOffset(0), '+00:00');
  t.equal(dayStart('2026-11-21', 330), '2026-11-21T00:00:00+05:30');
});
