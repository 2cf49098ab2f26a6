/**
 * A partition holding the ABORT marker of a transaction that wrote nothing to it, beside an aborted transaction
 * that did, read read_committed. A replica leaves such an empty aborted transaction when a transactional send
 * fails after AddPartitionsToTxn succeeded (a partition whose leader had just died; here a record the broker
 * refuses as too large). @platformatic/kafka 1.35's read_committed filter threw a TypeError on it from a callback,
 * and every replica restoring that changelog crashed on every restart (bench/scale-out.md, finding 3; patched in
 * patches/). Both readers the runtime has must read exactly the committed records: the partition reader (restores,
 * global tables) and the group consumer (sources).
 */
import t from 'tap';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import type { KafkaClient } from '../../topology/kafka/client.js';
import { requireKafka, testClient, uniqueName, waitFor } from './harness.js';

/** One transaction of its own producer: `records` sent, then committed or aborted (a failed send aborts too). */
async function transaction(client: KafkaClient, id: string, records: ProducedRecord[], outcome: 'commit' | 'abort'): Promise<string> {
  const producer = client.producer({ transactionalId: id });
  await producer.init();
  await producer.beginTransaction();
  let failed = '';
  try {
    await producer.send(records);
    if (outcome === 'commit') await producer.commitTransaction();
    else await producer.abortTransaction();
  } catch (error) {
    failed = (error as Error).message;
    await producer.abortTransaction();
  }
  await producer.close();
  return failed;
}

t.test('an empty aborted transaction beside an aborted one with data: exactly the committed records are read', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const topic = uniqueName('empty-abort');
  const admin = client.admin();
  t.teardown(async () => {
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.close();
  });
  await admin.ensureTopics([{ topic, partitions: 1 }]);
  const record = (value: Buffer): ProducedRecord => ({
    topic,
    partition: 0,
    key: Buffer.from('k'),
    value,
    timestamp: Date.now(),
    headers: {},
  });

  await transaction(client, `${topic}-1`, [record(Buffer.from('committed before'))], 'commit');
  await transaction(client, `${topic}-2`, [record(Buffer.from('aborted'))], 'abort');
  // AddPartitionsToTxn succeeds, the produce is refused (the broker's limit is 1 MiB): the abort marker alone.
  const refused = await transaction(client, `${topic}-3`, [record(Buffer.alloc(2 * 1024 * 1024, 1))], 'abort');
  t.ok(refused, `the oversized send failed and its transaction was aborted (${refused.slice(0, 80)})`);
  await transaction(client, `${topic}-4`, [record(Buffer.from('committed after'))], 'commit');
  // A commit returns once the coordinator has decided; the partition's marker, which moves its stable end, follows.
  let end = 0n;
  await waitFor(
    'the last commit marker written',
    async () => (end = (await admin.endOffsets([{ topic, partition: 0 }], true)).get(`${topic}:0`) ?? 0n) >= 6n,
    10_000,
  ).catch(() => undefined);
  t.ok(end >= 6n, `the partition holds records and markers up to ${end}`);

  const reader = client.partitionReader();
  const restored: string[] = [];
  await reader.read({ topic, partition: 0 }, 0n, end, async (records) => void restored.push(...records.map((r) => r.value!.toString())));
  await reader.close();
  t.same(restored, ['committed before', 'committed after'], 'the partition reader (restore, global tables)');

  const consumer = client.groupConsumer({ groupId: uniqueName('empty-abort-group'), sessionTimeoutMs: 6000, readCommitted: true });
  t.teardown(() => consumer.close().catch(() => undefined));
  await consumer.join([topic]);
  const consumed: string[] = [];
  await waitFor(
    'the group consumer to reach the end',
    async () => {
      consumed.push(...(await consumer.poll(200)).map((r) => r.value!.toString()));
      return consumer.lag().some(({ records }) => records === 0) && consumed.length >= 2;
    },
    30_000,
  );
  t.same(consumed, ['committed before', 'committed after'], 'the group consumer (sources)');
});
