/**
 * Reproduces, on any broker, the crash the scale-out bench ran into after a broker was killed: reading a partition
 * read_committed through the runtime's own reader (PlatformaticReader: changelog restore, global tables) ends the
 * process with
 *
 *   TypeError: Cannot set properties of undefined (setting '1')
 *       at #filterUncommittedMessages (@platformatic/kafka/dist/clients/consumer/consumer.js:1312)
 *
 * when one fetch response holds an ABORT marker of a transaction that wrote nothing to that partition together
 * with any aborted transaction that did. The client maps the response's abortedTransactions (only transactions
 * with data in the partition are listed) by producer id and then looks up every ABORT marker's producer id in that
 * map. Such an empty aborted transaction is what a replica leaves when a transactional send fails after
 * AddPartitionsToTxn succeeded (here: a record the broker refuses as too large; in the bench: a partition whose
 * leader had just died). Every replica assigned the task then crashes while restoring it.
 *
 *   npx tsc -p tsconfig.json && KAFKA_BROKERS=127.0.0.1:9092 node dist/bench/scale-out/empty-abort-repro.js
 *
 * Exit 0 and "read back" when the read survives; the TypeError and exit 1 when it does not. Deletes its topic.
 */
import { randomUUID } from 'node:crypto';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = `empty-abort-repro-${randomUUID().slice(0, 8)}`;
const client = new PlatformaticClient(brokers, 'empty-abort-repro');
const admin = client.admin();
const record = (value: Buffer): ProducedRecord => ({
  topic,
  partition: 0,
  key: Buffer.from('k'),
  value,
  timestamp: Date.now(),
  headers: {},
});

/** One transaction of its own producer: `records` sent, then committed or aborted. */
async function transaction(records: ProducedRecord[], outcome: 'commit' | 'abort'): Promise<void> {
  const producer = client.producer({ transactionalId: `${topic}-${randomUUID().slice(0, 8)}` });
  await producer.init();
  await producer.beginTransaction();
  try {
    await producer.send(records);
    if (outcome === 'commit') await producer.commitTransaction();
    else await producer.abortTransaction();
  } catch (error) {
    process.stdout.write(`  the send failed (${(error as Error).message}); aborting\n`);
    await producer.abortTransaction();
  }
  await producer.close();
}

// The client throws from a response callback: nothing awaits it, so it arrives here (then the process ends as it would).
process.once('uncaughtException', (error) => {
  process.stderr.write(`${error.stack ?? String(error)}\n`);
  void admin
    .deleteTopics([topic])
    .catch(() => undefined)
    .finally(() => process.exit(1));
});

try {
  await admin.ensureTopics([{ topic, partitions: 1 }]);
  await transaction([record(Buffer.from('committed before'))], 'commit');
  process.stdout.write('an aborted transaction with a record in the partition\n');
  await transaction([record(Buffer.from('aborted'))], 'abort');
  process.stdout.write('an aborted transaction without one: AddPartitionsToTxn, then a record the broker refuses (2 MiB)\n');
  await transaction([record(Buffer.alloc(2 * 1024 * 1024, 1))], 'abort');
  await transaction([record(Buffer.from('committed after'))], 'commit');
  const end = (await admin.endOffsets([{ topic, partition: 0 }], true)).get(`${topic}:0`) ?? 0n;
  process.stdout.write(`reading ${topic}-0 from 0 to ${end} read_committed with the runtime's reader\n`);
  const reader = client.partitionReader();
  const values: string[] = [];
  await reader.read({ topic, partition: 0 }, 0n, end, async (records) => void values.push(...records.map((r) => r.value!.toString())));
  await reader.close();
  process.stdout.write(`read back: ${JSON.stringify(values)}\n`);
} finally {
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.close();
}
