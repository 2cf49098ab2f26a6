import { rm } from 'node:fs/promises';
import t from 'tap';
import { loadConfig } from '../../runtime/config.js';
import { DlqHeaders } from '../../runtime/dead-letter.js';
import { StreamsRuntime } from '../../runtime/streams-runtime.js';
import { counterTopology } from '../fixtures/counter-topology.js';
import { BROKERS, createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

t.test('a poison pill goes to the DLQ with its headers and the records after it are processed', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('poison');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], 2);
  const stateDir = `.state/test-${app}`;
  const runtime = new StreamsRuntime(
    counterTopology(input, output),
    loadConfig({ applicationId: app, bootstrapServers: BROKERS, stateDir, instanceId: `${app}-0` }),
    client,
  );
  t.teardown(async () => {
    await runtime.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
  await runtime.start();
  const key = Buffer.from('QC0001');
  await produce(client, [
    { topic: input, partition: 0, key, value: Buffer.from('{"seq":1}'), timestamp: Date.now(), headers: {} },
    { topic: input, partition: 0, key, value: Buffer.from('\u0000garbage'), timestamp: Date.now(), headers: { 'x-trace': 'abc' } },
    { topic: input, partition: 0, key, value: Buffer.from('{"seq":3}'), timestamp: Date.now(), headers: {} },
  ]);
  await waitFor('two outputs', async () => (await readAll(client, output)).length >= 2);
  const out = (await readAll(client, output)).map((record) => JSON.parse(record.value!.toString()));
  t.same(
    out,
    [
      { seq: 1, count: 1 },
      { seq: 3, count: 2 },
    ],
    'records after the poison pill are processed',
  );
  const dlq = await readAll(client, `${input}.dlq`);
  t.equal(dlq.length, 1);
  const letter = dlq[0]!;
  t.equal(letter.value!.toString(), '\u0000garbage', 'original bytes kept');
  t.equal(letter.key!.toString(), 'QC0001', 'original key kept');
  t.equal(letter.headers[DlqHeaders.code], 'MALFORMED_RECORD');
  t.equal(letter.headers[DlqHeaders.topic], input);
  t.equal(letter.headers[DlqHeaders.partition], '0');
  t.equal(letter.headers[DlqHeaders.offset], '1');
  t.match(letter.headers[DlqHeaders.message], /cannot decode/);
  t.equal(letter.headers['x-trace'], 'abc', 'original headers kept');
  const deadLetters = (await runtime.metrics.deadLetters.get()).values;
  t.same(
    deadLetters.map((sample) => [sample.labels.topic, sample.labels.code, sample.value]),
    [[`${input}.dlq`, 'MALFORMED_RECORD', 1]],
    'the DLQ count is a metric',
  );
  // Lag is end of partition minus position; both partitions caught up, partition 0 read to its end.
  await waitFor('lag reported for both partitions', async () => (await runtime.metrics.consumerLag.get()).values.length === 2);
  const lag = (await runtime.metrics.consumerLag.get()).values.map((sample) => [sample.labels.partition, sample.value]).sort();
  t.same(
    lag,
    [
      ['0', 0],
      ['1', 0],
    ],
    'consumer lag per partition is a metric, zero once caught up',
  );
});
