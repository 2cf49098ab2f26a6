/**
 * OMNIA_TOPIC_REPLICATION_FACTOR and OMNIA_TOPIC_MIN_INSYNC_REPLICAS reach every topic a process creates itself:
 * the runtime's changelogs, dead-letter topics and outputs, the Slick egress's order.fulfillment.v1 and its
 * dead-letter topics, the sink's order.fulfillment.v1 when it comes first, and the @platformatic/kafka request.
 * No broker: the clients are fakes that record what they are asked to create.
 */
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import { SlickEgress } from '../../connectors/slick-egress.js';
import { serdeFor } from '../../avro/serdes.js';
import type { SqlDatabase } from '../../postgres/sql.js';
import { checkTopicReplication, createdTopic, loadConfig, type RuntimeConfig } from '../../runtime/config.js';
import { dlqTopic } from '../../runtime/dead-letter.js';
import { StreamsRuntime } from '../../runtime/streams-runtime.js';
import { SinkConnector } from '../../sinks/sink-connector.js';
import { sinkSources } from '../../sinks/sink-sources.js';
import { changelogTopic } from '../../state/store-definition.js';
import type { AdminClient, KafkaClient, TopicSpec } from '../../topology/kafka/client.js';
import { PlatformaticAdmin } from '../../topology/kafka/platformatic-admin.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Stores, Topics } from '../../topology/topics.js';

const PRODUCTION = { OMNIA_TOPIC_REPLICATION_FACTOR: '3', OMNIA_TOPIC_MIN_INSYNC_REPLICAS: '2' };

/** Thrown by the fake admin once it has recorded the topics to create: the start goes no further. */
class Created extends Error {}

/**
 * A client whose admin knows the `existing` topics (with their partition counts), records every ensureTopics
 * and then stops the start by throwing `Created`.
 */
function recordingClient(existing: Map<string, number>): { client: KafkaClient; created: TopicSpec[] } {
  const created: TopicSpec[] = [];
  const admin: Partial<AdminClient> = {
    partitionCounts: async (topics) => new Map(topics.filter((topic) => existing.has(topic)).map((topic) => [topic, existing.get(topic)!])),
    ensureTopics: async (specs) => {
      created.push(...specs);
      throw new Created('recorded');
    },
    close: async () => undefined,
  };
  const unused = () => {
    throw new Error('not reached: the start stops at ensureTopics');
  };
  const client: KafkaClient = {
    name: 'recording',
    admin: () => admin as AdminClient,
    partitionReader: () => ({ read: unused, startOffset: unused, close: async () => undefined }),
    groupConsumer: unused,
    producer: unused,
  };
  return { client, created };
}

const byTopic = (specs: readonly TopicSpec[]) => new Map(specs.map((spec) => [spec.topic, spec]));

t.test('the settings: one copy and the broker’s min ISR by default; a min ISR above the copies is refused', async (t) => {
  const defaults = loadConfig({}, {});
  t.equal(defaults.topicReplicationFactor, 1);
  t.equal(defaults.topicMinInsyncReplicas, undefined);
  const production = loadConfig({}, PRODUCTION);
  t.equal(production.topicReplicationFactor, 3);
  t.equal(production.topicMinInsyncReplicas, 2);
  t.throws(
    () => loadConfig({}, { OMNIA_TOPIC_MIN_INSYNC_REPLICAS: '2' }),
    /OMNIA_TOPIC_MIN_INSYNC_REPLICAS \(2\) exceeds OMNIA_TOPIC_REPLICATION_FACTOR \(1\)/,
  );
  t.throws(() => loadConfig({}, { OMNIA_TOPIC_REPLICATION_FACTOR: '0' }), /OMNIA_TOPIC_REPLICATION_FACTOR must be a positive integer/);
  t.doesNotThrow(() => checkTopicReplication({ topicReplicationFactor: 3, topicMinInsyncReplicas: 3 }));
});

t.test('createdTopic: the factor and min.insync.replicas added; a spec’s own configs kept', async (t) => {
  const spec = { topic: 'x', partitions: 4, configs: { 'cleanup.policy': 'compact' } };
  t.same(createdTopic(spec, { topicReplicationFactor: 3, topicMinInsyncReplicas: 2 }), {
    topic: 'x',
    partitions: 4,
    replicationFactor: 3,
    configs: { 'min.insync.replicas': '2', 'cleanup.policy': 'compact' },
  });
  t.same(createdTopic(spec, { topicReplicationFactor: 1, topicMinInsyncReplicas: undefined }), { ...spec, replicationFactor: 1 });
  t.same(createdTopic(spec, undefined), spec, 'no settings given (tests, benches): as asked');
});

t.test('PlatformaticAdmin asks the broker for the spec’s replication factor and configs (1 when the spec has none)', async (t) => {
  const admin = new PlatformaticAdmin(['127.0.0.1:1'], 'test');
  const requests: Array<{ topics: string[]; partitions: number; replicas: number; configs: Array<{ name: string; value: string }> }> = [];
  // The library's client, replaced: nothing is sent anywhere.
  (admin as unknown as { admin: unknown }).admin = {
    listTopics: async () => ['exists'],
    createTopics: async (request: (typeof requests)[number]) => void requests.push(request),
    close: async () => undefined,
  };
  await admin.ensureTopics([
    { topic: 'exists', partitions: 2, replicationFactor: 3 },
    { topic: 'changelog', partitions: 12, replicationFactor: 3, configs: { 'min.insync.replicas': '2', 'cleanup.policy': 'compact' } },
    { topic: 'local', partitions: 1 },
  ]);
  t.same(requests, [
    {
      topics: ['changelog'],
      partitions: 12,
      replicas: 3,
      configs: [
        { name: 'min.insync.replicas', value: '2' },
        { name: 'cleanup.policy', value: 'compact' },
      ],
    },
    { topics: ['local'], partitions: 1, replicas: 1, configs: [] },
  ]);
});

t.test('the stream runtime creates its changelogs, dead-letter topics and outputs with the settings', async (t) => {
  const orderConfig = loadOrderConfig({});
  const topology = orderTopology(orderConfig, orderSerdes(serdeConfig({}), ''));
  const sources = topology.sources.flatMap((source) => source.topics);
  const { client, created } = recordingClient(new Map(sources.map((topic) => [topic, 6])));
  const config: RuntimeConfig = loadConfig({ applicationId: 'repl', stateDir: '/nonexistent' }, PRODUCTION);
  const runtime = new StreamsRuntime(topology, config, client);
  await t.rejects(runtime.start(), { message: 'recorded' });
  const specs = byTopic(created);
  const expected = [
    ...[...topology.stores.values()].filter((store) => store.logged).map((store) => changelogTopic('repl', store.name)),
    ...sources.map(dlqTopic),
    ...topology.sinkTopics,
  ];
  t.same([...specs.keys()].sort(), [...expected].sort(), 'every topic it owns');
  for (const spec of created) {
    t.equal(spec.replicationFactor, 3, `${spec.topic}: 3 copies`);
    t.equal(spec.configs?.['min.insync.replicas'], '2', `${spec.topic}: min ISR 2`);
    t.equal(spec.partitions, 6, `${spec.topic}: the sources’ partitions`);
  }
  t.equal(specs.get(changelogTopic('repl', Stores.orders))?.configs?.['cleanup.policy'], 'compact', 'changelogs stay compacted');
});

t.test('the Slick egress creates order.fulfillment.v1 and its dead-letter topics with the settings', async (t) => {
  const topics = { release: Topics.release, payment: Topics.payment, fulfillment: Topics.fulfillment };
  const { client, created } = recordingClient(
    new Map([
      [Topics.release, 6],
      [Topics.payment, 6],
    ]),
  );
  const serdes = serdeConfig({});
  const egress = new SlickEgress(
    client,
    { send: async () => ({ status: 200, body: '' }) } as unknown as ConstructorParameters<typeof SlickEgress>[1],
    {
      group: 'repl-slick',
      topics,
      serdes: {
        release: serdeFor(topics.release, 'Release', serdes),
        payment: serdeFor(topics.payment, 'PaymentEvent', serdes),
        fulfillment: serdeFor(topics.fulfillment, 'FulfillmentInteraction', serdes),
      },
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, jitter: 0 },
      breaker: { failureThreshold: 1, coolDownMs: 1 },
      topicReplication: loadConfig({}, PRODUCTION),
      log: () => undefined,
    },
  );
  await t.rejects(egress.start(), { message: 'recorded' });
  t.same(created.map((spec) => spec.topic).sort(), [Topics.fulfillment, dlqTopic(Topics.payment), dlqTopic(Topics.release)].sort());
  for (const spec of created) t.match(spec, { replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }, spec.topic);
});

t.test('the sink creates order.fulfillment.v1, when it starts before the connectors, with the settings', async (t) => {
  const sources = sinkSources({ applicationId: 'repl', topicPrefix: '', serdes: serdeConfig({}) });
  const existing = new Map(sources.topics.filter((topic) => topic !== Topics.fulfillment).map((topic) => [topic, 6]));
  const { client, created } = recordingClient(existing);
  // Postgres that accepts every statement: the migrations "apply" and the start reaches the topics.
  const session = { query: async () => ({ rows: [], rowCount: 0 }), release: () => undefined };
  const db = { ...session, session: async () => session, close: async () => undefined } as unknown as SqlDatabase;
  const sink = new SinkConnector(db, client, sources, {
    group: 'repl-sink',
    batchRecords: 10,
    lingerMs: 1,
    topicReplication: loadConfig({}, PRODUCTION),
    log: () => undefined,
  });
  await t.rejects(sink.start(), { message: 'recorded' });
  t.same(created, [{ topic: Topics.fulfillment, partitions: 6, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
});
