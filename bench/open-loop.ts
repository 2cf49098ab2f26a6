/**
 * The benches' HTTP load generator, open loop: request i is due at start + i / rate whatever the earlier ones
 * are doing (a 1 ms timer sends what is due), and its latency is measured from its due time to the end of its
 * response, so a stall is charged to every request it held up (no coordinated omission). node:http over a
 * keep-alive agent, loopback.
 */
import http from 'node:http';
import { round, sleep } from './runtime/common.js';

export interface Shot {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** What the run reports this request under (a search kind, a webhook route); undefined: the run as a whole only. */
  readonly kind?: string;
}

export interface Outcome {
  kind: string | undefined;
  /** Due time, whole seconds from the run's start. */
  dueSecond: number;
  /** From the request's due time to the end of its response. */
  latencyMs: number;
  /** HTTP status; 0 when the request failed (socket error, timeout). */
  status: number;
  /** What the body says, as `classify` names it (a lookup's source, an empty search page…). */
  label?: string | undefined;
}

export interface LoadRun {
  rate: number;
  seconds: number;
  sent: number;
  outcomes: Outcome[];
  /** How late the generator sent each request after its due time (its own delay on the shared cores). */
  sendLagMs: number[];
  /** From the first due time to the last response (or the end of the schedule, whichever is later). */
  wallSeconds: number;
}

export interface OpenLoopOptions {
  readonly host: string;
  readonly port: number;
  readonly rate: number;
  readonly seconds: number;
  /** The i-th request, asked for when it is due (so a signature made here carries the send time). */
  readonly next: (i: number) => Shot;
  /** Names what a response says; its body is read only when this is given. */
  readonly classify?: (shot: Shot, status: number, body: string) => string | undefined;
  /** A keep-alive agent to reuse (a warm-up's connections); default: one of this run's, destroyed at its end. */
  readonly agent?: http.Agent;
}

/** Sends `rate × seconds` requests; requests still open 10 s after the last is due count as failed. */
export async function openLoop(options: OpenLoopOptions): Promise<LoadRun> {
  const { host, port, rate, seconds, next, classify } = options;
  const agent = options.agent ?? new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(rate * seconds);
  const outcomes: Outcome[] = [];
  const sendLagMs: number[] = [];
  const start = performance.now() + 20;
  let lastDone = start;
  let issued = 0;
  let open = 0;
  let drained: (() => void) | undefined;
  const allDrained = new Promise<void>((resolve) => (drained = resolve));
  const fire = (shot: Shot, due: number) => {
    open++;
    sendLagMs.push(performance.now() - due);
    let finished = false;
    const finish = (status: number, label?: string) => {
      if (finished) return;
      finished = true;
      const at = performance.now();
      lastDone = Math.max(lastDone, at);
      outcomes.push({ kind: shot.kind, dueSecond: Math.floor((due - start) / 1000), latencyMs: at - due, status, label });
      if (--open === 0 && issued === total) drained?.();
    };
    const headers = { accept: 'application/json', ...shot.headers, ...(shot.body ? { 'content-length': String(shot.body.length) } : {}) };
    const request = http.request({ host, port, path: shot.path, method: shot.method ?? 'GET', agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => void (classify && chunks.push(chunk)));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        finish(status, classify?.(shot, status, Buffer.concat(chunks).toString('utf8')));
      });
      response.on('error', () => finish(0, 'response error'));
    });
    request.setTimeout(10_000, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => finish(0, error.message === 'timeout' ? 'timeout' : 'socket error'));
    request.end(shot.body);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (issued < due) {
        const dueAt = start + (issued * 1000) / rate;
        const shot = next(issued);
        issued++;
        fire(shot, dueAt);
      }
      if (issued < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  if (open > 0) await Promise.race([allDrained, sleep(11_000)]);
  if (!options.agent) agent.destroy();
  return { rate, seconds, sent: issued, outcomes, sendLagMs, wallSeconds: (Math.max(lastDone, start + seconds * 1000) - start) / 1000 };
}

/** The p-th percentile of sorted values (nearest rank); NaN when there are none. */
export const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export interface Latency {
  requests: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Latency percentiles of the answered requests (status ≠ 0); `requests` counts them all. */
export function latency(outcomes: readonly Outcome[]): Latency {
  const sorted = Float64Array.from(outcomes.filter((outcome) => outcome.status !== 0).map((outcome) => outcome.latencyMs)).sort();
  return {
    requests: outcomes.length,
    p50: round(percentile(sorted, 50), 2),
    p90: round(percentile(sorted, 90), 2),
    p99: round(percentile(sorted, 99), 2),
    p999: round(percentile(sorted, 99.9), 2),
    max: round(sorted.at(-1) ?? NaN, 2),
  };
}

export const countBy = <T>(items: readonly T[], key: (item: T) => string | undefined): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const name = key(item);
    if (name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
};
