/**
 * How a partner simulator calls Omnia's webhook ingress: each callback is a signed JSON request (the shared
 * contract of connectors/signature.ts) to one of the ingress's routes (connectors/webhook-server.ts),
 * retried a few times on a 5xx or no connection, as partners do: a cockatiel retry (`attempts` in all, delays
 * `retryDelayMs`, then doubled, ±20 %) around a cockatiel timeout of `timeoutMs` per attempt (it aborts the
 * request). Every attempt is signed afresh (a new nonce). Fault injection from the simulator's Faults:
 * `duplicateCallbackRate` sends that fraction of callbacks twice (same body, so the same EventID; a fresh nonce,
 * as a partner's retry would have); `outOfOrderCallbacks` shuffles the callbacks of one sequence.
 */
import { handleAll, retry, type RetryPolicy, timeout, type TimeoutPolicy, TimeoutStrategy } from 'cockatiel';
import { type Logger, logger as rootLogger } from '../../observability/logger.js';
import type { Faults } from './partner-server.js';
import { jitteredBackoff } from '../resilience.js';
import { signWebhook } from '../signature.js';

export interface WebhookTarget {
  /** Base URL of the webhook ingress (http://127.0.0.1:8090); the route path is added per callback. */
  readonly url: string;
  /** This partner's signing secret. */
  readonly secret: string;
}

/** One callback: the ingress route and the JSON body. */
export interface Callback {
  readonly method: 'POST' | 'PUT';
  readonly path: string;
  readonly body: unknown;
}

export interface WebhookSenderOptions {
  /** Attempts per callback (5xx or no connection is retried; 4xx is not: the receiver refused it); default 3. */
  readonly attempts?: number;
  /** First retry delay, doubled after each failure, ±20 %; default 100. */
  readonly retryDelayMs?: number;
  /** Longest wait for one attempt's answer; default 5000. */
  readonly timeoutMs?: number;
  /** Pause between the callbacks of one sequence. */
  readonly intervalMs?: number;
}

export class WebhookSender {
  /** Callbacks by result: `delivered`, `refused-<status>`, `failed`, `duplicate-sent`, `reordered-sequences`. */
  readonly results = new Map<string, number>();
  /** Every body delivered (2xx), in delivery order, duplicates included. */
  readonly delivered: unknown[] = [];
  /** Retries a thrown error (no connection, no answer) or a 5xx answer. */
  private readonly retry: RetryPolicy;
  /** Per attempt, inside the retry. */
  private readonly timeout: TimeoutPolicy;

  constructor(
    private target: WebhookTarget | undefined,
    private readonly faults: Faults,
    private readonly random: () => number,
    private readonly options: WebhookSenderOptions = {},
    private readonly log: Logger = rootLogger.child({ component: 'webhook-sender' }),
  ) {
    const attempts = options.attempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`attempts must be an integer >= 1, got ${attempts}`);
    const baseDelayMs = options.retryDelayMs ?? 100;
    this.retry = retry(
      handleAll.orWhenResult((status) => (status as number) >= 500),
      {
        maxAttempts: attempts - 1,
        backoff: jitteredBackoff({ baseDelayMs, maxDelayMs: Math.max(baseDelayMs, 30_000), jitter: 0.2 }),
      },
    );
    this.timeout = timeout(options.timeoutMs ?? 5_000, TimeoutStrategy.Cooperative);
  }

  setTarget(target: WebhookTarget): void {
    this.target = target;
  }

  resultsOf(result: string): number {
    return this.results.get(result) ?? 0;
  }

  /** Sends the callbacks of one sequence (one order's steps), applying the callback faults. */
  async sendSequence(callbacks: readonly Callback[]): Promise<void> {
    let order = [...callbacks];
    if (this.faults.outOfOrderCallbacks && order.length > 1) {
      order = shuffled(order, this.random);
      this.count('reordered-sequences');
    }
    for (const [index, callback] of order.entries()) {
      if (index > 0 && this.options.intervalMs) await new Promise((resolve) => setTimeout(resolve, this.options.intervalMs));
      await this.send(callback);
      if (this.faults.duplicateCallbackRate > 0 && this.random() < this.faults.duplicateCallbackRate) {
        this.count('duplicate-sent');
        await this.send(callback);
      }
    }
  }

  /** One callback; resolves true when the webhook answered 2xx. */
  async send(callback: Callback): Promise<boolean> {
    const target = this.target;
    if (!target) throw new Error('no webhook URL configured for this simulator');
    const raw = JSON.stringify(callback.body);
    const url = `${target.url.replace(/\/+$/, '')}${callback.path}`;
    const event = callback.body as { EventID?: unknown; OrderID?: unknown } | null;
    const fields = { path: callback.path, EventID: event?.EventID, OrderID: event?.OrderID };
    let status: number;
    try {
      status = await this.retry.execute(() =>
        this.timeout.execute(async ({ signal }) => {
          const response = await fetch(url, {
            method: callback.method,
            headers: { 'content-type': 'application/json', ...signWebhook(target.secret, raw) },
            body: raw,
            signal,
          });
          await response.text().catch(() => '');
          return response.status;
        }),
      );
    } catch (error) {
      this.count('failed');
      this.log.warn({ ...fields, err: error }, 'callback not delivered: no answer from the webhook ingress');
      return false;
    }
    if (status >= 200 && status < 300) {
      this.count('delivered');
      this.delivered.push(callback.body);
      return true;
    }
    if (status >= 500) {
      this.count('failed');
      this.log.warn({ ...fields, status }, 'callback not delivered: the webhook ingress kept answering 5xx');
      return false;
    }
    this.count(`refused-${status}`);
    this.log.warn({ ...fields, status }, 'callback refused by the webhook ingress');
    return false;
  }

  private count(result: string): void {
    this.results.set(result, (this.results.get(result) ?? 0) + 1);
  }
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  // A shuffle that happens to keep the order is reversed instead, so "out of order" always is.
  return out.every((item, index) => item === items[index]) ? out.reverse() : out;
}
