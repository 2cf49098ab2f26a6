import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The runtime's metrics, in a registry of its own so several runtimes can live in one process (tests). */
export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly processed = new Counter({
    name: 'omnia_records_processed_total',
    help: 'Records processed, per processor',
    labelNames: ['processor'],
    registers: [this.registry],
  });
  readonly processLatency = new Histogram({
    name: 'omnia_process_latency_seconds',
    help: 'Time in a processor per record',
    labelNames: ['processor'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly endToEndLatency = new Histogram({
    name: 'omnia_end_to_end_latency_seconds',
    help: 'Record timestamp to the commit that published its results',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly commitLatency = new Histogram({
    name: 'omnia_commit_latency_seconds',
    help: 'Duration of one commit (send, offsets, transaction commit, store flush)',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly lastCommit = new Gauge({
    name: 'omnia_last_commit_timestamp_seconds',
    help: 'When this replica last committed processed records (Unix time); an idle replica has nothing to commit',
    registers: [this.registry],
  });
  readonly commits = new Counter({
    name: 'omnia_commits_total',
    help: 'Commits by result: committed; aborted (failed before EndTxn: rolled back, the records processed again); in-doubt (EndTxn failed unanswered: it may have committed, so every task is restored from its changelog)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly commitSteps = new Histogram({
    name: 'omnia_commit_step_seconds',
    help: 'Each step of a commit: begin, send (output and changelogs), offsets (to the group coordinator), end (EndTxn), flush (stores and checkpoints)',
    labelNames: ['step'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly consumerReplacements = new Counter({
    name: 'omnia_consumer_replacements_total',
    help: 'Group consumers replaced after repeated failures or a rejoin the client gave up (coordinator moved or lost)',
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'omnia_consumer_lag_records',
    help: 'Records between a task position and the end of its partition',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly restored = new Counter({
    name: 'omnia_restore_records_total',
    help: 'Changelog records restored into stores',
    labelNames: ['store'],
    registers: [this.registry],
  });
  readonly restoreTotal = new Gauge({
    name: 'omnia_restore_total_records',
    help: 'Changelog records the latest restore of a store had to apply, from its checkpoint to the end (restore progress: 1 − remaining / total)',
    labelNames: ['store', 'partition'],
    registers: [this.registry],
  });
  readonly restoreRemaining = new Gauge({
    name: 'omnia_restore_remaining_records',
    help: 'Changelog records still to restore',
    labelNames: ['store', 'partition'],
    registers: [this.registry],
  });
  readonly standbyRecords = new Counter({
    name: 'omnia_standby_records_total',
    help: 'Changelog records applied to standby copies of tasks other replicas own',
    labelNames: ['store'],
    registers: [this.registry],
  });
  readonly standbyLag = new Gauge({
    name: 'omnia_standby_lag_records',
    help: 'Changelog records a standby store has not applied yet: what a failover to this replica would restore',
    labelNames: ['store', 'partition'],
    registers: [this.registry],
  });
  readonly enforcedProcessing = new Counter({
    name: 'omnia_enforced_processing_total',
    help: 'Records processed while another input of their task still had unfetched records (after max task idle)',
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'omnia_dead_letters_total',
    help: 'Records sent to a dead-letter topic',
    labelNames: ['topic', 'code'],
    registers: [this.registry],
  });
  readonly tasks = new Gauge({ name: 'omnia_tasks', help: 'Tasks owned by this replica', registers: [this.registry] });
}
