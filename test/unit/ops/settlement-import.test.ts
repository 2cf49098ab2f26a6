// `omnia settlement import` without a broker or a database: a good file is published whole, keyed by each order's
// store; a file with any bad row is refused whole and every problem listed; a dry run publishes nothing; importing
// the same file again publishes the very same records.
import t from 'tap';
import type { PaymentSettlement } from '../../../avro/records.js';
import type { KnownOrder } from '../../../connectors/pmp-settlement-report.js';
import { asJson, importSettlementReport, renderImport, type ImportDependencies } from '../../../ops/settlement-import.js';

const file = (...rows: string[]) =>
  Buffer.from(['SettlementDate,OrderID,TrackingID,CollectedAmount,CollectedAt', ...rows].join('\n') + '\n');

function fakes(known: Record<string, KnownOrder>, written: Set<string> = new Set()) {
  const published: PaymentSettlement[][] = [];
  const deps: ImportDependencies = {
    knownOrders: async (ids) => new Map(ids.filter((id) => known[id]).map((id) => [id, known[id]!])),
    importedBefore: async (ids) => ids.filter((id) => written.has(id)).length,
    publish: async (records) => {
      published.push([...records]);
      for (const record of records) written.add(record.SettlementID);
    },
  };
  return { deps, published };
}

const KNOWN = {
  'QC0042-000001': { store: 'QC0042', trackingId: 'PMP-1' },
  'QC0043-000002': { store: 'QC0043', trackingId: null },
};

t.test('a good file: one record per row, keyed by the order’s store, in one publish', async (t) => {
  const { deps, published } = fakes(KNOWN);
  const bytes = file(
    '2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T17:00:00+07:00',
    '2026-11-21,QC0043-000002,PMP-2,45.5,2026-11-21T11:00:00Z',
  );
  const result = await importSettlementReport({ bytes, file: 'pmp-2026-11-21.csv', dryRun: false }, deps);
  t.equal(result.outcome, 'IMPORTED');
  t.equal(published.length, 1, 'one publish: one transaction');
  t.same(
    published[0]!.map((record) => [record.OrderID, record.ShipFromLocationID, record.SettledAmount, record.SourceLine]),
    [
      ['QC0042-000001', 'QC0042', '90.6200', 2],
      ['QC0043-000002', 'QC0043', '45.5000', 3],
    ],
  );
  t.match(asJson(result), { rows: 2, settledAmount: '136.1200', stores: 2, settlementDates: ['2026-11-21'], importedBefore: 0 });
  t.match(renderImport(result), /^IMPORTED {2}pmp-2026-11-21\.csv: 2 rows from PMP, 136\.1200 settled, 2 stores/);

  const again = await importSettlementReport({ bytes, file: 'pmp-2026-11-21.csv', dryRun: false }, deps);
  t.same(published[1], published[0], 'imported again: the very same records (same SettlementIDs)');
  t.equal(again.importedBefore, 2, 'and the summary says they were imported before');
  t.match(renderImport(again), /2 of them imported before/);
});

t.test('a file with a bad row is refused whole: every problem listed, nothing published', async (t) => {
  const { deps, published } = fakes(KNOWN);
  const result = await importSettlementReport(
    {
      bytes: file(
        '2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T10:00:00Z',
        '2026-11-21,QC0042-000099,PMP-9,10.00,2026-11-21T10:00:00Z',
        '2026-11-21,QC0043-000002,PMP-2,10.001234,2026-11-21T10:00:00Z',
      ),
      file: 'pmp.csv',
      dryRun: false,
    },
    deps,
  );
  t.equal(result.outcome, 'REFUSED');
  t.same(published, [], 'not even the good row');
  t.same(
    result.problems.map((problem) => [problem.line, problem.field, problem.code]),
    [
      [3, 'OrderID', 'UNKNOWN_ORDER'],
      [4, 'CollectedAmount', 'INVALID_AMOUNT'],
    ],
    'format problems and unknown orders together, by line',
  );
  const text = renderImport(result);
  t.match(text, /^REFUSED {2}pmp\.csv: 2 problems; nothing was published/);
  t.match(text, /3 +OrderID +UNKNOWN_ORDER +no order QC0042-000099/);
});

t.test('--dry-run checks everything and publishes nothing', async (t) => {
  const { deps, published } = fakes(KNOWN);
  const result = await importSettlementReport(
    { bytes: file('2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T10:00:00Z'), file: 'pmp.csv', dryRun: true },
    deps,
  );
  t.equal(result.outcome, 'IMPORTED');
  t.equal(result.records.length, 1);
  t.same(published, []);
  t.match(renderImport(result), /^VALID {2}pmp\.csv: 1 row .*nothing published \(--dry-run\)/);
});
