/**
 * The Postgres sink connector: reads the pipeline's output topics (read_committed, as a consumer group so
 * replicas share partitions) and keeps the analysts' tables exact.
 *
 * Exactly-once: every batch of rows commits in one SQL transaction with the offsets that pass it
 * (sinks/batch-writer.ts), and positions always come from those stored offsets — on start, on every
 * assignment and after any failure. Kafka's own committed offsets are written too, after the SQL commit, only
 * so operators and autoscalers see the group's lag with the usual tools; they are never read back.
 *
 * Postgres down, a broken connection, a rebalance that fenced a batch: the uncommitted batch is dropped, the
 * connector waits (backing off to 5 s) and re-reads from the stored offsets. Nothing is lost, nothing doubles.
 *
 * The next batch is fetched and decoded while one is written (Kafka and Postgres work at the same time); it is
 * dropped with a batch that fails, and never read under an assignment other than the written batch's.
 */
import { componentLogger } from '../observability/logger.js';
import type { GroupConsumer, KafkaClient, PartitionOffset, TopicPartition } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import { BatchWriter, type SinkItem } from './batch-writer.js';
import { migrate, MIGRATION_STATEMENT_TIMEOUT_MS } from '../postgres/migrate.js';
import { SinkMetrics } from './sink-metrics.js';
import { loadOffsets, SinkFencedError } from './sink-offsets.js';
import { itemOf, type SinkSources } from './sink-sources.js';
import { isDataSqlError, isTransientSqlError, type SqlDatabase } from '../postgres/sql.js';
import { Lifecycle, type LifecycleState, type StartContext, type StateChange } from '../runtime/lifecycle.js';
import { createdTopic, type TopicReplication } from '../runtime/config.js';
import type { Logger } from '../observability/logger.js';

/** How often an idle connector checks that Postgres still answers. */
const IDLE_CHECK_MS = 5_000;

export interface SinkConnectorOptions {
  /** Consumer group, and the name offsets and dead letters are stored under. */
  readonly group: string;
  readonly batchRecords: number;
  readonly lingerMs: number;
  readonly pollMs?: number;
  readonly sessionTimeoutMs?: number;
  /** Static membership (the pod name): a restarted replica takes its partitions straight back. */
  readonly instanceId?: string;
  /** Replication of the topics it creates (OMNIA_TOPIC_REPLICATION_FACTOR / _MIN_INSYNC_REPLICAS); default one copy. */
  readonly topicReplication?: TopicReplication;
  /** The connector's log lines go here instead of the project logger (tests, benches). */
  readonly log?: (line: string) => void;
}

/** created, starting, waiting-for-topics, running ⇄ retrying, stopping, stopped, failed (runtime/lifecycle.ts). */
export type SinkState = LifecycleState;

export interface SinkStatus {
  readonly state: SinkState;
  readonly postgres: 'up' | 'down' | 'unknown';
  readonly partitions: number;
  readonly lag: number;
  readonly lastCommitAt: string | null;
  readonly lastError: string | null;
}

/** Records for one transaction, read under assignment `version` of the group. */
interface Batch {
  readonly version: number;
  readonly items: SinkItem[];
}

/** An error no retry can mend (a missing table, a bug): the connector stops and says why. */
function isFatal(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof ReferenceError || error instanceof SyntaxError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !isTransientSqlError(error) && !isDataSqlError(error);
}

export class SinkConnector {
  readonly metrics: SinkMetrics;
  private readonly writer: BatchWriter;
  /** The stored offset per partition as this replica last read or wrote it: the fence of its next batch. */
  private readonly expected = new Map<string, bigint>();
  private consumer: GroupConsumer | undefined;
  private readonly log: Logger;
  private readonly life: Lifecycle;
  private postgres: SinkStatus['postgres'] = 'unknown';
  private lastCommitAt: string | null = null;
  private lastError: string | null = null;
  private lastPostgresContact = Date.now();
  /** Records polled beyond the last batch's `batchRecords`, for the next batch under the same assignment. */
  private carry: Batch | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly client: KafkaClient,
    private readonly sources: SinkSources,
    private readonly options: SinkConnectorOptions,
    metrics?: SinkMetrics,
  ) {
    this.metrics = metrics ?? new SinkMetrics();
    this.writer = new BatchWriter(db, options.group);
    this.log = componentLogger('sink', options.log).child({ group: options.group });
    this.life = new Lifecycle({ component: 'sink', log: this.log, close: () => this.close() });
  }

  get currentState(): SinkState {
    return this.life.state;
  }

  /** Called on every transition, once. */
  onStateChange(listener: (state: SinkState, change: StateChange) => void): () => void {
    return this.life.onChange(listener);
  }

  status(): SinkStatus {
    const lag = this.consumer?.lag() ?? [];
    return {
      state: this.life.state,
      postgres: this.postgres,
      partitions: this.consumer?.assignment().partitions.length ?? 0,
      lag: lag.reduce((sum, entry) => sum + entry.records, 0),
      lastCommitAt: this.lastCommitAt,
      lastError: this.lastError,
    };
  }

  /**
   * Applies migrations (waiting for Postgres), waits for the topics, joins the group and starts the loop.
   * A stop meanwhile ends it early: it resolves without creating topics or joining.
   */
  start(): Promise<void> {
    return this.life.start(async (steps) => {
      await this.retrying(steps, 'migrations', async () => {
        const session = await this.db.session({ statementTimeoutMs: MIGRATION_STATEMENT_TIMEOUT_MS });
        try {
          const applied = await migrate(session);
          if (applied.length) this.log.info({ migrations: applied }, `applied migrations ${applied.join(', ')}`);
        } finally {
          session.release();
        }
      });
      await this.waitForTopics(steps);
      this.consumer = await steps.step(() =>
        this.client.groupConsumer({
          groupId: this.options.group,
          ...(this.options.instanceId ? { groupInstanceId: this.options.instanceId } : {}),
          sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
          readCommitted: true,
          committedOffsets: (partitions) => this.storedOffsets(partitions),
        }),
      );
      await steps.step(() => this.consumer!.join(this.sources.topics));
      return () => this.run();
    });
  }

  /** Idempotent; waits for a start in flight, which then joins nothing more. */
  stop(): Promise<void> {
    return this.life.stop();
  }

  private async close(): Promise<void> {
    await this.consumer?.close().catch((error: unknown) => this.log.warn({ err: error }, 'closing the consumer failed'));
  }

  /** Resolves once stopped; rejects with the fatal error that failed the connector. */
  whenStopped(): Promise<void> {
    return this.life.whenStopped();
  }

  private async storedOffsets(partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
    const offsets = await loadOffsets(this.db, this.options.group, partitions);
    for (const [key, offset] of offsets) this.expected.set(key, offset);
    this.postgres = 'up';
    return offsets;
  }

  private async run(): Promise<void> {
    const consumer = this.consumer!;
    let backoffMs = 100;
    let rewind = false;
    /** The next batch, fetched and decoded while the current one is written. */
    let next: Promise<Batch> | undefined;
    while (!this.life.stopRequested) {
      try {
        if (rewind) {
          await consumer.rewindToCommitted();
          rewind = false;
          this.recovered(); // the stored offsets were read back: Postgres answers again
        }
        const batch = await (next ?? this.collect(consumer));
        next = undefined;
        this.updateLag(consumer);
        if (batch.items.length === 0) {
          await this.checkIdlePostgres();
          continue;
        }
        // Only under the assignment this batch was read in: the first poll under a new one re-reads positions
        // from Postgres, which must not happen while this batch's transaction is open. A rebalance during the
        // read makes collect() return nothing without polling again.
        if (consumer.assignmentVersion === batch.version) {
          next = this.collect(consumer);
          next.catch(() => undefined); // a failure surfaces where it is awaited
        }
        await this.write(consumer, batch.items);
        this.recovered();
        backoffMs = 100;
      } catch (error) {
        // What was read past the failed batch goes with it: reading resumes from the stored offsets.
        await next?.catch(() => undefined);
        next = undefined;
        this.carry = undefined;
        if (this.life.stopRequested) break;
        if (isFatal(error)) {
          this.lastError = (error as Error).message;
          throw error; // the connector fails (logged with the error) and whenStopped() rejects with it
        }
        const cause = error instanceof SinkFencedError ? 'fenced' : isTransientSqlError(error) ? 'postgres' : 'kafka';
        if (cause === 'postgres') {
          this.postgres = 'down';
          this.metrics.postgresUp.set(0);
        }
        this.metrics.retries.inc({ cause });
        this.life.moveTo('retrying', `${cause}: ${(error as Error).message}`);
        this.lastError = (error as Error).message;
        this.log.warn(
          { err: error, cause, backoffMs },
          `batch not written (${cause}: ${(error as Error).message}); retrying from the stored offsets in ${backoffMs} ms`,
        );
        await this.life.pause(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
        rewind = true;
      }
    }
    await next?.catch(() => undefined);
  }

  /**
   * Records for one batch: up to `batchRecords`, waiting at most `lingerMs` after the first. Records a poll
   * returns beyond that are kept for the next batch. A rebalance while collecting drops the batch: positions
   * are re-read from Postgres for the new assignment.
   */
  private async collect(consumer: GroupConsumer): Promise<Batch> {
    const version = consumer.assignmentVersion;
    const items = this.carry?.version === version ? this.carry.items : [];
    this.carry = undefined;
    let deadline = items.length ? Date.now() + this.options.lingerMs : Infinity;
    while (items.length < this.options.batchRecords && !this.life.stopRequested) {
      const wait = items.length ? Math.max(0, deadline - Date.now()) : (this.options.pollMs ?? 100);
      const records = await consumer.poll(wait);
      if (consumer.assignmentVersion !== version) return { version, items: [] };
      for (const record of records) items.push(itemOf(record, this.sources));
      if (records.length === 0 && items.length === 0) break;
      if (items.length && deadline === Infinity) deadline = Date.now() + this.options.lingerMs;
      if (records.length === 0 || Date.now() >= deadline) break;
    }
    if (items.length > this.options.batchRecords) this.carry = { version, items: items.splice(this.options.batchRecords) };
    return { version, items };
  }

  private async write(consumer: GroupConsumer, items: SinkItem[]): Promise<void> {
    const timer = this.metrics.batchSeconds.startTimer();
    const outcome = await this.writer.write(items, this.expected);
    timer();
    this.postgres = 'up';
    this.metrics.postgresUp.set(1);
    this.metrics.batches.inc();
    this.lastCommitAt = new Date().toISOString();
    for (const [table, count] of outcome.rows) this.metrics.rowsWritten.inc({ table }, count);
    const next = new Map<string, PartitionOffset>();
    const perTopic = new Map<string, number>();
    for (const item of items) {
      next.set(tpKey(item.topic, item.partition), { topic: item.topic, partition: item.partition, offset: item.offset + 1n });
      perTopic.set(item.topic, (perTopic.get(item.topic) ?? 0) + 1);
    }
    for (const [topic, count] of perTopic) this.metrics.recordsConsumed.inc({ topic }, count);
    for (const letter of outcome.deadLetters) {
      this.metrics.deadLetters.inc({ topic: letter.topic });
      this.log.warn(
        { topic: letter.topic, partition: letter.partition, offset: String(letter.offset) },
        `dead letter ${letter.topic}/${letter.partition}@${letter.offset}: ${letter.unusable}`,
      );
    }
    // For lag tooling only (see the header); a failure here loses nothing.
    await consumer.commit([...next.values()], consumer.groupMetadata()).catch(() => undefined);
  }

  private recovered(): void {
    this.life.moveTo('running', 'writing again');
    this.lastError = null;
    this.postgres = 'up';
    this.metrics.postgresUp.set(1);
    this.lastPostgresContact = Date.now();
  }

  /** With nothing to write, Postgres is still asked now and then, so readiness and the metric tell the truth. */
  private async checkIdlePostgres(): Promise<void> {
    if (Date.now() - this.lastPostgresContact < IDLE_CHECK_MS) return;
    this.lastPostgresContact = Date.now();
    await this.db.query('SELECT 1'); // a failure is handled like a failed batch: retried, reported
    this.postgres = 'up';
    this.metrics.postgresUp.set(1);
  }

  private updateLag(consumer: GroupConsumer): void {
    this.metrics.lag.reset();
    for (const { topic, partition, records } of consumer.lag()) this.metrics.lag.set({ topic, partition: String(partition) }, records);
  }

  private async waitForTopics(steps: StartContext): Promise<void> {
    const admin = this.client.admin();
    try {
      await steps.waitForTopics(admin, this.sources.topics, {
        why: 'the pipeline creates them on its first start',
        // A topic of the connectors' that is not there yet: created as its writer would create it.
        onMissing: async (missing, counts) => {
          const creatable = this.sources.creatable.filter(({ topic, like }) => missing.includes(topic) && counts.has(like));
          if (creatable.length === 0) return false;
          await steps.step(() =>
            admin.ensureTopics(
              creatable.map(({ topic, like }) => createdTopic({ topic, partitions: counts.get(like)! }, this.options.topicReplication)),
            ),
          );
          this.log.info(
            { topics: creatable.map(({ topic }) => topic) },
            `created ${creatable.map(({ topic }) => topic).join(', ')}, which the Slick egress writes (not started yet)`,
          );
          return true;
        },
      });
    } finally {
      await admin.close();
    }
  }

  /** Runs a start step until Postgres answers it; a stop abandons the start. */
  private async retrying(steps: StartContext, what: string, action: () => Promise<void>): Promise<void> {
    for (let backoffMs = 100; ; backoffMs = Math.min(backoffMs * 2, 5_000)) {
      try {
        await steps.step(action);
        this.postgres = 'up';
        this.metrics.postgresUp.set(1);
        return;
      } catch (error) {
        if (!isTransientSqlError(error)) throw error;
        this.postgres = 'down';
        this.metrics.postgresUp.set(0);
        this.lastError = (error as Error).message;
        this.log.warn(
          { err: error, backoffMs },
          `${what}: Postgres unavailable (${(error as Error).message}); retrying in ${backoffMs} ms`,
        );
        await steps.pause(backoffMs);
      }
    }
  }
}
