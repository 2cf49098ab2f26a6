/**
 * What the store-app bench's processes share: the orders they agree on (demo feed, seed, stores), the tokens'
 * secret, the messages the children send over IPC, and the percentile summary of a list of delays.
 */
import { demoOrder } from '../../bin/demo-feed.js';
import type { OrderCreate } from '../../processors/domain/types.js';
import type { AuthConfig } from '../../query-service/auth.js';
import { percentile } from '../open-loop.js';
import { round } from '../runtime/common.js';

export const HOST = '127.0.0.1';
export const STORES = 50;
export const CUSTOMERS = 200;
export const SEED = 31;
export const SECRET = 'bench-store-app-secret-of-32-bytes-or-more!';
export const AUTH: AuthConfig = { algorithm: 'HS256', secret: SECRET };

/** Order n of the run: the same in the producer (which sends it) and the bench (which cancels it). */
export const benchOrder = (n: number, createdAt: Date): OrderCreate =>
  demoOrder(n, createdAt, { stores: STORES, customers: CUSTOMERS, seed: SEED });

/** n of an order id `QC0007-00000123`. */
export const orderNumber = (orderId: string): number => Number(orderId.slice(orderId.lastIndexOf('-') + 1));

/** Producer → bench: orders [from, to) were sent with CreatedAt = createdAt and acknowledged at ackedAt (epoch ms). */
export interface ProducerAcked {
  type: 'acked';
  from: number;
  to: number;
  createdAt: number;
  ackedAt: number;
}

export interface ProducerDone {
  type: 'done';
  produced: number;
  seconds: number;
  /** How far the producer fell behind its schedule at worst (its sends are awaited one after another). */
  maxScheduleLagMs: number;
  sends: number;
}

export type ProducerMessage = { type: 'ready' } | ProducerAcked | ProducerDone;

/** One SSE delivery: [client, partition, offset, toStatus, At (epoch ms), received (epoch ms), orderId]. */
export type Delivery = [number, number, number, number, number, number, string];

export interface BoardClientReport {
  store: string;
  /** HTTP status of GET /events. */
  status: number;
  deliveries: number;
  overflows: number;
  resets: number;
  /** The stream ended before the bench stopped it. */
  endedEarly: boolean;
}

export interface BoardResults {
  clients: BoardClientReport[];
  deliveries: Delivery[];
}

export type BoardMessage =
  { type: 'connected'; clients: number; failed: number } | { type: 'count'; deliveries: number } | { type: 'written' };

export type BenchToBoard = { type: 'count' } | { type: 'stop'; file: string };

export interface Spread {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  min: number;
}

/** Percentiles (nearest rank) of delays in ms. */
export function spread(values: readonly number[]): Spread {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50), 1),
    p90: round(percentile(sorted, 90), 1),
    p99: round(percentile(sorted, 99), 1),
    p999: round(percentile(sorted, 99.9), 1),
    max: round(sorted.at(-1) ?? NaN, 1),
    min: round(sorted[0] ?? NaN, 1),
  };
}
