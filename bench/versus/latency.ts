/**
 * Latency of the steady load: the generator's file (OrderID, CreatedAt ms, valid) joined with the probe's
 * (OrderID, ms its release became visible read_committed). Only the steady orders are in the generator's file,
 * so the backlog's releases drop out of the join.
 */
import { readFile } from 'node:fs/promises';
import { percentile } from '../open-loop.js';
import { round } from '../runtime/common.js';

export interface LatencyFigures {
  /** Valid steady orders (each should be released). */
  expected: number;
  /** Of those, released and seen by the probe. */
  seen: number;
  /** Valid steady orders the probe never saw a release of. */
  missing: number;
  /** Releases seen of orders the generator sent as invalid. */
  unexpected: number;
  /** Releases seen more than once. */
  duplicates: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Seen per second of the steady load, so a stall shows where it happened: [second, count, p99 ms]. */
  perSecond: Array<[number, number, number]>;
}

const rows = async (file: string): Promise<string[][]> =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));

export async function joinLatency(generatorFile: string, probeFile: string): Promise<LatencyFigures> {
  const sent = new Map<string, { createdAt: number; valid: boolean }>();
  for (const [id, createdAt, valid] of await rows(generatorFile)) sent.set(id!, { createdAt: Number(createdAt), valid: valid === '1' });
  const seenAt = new Map<string, number>();
  let duplicates = 0;
  let unexpected = 0;
  for (const [id, at] of await rows(probeFile)) {
    const order = sent.get(id!);
    if (!order) continue; // a backlog order released late, or a release without an OrderID
    if (seenAt.has(id!)) duplicates++;
    else seenAt.set(id!, Number(at));
    if (!order.valid) unexpected++;
  }
  const start = Math.min(...[...sent.values()].map((order) => order.createdAt));
  const latencies: number[] = [];
  const bySecond = new Map<number, number[]>();
  let expected = 0;
  for (const [id, order] of sent) {
    if (!order.valid) continue;
    expected++;
    const at = seenAt.get(id);
    if (at === undefined) continue;
    const latency = at - order.createdAt;
    latencies.push(latency);
    const second = Math.floor((order.createdAt - start) / 1000);
    const bucket = bySecond.get(second) ?? [];
    bucket.push(latency);
    bySecond.set(second, bucket);
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    expected,
    seen: latencies.length,
    missing: expected - latencies.length,
    unexpected,
    duplicates,
    p50: round(percentile(sorted, 50), 1),
    p95: round(percentile(sorted, 95), 1),
    p99: round(percentile(sorted, 99), 1),
    max: round(sorted.at(-1) ?? NaN, 1),
    perSecond: [...bySecond]
      .sort(([a], [b]) => a - b)
      .map(([second, values]) => [second, values.length, round(percentile(Float64Array.from(values).sort(), 99), 1)]),
  };
}
