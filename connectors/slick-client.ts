/**
 * Slick's REST API as the egress connector uses it: one HTTP call per method, no retries (the connector owns
 * retries and the circuit breaker). Every call carries the bearer token and an `Idempotency-Key`, so a retried
 * call is accepted by Slick once:
 *
 * - `POST /v1/releases`, Idempotency-Key = ReleaseID, body = the Release record (its JSON view, domain.md §8).
 * - `POST /v1/collections`, Idempotency-Key = `COLLECTED-<OrderID>`, body = `{OrderID, ShipFromLocationID,
 *   Amount, CollectedAt}`: the delivery partner confirmed the COD cash (PaymentStatus `Collected`).
 *
 * Answers: 201 = accepted now; 200 = Slick already had this key (a duplicate, delivered before); 408, 429 and
 * 5xx = Slick is unwell (retry, counts against the breaker); other 4xx = Slick refuses the request itself (retry,
 * but Slick is up: does not open the breaker). No answer within `timeoutMs`, or no connection, is unwell too.
 */
import type { PaymentEvent, Release } from '../avro/records.js';

export interface SlickClientOptions {
  /** Base URL, e.g. https://slick.example.com (no trailing /v1). */
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
}

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

  constructor(private readonly options: SlickClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  sendRelease(release: Release): Promise<SlickAnswer> {
    return this.post('/v1/releases', release.ReleaseID, release);
  }

  confirmCollection(collection: CollectionConfirmation): Promise<SlickAnswer> {
    return this.post('/v1/collections', collectionKey(collection.OrderID), collection);
  }

  private async post(path: string, idempotencyKey: string, body: unknown): Promise<SlickAnswer> {
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
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new SlickCallError(describeFetchError(error, this.options.timeoutMs), null, true);
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

function describeFetchError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return (error as Error).message ?? String(error);
}
