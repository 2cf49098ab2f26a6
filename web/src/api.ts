/**
 * The app's one way to the service: JSON over fetch with the bearer token. Every failure becomes an ApiError
 * with the service's code (`{ error: { code, message, details } }`), or NETWORK when no answer came. A 401
 * ends the session (the app returns to sign-in saying why), as does a 403 on a read (a token without a role the
 * service knows); a 429 is waited out and retried once when the wait is short. Every outcome tells the
 * reachability monitor whether the service answered (the offline view).
 */
import type { ErrorBody, FieldError } from './api-types.js';
import { isUnreachable } from './logic/offline.js';
import { reachability } from './reachability.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds, from Retry-After on a 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The failing fields of a VALIDATION_FAILED, when the service listed them. */
  get fields(): string[] {
    if (!Array.isArray(this.details)) return [];
    return (this.details as Partial<FieldError>[])
      .map((detail) => detail.field)
      .filter((field): field is string => typeof field === 'string');
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT';
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const MAX_AUTOMATIC_WAIT_S = 5;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

export class Api {
  constructor(
    private readonly token: string,
    /** Called on a 401: the token is no longer good. */
    private readonly onUnauthorized: (code: string) => void,
    private readonly base = '/api/v1',
  ) {}

  get bearer(): string {
    return `Bearer ${this.token}`;
  }

  url(path: string, query?: Record<string, string | undefined>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') params.set(key, value);
    const search = params.toString();
    return `${this.base}${path}${search ? `?${search}` : ''}`;
  }

  async request<T>(url: string, options: RequestOptions = {}, retried = false): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: options.method ?? 'GET',
        headers: {
          accept: 'application/json',
          authorization: this.bearer,
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? null : JSON.stringify(options.body),
        signal: options.signal ?? null,
        cache: 'no-store',
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      reachability.report(false);
      throw new ApiError(0, 'NETWORK', error instanceof Error ? error.message : 'no answer');
    }
    if (response.ok) {
      reachability.report(true);
      return (await response.json()) as T;
    }

    let body: Partial<ErrorBody> | undefined;
    try {
      body = (await response.json()) as Partial<ErrorBody>;
    } catch {
      body = undefined;
    }
    reachability.report(!isUnreachable(response.status, body?.error?.code !== undefined));
    const code = body?.error?.code ?? (response.status >= 500 ? 'SERVER' : `HTTP_${response.status}`);
    const message = body?.error?.message ?? response.statusText;
    const retryAfter = response.headers.has('retry-after') ? Number(response.headers.get('retry-after')) || 1 : undefined;
    if (response.status === 401) this.onUnauthorized(code);
    // A token the service reads but gives no role it knows: nothing in the app will work with it.
    else if (response.status === 403 && (options.method ?? 'GET') === 'GET') this.onUnauthorized('FORBIDDEN');
    if (response.status === 429 && !retried && retryAfter !== undefined && retryAfter <= MAX_AUTOMATIC_WAIT_S) {
      await sleep(retryAfter * 1000, options.signal);
      return this.request<T>(url, options, true);
    }
    throw new ApiError(response.status, code, message, body?.error?.details, retryAfter);
  }

  get<T>(path: string, query?: Record<string, string | undefined>, signal?: AbortSignal): Promise<T> {
    return this.request<T>(this.url(path, query), signal ? { signal } : {});
  }

  post<T>(path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<T> {
    return this.request<T>(this.url(path), { method: 'POST', body, headers, ...(signal && { signal }) });
  }

  put<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.request<T>(this.url(path), { method: 'PUT', body, headers });
  }
}
