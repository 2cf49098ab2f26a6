// PMP's settlement rows and the settlement exceptions on a real Postgres, through the sink's own path (sink-sources.ts
// → tables.ts → BatchWriter): a row imported twice is one row; settlement exceptions land beside the others and stay
// open until the sources agree or a person resolves them (a Reconciled payment does not close one); the weekly and
// monthly views per store count expected, collected, settled and exceptions exactly, on Bangkok business days.
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import type { PaymentSettlement, ReconciliationReport } from '../../avro/records.js';
import type { OrderState } from '../../processors/order-state.js';
import { BatchWriter } from '../../sinks/batch-writer.js';
import { loadOffsets } from '../../sinks/sink-offsets.js';
import { itemOf, sinkSources } from '../../sinks/sink-sources.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { Stores, Topics } from '../../topology/topics.js';
import { migratedDatabase } from './harness.js';

const sources = sinkSources({ applicationId: 'app', topicPrefix: '', serdes: serdeConfig({}) });
const stateSerde = orderSerdes(serdeConfig({})).store(Stores.orders);
const CHANGELOG = 'app-orders-changelog';

interface Order {
  id: string;
  store?: string;
  carrier: 'PMP' | 'GRAB';
  total?: string;
  deliveredAt: string;
  collected?: string;
  settled?: [id: string, amount: string, date: string];
}

function orderState(order: Order): OrderState {
  const total = order.total ?? '90.6200';
  return {
    Order: {
      OrderID: order.id,
      ShipFromLocationID: order.store ?? 'QC0042',
      IsForceAllocation: true,
      CustomerID: 'C-1001',
      PaymentMethod: 'COD',
      CreatedAt: '2026-11-20T02:00:00Z',
      DeliveryAddress: { PostalCode: '10110' },
      OrderLines: [],
    } as unknown as OrderState['Order'],
    Status: 7500,
    PaymentStatus: order.collected ? 'Collected' : '5000',
    Lines: [],
    Totals: {
      SubTotal: total,
      TotalDiscount: '0.0000',
      TotalTaxes: '0.0000',
      InformationalTaxes: '0.0000',
      TotalCharges: '0.0000',
      OrderTotal: total,
    },
    PayloadHash: 'h',
    ReleaseID: `REL-${order.id}`,
    ReleaseDueAt: null,
    History: [],
    UpdatedAt: order.deliveredAt,
    TrackingID: `${order.carrier}-${order.id}`,
    Carrier: order.carrier,
    EstimatedDelivery: null,
    SeenEventIDs: [],
    ShortedLines: [],
    DeliveredAt: order.deliveredAt,
    CollectedAmount: order.collected ?? null,
    CollectedAt: order.collected ? order.deliveredAt : null,
    SettlementID: order.settled?.[0] ?? null,
    SettledAmount: order.settled?.[1] ?? null,
    SettlementDate: order.settled?.[2] ?? null,
  };
}

const settlement = (id: string, orderId: string, amount: string, date: string, store = 'QC0042'): PaymentSettlement => ({
  SettlementID: id,
  Partner: 'PMP',
  SettlementDate: date,
  OrderID: orderId,
  ShipFromLocationID: store,
  TrackingID: `PMP-${orderId}`,
  SettledAmount: amount,
  CollectedAt: '2026-11-22T16:30:00.000Z',
  SourceFile: `pmp-${date}.csv`,
  SourceLine: 2,
});

type Exception = ReconciliationReport['Exceptions'][number];
type SettlementEntry = ReconciliationReport['SettlementExceptions'][number];
const report = (day: string, exceptions: Exception[], settlements: SettlementEntry[]): ReconciliationReport => ({
  ShipFromLocationID: 'QC0042',
  BusinessDay: day,
  TimeZone: 'Asia/Bangkok',
  CutOffAt: `${day}T16:00:00.000Z`,
  ReconciledOrders: 0,
  ReconciledAmount: '0.0000',
  Exceptions: exceptions,
  SettlementExceptions: settlements,
  ExpectedTotal: '0.0000',
  CollectedTotal: '0.0000',
  At: `${day}T16:00:05.000Z`,
});
const collectionException = (OrderID: string, Kind: Exception['Kind'], collected: string | null, difference: string): Exception => ({
  OrderID,
  Kind,
  ExpectedAmount: '90.6200',
  CollectedAmount: collected,
  Difference: difference,
  DeliveredAt: null,
  CollectedAt: null,
});
const settlementException = (
  OrderID: string,
  Kind: SettlementEntry['Kind'],
  collected: string | null,
  settled: string | null,
  difference: string,
): SettlementEntry => ({
  OrderID,
  Kind,
  Partner: 'PMP',
  CollectedAmount: collected,
  SettledAmount: settled,
  Difference: difference,
  DeliveredAt: null,
  CollectedAt: null,
  SettlementID: settled === null ? null : `PMP-${OrderID}`,
  SettlementDate: settled === null ? null : '2026-11-23',
});

/** Records as the sink consumes them, each topic's offsets numbered from where the last batch left them. */
function batch(offsets: Map<string, bigint>) {
  const records: Array<{ topic: string; value: Buffer }> = [];
  const add = (topic: string, value: Buffer) => records.push({ topic, value });
  return {
    order: (order: Order) => add(CHANGELOG, stateSerde.serialize(orderState(order))),
    settlement: (row: PaymentSettlement) => add(Topics.settlement, Buffer.from(JSON.stringify(row))),
    report: (value: ReconciliationReport) => add(Topics.reconciliation, Buffer.from(JSON.stringify(value))),
    payment: (OrderID: string, PaymentStatus: string, Amount: string, At: string) =>
      add(
        Topics.payment,
        Buffer.from(JSON.stringify({ OrderID, ShipFromLocationID: 'QC0042', PaymentMethod: 'COD', PaymentStatus, Amount, At })),
      ),
    outcome: (OrderID: string, Action: string, at: string) =>
      add(
        Topics.exceptionOutcome,
        Buffer.from(
          JSON.stringify({
            Command: {
              OrderID,
              ShipFromLocationID: 'QC0042',
              Exception: 'RECONCILIATION',
              Action,
              Note: 'PMP confirmed by phone',
              RequestedBy: 'finance-1',
              CommandID: `cmd-${OrderID}-${Action}`,
              At: at,
            },
            Outcome: 'APPLIED',
            Reason: null,
            ReleaseID: null,
            At: at,
          }),
        ),
      ),
    items: () =>
      records.map(({ topic, value }) => {
        const offset = offsets.get(topic) ?? 0n;
        offsets.set(topic, offset + 1n);
        return itemOf({ topic, partition: 0, offset, key: Buffer.from('QC0042'), value, timestamp: 0, headers: {} }, sources);
      }),
  };
}

t.test('settlement rows, settlement exceptions, what is open, and the weekly and monthly COD views', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  await client.query("SET omnia.business_timezone = 'Asia/Bangkok'");
  t.ok(sources.topics.includes(Topics.settlement), 'the sink reads payment.settlement.v1');
  const writer = new BatchWriter(db, 'test-sink');
  const offsets = new Map<string, bigint>();
  const write = async (items: ReturnType<ReturnType<typeof batch>['items']>) => {
    t.same(
      items.filter((item) => item.unusable),
      [],
      'every record fits its table',
    );
    const partitions = [...new Set(items.map((item) => item.topic))].map((topic) => ({ topic, partition: 0 }));
    return writer.write(items, await loadOffsets(db, 'test-sink', partitions));
  };

  const first = batch(offsets);
  // Sunday 2026-11-22 23:30 in Bangkok, and Monday 00:30: one hour apart, in two weeks.
  first.order({
    id: 'S-1',
    carrier: 'PMP',
    deliveredAt: '2026-11-22T16:30:00Z',
    collected: '90.6200',
    settled: ['PMP-S-1', '90.6200', '2026-11-23'],
  });
  first.order({
    id: 'S-2',
    carrier: 'PMP',
    deliveredAt: '2026-11-22T17:30:00Z',
    collected: '90.6200',
    settled: ['PMP-S-2', '90.0000', '2026-11-23'],
  });
  first.order({ id: 'S-3', carrier: 'PMP', deliveredAt: '2026-11-23T05:00:00Z', collected: '50.0000' });
  first.order({ id: 'S-4', carrier: 'GRAB', deliveredAt: '2026-11-23T06:00:00Z', collected: '90.6200' });
  // Tuesday 2026-12-01 00:30 in Bangkok: December, although still November in UTC.
  first.order({ id: 'S-5', carrier: 'PMP', deliveredAt: '2026-11-30T17:30:00Z', settled: ['PMP-S-5', '90.6200', '2026-12-01'] });
  first.order({
    id: 'S-6',
    store: 'QC0043',
    carrier: 'PMP',
    total: '45.5000',
    deliveredAt: '2026-11-23T05:00:00Z',
    collected: '45.5000',
    settled: ['PMP-S-6', '45.5000', '2026-11-23'],
  });
  first.settlement(settlement('PMP-S-1', 'S-1', '90.6200', '2026-11-23'));
  first.settlement(settlement('PMP-S-2', 'S-2', '90.0000', '2026-11-23'));
  first.settlement(settlement('PMP-S-5', 'S-5', '90.6200', '2026-12-01'));
  first.settlement(settlement('PMP-S-6', 'S-6', '45.5000', '2026-11-23', 'QC0043'));
  first.report(
    report(
      '2026-11-23',
      [collectionException('S-3', 'SHORT', '50.0000', '-40.6200')],
      [settlementException('S-2', 'SETTLEMENT_MISMATCH', '90.6200', '90.0000', '-0.6200')],
    ),
  );
  first.payment('S-2', 'Reconciled', '90.6200', '2026-11-23T16:00:05Z');
  first.report(
    report(
      '2026-11-24',
      [],
      [
        settlementException('S-2', 'SETTLEMENT_MISMATCH', '90.6200', '90.0000', '-0.6200'),
        settlementException('S-3', 'NOT_IN_SETTLEMENT', '50.0000', null, '-50.0000'),
      ],
    ),
  );
  first.report(
    report(
      '2026-12-01',
      [collectionException('S-5', 'MISSING', null, '-90.6200')],
      [settlementException('S-5', 'SETTLEMENT_WITHOUT_COLLECTION', null, '90.6200', '90.6200')],
    ),
  );
  await write(first.items());

  const settlements = async () =>
    (
      await client.query(
        'SELECT settlement_id, order_id, ship_from_location_id, settled_amount::text, settlement_date::text, source_line FROM payment_settlements ORDER BY settlement_id',
      )
    ).rows;
  const before = await settlements();
  t.same(
    before.map((row) => [row.settlement_id, row.settled_amount, row.settlement_date]),
    [
      ['PMP-S-1', '90.6200', '2026-11-23'],
      ['PMP-S-2', '90.0000', '2026-11-23'],
      ['PMP-S-5', '90.6200', '2026-12-01'],
      ['PMP-S-6', '45.5000', '2026-11-23'],
    ],
  );
  const again = batch(offsets);
  again.settlement(settlement('PMP-S-1', 'S-1', '90.6200', '2026-11-23'));
  await write(again.items());
  t.same(await settlements(), before, 'the same row imported again: the table does not change');

  const exceptions = (
    await client.query(
      `SELECT business_day::text, order_id, kind, expected_amount::text, collected_amount::text, settled_amount::text, difference::text, settlement_id
       FROM reconciliation_exceptions ORDER BY kafka_offset, exception_index`,
    )
  ).rows.map((row) => Object.values(row));
  t.same(exceptions, [
    ['2026-11-23', 'S-3', 'SHORT', '90.6200', '50.0000', null, '-40.6200', null],
    ['2026-11-23', 'S-2', 'SETTLEMENT_MISMATCH', '90.6200', '90.6200', '90.0000', '-0.6200', 'PMP-S-2'],
    ['2026-11-24', 'S-2', 'SETTLEMENT_MISMATCH', '90.6200', '90.6200', '90.0000', '-0.6200', 'PMP-S-2'],
    ['2026-11-24', 'S-3', 'NOT_IN_SETTLEMENT', '50.0000', '50.0000', null, '-50.0000', null],
    ['2026-12-01', 'S-5', 'MISSING', '90.6200', null, null, '-90.6200', null],
    ['2026-12-01', 'S-5', 'SETTLEMENT_WITHOUT_COLLECTION', '0.0000', null, '90.6200', '90.6200', 'PMP-S-5'],
  ]);
  t.same(
    (await client.query('SELECT exception_count FROM reconciliation_runs ORDER BY kafka_offset')).rows.map((row) => row.exception_count),
    [2, 2, 2],
    'a run counts both kinds',
  );

  const open = async () =>
    (await client.query('SELECT order_id, kind FROM open_reconciliation_exceptions ORDER BY order_id, kind')).rows.map(
      (row) => `${row.order_id} ${row.kind}`,
    );
  t.same(
    await open(),
    ['S-2 SETTLEMENT_MISMATCH', 'S-3 NOT_IN_SETTLEMENT', 'S-3 SHORT', 'S-5 MISSING', 'S-5 SETTLEMENT_WITHOUT_COLLECTION'],
    'one open exception per source and order; S-2’s Reconciled payment does not close its settlement exception',
  );

  const weekly = async () =>
    (
      await client.query(
        `SELECT ship_from_location_id, week::text, orders, expected_amount::text, collected_amount::text, pmp_collected_amount::text,
                settled_amount::text, exceptions, exception_amount::text, open_exceptions, open_exception_amount::text
         FROM cod_settlement_weekly ORDER BY 1, 2`,
      )
    ).rows.map((row) => Object.values(row));
  t.same(await weekly(), [
    ['QC0042', '2026-11-16', 1, '90.6200', '90.6200', '90.6200', '90.6200', 0, '0.0000', 0, '0.0000'],
    ['QC0042', '2026-11-23', 3, '271.8600', '231.2400', '140.6200', '90.0000', 3, '91.2400', 3, '91.2400'],
    ['QC0042', '2026-11-30', 1, '90.6200', '0.0000', '0.0000', '90.6200', 2, '181.2400', 2, '181.2400'],
    ['QC0043', '2026-11-23', 1, '45.5000', '45.5000', '45.5000', '45.5000', 0, '0.0000', 0, '0.0000'],
  ]);
  const monthly = async () =>
    (
      await client.query(
        `SELECT ship_from_location_id, month::text, orders, expected_amount::text, collected_amount::text, pmp_collected_amount::text,
                settled_amount::text, exceptions, exception_amount::text, open_exceptions, open_exception_amount::text
         FROM cod_settlement_monthly ORDER BY 1, 2`,
      )
    ).rows.map((row) => Object.values(row));
  t.same(await monthly(), [
    ['QC0042', '2026-11-01', 4, '362.4800', '321.8600', '231.2400', '180.6200', 3, '91.2400', 3, '91.2400'],
    ['QC0042', '2026-12-01', 1, '90.6200', '0.0000', '0.0000', '90.6200', 2, '181.2400', 2, '181.2400'],
    ['QC0043', '2026-11-01', 1, '45.5000', '45.5000', '45.5000', '45.5000', 0, '0.0000', 0, '0.0000'],
  ]);

  // PMP corrects S-2's row; a person resolves S-3 (both of its exceptions: a decision is on the order).
  const later = batch(offsets);
  later.settlement(settlement('PMP-S-2b', 'S-2', '90.6200', '2026-11-25'));
  later.order({
    id: 'S-2',
    carrier: 'PMP',
    deliveredAt: '2026-11-22T17:30:00Z',
    collected: '90.6200',
    settled: ['PMP-S-2b', '90.6200', '2026-11-25'],
  });
  later.outcome('S-3', 'RESOLVE', '2026-11-25T03:00:00Z');
  await write(later.items());
  t.same(await open(), ['S-5 MISSING', 'S-5 SETTLEMENT_WITHOUT_COLLECTION'], 'settled now, or resolved: no longer open');
  t.same(
    (await weekly())[1],
    ['QC0042', '2026-11-23', 3, '271.8600', '231.2400', '140.6200', '90.6200', 3, '91.2400', 0, '0.0000'],
    'the week counts the corrected settlement; its exceptions stay on record, none open',
  );
  t.equal((await settlements()).length, 5, 'both of S-2’s rows are kept');

  await t.rejects(
    client.query(
      `INSERT INTO reconciliation_exceptions (kafka_partition, kafka_offset, exception_index, ship_from_location_id, business_day, cut_off_at,
         order_id, kind, expected_amount, difference, at) VALUES (9, 9, 0, 'QC0042', '2026-11-23', now(), 'S-9', 'LOST', 0, 0, now())`,
    ),
    /reconciliation_exceptions_kind_check/,
    'an unknown kind is still refused',
  );
});
