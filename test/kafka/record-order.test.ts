/**
 * A task reads its partition of two topics: a backlog on both must be processed in timestamp order across them,
 * even when one fetch brings a little of one topic (large records) and all of the other (small ones). This is a
 * replica catching up after an outage with ship events and delivery statuses waiting: processed out of order,
 * an order's delivery would overtake its shipping.
 */
import t from 'tap';
import { loadConfig } from '../../runtime/config.js';
import type { ProcessorContext } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { bufferSerde, jsonSerde, stringSerde } from '../../serdes/serde.js';
import { StreamsRuntime } from '../../runtime/streams-runtime.js';
import { TopologyBuilder } from '../../runtime/topology-builder.js';
import { BROKERS, createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

interface Seen {
  from: string;
  offset: number;
  timestamp: number;
}

/** Forwards, for each record of either topic, which topic it came from and its timestamp: the processing order. */
function witnessTopology(ship: string, delivery: string, output: string) {
  const witness = (from: string) => () => {
    let context: ProcessorContext<string, Seen>;
    let offset = 0;
    return {
      init(ctx: ProcessorContext<string, Seen>) {
        context = ctx;
      },
      process(record: Record<string, Buffer>) {
        context.forward(record.withValue({ from, offset: offset++, timestamp: record.timestamp }));
      },
    };
  };
  return new TopologyBuilder()
    .addSource('ship', [ship], stringSerde, bufferSerde)
    .addSource('delivery', [delivery], stringSerde, bufferSerde)
    .addProcessor('ship-witness', witness('ship'), 'ship')
    .addProcessor('delivery-witness', witness('delivery'), 'delivery')
    .addSink('out', output, stringSerde, jsonSerde<Seen>(), 'ship-witness', 'delivery-witness')
    .build();
}

t.test('a backlog on two inputs of a task is processed in timestamp order across them', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const name = uniqueName('record-order');
  const [ship, delivery, output] = [`${name}.ship`, `${name}.delivery`, `${name}.out`];
  await createTopics(client, [ship, delivery, output], 1);
  // 400 events on each, interleaved in time: ship i at 10 i, delivery i at 10 i + 5. Ship events are 8 KiB (a
  // 1 MiB fetch holds ~128 of them), delivery statuses 40 bytes (one fetch holds them all).
  const base = Date.now() - 3_600_000;
  const event = (topic: string, i: number, size: number, offsetMs: number) => ({
    topic,
    partition: 0,
    key: Buffer.from('store-1'),
    value: Buffer.alloc(size, i % 251),
    timestamp: base + i * 10 + offsetMs,
    headers: {},
  });
  await produce(
    client,
    Array.from({ length: 400 }, (_, i) => event(ship, i, 8192, 0)),
  );
  await produce(
    client,
    Array.from({ length: 400 }, (_, i) => event(delivery, i, 40, 5)),
  );

  const runtime = new StreamsRuntime(
    witnessTopology(ship, delivery, output),
    loadConfig({ applicationId: name, bootstrapServers: BROKERS, stateDir: `/tmp/${name}` }, {}),
    client,
  );
  t.teardown(() => runtime.stop());
  await runtime.start();
  let seen: Seen[] = [];
  await waitFor('all 800 records processed', async () => {
    seen = (await readAll(client, output)).map((record) => JSON.parse(record.value!.toString()) as Seen);
    return seen.length >= 800;
  });
  t.equal(seen.length, 800, 'each record once');
  const outOfOrder = seen.filter((record, i) => i > 0 && record.timestamp < seen[i - 1]!.timestamp);
  t.same(outOfOrder, [], 'never a record older than one processed before it');
  t.same(
    seen.slice(0, 6).map((record) => `${record.from}@${record.offset}`),
    ['ship@0', 'delivery@0', 'ship@1', 'delivery@1', 'ship@2', 'delivery@2'],
    'the two topics interleaved as written',
  );
  t.same(
    seen.slice(-2).map((record) => `${record.from}@${record.offset}`),
    ['ship@399', 'delivery@399'],
  );
});
