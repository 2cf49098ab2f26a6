/**
 * Slick's REST API as the egress connector uses it: one HTTP call per method, no retries (slick-delivery.ts owns
 * retries and the circuit breaker). Every call carries the bearer token and an `Idempotency-Key`, so a retried
 * call is accepted by Slick once:
 *
 * - `POST /v1/releases`, Idempotency-Key = ReleaseID, body = the Release record (its JSON view, docs/contract.md §8).
 * - `POST /v1/collections`, Idempotency-Key = `COLLECTED-<OrderID>`, body = `{OrderID, ShipFromLocationID,
 *   Amount, CollectedAt}`: the delivery partner confirmed the COD cash (PaymentStatus `Collected`).
 *
 * Each HTTP call goes through two cockatiel policies: a bulkhead (at most `maxConcurrentCalls` calls in flight to
 * Slick; more wait their turn, in order) and, inside it, a cooperative timeout of `timeoutMs` that aborts the
 * request (its wait for a bulkhead slot does not count).
 *
 * Answers: 201 = accepted now; 200 = Slick already had this key (a duplicate, delivered before); 408, 429 and
 * 5xx = Slick is unwell (retry, counts against the breaker); other 4xx = Slick refuses the request itself (retry,
 * but Slick is up: does not open the breaker). No answer within `timeoutMs`, or no connection, is unwell too.
 */
import { bulkhead, type BulkheadPolicy, timeout, type TimeoutPolicy, TimeoutStrategy } from 'cockatiel';
import type { PaymentEvent, Release } from '../avro/records.js';

export interface SlickClientOptions {
  /** Base URL, e.g. https://slick.example.com (no trailing /v1). */
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
  /** Most calls in flight to Slick at once (the bulkhead); default 16. */
  readonly maxConcurrentCalls?: number;
}

export const DEFAULT_MAX_CONCURRENT_CALLS = 16;

export interface CollectionConfirmation {
  readonly OrderID: string;
  readonly ShipFromLocationID: string;
  readonly Amount: string;
  readonly CollectedAt: string;
}

export type SlickAnswer = { readonly outcome: 'ACCEPTED' | 'DUPLICATE'; readonly status: number };

/** A call that did not succeed. `partnerFault` is false when Slick answered but refused the request (4xx). */
export class SlickCallError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly partnerFault: boolean,
  ) {
    super(message);
    this.name = 'SlickCallError';
  }
}

export interface SlickApi {
  sendRelease(release: Release): Promise<SlickAnswer>;
  confirmCollection(collection: CollectionConfirmation): Promise<SlickAnswer>;
}

export const collectionKey = (orderId: string): string => `COLLECTED-${orderId}`;

export function collectionOf(payment: PaymentEvent): CollectionConfirmation {
  return { OrderID: payment.OrderID, ShipFromLocationID: payment.ShipFromLocationID, Amount: payment.Amount, CollectedAt: payment.At };
}

export class SlickClient implements SlickApi {
  private readonly base: string;
  /** Bounds the calls in flight to Slick. Its queue is unbounded: the callers are (one per partition or store lane). */
  readonly bulkhead: BulkheadPolicy;
  private readonly timeout: TimeoutPolicy;

  constructor(private readonly options: SlickClientOptions) {
    const limit = options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS;
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxConcurrentCalls must be an integer >= 1, got ${limit}`);
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.bulkhead = bulkhead(limit, Number.POSITIVE_INFINITY);
    this.timeout = timeout(options.timeoutMs, TimeoutStrategy.Cooperative);
  }

  sendRelease(release: Release): Promise<SlickAnswer> {
    return this.post('/v1/releases', release.ReleaseID, release);
  }

  confirmCollection(collection: CollectionConfirmation): Promise<SlickAnswer> {
    return this.post('/v1/collections', collectionKey(collection.OrderID), collection);
  }

  private post(path: string, idempotencyKey: string, body: unknown): Promise<SlickAnswer> {
    // Nested rather than wrap()ped: the timeout's signal then has no parent to listen to (a call is never cancelled
    // from outside: a stop lets calls in flight finish).
    return this.bulkhead.execute(() => this.timeout.execute(({ signal }) => this.send(path, idempotencyKey, body, signal)));
  }

  /** One HTTP call; `signal` is the timeout's (aborted when `timeoutMs` passed). */
  private async send(path: string, idempotencyKey: string, body: unknown, signal: AbortSignal): Promise<SlickAnswer> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.token}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw new SlickCallError(signal.aborted ? `no answer within ${this.options.timeoutMs} ms` : describeFetchError(error), null, true);
    }
    // The body is read (and dropped) so the connection goes back to the pool.
    const text = await response.text().catch(() => '');
    if (response.status === 201) return { outcome: 'ACCEPTED', status: 201 };
    if (response.status === 200) return { outcome: 'DUPLICATE', status: 200 };
    const partnerFault = response.status >= 500 || response.status === 408 || response.status === 429;
    const detail = text ? `: ${text.slice(0, 200)}` : '';
    throw new SlickCallError(`HTTP ${response.status} from POST ${path}${detail}`, response.status, partnerFault);
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return (error as Error).message ?? String(error);
}
