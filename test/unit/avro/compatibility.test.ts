// Schema evolution: every current schema reads data written with each earlier version (BACKWARD, transitively),
// earlier versions read current data where the change allows it (FORWARD), a changed schema cannot skip keeping
// its previous version, and a required field without a default is caught.
import t from 'tap';
import avsc from 'avsc';
import type { Type } from 'avsc';
import { compatibilityProblems, currentVersion, recordedVersions, unreadable } from '../../../avro/compatibility.js';
import { RECORD_TYPES, schemaDefinition, schemaVersions } from '../../../avro/schema-loader.js';
import { jsonSerde, singleObjectSerde } from '../../../avro/serdes.js';
import { singleObjectHeader } from '../../../avro/fingerprint.js';
import { examples, orderCreate } from './examples.js';

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** A version-1 value: the example with the fields version 2 added left out. */
const { CustRef: _custRef, ...orderCreateV1 } = orderCreate;
const { ReleaseDueAt: _due, ...stateWithoutDue } = examples.OrderState;
const orderStateV1 = { ...stateWithoutDue, Order: orderCreateV1 };

t.test('OrderCreate and OrderState have a real v1 → v2 evolution on record', async (t) => {
  t.same(
    schemaVersions('OrderCreate').map((v) => v.version),
    [1, 2],
  );
  t.same(
    schemaVersions('OrderState').map((v) => v.version),
    [1, 2, 3, 4, 5],
  );
  const fieldNames = (type: Type) => (type as unknown as { fields: Array<{ name: string }> }).fields.map((f) => f.name);
  const [createV1, createV2] = schemaVersions('OrderCreate');
  t.notOk(fieldNames(createV1!.type).includes('CustRef'), 'v1 has no CustRef');
  t.ok(fieldNames(createV2!.type).includes('CustRef'), 'v2 adds CustRef');
  const [stateV1, stateV2] = schemaVersions('OrderState');
  t.notOk(fieldNames(stateV1!.type).includes('ReleaseDueAt'), 'v1 has no ReleaseDueAt');
  t.ok(fieldNames(stateV2!.type).includes('ReleaseDueAt'), 'v2 adds ReleaseDueAt');
  const stateV3 = schemaVersions('OrderState')[2]!;
  t.notOk(fieldNames(stateV2!.type).includes('SeenEventIDs'), 'v2 has no SeenEventIDs');
  t.ok(
    ['TrackingID', 'SeenEventIDs', 'ShortedLines', 'CollectedAmount'].every((name) => fieldNames(stateV3.type).includes(name)),
    'v3 adds the fulfillment and delivery fields',
  );
  const historyFields = (type: Type) => {
    const history = (type as unknown as { fields: Array<{ name: string; type: { itemsType: Type } }> }).fields.find(
      (f) => f.name === 'History',
    );
    return fieldNames(history!.type.itemsType);
  };
  t.notOk(historyFields(stateV3.type).includes('Actor'), 'v3 history entries have no Actor');
  t.ok(historyFields(schemaVersions('OrderState')[3]!.type).includes('Actor'), 'v4 adds Actor to history entries');
  const settlementFields = ['SettlementID', 'SettledAmount', 'SettlementDate'];
  t.notOk(
    settlementFields.some((name) => fieldNames(schemaVersions('OrderState')[3]!.type).includes(name)),
    'v4 has no settlement fields',
  );
  t.ok(
    settlementFields.every((name) => fieldNames(schemaVersions('OrderState')[4]!.type).includes(name)),
    'v5 adds the settlement fields',
  );
});

/**
 * The evolutions that are BACKWARD only, and what that asks of a deployment. FulfillmentInteraction v2 adds the
 * outcome REFUSED to an enum that had no default, so a v1 reader cannot read it: the readers of
 * order.fulfillment.v1 (the sink, `omnia status`) are deployed before the connectors that write it — the usual order
 * for a BACKWARD change (deploy/README.md).
 */
const BACKWARD_ONLY: Record<string, RegExp> = { FulfillmentInteraction: /REFUSED/ };

t.test('every current schema reads every earlier version, and earlier versions read the current one', async (t) => {
  for (const name of RECORD_TYPES) {
    t.same(compatibilityProblems(name, ['backward']), [], `${name}: BACKWARD (transitive)`);
    const forward = compatibilityProblems(name, ['forward']);
    if (BACKWARD_ONLY[name]) {
      t.ok(forward.length > 0, `${name}: FORWARD broken, as documented`);
      t.ok(
        forward.every((problem) => BACKWARD_ONLY[name]!.test(problem.message) || /FulfillmentOutcome/.test(problem.message)),
        `${name}: only by the documented change`,
        { forward },
      );
    } else t.same(forward, [], `${name}: FORWARD`);
  }
});

t.test('data written with v1 reads with the current schema; the added field takes its default', async (t) => {
  const [createV1, createV2] = schemaVersions('OrderCreate');
  const v1Bytes = createV1!.type.toBuffer(orderCreateV1);
  const read = createV2!.type.fromBuffer(v1Bytes, createV2!.type.createResolver(createV1!.type)) as typeof orderCreate;
  t.equal(read.CustRef, null, 'CustRef defaults to null');
  t.same(plain(read), plain({ ...orderCreate, CustRef: null }), 'everything else as written');
  t.equal(read.OrderLines![0]!.UnitPrice, '35.5000', 'money unchanged across versions');

  // And the other way: a v1 reader (a replica not yet upgraded) reads v2 data, ignoring the new field.
  const back = createV1!.type.fromBuffer(createV2!.type.toBuffer(orderCreate), createV1!.type.createResolver(createV2!.type));
  t.same(plain(back), plain(orderCreateV1), 'v1 reads v2 data without CustRef');

  const [stateV1, stateV2] = schemaVersions('OrderState');
  const state = stateV2!.type.fromBuffer(
    stateV1!.type.toBuffer(orderStateV1),
    stateV2!.type.createResolver(stateV1!.type),
  ) as typeof examples.OrderState;
  t.equal(state.ReleaseDueAt, null, 'ReleaseDueAt defaults to null');
  t.equal(state.Order.CustRef, null, 'the nested OrderCreate evolves too');
  t.same(state.History, plain(examples.OrderState.History.map(({ Actor: _actor, ...entry }) => entry)), 'history intact');
});

t.test('a state store written with v1 stays readable after the upgrade (single-object Avro and JSON)', async (t) => {
  const [stateV1] = schemaVersions('OrderState');
  const v1Stored = Buffer.concat([singleObjectHeader(stateV1!.type), stateV1!.type.toBuffer(orderStateV1)]);
  const current = singleObjectSerde<typeof examples.OrderState>('OrderState', 'orders');
  const read = current.deserialize(v1Stored);
  t.equal(read.ReleaseDueAt, null);
  t.equal(read.PayloadHash, examples.OrderState.PayloadHash);
  t.same(plain(current.deserialize(current.serialize(read))), plain(read), 'and is rewritten as the current version');

  const json = jsonSerde<typeof examples.OrderState>('OrderState', 'orders');
  const fromV1Json = json.deserialize(Buffer.from(JSON.stringify(orderStateV1)));
  t.equal(fromV1Json.ReleaseDueAt, null, 'JSON written before v2 reads with the default');
  t.equal(fromV1Json.Order.CustRef, null);
});

/** A proposed next OrderCreate: the current schema with its fields changed by `edit`. */
function proposedOrderCreate(edit: (fields: Array<{ name: string }>) => object[]): Type {
  const schema = schemaDefinition('OrderCreate') as { fields: Array<{ name: string }> };
  return avsc.Type.forSchema({ ...schema, fields: edit(schema.fields) } as never, { wrapUnions: 'never' });
}

t.test('adding a required field without a default breaks BACKWARD, and the check says so', async (t) => {
  const broken = proposedOrderCreate((fields) => [...fields, { name: 'Channel', type: 'string', doc: 'Sales channel.' }]);
  const problems = compatibilityProblems('OrderCreate', ['backward'], broken);
  t.equal(problems.length, 2, 'data of v1 and of v2 would both be unreadable');
  t.match(problems, [
    { recordType: 'OrderCreate', direction: 'backward', readerVersion: 3, writerVersion: 1, message: /default-less .*Channel/ },
    { recordType: 'OrderCreate', direction: 'backward', readerVersion: 3, writerVersion: 2, message: /default-less .*Channel/ },
  ]);
  t.ok(unreadable(broken, schemaVersions('OrderCreate')[1]!.type), 'the resolver refuses it');

  const fine = proposedOrderCreate((fields) => [
    ...fields,
    { name: 'Channel', type: ['null', 'string'], default: null, doc: 'Sales channel.' },
  ]);
  t.same(compatibilityProblems('OrderCreate', ['backward', 'forward'], fine), [], 'the same field with a default is compatible both ways');

  const retyped = proposedOrderCreate((fields) =>
    fields.map((field) => (field.name === 'PaymentMethod' ? { ...field, type: 'int' } : field)),
  );
  t.match(
    compatibilityProblems('OrderCreate', ['backward'], retyped),
    [{ message: /cannot read "string" as "int"/ }],
    'changing a field type is caught too',
  );

  const dropped = proposedOrderCreate((fields) => fields.filter((field) => field.name !== 'PaymentMethod'));
  t.same(compatibilityProblems('OrderCreate', ['backward'], dropped), [], 'removing a field is BACKWARD compatible (the reader skips it)');
  t.match(
    compatibilityProblems('OrderCreate', ['forward'], dropped),
    [{ direction: 'forward', message: /PaymentMethod/ }],
    '...but not FORWARD: old readers need it',
  );
});

t.test('a changed schema keeps its previous version: history/fingerprints.json matches the current schemas', async (t) => {
  const recorded = recordedVersions();
  for (const name of RECORD_TYPES) {
    const now = currentVersion(name);
    t.same(
      recorded[name],
      now,
      `${name}: if this fails, ${name}.avsc changed. Copy its previous self-contained schema (schemaDefinition) to ` +
        `avro/schemas/history/${name}.v${recorded[name]?.version ?? 1}.avsc, then record ${JSON.stringify({ [name]: currentVersion(name) })} ` +
        `(recomputed after the copy) in avro/schemas/history/fingerprints.json`,
    );
  }
});

t.test('DeliveryStatus v2: partner events written with v1 read with null ConfirmedBy, Reference and Note', async (t) => {
  const [v1, v2] = schemaVersions('DeliveryStatus');
  t.same(
    schemaVersions('DeliveryStatus').map((v) => v.version),
    [1, 2],
  );
  const { ConfirmedBy: _by, Reference: _ref, Note: _note, ...partnerV1 } = examples.DeliveryStatus;
  const read = v2!.type.fromBuffer(v1!.type.toBuffer(partnerV1), v2!.type.createResolver(v1!.type)) as typeof examples.DeliveryStatus;
  t.same(plain(read), plain({ ...partnerV1, ConfirmedBy: null, Reference: null, Note: null }), 'the added fields default to null');

  // A replica not yet upgraded reads a staff confirmation as the partner's COLLECTED it stands for.
  const confirmed = {
    ...examples.DeliveryStatus,
    EventID: 'manual-c0d1f2e3-0000-4000-8000-000000000002',
    Status: 'COLLECTED',
    ConfirmedBy: 'clerk-7',
    Reference: 'RCPT-0042',
    Note: 'rider brought the cash back',
  };
  const back = v1!.type.fromBuffer(v2!.type.toBuffer(confirmed), v1!.type.createResolver(v2!.type));
  t.same(plain(back), plain({ ...partnerV1, EventID: confirmed.EventID, Status: 'COLLECTED' }), 'v1 reads v2 data without the new fields');
  const json = jsonSerde<typeof examples.DeliveryStatus>('DeliveryStatus', 'delivery.status.v1');
  t.same(json.deserialize(Buffer.from(JSON.stringify(partnerV1))).ConfirmedBy, null, 'a JSON partner event without them reads null');
});

t.test('ReconciliationReport v2: a v1 reader reads a report with settlement exceptions, and v2 reads v1 reports', async (t) => {
  const [v1, v2] = schemaVersions('ReconciliationReport');
  t.same(
    schemaVersions('ReconciliationReport').map((v) => v.version),
    [1, 2],
  );
  const { SettlementExceptions: settlements, ...reportV1 } = examples.ReconciliationReport;
  t.ok(settlements.length > 0, 'the example carries a settlement exception');
  const back = v1!.type.fromBuffer(v2!.type.toBuffer(examples.ReconciliationReport), v1!.type.createResolver(v2!.type));
  t.same(plain(back), plain(reportV1), 'a reader not yet upgraded sees the collection exceptions as before');
  const read = v2!.type.fromBuffer(v1!.type.toBuffer(reportV1), v2!.type.createResolver(v1!.type)) as typeof examples.ReconciliationReport;
  t.same(read.SettlementExceptions, [], 'a v1 report has no settlement exceptions');
});
