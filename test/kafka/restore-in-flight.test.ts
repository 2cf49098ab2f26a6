/**
 * A restore reads a changelog partition to its end only once no transaction is in flight on it (runtime/restore.ts).
 * The previous owner's last transaction may already count as committed for the group (its offsets readable) while
 * this partition's commit marker is still on its way, as when the partition's leader is paused
 * (broker-pause.test.ts found it: orders sent twice were released twice). Read only to the last stable offset, the
 * store would lack that transaction's writes. On the real broker: a transaction holds two changelog records open
 * while the restore starts, and commits 1.2 s later.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { componentLogger } from '../../observability/logger.js';
import { RuntimeMetrics } from '../../runtime/metrics.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { restoreStores } from '../../runtime/restore.js';
import { bufferSerde } from '../../serdes/serde.js';
import { MemoryEngine } from '../../state/memory-engine.js';
import { TaskStore } from '../../state/task-store.js';
import { createTopics, produce, requireKafka, testClient, uniqueName } from './harness.js';

const record = (topic: string, key: string): ProducedRecord => ({
  topic,
  partition: 0,
  key: Buffer.from(key),
  value: Buffer.from(`value of ${key}`),
  timestamp: Date.now(),
  headers: {},
});

/**
 * A changelog partition with `committed` records, then a transaction of the previous owner holding `open` records
 * open; a store to restore from it; `restore(lines, settleTimeoutMs?)` starts the restore.
 */
async function inFlight(t: Test, committed: string[], open: string[]) {
  const client = testClient();
  const app = uniqueName('restore-in-flight');
  const changelog = `${app}-counts-changelog`;
  await createTopics(client, [changelog], 1);
  if (committed.length)
    await produce(
      client,
      committed.map((key) => record(changelog, key)),
    );
  const owner = client.producer({ transactionalId: `${app}-previous-owner`, transactionTimeoutMs: 60_000 });
  await owner.init();
  await owner.beginTransaction();
  await owner.send(open.map((key) => record(changelog, key)));
  const dir = await mkdtemp(join(tmpdir(), 'omnia-restore-in-flight-'));
  const engine = new MemoryEngine();
  const store = new TaskStore(
    { name: 'counts', keySerde: bufferSerde, valueSerde: bufferSerde, logged: true },
    engine,
    changelog,
    join(dir, 'cp'),
  );
  const admin = client.admin();
  const reader = client.partitionReader();
  t.teardown(async () => {
    await owner.abortTransaction().catch(() => undefined);
    await owner.close();
    await admin.close();
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });
  const restore = (lines: string[], settleTimeoutMs?: number) =>
    restoreStores(
      0,
      [store as TaskStore<unknown, unknown>],
      admin,
      reader,
      new RuntimeMetrics(),
      componentLogger('restore', (line) => lines.push(line)),
      settleTimeoutMs,
    );
  return { owner, engine, restore };
}

t.test('a transaction in flight on the changelog: the restore waits for it and takes its writes', async (t) => {
  if (!(await requireKafka(t))) return;
  const { owner, engine, restore } = await inFlight(t, ['K0'], ['K1', 'K2']);
  const lines: string[] = [];
  const restoring = restore(lines);
  // Held past a second, the wait is logged: an operator sees why a restore takes its time.
  const settled = await Promise.race([restoring.then(() => 'restored'), new Promise((done) => setTimeout(() => done('waiting'), 1_200))]);
  t.equal(settled, 'waiting', 'while the transaction is open, the restore waits');
  await owner.commitTransaction();
  const [result] = await restoring;

  const keys: string[] = [];
  for await (const [key] of engine.range()) keys.push(key.toString());
  t.same(keys, ['K0', 'K1', 'K2'], "the store holds the transaction's writes");
  t.equal(result!.to, 4n, 'restored to the end: three records and the commit marker');
  t.ok(
    lines.some((line) => /waiting for a transaction in flight on the changelog before restoring/.test(line)),
    'the wait past a second is logged, naming the changelog partition',
  );
});

t.test('a transaction that stays open past the bound: the restore fails, naming it, for the caller to retry', async (t) => {
  if (!(await requireKafka(t))) return;
  const { restore } = await inFlight(t, [], ['K1']);
  await t.rejects(restore([], 300), /a transaction has been in flight on the changelog for \d+ ms \(stable end 0, written 1\)/);
});
