import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState } from './resilience.js';

export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/** The Slick egress connector's metrics, in a registry of its own (several connectors can share a process in tests). */
export class SlickMetrics {
  readonly registry = new Registry();
  readonly sends = new Counter({
    name: 'omnia_slick_sends_total',
    help: 'Interactions with Slick by action and outcome (ACCEPTED, DUPLICATE, FAILED, CIRCUIT_OPEN, GAVE_UP)',
    labelNames: ['action', 'outcome'],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'omnia_slick_request_seconds',
    help: 'Duration of one call to Slick, answered or not',
    labelNames: ['action'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly breakerState = new Gauge({
    name: 'omnia_slick_breaker_state',
    help: 'Circuit breaker towards Slick: 0 closed, 1 half-open, 2 open',
    registers: [this.registry],
  });
  readonly breakerOpenings = new Counter({
    name: 'omnia_slick_breaker_openings_total',
    help: 'Times the circuit breaker opened',
    registers: [this.registry],
  });
  readonly setAside = new Counter({
    name: 'omnia_slick_releases_set_aside_total',
    help: 'Releases Slick refused a whole round (a 4xx other than 408 / 429), set aside for a person to retry or park',
    registers: [this.registry],
  });
  readonly collectionsRefused = new Counter({
    name: 'omnia_slick_collections_refused_total',
    help: 'COD collection confirmations Slick refused a whole round (a 4xx other than 408 / 429): recorded REFUSED, not sent again',
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'omnia_slick_lag_records',
    help: 'Records between the connector position and the end of a partition',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'omnia_slick_dead_letters_total',
    help: 'Undecodable records moved to <topic>.dlq',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'omnia_slick_loop_retries_total',
    help: 'Kafka-side failures (poll, produce, commit) the loop recovered from by re-reading from the committed offsets',
    registers: [this.registry],
  });
}
