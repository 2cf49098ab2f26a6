import t from 'tap';
import { classifyCollection, latestCutOff, parseCutOff, reconciliationReport } from '../../../processors/domain/reconciliation.js';

t.test('a collection is RECONCILED only when it equals the expected amount exactly', async (t) => {
  t.equal(classifyCollection('90.6200', '90.6200'), 'RECONCILED');
  t.equal(classifyCollection('90.6200', '90.62'), 'RECONCILED', 'same amount, other spelling');
  t.equal(classifyCollection('90.6200', '90.6199'), 'SHORT');
  t.equal(classifyCollection('90.6200', '100.0000'), 'OVER');
  t.equal(classifyCollection('90.6200', null), 'MISSING');
  t.equal(classifyCollection('0.0000', '10.0000'), 'OVER', 'cash for a cancelled order');
});

t.test('cut-offs: HH:MM on a 24-hour clock', async (t) => {
  t.same(parseCutOff('23:00'), { hour: 23, minute: 0 });
  t.same(parseCutOff('00:30'), { hour: 0, minute: 30 });
  for (const bad of ['24:00', '23:60', '9:00', '23', '']) t.equal(parseCutOff(bad), undefined, bad);
});

t.test('the latest cut-off at or before now, in the business time zone, and the day it closes', async (t) => {
  const cutOff = { hour: 23, minute: 0 };
  const iso = (ms: number) => new Date(ms).toISOString();
  const before = latestCutOff(Date.parse('2026-11-21T15:59:59Z'), cutOff, 'Asia/Bangkok');
  t.same([iso(before.at), before.businessDay], ['2026-11-20T16:00:00.000Z', '2026-11-20'], '22:59:59 in Bangkok: yesterday’s');
  const at = latestCutOff(Date.parse('2026-11-21T16:00:00Z'), cutOff, 'Asia/Bangkok');
  t.same([iso(at.at), at.businessDay], ['2026-11-21T16:00:00.000Z', '2026-11-21'], '23:00 in Bangkok: today’s');
  const afterMidnight = latestCutOff(Date.parse('2026-11-21T17:30:00Z'), cutOff, 'Asia/Bangkok');
  t.same([iso(afterMidnight.at), afterMidnight.businessDay], ['2026-11-21T16:00:00.000Z', '2026-11-21'], '00:30 the next day');
  const dst = latestCutOff(Date.parse('2026-03-09T12:00:00Z'), cutOff, 'America/New_York');
  t.same([iso(dst.at), dst.businessDay], ['2026-03-09T03:00:00.000Z', '2026-03-08'], 'the day DST starts: 23:00 EDT');
});

t.test('a store report lists exceptions with differences and sums everything exactly', async (t) => {
  const run = { BusinessDay: '2026-11-21', TimeZone: 'Asia/Bangkok', CutOffAt: '2026-11-21T16:00:00.000Z', At: '2026-11-21T16:00:30.000Z' };
  const report = reconciliationReport('QC0042', run, [
    { OrderID: 'A', Outcome: 'RECONCILED', ExpectedAmount: '90.6200', CollectedAmount: '90.6200', DeliveredAt: 'd', CollectedAt: 'c' },
    { OrderID: 'B', Outcome: 'SHORT', ExpectedAmount: '90.6200', CollectedAmount: '90.0000', DeliveredAt: 'd', CollectedAt: 'c' },
    { OrderID: 'C', Outcome: 'MISSING', ExpectedAmount: '45.0001', CollectedAmount: null, DeliveredAt: 'd', CollectedAt: null },
    { OrderID: 'D', Outcome: 'OVER', ExpectedAmount: '0.1000', CollectedAmount: '0.2000', DeliveredAt: null, CollectedAt: 'c' },
  ]);
  t.match(report, {
    ShipFromLocationID: 'QC0042',
    BusinessDay: '2026-11-21',
    ReconciledOrders: 1,
    ReconciledAmount: '90.6200',
    ExpectedTotal: '226.3401',
    CollectedTotal: '180.8200',
  });
  t.same(
    report.Exceptions.map((e) => [e.OrderID, e.Kind, e.Difference]),
    [
      ['B', 'SHORT', '-0.6200'],
      ['C', 'MISSING', '-45.0001'],
      ['D', 'OVER', '0.1000'],
    ],
  );
});
