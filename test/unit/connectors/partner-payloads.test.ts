import t from 'tap';
import { jsonSerde } from '../../../avro/serdes.js';
import {
  cashCollectedFromPmp,
  deliveredFromPmp,
  deliveryStatusFromGrab,
  DELIVERY_STATUSES,
  shipEventFromSlick,
  toUtc,
} from '../../../connectors/partner-payloads.js';

const base = { EventID: 'SLK-R1-picked', OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', At: '2026-11-21T09:15:00Z' };
const fields = (result: { ok: boolean; errors?: Array<{ field: string }> }) =>
  result.ok ? [] : result.errors!.map((error) => error.field);

t.test('Slick ship events map to ShipEvent records the schema accepts', async (t) => {
  const serde = jsonSerde('ShipEvent');
  const shipped = shipEventFromSlick({
    ...base,
    EventType: 'shipped',
    TrackingID: 'GRAB-R1',
    Carrier: 'GRAB',
    EstimatedDelivery: '2026-11-21T18:15:00+07:00',
    Extra: 'ignored',
  });
  t.same(
    shipped,
    {
      ok: true,
      record: {
        ...base,
        EventType: 'shipped',
        TrackingID: 'GRAB-R1',
        Carrier: 'GRAB',
        EstimatedDelivery: '2026-11-21T11:15:00.000Z',
        Lines: null,
      },
    },
    'an offset timestamp is stored in UTC, unknown fields are dropped',
  );
  if (shipped.ok) t.same(serde.deserialize(serde.serialize(shipped.record)), shipped.record, 'round-trips through the ShipEvent serde');

  const substitution = shipEventFromSlick({
    ...base,
    EventType: 'substitution',
    Lines: [{ LineID: '1', ItemID: 'SKU-1', Quantity: 2, SubstituteItemID: 'SKU-2' }],
  });
  t.ok(substitution.ok);
  if (substitution.ok) {
    t.same(substitution.record.Lines, [{ LineID: '1', ItemID: 'SKU-1', Quantity: 2, SubstituteItemID: 'SKU-2' }]);
    t.same(serde.deserialize(serde.serialize(substitution.record)), substitution.record);
  }
  const short = shipEventFromSlick({ ...base, EventType: 'short', Lines: [{ LineID: '1', ItemID: 'SKU-1', Quantity: 1 }] });
  t.same(short.ok && short.record.Lines, [{ LineID: '1', ItemID: 'SKU-1', Quantity: 1, SubstituteItemID: null }]);
  for (const type of ['picking', 'picked', 'packing', 'packed']) t.ok(shipEventFromSlick({ ...base, EventType: type }).ok, type);
});

t.test('Slick ship events: every failing field is named', async (t) => {
  t.same(fields(shipEventFromSlick({})), ['EventID', 'OrderID', 'ShipFromLocationID', 'EventType', 'At']);
  t.same(fields(shipEventFromSlick({ ...base, EventType: 'teleported' })), ['EventType']);
  t.same(
    fields(shipEventFromSlick({ ...base, EventType: 'picked', OrderID: 'has space', ShipFromLocationID: 42, At: '2026-02-30T00:00:00Z' })),
    ['OrderID', 'ShipFromLocationID', 'At'],
  );
  t.same(fields(shipEventFromSlick({ ...base, EventType: 'short' })), ['Lines'], 'short needs its lines');
  t.same(fields(shipEventFromSlick({ ...base, EventType: 'substitution', Lines: [] })), ['Lines']);
  t.same(
    fields(
      shipEventFromSlick({
        ...base,
        EventType: 'substitution',
        Lines: [{ LineID: '1', ItemID: 'SKU-1', Quantity: 0 }, 'x', { ItemID: 'SKU-3', Quantity: 1.5, SubstituteItemID: 'SKU-4' }],
      }),
    ),
    ['Lines.0.Quantity', 'Lines.0.SubstituteItemID', 'Lines.1', 'Lines.2.LineID', 'Lines.2.Quantity'],
  );
  t.same(
    fields(shipEventFromSlick({ ...base, EventType: 'shipped', TrackingID: 7, EstimatedDelivery: 'tomorrow', At: '2026-11-21 09:15' })),
    ['TrackingID', 'EstimatedDelivery', 'At'],
  );
  for (const body of [null, [], 'x', 3])
    t.same(shipEventFromSlick(body), { ok: false, errors: [{ field: '(root)', message: 'the body must be a JSON object' }] });
  const result = shipEventFromSlick({ ...base, EventType: 'nope' });
  t.match(
    !result.ok && result.errors[0]!.message,
    /picking, picked, packing, packed, shipped, short, substitution/,
    'the message lists what is allowed',
  );
});

/** The DeliveryStatus v2 fields of a staff confirmation: always null from a partner, whatever its body says. */
const partnerOnly = { ConfirmedBy: null, Reference: null, Note: null };

t.test('Grab status updates map to DeliveryStatus (Partner GRAB) with the shared status list', async (t) => {
  const serde = jsonSerde('DeliveryStatus');
  for (const Status of DELIVERY_STATUSES.filter((status) => status !== 'COLLECTED')) {
    const result = deliveryStatusFromGrab({ ...base, EventID: `GRAB-${Status}`, Status });
    t.same(
      result,
      { ok: true, record: { ...base, EventID: `GRAB-${Status}`, Partner: 'GRAB', Status, CollectedAmount: null, ...partnerOnly } },
      Status,
    );
    if (result.ok) t.same(serde.deserialize(serde.serialize(result.record)), result.record);
  }
  t.same(deliveryStatusFromGrab({ ...base, Status: 'COLLECTED', CollectedAmount: '120.5' }), {
    ok: true,
    record: { ...base, Partner: 'GRAB', Status: 'COLLECTED', CollectedAmount: '120.5000', ...partnerOnly },
  });
  t.same(fields(deliveryStatusFromGrab({ ...base, Status: 'COLLECTED' })), ['CollectedAmount']);
  t.same(
    fields(deliveryStatusFromGrab({ ...base, Status: 'DELIVERED', CollectedAmount: '1.0000' })),
    ['CollectedAmount'],
    'an amount only with COLLECTED',
  );
  t.same(
    deliveryStatusFromGrab({ ...base, Status: 'DELIVERED', ConfirmedBy: 'clerk-7', Reference: 'R-1' }),
    { ok: true, record: { ...base, Partner: 'GRAB', Status: 'DELIVERED', CollectedAmount: null, ...partnerOnly } },
    'a partner cannot pass its event off as a staff confirmation',
  );
  t.same(fields(deliveryStatusFromGrab({ ...base, Status: 'delivered' })), ['Status'], 'statuses are exact');
  t.same(fields(deliveryStatusFromGrab({ OrderID: 'O1' })), ['Status', 'EventID', 'ShipFromLocationID', 'At']);
});

t.test('PMP delivered and cash-collected map to DELIVERED and COLLECTED (Partner PMP)', async (t) => {
  t.same(deliveredFromPmp(base), {
    ok: true,
    record: { ...base, Partner: 'PMP', Status: 'DELIVERED', CollectedAmount: null, ...partnerOnly },
  });
  t.same(fields(deliveredFromPmp({ ...base, CollectedAmount: '10.0000' })), ['CollectedAmount']);
  t.same(cashCollectedFromPmp({ ...base, CollectedAmount: '1234.5600' }), {
    ok: true,
    record: { ...base, Partner: 'PMP', Status: 'COLLECTED', CollectedAmount: '1234.5600', ...partnerOnly },
  });
  t.same(cashCollectedFromPmp({ ...base, CollectedAmount: '0' }).ok && 'ok', 'ok');
  const money = (CollectedAmount: unknown) => cashCollectedFromPmp({ ...base, CollectedAmount });
  for (const amount of [1234.56, '12.34567', '-1.0000', '1e3', '01.0000', '', ' 1.0000', '1.', '123456789012345.0000', undefined]) {
    t.same(fields(money(amount)), ['CollectedAmount'], `CollectedAmount ${JSON.stringify(amount)} refused`);
  }
  t.match(
    !money(12.5).ok && (money(12.5) as { errors: Array<{ message: string }> }).errors[0]!.message,
    /decimal string/,
    'a JSON number is told to be a string',
  );
});

t.test('toUtc: ISO-8601 with Z or an offset, real dates only', async (t) => {
  t.equal(toUtc('2026-11-21T09:15:00Z'), '2026-11-21T09:15:00Z', 'Z kept as written');
  t.equal(toUtc('2026-11-21T09:15:00.123Z'), '2026-11-21T09:15:00.123Z');
  t.equal(toUtc('2026-11-21T00:15:00+07:00'), '2026-11-20T17:15:00.000Z');
  for (const bad of [
    '2026-11-21T09:15:00',
    '2026-13-01T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-11-21T24:00:00Z',
    '21/11/2026',
    '2026-11-21',
  ])
    t.equal(toUtc(bad), undefined, bad);
  t.equal(toUtc('2028-02-29T00:00:00Z'), '2028-02-29T00:00:00Z', 'a leap day');
});
