import { componentLogger, type Logger } from '../observability/logger.js';
import { untrustedReason } from '../state/checkpoint.js';
import type { TaskStore } from '../state/task-store.js';
import type { AdminClient, PartitionReader } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import type { RuntimeMetrics } from './metrics.js';

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
): Promise<RestoreResult[]> {
  const results: RestoreResult[] = [];
  for (const store of stores) {
    if (!store.changelog) continue;
    const tp = { topic: store.changelog, partition };
    const end = (await admin.endOffsets([tp], true)).get(tpKey(tp.topic, partition)) ?? 0n;
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
