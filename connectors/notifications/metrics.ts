import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The notification connector's metrics, in a registry of its own (`omnia notify` serves it at /metrics). */
export class NotificationMetrics {
  readonly registry = new Registry();
  readonly outcomes = new Counter({
    name: 'omnia_notify_outcomes_total',
    help: 'Notification steps by channel, event and outcome (SENT, DUPLICATE, FAILED, GAVE_UP, REFUSED, CIRCUIT_OPEN, DEFERRED, SKIPPED)',
    labelNames: ['channel', 'event', 'outcome'],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'omnia_notify_request_seconds',
    help: 'Duration of one call to the SMS or LINE provider, answered or not',
    labelNames: ['channel'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly breakerState = new Gauge({
    name: 'omnia_notify_breaker_state',
    help: 'Circuit breaker towards a provider: 0 closed, 1 half-open, 2 open',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  readonly waiting = new Gauge({
    name: 'omnia_notify_deferred_messages',
    help: 'Messages waiting for the end of quiet hours',
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'omnia_notify_pending_messages',
    help: 'Messages read and not yet sent or given up (waiting, being sent or retried)',
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'omnia_notify_lag_records',
    help: 'Orders changelog records between the connector position and the end of a partition',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly undecodable = new Counter({
    name: 'omnia_notify_undecodable_records_total',
    help: 'Orders changelog records that did not decode as OrderState (skipped)',
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'omnia_notify_loop_retries_total',
    help: 'Kafka-side failures (poll, produce, commit) the loop recovered from by re-reading from the committed offsets',
    registers: [this.registry],
  });
}
