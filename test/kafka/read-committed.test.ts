import t from 'tap';
import { tpKey } from '../../topology/kafka/client.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { createTopics, readAll, requireKafka, testClient, uniqueName } from './harness.js';

t.test('read_committed on the real broker: aborted transactions never reach the runtime', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const topic = uniqueName('read-committed');
  await createTopics(client, [topic], 1);
  const producer = client.producer({ transactionalId: `${topic}-tx` });
  await producer.init();
  // commit, abort, commit, abort, commit: 50 records each, one producer id throughout.
  const plan = [true, false, true, false, true];
  for (const [round, commit] of plan.entries()) {
    await producer.beginTransaction();
    const records: ProducedRecord[] = Array.from({ length: 50 }, (_, i) => ({
      topic,
      partition: 0,
      key: Buffer.from('k'),
      value: Buffer.from(`${round}:${i}`),
      timestamp: Date.now(),
      headers: {},
    }));
    await producer.send(records);
    if (commit) await producer.commitTransaction();
    else await producer.abortTransaction();
  }
  await producer.close();

  const read = await readAll(client, topic);
  t.equal(read.length, 150, 'exactly the committed records');
  t.same([...new Set(read.map((record) => record.value!.toString().split(':')[0]))], ['0', '2', '4'], 'only rounds that committed');
  const admin = client.admin();
  const [committedEnd, highWatermark] = [
    await admin.endOffsets([{ topic, partition: 0 }], true),
    await admin.endOffsets([{ topic, partition: 0 }], false),
  ];
  await admin.close();
  t.equal(committedEnd.get(tpKey(topic, 0)), highWatermark.get(tpKey(topic, 0)), 'no transaction left open');
});

t.test('a partial read stops at `until` and says to go on from there: nothing past it is skipped', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const topic = uniqueName('partial-read');
  await createTopics(client, [topic], 1);
  const producer = client.producer({});
  await producer.init();
  await producer.send(
    Array.from({ length: 100 }, (_, i) => ({
      topic,
      partition: 0,
      key: null,
      value: Buffer.from(String(i)),
      timestamp: Date.now(),
      headers: {},
    })),
  );
  await producer.close();
  const reader = client.partitionReader();
  const seen: string[] = [];
  const collect = async (records: Array<{ value: Buffer | null }>) => void seen.push(...records.map((record) => record.value!.toString()));
  // One fetch brings all 100 records; only the first 40 are asked for.
  const next = await reader.read({ topic, partition: 0 }, 0n, 40n, collect);
  t.equal(next, 40n, 'the next read starts at 40');
  await reader.read({ topic, partition: 0 }, next, 100n, collect);
  await reader.close();
  t.same(
    seen,
    Array.from({ length: 100 }, (_, i) => String(i)),
    'every record exactly once, across the two reads',
  );
});
