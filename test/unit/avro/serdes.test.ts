// Round trips of a realistic value of every record in every registry-free format, exact money, the JSON view
// equal to the Avro view, and the clear errors the runtime dead-letters as MALFORMED_RECORD.
import t from 'tap';
import { serdeConfig, serdeConfigFromEnv, topicFormatVariable } from '../../../avro/config.js';
import { RecordDecodeError, RecordEncodeError } from '../../../avro/errors.js';
import { RECORD_TYPES } from '../../../avro/schema-loader.js';
import { TOPIC_RECORD_TYPES } from '../../../avro/topic-catalogue.js';
import {
  avroSerde,
  jsonOrConfluentSerde,
  jsonSerde,
  recordDecoder,
  serdeFor,
  singleObjectSerde,
  storeSerde,
} from '../../../avro/serdes.js';
import { failsWith } from './assert.js';
import { examples, moneyProbes, orderCreate } from './examples.js';

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

t.test('every record round-trips in avro, json and single-object avro', async (t) => {
  for (const name of RECORD_TYPES) {
    const value = examples[name];
    for (const [format, serde] of [
      ['avro', avroSerde(name, `test.${name}`)],
      ['json', jsonSerde(name, `test.${name}`)],
      ['single-object', singleObjectSerde(name, `store.${name}`)],
    ] as const) {
      const bytes = serde.serialize(value);
      t.ok(Buffer.isBuffer(bytes), `${name} ${format} gives bytes`);
      t.same(plain(serde.deserialize(bytes)), plain(value), `${name} survives ${format}`);
    }
  }
});

t.test('the JSON view equals the Avro view', async (t) => {
  for (const name of RECORD_TYPES) {
    const fromAvro = avroSerde(name).deserialize(avroSerde(name).serialize(examples[name]));
    const json = jsonSerde(name);
    t.equal(json.serialize(examples[name]).toString('utf8'), JSON.stringify(fromAvro), `${name}: JSON text is the Avro value's JSON`);
    t.equal(JSON.stringify(json.deserialize(json.serialize(examples[name]))), JSON.stringify(fromAvro), `${name}: decoded alike`);
  }
});

t.test('the contract example OrderCreate keeps every money string exactly', async (t) => {
  const json = jsonSerde<typeof orderCreate>('OrderCreate', 'order.create.v1');
  const avro = avroSerde<typeof orderCreate>('OrderCreate', 'order.create.v1');
  for (const serde of [json, avro]) {
    const back = serde.deserialize(serde.serialize(orderCreate));
    t.equal(back.OrderLines![0]!.UnitPrice, '35.5000');
    t.equal(back.OrderLines![0]!.TaxRate, '0.0700');
    t.equal(back.OrderLines![0]!.Discounts![0]!.Amount, '5.0000');
    t.equal(back.OrderLines![0]!.InformationalTaxes![0]!.Amount, '4.6500');
    t.equal(back.Charges![0]!.Amount, '20.0000');
  }
  const release = avroSerde<(typeof examples)['Release']>('Release');
  for (const amount of moneyProbes) {
    const back = release.deserialize(release.serialize({ ...examples.Release, OrderTotal: amount, CodAmount: amount }));
    t.equal(back.OrderTotal, amount, `${amount} stays "${amount}"`);
  }
  t.equal(
    json.serialize(orderCreate).toString('utf8').includes('"UnitPrice":"35.5000"'),
    true,
    'JSON text carries the string, not a number',
  );
});

t.test('JSON decoding reads as Avro would: defaults for missing fields, undeclared fields dropped, null for none', async (t) => {
  const json = jsonSerde<(typeof examples)['OrderCreate']>('OrderCreate', 'order.create.v1');
  const sparse = {
    OrderID: 'QC0042-000200',
    ShipFromLocationID: 'QC0042',
    IsForceAllocation: true,
    PaymentMethod: 'COD',
    CreatedAt: '2026-11-21T10:00:00Z',
    DeliveryAddress: { PostalCode: '10110' },
    Charges: null,
    OrderLines: [{ LineID: '1', ItemID: 'SKU-100', Quantity: 1, UnitPrice: '35.5000', TaxRate: '0.0700', Discounts: null }],
    SomethingNew: 'from a newer producer',
  };
  const order = json.deserialize(Buffer.from(JSON.stringify(sparse)));
  t.equal(order.CustRef, null, 'optional field absent → null');
  t.same(order.Charges, [], 'null array → its default []');
  t.same(order.OrderLines![0]!.Discounts, [], 'nested null array → []');
  t.same(order.OrderLines![0]!.InformationalTaxes, [], 'absent array → []');
  t.equal(order.OrderLines![0]!.ShipFromLocationID, null, 'a line may omit ShipFromLocationID');
  t.equal(order.DeliveryAddress.Line1, null);
  t.notOk('SomethingNew' in (order as object), 'undeclared field dropped');
  const noFlag = json.deserialize(Buffer.from(JSON.stringify({ ...sparse, IsForceAllocation: undefined })));
  t.equal(noFlag.IsForceAllocation, false, 'an absent IsForceAllocation reads false, for rule C to name it');
  const decode = recordDecoder('OrderCreate', 'order.create.v1');
  t.same(decode(sparse), order, 'recordDecoder reads a parsed object as the JSON serde reads its text');
  t.throws(() => decode({ ...sparse, OrderLines: [{ ...sparse.OrderLines[0], Quantity: 3_000_000_000 }] }), {
    name: 'RecordDecodeError',
    message: /^order\.create\.v1: cannot read JSON OrderCreate: OrderLines\[0\]\.Quantity: expected int, got 3000000000/,
  });
  t.throws(() => decode([sparse]), RecordDecodeError, 'not an object');
});

t.test('undecodable bytes give a RecordDecodeError naming topic, record type, format and field', async (t) => {
  const json = jsonSerde('OrderCreate', 'order.create.v1');
  const avro = avroSerde('OrderCreate', 'order.create.v1');
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['not JSON', () => json.deserialize(Buffer.from('{"OrderID": ')), /^order\.create\.v1: cannot read JSON OrderCreate: not valid JSON/],
    ['a JSON array', () => json.deserialize(Buffer.from('[1,2]')), /expected a JSON object, got an array/],
    [
      'money as a number',
      () => json.deserialize(Buffer.from(JSON.stringify({ ...orderCreate, Charges: [{ Type: 'DeliveryFee', Amount: 20 }] }))),
      /Charges\[0\]\.Amount: expected string, got 20/,
    ],
    [
      'fractional quantity',
      () =>
        json.deserialize(Buffer.from(JSON.stringify({ ...orderCreate, OrderLines: [{ ...orderCreate.OrderLines![0], Quantity: 1.5 }] }))),
      /OrderLines\[0\]\.Quantity: expected int, got 1\.5/,
    ],
    [
      'missing required field',
      () => json.deserialize(Buffer.from(JSON.stringify({ ...orderCreate, OrderID: undefined }))),
      /OrderID: missing \(required string\)/,
    ],
    [
      'unknown enum symbol',
      () =>
        jsonSerde('OrderUpdate', 'order.update.v1').deserialize(Buffer.from(JSON.stringify({ ...examples.OrderUpdate, Action: 'REFUND' }))),
      /order\.update\.v1: cannot read JSON OrderUpdate: Action: expected one of CANCEL, MODIFY, got "REFUND"/,
    ],
    [
      'avro garbage',
      () => avro.deserialize(Buffer.from('definitely not avro')),
      /^order\.create\.v1: cannot read Avro binary OrderCreate: /,
    ],
    ['truncated avro', () => avro.deserialize(avro.serialize(orderCreate).subarray(0, 40)), /truncated buffer/],
    [
      'avro with trailing bytes',
      () => avro.deserialize(Buffer.concat([avro.serialize(orderCreate), Buffer.from([1, 2])])),
      /trailing data/,
    ],
    ['empty bytes', () => avro.deserialize(Buffer.alloc(0)), /cannot read Avro binary OrderCreate/],
  ];
  for (const [label, run, message] of cases) {
    failsWith(t, run, RecordDecodeError, message, label);
  }
});

t.test('a value that does not fit its schema is refused on the way out, naming the field', async (t) => {
  const bad = { ...examples.Release, OrderTotal: 90.62 };
  for (const serde of [jsonSerde('Release', 'order.release.v1'), avroSerde('Release', 'order.release.v1')]) {
    failsWith(
      t,
      () => serde.serialize(bad as never),
      RecordEncodeError,
      /^order\.release\.v1: cannot write Release as .*: OrderTotal: expected string, got 90\.62/,
      'money as a number',
    );
  }
  const json = jsonSerde('StatusChange');
  const extra = { ...examples.StatusChange, Debug: 'internal' };
  t.notOk(json.serialize(extra).toString('utf8').includes('Debug'), 'undeclared fields never reach the JSON output');
  const { Reason: _reason, ...withoutReason } = examples.StatusChange;
  t.equal(JSON.parse(json.serialize(withoutReason).toString('utf8')).Reason, null, 'an omitted optional field is written as null');
});

t.test('single-object avro carries the schema fingerprint and refuses foreign bytes', async (t) => {
  const store = singleObjectSerde('OrderState', 'orders');
  const bytes = store.serialize(examples.OrderState);
  t.same([...bytes.subarray(0, 2)], [0xc3, 0x01], 'single-object magic');
  t.throws(
    () => store.deserialize(avroSerde('OrderState').serialize(examples.OrderState)),
    /^orders: cannot read single-object Avro OrderState: missing the C3 01 header/,
  );
  const foreign = Buffer.from(bytes);
  foreign.writeBigUInt64LE(0x0123456789abcdefn, 2);
  t.throws(
    () => store.deserialize(foreign),
    /schema fingerprint 0123456789abcdef is not a known version \(known: v1 [0-9a-f]{16}, v2 [0-9a-f]{16}, v3 [0-9a-f]{16}, v4 [0-9a-f]{16}, v5 [0-9a-f]{16}\)/,
  );
  t.same(
    plain(
      storeSerde('orders', 'OrderState', 'json').deserialize(storeSerde('orders', 'OrderState', 'json').serialize(examples.OrderState)),
    ),
    plain(examples.OrderState),
  );
});

t.test('serdeFor picks the format per topic from the environment', async (t) => {
  t.equal(topicFormatVariable('order.create.v1'), 'OMNIA_FORMAT_ORDER_CREATE_V1');
  t.equal(topicFormatVariable('fulfillment.ship-event.v1'), 'OMNIA_FORMAT_FULFILLMENT_SHIP_EVENT_V1');
  const config = serdeConfigFromEnv({ OMNIA_FORMAT_ORDER_RELEASE_V1: 'avro' });
  t.equal(config.defaultFormat, 'json', 'json by default, so upstream JSON producers work');
  const create = serdeFor('order.create.v1', 'OrderCreate', config);
  t.equal(create.serialize(orderCreate)[0], '{'.charCodeAt(0), 'order.create.v1 is JSON');
  const release = serdeFor('order.release.v1', 'Release', config);
  t.same(
    plain(avroSerde('Release').deserialize(release.serialize(examples.Release))),
    plain(examples.Release),
    'order.release.v1 is plain Avro',
  );
  const allAvro = serdeConfigFromEnv({ OMNIA_FORMAT: 'avro', OMNIA_FORMAT_ORDER_CREATE_V1: 'json' });
  t.equal(
    serdeFor('order.status.v1', 'StatusChange', allAvro).serialize(examples.StatusChange)[0] !== '{'.charCodeAt(0),
    true,
    'OMNIA_FORMAT sets the default',
  );
  t.equal(serdeFor('order.create.v1', 'OrderCreate', allAvro).serialize(orderCreate)[0], '{'.charCodeAt(0), 'the per-topic variable wins');
  for (const [topic, name] of Object.entries(TOPIC_RECORD_TYPES)) {
    const serde = serdeFor(topic, name, serdeConfig({}));
    t.ok(serde.deserialize(serde.serialize(examples[name])), `${topic} has a serde`);
  }
});

t.test('bad settings refuse to start, naming the variable', async (t) => {
  t.throws(() => serdeConfigFromEnv({ OMNIA_FORMAT: 'xml' }), /OMNIA_FORMAT must be one of json, avro, confluent, auto, got "xml"/);
  t.throws(() => serdeConfigFromEnv({ OMNIA_FORMAT_ORDER_CREATE_V1: 'protobuf' }), /OMNIA_FORMAT_ORDER_CREATE_V1 must be one of/);
  t.throws(
    () => serdeConfigFromEnv({ OMNIA_FORMAT_ORDER_CREATE_V1: 'confluent' }),
    /OMNIA_FORMAT_ORDER_CREATE_V1 = confluent needs a schema registry \(SCHEMA_REGISTRY_URL is not set\)/,
  );
  t.throws(() => serdeConfigFromEnv({ SCHEMA_REGISTRY_URL: 'registry:8081' }), /SCHEMA_REGISTRY_URL must be an http\(s\) URL/);
  t.throws(
    () => serdeConfigFromEnv({ SCHEMA_REGISTRY_URL: 'http://registry:8081', OMNIA_SCHEMA_AUTO_REGISTER: 'yes' }),
    /OMNIA_SCHEMA_AUTO_REGISTER must be true or false/,
  );
  t.throws(
    () => serdeConfigFromEnv({ SCHEMA_REGISTRY_URL: 'http://registry:8081', OMNIA_SCHEMA_COMPATIBILITY: 'LOOSE' }),
    /OMNIA_SCHEMA_COMPATIBILITY must be one of NONE, FULL, BACKWARD/,
  );
  const withRegistry = serdeConfigFromEnv({ SCHEMA_REGISTRY_URL: 'http://user:secret@registry:8081/' });
  t.equal(withRegistry.defaultFormat, 'confluent', 'a registry makes Confluent framing the default');
  t.equal(withRegistry.registry?.url, 'http://registry:8081', 'credentials are kept out of the logged URL');
});

t.test('the tolerant decoder takes JSON, and refuses Confluent framing without a registry', async (t) => {
  const serde = jsonOrConfluentSerde('order.create.v1', 'OrderCreate', null);
  t.same(
    plain(serde.deserialize(Buffer.from(`  ${JSON.stringify(orderCreate)}`))),
    plain(orderCreate),
    'JSON, even with leading whitespace',
  );
  t.equal(serde.serialize(orderCreate)[0], '{'.charCodeAt(0), 'writes JSON without a registry');
  t.throws(
    () => serde.deserialize(Buffer.from([0, 0, 0, 0, 7, 2])),
    /order\.create\.v1: cannot read JSON or Confluent-framed Avro OrderCreate: starts with magic byte 0 .* no schema registry is configured/,
  );
});
