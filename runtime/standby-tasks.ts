import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { type CheckpointIdentity, readCheckpoint, removeCheckpoint, untrustedReason, writeCheckpoint } from '../state/checkpoint.js';
import type { StoreEngine } from '../state/engine.js';
import { createEngine, type EngineKind } from '../state/engines.js';
import { changelogTopic, type StoreDefinition } from '../state/store-definition.js';
import { CHECKPOINT_DELTA } from '../state/task-store.js';
import type { AdminClient, PartitionReader, TopicPartition } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import type { RuntimeMetrics } from './metrics.js';

/** One logged store of a standby task: the same directory and checkpoint file the active task would use. */
interface StandbyStore {
  readonly name: string;
  readonly tp: TopicPartition;
  readonly engine: StoreEngine;
  readonly checkpointFile: string;
  /** The next changelog offset to apply. */
  position: bigint;
  writtenCheckpoint: bigint | undefined;
}

/** Thrown from inside a read to stop it at a batch boundary when the task is wanted here as an active one. */
class Released extends Error {}

export interface StandbyOptions {
  readonly applicationId: string;
  readonly stateDir: string;
  readonly engine: EngineKind;
  readonly stores: readonly StoreDefinition[];
  readonly admin: () => AdminClient;
  /** Its own reader: the rounds run beside the task restores and the global tables' tail. */
  readonly reader: PartitionReader;
  /** Partitions assigned to this replica or still held by an active task here: never opened as standbys. */
  readonly active: () => ReadonlySet<number>;
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
}

/**
 * Standby replicas (Kafka Streams' `num.standby.replicas`): warm copies of tasks another replica owns, each logged
 * store kept by reading its changelog (committed records only) into the directory the active task would use. When
 * the task moves here, the standby closes at its exact position and the task's restore applies only what was
 * written since, instead of the whole changelog.
 *
 * Reads run in rounds, one at a time; taking a partition away stops a round at its next batch.
 */
export class StandbyTasks {
  private readonly tasks = new Map<number, StandbyStore[]>();
  /** Partitions wanted as active here: a read in progress stops at its next batch. */
  private readonly releasing = new Set<number>();
  /** Every change and read round runs after the previous one: engines are opened and closed by one of them at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: StandbyOptions) {}

  get partitions(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  /** Keeps exactly these partitions warm: opens the new ones (from their checkpoint), closes the others. */
  assign(partitions: Iterable<number>): Promise<void> {
    const asked = [...partitions];
    return this.serially(async () => {
      // Decided now, not when asked: a partition assigned here meanwhile is the active task's.
      const active = this.options.active();
      const wanted = new Set(asked.filter((partition) => !active.has(partition)));
      for (const partition of [...this.tasks.keys()]) if (!wanted.has(partition)) await this.closeTask(partition);
      for (const partition of wanted) if (!this.tasks.has(partition)) await this.openTask(partition);
    });
  }

  /** Closes the standby of a partition about to become active here, its checkpoint exact; waits out a read of it. */
  release(partition: number): Promise<void> {
    if (!this.tasks.has(partition)) return this.chain.then(() => undefined);
    this.releasing.add(partition);
    return this.serially(async () => {
      this.releasing.delete(partition);
      await this.closeTask(partition);
    });
  }

  /** Reads every standby store's changelog from its position to its current end (committed records only). */
  catchUp(): Promise<number> {
    return this.serially(async () => {
      const stores = [...this.tasks.values()].flat();
      if (stores.length === 0) return 0;
      const ends = await this.options.admin().endOffsets(
        stores.map((store) => store.tp),
        true,
      );
      let applied = 0;
      for (const store of stores) {
        const end = ends.get(tpKey(store.tp.topic, store.tp.partition)) ?? 0n;
        if (store.position > end) {
          // The changelog is behind this copy (topic recreated): it cannot be trusted; start again from the log.
          await removeCheckpoint(store.checkpointFile);
          store.writtenCheckpoint = undefined;
          await store.engine.destroy();
          await store.engine.open();
          store.position = await this.options.reader.startOffset(store.tp);
        }
        const lag = this.options.metrics.standbyLag.labels(store.name, String(store.tp.partition));
        lag.set(Number(end - store.position));
        if (store.position >= end) continue;
        try {
          await this.options.reader.read(store.tp, store.position, end, async (records) => {
            if (this.releasing.has(store.tp.partition)) throw new Released();
            await store.engine.write(records.map((record) => [record.key ?? Buffer.alloc(0), record.value] as const));
            store.position = records[records.length - 1]!.offset + 1n;
            applied += records.length;
            this.options.metrics.standbyRecords.labels(store.name).inc(records.length);
            lag.set(Number(end - store.position));
          });
          store.position = end;
          lag.set(0);
        } catch (error) {
          if (!(error instanceof Released)) throw error;
          continue; // its task is taken up here now: release() closes it next
        }
        if (store.writtenCheckpoint === undefined || store.position - store.writtenCheckpoint >= CHECKPOINT_DELTA)
          await this.writeCheckpoint(store);
      }
      return applied;
    });
  }

  /** Closes every standby, checkpoints exact, and its reader. */
  async close(): Promise<void> {
    await this.assign([]);
    await this.options.reader.close().catch(() => undefined);
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const next = this.chain.then(step);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async openTask(partition: number): Promise<void> {
    const stores: StandbyStore[] = [];
    try {
      for (const definition of this.options.stores) {
        if (!definition.logged) continue;
        const dir = join(this.options.stateDir, this.options.applicationId, String(partition), definition.name);
        const engine = createEngine(this.options.engine, join(dir, 'db'));
        await engine.open();
        const tp = { topic: changelogTopic(this.options.applicationId, definition.name), partition };
        const checkpointFile = join(dir, 'checkpoint.json');
        const store: StandbyStore = { name: definition.name, tp, engine, checkpointFile, position: 0n, writtenCheckpoint: undefined };
        stores.push(store); // closed below if anything fails from here
        const checkpoint = await this.trustedCheckpoint(store);
        const start = await this.options.reader.startOffset(tp);
        store.position = checkpoint === undefined || checkpoint < start ? start : checkpoint;
        store.writtenCheckpoint = checkpoint;
      }
    } catch (error) {
      for (const store of stores) await store.engine.close().catch(() => undefined);
      throw error;
    }
    this.tasks.set(partition, stores);
    this.options.log.info({ partition }, `standby task ${partition} opened`);
  }

  /**
   * The offset the copy's valid checkpoint vouches for. Data without one may be torn by a host crash: it is wiped,
   * to be read again from the changelog's start. A copy that does not outlive the process has no checkpoint.
   */
  private async trustedCheckpoint(store: StandbyStore): Promise<bigint | undefined> {
    if (!store.engine.durable) return undefined;
    const checkpoint = await readCheckpoint(store.checkpointFile, identityOf(store.name, store.tp, store.engine));
    const untrusted = await untrustedReason(checkpoint, store.engine);
    if (untrusted) {
      this.options.log.warn(
        { store: store.name, partition: store.tp.partition, reason: untrusted },
        `standby store ${store.name} partition ${store.tp.partition}: ${untrusted}; wiping it and reading ${store.tp.topic} from the start`,
      );
      await removeCheckpoint(store.checkpointFile);
      await store.engine.destroy();
      await store.engine.open();
    }
    return checkpoint.status === 'valid' ? checkpoint.offset : undefined;
  }

  private async closeTask(partition: number): Promise<void> {
    const stores = this.tasks.get(partition);
    if (!stores) return;
    this.tasks.delete(partition);
    for (const store of stores) {
      await this.writeCheckpoint(store).catch((error: unknown) =>
        this.options.log.warn({ err: error, store: store.name, partition }, 'standby checkpoint not written; the task restores more'),
      );
      await store.engine.close().catch(() => undefined);
      this.options.metrics.standbyLag.remove(store.name, String(partition));
    }
  }

  private async writeCheckpoint(store: StandbyStore): Promise<void> {
    if (store.writtenCheckpoint === store.position || !store.engine.durable) return;
    // The engine's writes are durable before a checkpoint claims them: the active task will trust it.
    await store.engine.sync();
    await writeCheckpoint(store.checkpointFile, identityOf(store.name, store.tp, store.engine), store.position);
    store.writtenCheckpoint = store.position;
  }
}

/** The same identity the active task's store checks its checkpoint against. */
function identityOf(store: string, tp: TopicPartition, engine: StoreEngine): CheckpointIdentity {
  return { store, topic: tp.topic, partition: tp.partition, engine: engine.kind };
}

/**
 * Where a member stands in the ring: the workers of one process (`<pod>-w1`, `<pod>-w2`, OMNIA_WORKERS) are spread
 * out, worker number first, so the member after each one is, where there is one, a worker of another process —
 * a standby on a sibling worker would die with its pod.
 */
function ringOrder(a: string, b: string): number {
  const key = (instance: string): [number, string] => {
    const worker = /^(.*)-w(\d+)$/.exec(instance);
    return worker ? [Number(worker[2]), worker[1]!] : [0, instance];
  };
  const [aWorker, aProcess] = key(a);
  const [bWorker, bProcess] = key(b);
  if (aWorker !== bWorker) return aWorker - bWorker;
  return aProcess < bProcess ? -1 : aProcess > bProcess ? 1 : 0;
}

/**
 * The partitions this member keeps standbys of: for each partition, the `replicas` members after its owner in the
 * ring of members (never the owner itself). Every member computes the same answer from the same group.
 */
export function standbyPartitions(
  self: string,
  members: ReadonlyArray<{ readonly instance: string; readonly partitions: readonly number[] }>,
  replicas: number,
): number[] {
  const ring = [...members].sort((a, b) => ringOrder(a.instance, b.instance));
  const at = ring.findIndex((member) => member.instance === self);
  if (at < 0 || replicas <= 0) return [];
  const mine: number[] = [];
  ring.forEach((owner, index) => {
    if (index === at) return;
    const distance = (at - index + ring.length) % ring.length; // how far after the owner this member is
    if (distance >= 1 && distance <= replicas) mine.push(...owner.partitions);
  });
  return [...new Set(mine)].sort((a, b) => a - b);
}
