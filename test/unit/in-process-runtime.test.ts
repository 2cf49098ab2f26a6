import t from 'tap';
import type { KeyValueStore } from '../../state/key-value-store.js';
import { keyValueStore } from '../../state/store-definition.js';
import type { ProcessorContext } from '../../runtime/processor.js';
import { InProcessRuntime } from '../../runtime/in-process-runtime.js';
import { DlqHeaders } from '../../runtime/dead-letter.js';
import { Record } from '../../runtime/record.js';
import { jsonSerde, stringSerde } from '../../serdes/serde.js';
import { TopologyBuilder } from '../../runtime/topology-builder.js';
import { counterTopology, type CounterInput, type CounterOutput } from '../fixtures/counter-topology.js';

const json = jsonSerde<CounterOutput>();

t.test('the counter counts per key and emits in order', async (t) => {
  const driver = new InProcessRuntime(counterTopology('in', 'out'));
  const input = driver.inputTopic('in', stringSerde, jsonSerde<CounterInput>());
  await input.pipe('QC1', { seq: 1 });
  await input.pipe('QC2', { seq: 2 });
  await input.pipe('QC1', { seq: 3 });
  const out = driver.readOutput('out', stringSerde, json);
  t.same(
    out.map((r) => [r.key, r.value]),
    [
      ['QC1', { seq: 1, count: 1 }],
      ['QC2', { seq: 2, count: 1 }],
      ['QC1', { seq: 3, count: 2 }],
    ],
  );
  t.equal(await driver.store<{ get(k: string): Promise<number | undefined> }>('counts').get('QC1'), 2);
  await driver.close();
});

t.test('an undecodable record goes to the DLQ with its reason and the next one is processed', async (t) => {
  const driver = new InProcessRuntime(counterTopology('in', 'out'));
  await driver.pipeRaw('in', Buffer.from('QC1'), Buffer.from('{not json'), { timestamp: 5 });
  await driver.inputTopic('in', stringSerde, jsonSerde<CounterInput>()).pipe('QC1', { seq: 2 });
  const dlq = driver.output.filter((r) => r.topic === 'in.dlq');
  t.equal(dlq.length, 1);
  t.equal(dlq[0]!.value!.toString(), '{not json', 'original bytes kept');
  t.equal(dlq[0]!.headers[DlqHeaders.code], 'MALFORMED_RECORD');
  t.equal(dlq[0]!.headers[DlqHeaders.topic], 'in');
  t.equal(dlq[0]!.headers[DlqHeaders.offset], '0');
  t.match(dlq[0]!.headers[DlqHeaders.message], /cannot decode/);
  t.same(
    driver.readOutput('out', stringSerde, json).map((r) => r.value),
    [{ seq: 2, count: 1 }],
  );
  await driver.close();
});

t.test('a rejected record leaves no trace in stores or output', async (t) => {
  const driver = new InProcessRuntime(counterTopology('in', 'out'));
  const input = driver.inputTopic('in', stringSerde, jsonSerde<CounterInput>());
  await input.pipe('QC1', { seq: 1 });
  await input.pipe('QC1', { seq: 2, reject: true });
  await input.pipe('QC1', { seq: 3 });
  t.same(
    driver.readOutput('out', stringSerde, json).map((r) => r.value),
    [
      { seq: 1, count: 1 },
      { seq: 3, count: 2 },
    ],
  );
  const dlq = driver.output.filter((r) => r.topic === 'in.dlq');
  t.equal(dlq[0]!.headers[DlqHeaders.code], 'REJECTED');
  await driver.close();
});

t.test('a processor that throws halfway has its store writes and forwards undone', async (t) => {
  const topology = new TopologyBuilder()
    .addSource('in', ['in'], stringSerde, stringSerde)
    .addProcessor(
      'half',
      () => {
        let ctx: ProcessorContext<string, string>;
        let store: KeyValueStore<string, string>;
        return {
          init(c: ProcessorContext<string, string>) {
            ctx = c;
            store = c.getStateStore('s');
          },
          process(record: Record<string, string>) {
            store.put(record.key, record.value);
            ctx.forward(record);
            if (record.value === 'boom') throw new Error('exploded after writing');
          },
        };
      },
      'in',
    )
    .addStateStore(keyValueStore('s', stringSerde, stringSerde), 'half')
    .addSink('out', 'out', stringSerde, stringSerde, 'half')
    .build();
  const driver = new InProcessRuntime(topology);
  const input = driver.inputTopic('in', stringSerde, stringSerde);
  await input.pipe('k', 'ok');
  await input.pipe('k', 'boom');
  t.equal(await driver.store<KeyValueStore<string, string>>('s').get('k'), 'ok', 'write of the failed record undone');
  t.same(
    driver.readOutput('out', stringSerde, stringSerde).map((r) => r.value),
    ['ok'],
  );
  const dlq = driver.output.filter((r) => r.topic === 'in.dlq');
  t.equal(dlq[0]!.headers[DlqHeaders.code], 'PROCESSING_FAILED');
  t.match(dlq[0]!.headers[DlqHeaders.message], /exploded/);
  await driver.close();
});

t.test('punctuators run on stream time and on the driver clock', async (t) => {
  const fired: Array<[string, number]> = [];
  const topology = new TopologyBuilder()
    .addSource('in', ['in'], stringSerde, stringSerde)
    .addProcessor(
      'p',
      () => ({
        init(ctx: ProcessorContext<string, string>) {
          ctx.schedule(1000, 'stream-time', (ts) => void fired.push(['stream', ts]));
          ctx.schedule(500, 'wall-clock', (ts) => {
            fired.push(['wall', ts]);
            ctx.forward(new Record('tick', String(ts), ts));
          });
        },
        process() {},
      }),
      'in',
    )
    .addSink('out', 'out', stringSerde, stringSerde, 'p')
    .build();
  const driver = new InProcessRuntime(topology, { startTime: 10_000 });
  const input = driver.inputTopic('in', stringSerde, stringSerde);
  await input.pipe('k', 'a', { timestamp: 100 });
  await input.pipe('k', 'b', { timestamp: 900 });
  await input.pipe('k', 'c', { timestamp: 1100 });
  await input.pipe('k', 'd', { timestamp: 3500 });
  t.same(
    fired,
    [
      ['stream', 1100],
      ['stream', 3500],
    ],
    'stream time starts at the first record; one firing per call',
  );
  await driver.advanceWallClock(499);
  await driver.advanceWallClock(1);
  t.same(fired.slice(2), [['wall', 10_500]]);
  t.same(
    driver.readOutput('out', stringSerde, stringSerde).map((r) => r.value),
    ['10500'],
    'punctuator output reaches the sink',
  );
  await driver.close();
});

t.test('the builder refuses malformed topologies with clear errors', async (t) => {
  t.throws(() => new TopologyBuilder().addProcessor('p', () => ({ process() {} }), 'nope'), /parent "nope", which is not defined/);
  t.throws(() => new TopologyBuilder().build(), /at least one source/);
  t.throws(
    () => new TopologyBuilder().addSource('a', ['t'], stringSerde, stringSerde).addSource('b', ['t'], stringSerde, stringSerde).build(),
    /read by two sources/,
  );
});
