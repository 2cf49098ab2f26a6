import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The sink's metrics, in a registry of its own (several connectors can share a process in tests). */
export class SinkMetrics {
  readonly registry = new Registry();
  readonly rowsWritten = new Counter({
    name: 'omnia_sink_rows_written_total',
    help: 'Rows written to Postgres, per table',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly recordsConsumed = new Counter({
    name: 'omnia_sink_records_total',
    help: 'Records committed to Postgres (rows and offsets), per topic',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly batches = new Counter({ name: 'omnia_sink_batches_total', help: 'SQL transactions committed', registers: [this.registry] });
  readonly batchSeconds = new Histogram({
    name: 'omnia_sink_batch_seconds',
    help: 'Duration of one batch transaction',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'omnia_sink_dead_letters_total',
    help: 'Records kept in sink_dead_letters instead of the tables',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'omnia_sink_lag_records',
    help: 'Records between the sink position and the end of a partition',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly postgresUp = new Gauge({
    name: 'omnia_sink_postgres_up',
    help: '1 when the last Postgres operation succeeded',
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'omnia_sink_retries_total',
    help: 'Batches retried after a transient failure, by cause',
    labelNames: ['cause'],
    registers: [this.registry],
  });
}
