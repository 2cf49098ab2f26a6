/**
 * How a partner simulator calls Omnia's webhook ingress: each callback is a signed JSON request (the shared
 * contract of connectors/signature.ts) to one of the ingress's routes (connectors/webhook-server.ts),
 * retried a few times on a 5xx or no connection, as partners do. Fault injection from the simulator's Faults:
 * `duplicateCallbackRate` sends that fraction of callbacks twice (same body, so the same EventID; a fresh nonce,
 * as a partner's retry would have); `outOfOrderCallbacks` shuffles the callbacks of one sequence.
 */
import type { Faults } from './partner-server.js';
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
  /** Attempts per callback (5xx or no connection is retried; 4xx is not: the receiver refused it). */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
  /** Pause between the callbacks of one sequence. */
  readonly intervalMs?: number;
}

export class WebhookSender {
  /** Callbacks by result: `delivered`, `refused-<status>`, `failed`, `duplicate-sent`, `reordered-sequences`. */
  readonly results = new Map<string, number>();
  /** Every body delivered (2xx), in delivery order, duplicates included. */
  readonly delivered: unknown[] = [];

  constructor(
    private target: WebhookTarget | undefined,
    private readonly faults: Faults,
    private readonly random: () => number,
    private readonly options: WebhookSenderOptions = {},
  ) {}

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
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(`${target.url.replace(/\/+$/, '')}${callback.path}`, {
          method: callback.method,
          headers: { 'content-type': 'application/json', ...signWebhook(target.secret, raw) },
          body: raw,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
        });
        await response.text().catch(() => '');
        if (response.ok) {
          this.count('delivered');
          this.delivered.push(callback.body);
          return true;
        }
        if (response.status < 500) {
          this.count(`refused-${response.status}`);
          return false;
        }
      } catch {
        // no connection or no answer: retried like a 5xx
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, (this.options.retryDelayMs ?? 100) * attempt));
    }
    this.count('failed');
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
