// The Confluent wire format against recorded Schema Registry exchanges (test/fixtures/schema-registry/):
// registration at startup, magic byte 0 + schema id, writer schemas resolved to ours, and clear errors.
import t from 'tap';
import { ConfluentRegistry } from '../../../avro/confluent.js';
import { prepareSerdes, serdeConfig, serdeConfigFromEnv } from '../../../avro/config.js';
import { RecordDecodeError, RecordEncodeError, SchemaNotReadyError } from '../../../avro/errors.js';
import { avroType, schemaDefinition, schemaVersions } from '../../../avro/schema-loader.js';
import { jsonOrConfluentSerde, serdeFor } from '../../../avro/serdes.js';
import { TransientError } from '../../../runtime/errors.js';
import { failsWith } from './assert.js';
import { examples, orderCreate } from './examples.js';
import { replayRegistry } from './registry-replay.js';

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const frame = (id: number, body: Buffer): Buffer => {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(id, 1);
  return Buffer.concat([header, body]);
};

t.test('OrderCreate on a subject an upstream producer already uses (v1 id 3; ours registers as id 7)', async (t) => {
  const replay = await replayRegistry('order-create-upgrade');
  t.teardown(() => replay.close());
  const registry = new ConfluentRegistry({ url: replay.url });
  const config = serdeConfig({ registry });
  const serde = serdeFor('order.create.v1', 'OrderCreate', config);

  failsWith(
    t,
    () => serde.serialize(orderCreate),
    Error,
    /order\.create\.v1: the Confluent serde of OrderCreate was used before ConfluentRegistry\.prepare\(\) resolved/,
    'used before prepare',
  );

  await prepareSerdes(config);
  t.same(replay.unmatched, [], 'every request was one the registry recording answers');
  t.same(
    replay.requests.map((r) => `${r.method} ${r.path}`),
    [
      'POST /subjects/order.create.v1-value',
      'GET /config/order.create.v1-value',
      'POST /subjects/order.create.v1-value/versions',
      'GET /subjects/order.create.v1-value/versions',
      'GET /subjects/order.create.v1-value/versions/1',
      'GET /schemas/ids/3',
      'GET /subjects/order.create.v1-value/versions/2',
    ],
    'look up, register, then fetch every version of the subject',
  );
  const registered = JSON.parse(replay.requests[2]!.body) as { schema: string };
  t.same(
    JSON.parse(registered.schema),
    schemaDefinition('OrderCreate'),
    'the registered schema is our self-contained OrderCreate, docs included',
  );
  t.same(registry.knownSchemaIds(), [3, 7]);

  await prepareSerdes(config);
  t.equal(replay.requests.length, 7, 'prepare is idempotent');

  t.test('encodes magic byte 0, schema id 7, then the Avro body; decodes it back', async (t) => {
    const bytes = serde.serialize(orderCreate);
    t.equal(bytes[0], 0, 'magic byte 0');
    t.equal(bytes.readUInt32BE(1), 7, 'schema id 7, big-endian');
    t.same(
      plain(avroType('OrderCreate').fromBuffer(bytes.subarray(5))),
      plain(orderCreate),
      'the body is plain Avro of the current schema',
    );
    const back = serde.deserialize(bytes);
    t.same(plain(back), plain(orderCreate));
    t.equal(back.OrderLines![0]!.UnitPrice, '35.5000', 'money is the exact string');
  });

  t.test('reads what the upstream producer wrote with v1 (id 3), CustRef defaulting to null', async (t) => {
    const { CustRef: _custRef, ...v1Value } = orderCreate;
    const v1Bytes = frame(3, schemaVersions('OrderCreate')[0]!.type.toBuffer(v1Value));
    const read = serde.deserialize(v1Bytes);
    t.equal(read.CustRef, null);
    t.same(plain(read), plain({ ...orderCreate, CustRef: null }));
  });

  t.test('a schema registered after startup (id 12) is fetched in the background, then decodes', async (t) => {
    const v3Schema = JSON.parse(JSON.stringify(schemaDefinition('OrderCreate'))) as { fields: object[] };
    v3Schema.fields.push({ name: 'Channel', type: ['null', 'string'], default: null });
    const { default: avsc } = await import('avsc');
    const v3 = avsc.Type.forSchema(v3Schema as never, { wrapUnions: 'never' });
    const bytes = frame(12, v3.toBuffer({ ...orderCreate, Channel: 'LINE' }));
    failsWith(
      t,
      () => serde.deserialize(bytes),
      SchemaNotReadyError,
      /^order\.create\.v1: Confluent-framed OrderCreate written with schema id 12, which this replica has not fetched yet/,
      'first record of id 12',
    );
    t.ok(
      (() => {
        try {
          serde.deserialize(bytes);
        } catch (error) {
          return error instanceof TransientError;
        }
        return false;
      })(),
      'a transient error: the record itself is fine',
    );
    await registry.settled();
    const read = serde.deserialize(bytes);
    t.same(plain(read), plain(orderCreate), 'read as the current OrderCreate, Channel dropped');
    t.same(registry.knownSchemaIds(), [3, 7, 12]);
  });

  t.test('bytes that are not Confluent-framed OrderCreate give clear errors', async (t) => {
    const good = serde.serialize(orderCreate);
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        'empty',
        Buffer.alloc(0),
        /^order\.create\.v1: cannot read Confluent-framed Avro OrderCreate: 0 bytes, shorter than the 5-byte header/,
      ],
      ['too short', Buffer.from([0, 0, 0]), /3 bytes, shorter than the 5-byte header/],
      ['JSON', Buffer.from(JSON.stringify(orderCreate)), /magic byte 0x7b, expected 0x00 \(this looks like JSON\)/],
      ['other magic byte', Buffer.from([1, 0, 0, 0, 7, 0]), /magic byte 0x01, expected 0x00/],
      ['corrupt body', Buffer.concat([good.subarray(0, 5), Buffer.from('garbage')]), /cannot read Confluent-framed Avro OrderCreate: /],
      ['truncated body', good.subarray(0, good.length - 10), /truncated buffer/],
    ];
    for (const [label, bytes, pattern] of cases) failsWith(t, () => serde.deserialize(bytes), RecordDecodeError, pattern, label);

    const unknown = frame(99, Buffer.from([0]));
    failsWith(t, () => serde.deserialize(unknown), SchemaNotReadyError, /schema id 99/, 'unknown id, first time: looked up');
    await registry.settled();
    failsWith(
      t,
      () => serde.deserialize(unknown),
      RecordDecodeError,
      /^order\.create\.v1: cannot read Confluent-framed Avro OrderCreate: schema id 99 is not in the registry http:\/\/127\.0\.0\.1:\d+ \(.*Schema 99 not found\)/,
      'unknown id, once the registry said 404',
    );
    await t.rejects(registry.ensureSchema(99), /schema id 99 is not in the registry/);
  });

  t.test('a writer schema our reader cannot resolve is named', async (t) => {
    // A misconfigured topic: StatusChange read from the subject that holds OrderCreate v1 (id 3).
    const misread = new ConfluentRegistry({ url: replay.url, subjectFor: () => 'order.create.v1-value' });
    const wrong = misread.serde('order.status.v1', 'StatusChange');
    await misread.prepare();
    const v1Bytes = frame(3, schemaVersions('OrderCreate')[0]!.type.toBuffer(examples.OrderState.Order));
    for (const attempt of ['first', 'cached']) {
      failsWith(
        t,
        () => wrong.deserialize(v1Bytes),
        RecordDecodeError,
        /^order\.status\.v1: cannot read Confluent-framed Avro StatusChange: written with schema id 3, which cannot be read as the current StatusChange: /,
        `${attempt} attempt`,
      );
    }
  });

  t.test('the tolerant decoder takes JSON and Confluent-framed Avro on one topic', async (t) => {
    const tolerant = jsonOrConfluentSerde<typeof orderCreate>('order.create.v1', 'OrderCreate', registry);
    t.same(plain(tolerant.deserialize(Buffer.from(JSON.stringify(orderCreate)))), plain(orderCreate), 'JSON');
    t.same(plain(tolerant.deserialize(serde.serialize(orderCreate))), plain(orderCreate), 'Confluent-framed');
    t.equal(tolerant.serialize(orderCreate).readUInt32BE(1), 7, 'writes Confluent-framed when a registry is configured');
  });
});

t.test('Release on a new subject: registered as id 8 and the subject set to BACKWARD', async (t) => {
  const replay = await replayRegistry('order-release-first-registration');
  t.teardown(() => replay.close());
  const config = serdeConfigFromEnv({ SCHEMA_REGISTRY_URL: replay.url.replace('http://', 'http://omnia:s3cret@') });
  const serde = serdeFor('order.release.v1', 'Release', config);
  await prepareSerdes(config);
  t.same(replay.unmatched, []);
  const put = replay.requests.find((r) => r.method === 'PUT');
  t.same(JSON.parse(put?.body ?? '{}'), { compatibility: 'BACKWARD' }, 'compatibility set on the subject it created');
  const basic = `Basic ${Buffer.from('omnia:s3cret').toString('base64')}`;
  t.ok(
    replay.requests.every((r) => r.headers.authorization === basic),
    'credentials from the URL go as basic auth on every request',
  );
  const bytes = serde.serialize(examples.Release);
  t.equal(bytes.readUInt32BE(1), 8);
  t.same(plain(serde.deserialize(bytes)), plain(examples.Release));
  failsWith(
    t,
    () => serde.serialize({ ...examples.Release, OrderTotal: 90.62 } as never),
    RecordEncodeError,
    /order\.release\.v1: cannot write Release as Confluent-framed Avro: OrderTotal: expected string, got 90\.62/,
    'bad value',
  );
});

t.test('auto-registration off: schemas are looked up only', async (t) => {
  const replay = await replayRegistry('lookup-only');
  t.teardown(() => replay.close());
  const config = serdeConfigFromEnv({ SCHEMA_REGISTRY_URL: replay.url, OMNIA_SCHEMA_AUTO_REGISTER: 'false' });
  const status = serdeFor('order.status.v1', 'StatusChange', config);
  const payment = serdeFor('order.payment.v1', 'PaymentEvent', config);
  await prepareSerdes(config);
  t.same(replay.unmatched, []);
  t.notOk(
    replay.requests.some((r) => r.path.endsWith('/versions') && r.method === 'POST'),
    'nothing registered',
  );
  t.equal(status.serialize(examples.StatusChange).readUInt32BE(1), 11, 'the id the deployment pipeline registered');
  failsWith(
    t,
    () => payment.serialize(examples.PaymentEvent),
    Error,
    /order\.payment\.v1: cannot encode PaymentEvent: its schema is not registered under subject order\.payment\.v1-value and auto-registration is off/,
    'unregistered subject',
  );
});

t.test('a subject with another compatibility level: refused under BACKWARD, registered when configured to match', async (t) => {
  const replay = await replayRegistry('compatibility-mismatch');
  t.teardown(() => replay.close());
  const backward = serdeConfigFromEnv({ SCHEMA_REGISTRY_URL: replay.url });
  serdeFor('order.status.v1', 'StatusChange', backward);
  await t.rejects(
    prepareSerdes(backward),
    /cannot prepare subject order\.status\.v1-value \(StatusChange\): Compatibility does not match the configuration \(BACKWARD != FULL\)/,
  );
  const full = serdeConfigFromEnv({ SCHEMA_REGISTRY_URL: replay.url, OMNIA_SCHEMA_COMPATIBILITY: 'FULL' });
  const serde = serdeFor('order.status.v1', 'StatusChange', full);
  await prepareSerdes(full);
  t.same(replay.unmatched, []);
  t.equal(serde.serialize(examples.StatusChange).readUInt32BE(1), 21);
});

t.test('a registry that does not answer fails startup, naming it and the subject', async (t) => {
  const replay = await replayRegistry('lookup-only');
  const url = replay.url;
  await replay.close();
  const registry = new ConfluentRegistry({ url });
  registry.serde('order.create.v1', 'OrderCreate');
  await t.rejects(
    registry.prepare(),
    new RegExp(`^schema registry ${url.replace(/\./g, '\\.')}: cannot prepare subject order\\.create\\.v1-value \\(OrderCreate\\)`),
  );
});
