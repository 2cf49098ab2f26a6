import { componentLogger, type Logger } from '../observability/logger.js';
import { untrustedReason } from '../state/checkpoint.js';
import type { TaskStore } from '../state/task-store.js';
import type { AdminClient, PartitionReader, TopicPartition } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import type { RuntimeMetrics } from './metrics.js';

/** How long a restore waits for a transaction in flight on a changelog partition before failing (the caller retries). */
export const SETTLE_TIMEOUT_MS = 30_000;

export interface RestoreResult {
  readonly store: string;
  readonly restored: number;
  readonly from: bigint;
  readonly to: bigint;
}

/**
 * Brings a task's logged stores up to the end of their changelog partitions before the task processes
 * anything: from the local checkpoint when there is a valid one (incremental), else from the start of the log.
 * Local data without a valid checkpoint may be torn by a host crash: it is wiped first, never trusted.
 * Writes go straight to the engine, batch by batch, and the checkpoint moves once the end is reached.
 */
export async function restoreStores(
  partition: number,
  stores: Iterable<TaskStore<unknown, unknown>>,
  admin: AdminClient,
  reader: PartitionReader,
  metrics: RuntimeMetrics,
  log: Logger = componentLogger('restore'),
  settleTimeoutMs = SETTLE_TIMEOUT_MS,
): Promise<RestoreResult[]> {
  const results: RestoreResult[] = [];
  for (const store of stores) {
    if (!store.changelog) continue;
    const tp = { topic: store.changelog, partition };
    const end = await settledEnd(admin, tp, settleTimeoutMs, log);
    const start = await reader.startOffset(tp);
    const checkpoint = await store.checkpoint(partition);
    let from = checkpoint.status === 'valid' ? checkpoint.offset : start;
    const untrusted = await untrustedReason(checkpoint, store.engine);
    if (untrusted) {
      log.warn(
        { store: store.name, partition, reason: untrusted },
        `store ${store.name} partition ${partition}: ${untrusted}; wiping it and restoring it from the start of ${tp.topic}`,
      );
      await store.wipe();
    } else if (from > end) {
      // The changelog is behind the local store (topic recreated): the local copy cannot be trusted.
      await store.wipe();
      from = start;
    }
    if (from < start) from = start;
    let restored = 0;
    const remaining = metrics.restoreRemaining.labels(store.name, String(partition));
    remaining.set(Number(end - from));
    metrics.restoreTotal.labels(store.name, String(partition)).set(Number(end - from));
    if (from < end) {
      await reader.read(tp, from, end, async (records) => {
        await store.engine.write(records.map((record) => [record.key ?? Buffer.alloc(0), record.value] as const));
        restored += records.length;
        metrics.restored.labels(store.name).inc(records.length);
        remaining.set(Number(end - records[records.length - 1]!.offset - 1n));
      });
    }
    remaining.set(0);
    await store.writeRestoredCheckpoint(partition, end);
    results.push({ store: store.name, restored, from, to: end });
  }
  return results;
}

/**
 * The end a restore reads to: the partition's end once no transaction is in flight on it. The previous owner's
 * last transaction may be committed with its consumed offsets readable already (the group's offsets partition has
 * its marker) while this partition's marker is still on its way (its leader slow, or paused): read only to the last
 * stable offset then, the store would lack writes of a transaction whose input the offsets say is done, and a
 * duplicate of that input would be taken for new. Bounded: a dead producer's transaction is aborted by the broker
 * within the transaction timeout; past `timeoutMs` the restore fails and is retried.
 */
async function settledEnd(admin: AdminClient, tp: TopicPartition, timeoutMs: number, log: Logger): Promise<bigint> {
  const key = tpKey(tp.topic, tp.partition);
  const started = Date.now();
  let told = false;
  for (;;) {
    const [stable, written] = await Promise.all([admin.endOffsets([tp], true), admin.endOffsets([tp], false)]);
    const [stableEnd, writtenEnd] = [stable.get(key) ?? 0n, written.get(key) ?? 0n];
    if (stableEnd >= writtenEnd) return stableEnd;
    const waited = Date.now() - started;
    if (waited >= timeoutMs)
      throw new Error(
        `${key}: a transaction has been in flight on the changelog for ${waited} ms (stable end ${stableEnd}, written ${writtenEnd}); restoring it again`,
      );
    if (!told && waited >= 1_000) {
      told = true;
      log.info({ changelog: key, stableEnd, writtenEnd }, `${key}: waiting for a transaction in flight on the changelog before restoring`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
