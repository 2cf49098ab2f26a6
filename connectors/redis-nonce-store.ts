/**
 * Nonces shared by every ingress replica, in Redis: behind a load balancer a captured request replayed to
 * another replica within the window is refused too, which a per-process NonceCache cannot do.
 *
 * One key per nonce, `<prefix><partner>:<nonce>`, holding the states of `nonce-cache.ts`:
 * `held:<lease end, ms>:<holder>:<digest>` while an attempt checks and publishes its request, then
 * `spent::<holder>:<digest>`. Claim, spend and release are each one small Lua script, so each is atomic across
 * replicas; the key expires by itself when no request carrying it could pass the timestamp check any more (twice
 * the window after it was first claimed; a takeover keeps that expiry). A key from before these states (`1`) reads
 * as spent. There is no capacity to fill: Redis' own maxmemory bounds it (use a `volatile-ttl` or `noeviction`
 * policy; an evicted live nonce reopens its replay window).
 *
 * The scripts are sent whole (EVAL, not EVALSHA): a claim whose answer was late is followed on the same
 * connection by its release, and Redis runs them in that order — an EVALSHA answered NOSCRIPT would send the
 * claim again after the release.
 *
 * Redis unreachable or slow: the command throws and the ingress answers 503 (the partner retries), rather than
 * accepting a request whose replay it cannot rule out. Commands are not queued while disconnected, so a
 * request fails within `commandTimeoutMs` instead of waiting for a reconnect.
 *
 * Every command goes through cockatiel policies, outer to inner:
 * - **retry**, only of a command the client refused because it was not connected (it never reached Redis; and a
 *   claim sent twice by the same holder is claimed, not replayed): 2 more tries, 50 ms then 100 ms, ±20 %;
 * - **circuit breaker** (consecutive): after `breakerFailures` failed commands in a row Redis is not asked for
 *   `breakerCoolDownMs` (requests get their 503 at once instead of each waiting out the timeout), then one probe
 *   command closes it again when Redis answers;
 * - **timeout** of `commandTimeoutMs` (aggressive: the answer is not waited for past it).
 * A lost connection, a breaker move and the connection coming back are logged once each.
 */
import {
  circuitBreaker,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  handleAll,
  handleType,
  retry,
  type RetryPolicy,
  timeout,
  type TimeoutPolicy,
  TimeoutStrategy,
} from 'cockatiel';
import { ClientOfflineError, createClient } from 'redis';
import { type Logger, logger as rootLogger } from '../observability/logger.js';
import { type ClaimResult, type NonceClaim, type NonceStore, nonceTtlMs } from './nonce-cache.js';
import { jitteredBackoff, watchBreaker } from './resilience.js';

export interface RedisNonceStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  readonly url: string;
  /** How long a nonce is remembered, ms: twice the timestamp window. */
  readonly ttlMs: number;
  readonly keyPrefix?: string;
  /** Longest wait for Redis' answer to one command; default 1000. */
  readonly commandTimeoutMs?: number;
  /** Longest wait to open a connection; default the command timeout. */
  readonly connectTimeoutMs?: number;
  /** Consecutive failed commands that open the circuit breaker; default 5. */
  readonly breakerFailures?: number;
  /** How long the open breaker refuses commands before one probe; default 1000. */
  readonly breakerCoolDownMs?: number;
  /** Default the project logger (component redis-nonce-store). */
  readonly logger?: Logger;
}

// KEYS[1] the nonce; ARGV holder, digest, now (ms), lease (ms), ttl (ms). 1 claimed, 0 replayed, 2 in progress.
const CLAIM = `
local held = 'held:' .. (tonumber(ARGV[3]) + tonumber(ARGV[4])) .. ':' .. ARGV[1] .. ':' .. ARGV[2]
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], held, 'PX', ARGV[5])
  return 1
end
local heldUntil, holder, digest = string.match(current, '^held:(%d+):([^:]*):(.*)$')
if not heldUntil or digest ~= ARGV[2] then return 0 end
if holder ~= ARGV[1] and tonumber(heldUntil) > tonumber(ARGV[3]) then return 2 end
redis.call('SET', KEYS[1], held, 'KEEPTTL')
return 1`;

// KEYS[1] the nonce; ARGV holder, digest. 1 when the holder still held it.
const SPEND = `
local current = redis.call('GET', KEYS[1])
if current and string.match(current, '^held:%d+:([^:]*):') == ARGV[1] then
  redis.call('SET', KEYS[1], 'spent::' .. ARGV[1] .. ':' .. ARGV[2], 'KEEPTTL')
  return 1
end
return 0`;

// KEYS[1] the nonce; ARGV holder. 1 when the holder still held it.
const RELEASE = `
local current = redis.call('GET', KEYS[1])
if current and string.match(current, '^held:%d+:([^:]*):') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

const CLAIM_RESULTS: Readonly<Record<number, ClaimResult>> = { 0: 'replayed', 1: 'claimed', 2: 'in-progress' };

/** A claim or release Redis did not answer: the ingress cannot tell a replay apart, so it refuses for now. */
export class NonceStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`nonce store unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'NonceStoreUnavailableError';
  }
}

export class RedisNonceStore implements NonceStore {
  private readonly client: ReturnType<typeof createClient>;
  private readonly keyPrefix: string;
  private readonly commandTimeoutMs: number;
  /** Shared by every command of this store: Redis is one dependency. */
  readonly breaker: CircuitBreakerPolicy;
  private readonly retry: RetryPolicy;
  private readonly timeout: TimeoutPolicy;
  private readonly log: Logger;
  /** False from a lost connection until the client is ready again (one log line each way). */
  private connected = false;
  /**
   * This replica's claims per second they expire in, oldest first (one TTL for all), for `size`: at most one
   * entry per second of the TTL whatever the rate, and trimmed on every claim, not only when metrics are read.
   */
  private readonly claimsExpiringAt = new Map<number, number>();
  private connectedOnce = false;

  private constructor(private readonly options: RedisNonceStoreOptions) {
    if (!(options.ttlMs > 0)) throw new Error(`nonce ttl must be positive, got ${options.ttlMs}`);
    this.keyPrefix = options.keyPrefix ?? 'omnia:webhook-nonce:';
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1_000;
    const url = redactedUrl(options.url);
    this.log = (options.logger ?? rootLogger.child({ component: 'redis-nonce-store' })).child({ store: url });
    const breakerFailures = options.breakerFailures ?? 5;
    const breakerCoolDownMs = options.breakerCoolDownMs ?? 1_000;
    this.breaker = circuitBreaker(handleAll, { halfOpenAfter: breakerCoolDownMs, breaker: new ConsecutiveBreaker(breakerFailures) });
    watchBreaker(this.breaker, this.log, { dependency: 'redis', failureThreshold: breakerFailures }, { coolDownMs: breakerCoolDownMs });
    this.retry = retry(handleType(ClientOfflineError), {
      maxAttempts: 2,
      backoff: jitteredBackoff({ baseDelayMs: 50, maxDelayMs: 200, jitter: 0.2 }),
    });
    this.timeout = timeout(this.commandTimeoutMs, TimeoutStrategy.Aggressive);
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeoutMs ?? this.commandTimeoutMs,
        // Before the first connection a failure ends connect() (a wrong URL); after it, reconnect for ever.
        reconnectStrategy: (retries, cause) => (this.connectedOnce ? Math.min(50 * 2 ** retries, 2_000) : cause),
      },
    });
    this.client.on('ready', () => {
      if (this.connectedOnce && !this.connected) this.log.info('nonce store connection back: claims are checked again');
      this.connectedOnce = true;
      this.connected = true;
    });
    // Without a listener the client's errors (a dropped connection while reconnecting) would crash the process.
    // They repeat on every reconnect attempt: only the first of an outage is logged.
    this.client.on('error', (error: unknown) => {
      if (!this.connected) return;
      this.connected = false;
      this.log.error(
        { err: error },
        'nonce store connection lost: webhook requests get 503 NONCE_STORE_UNAVAILABLE until it is back (reconnecting)',
      );
    });
  }

  /** Connects first, so a wrong URL stops the ingress at start rather than failing every request. */
  static async connect(options: RedisNonceStoreOptions): Promise<RedisNonceStore> {
    const store = new RedisNonceStore(options);
    try {
      await store.client.connect();
    } catch (error) {
      store.client.destroy();
      throw new Error(`cannot connect to the nonce store at ${redactedUrl(options.url)}: ${(error as Error).message}`, { cause: error });
    }
    return store;
  }

  /** For a timestamp window of `toleranceSeconds` either way. */
  static forWindow(
    url: string,
    toleranceSeconds: number,
    options: Omit<RedisNonceStoreOptions, 'url' | 'ttlMs'> = {},
  ): Promise<RedisNonceStore> {
    return RedisNonceStore.connect({ url, ttlMs: nonceTtlMs(toleranceSeconds), ...options });
  }

  /** This replica's claims still remembered (the shared store holds every replica's). */
  get size(): number {
    this.forgetExpired();
    let live = 0;
    for (const count of this.claimsExpiringAt.values()) live += count;
    return live;
  }

  async claim(claim: NonceClaim, nowMs: number): Promise<ClaimResult> {
    const answer = await this.command(() =>
      this.client.eval(CLAIM, {
        keys: [this.keyPrefix + claim.key],
        // Whole ms: the lease end is read back as digits.
        arguments: [claim.holder, claim.digest, String(Math.floor(nowMs)), String(Math.floor(claim.leaseMs)), String(this.options.ttlMs)],
      }),
    );
    const result = CLAIM_RESULTS[Number(answer)];
    if (!result) throw new NonceStoreUnavailableError(new Error(`unexpected answer to a nonce claim: ${String(answer)}`));
    if (result !== 'claimed') return result;
    this.forgetExpired();
    const second = Math.ceil((Date.now() + this.options.ttlMs) / 1000);
    this.claimsExpiringAt.set(second, (this.claimsExpiringAt.get(second) ?? 0) + 1);
    return result;
  }

  async spend(claim: NonceClaim): Promise<boolean> {
    const answer = await this.command(() =>
      this.client.eval(SPEND, { keys: [this.keyPrefix + claim.key], arguments: [claim.holder, claim.digest] }),
    );
    return Number(answer) === 1;
  }

  private forgetExpired(): void {
    const now = Date.now() / 1000;
    for (const second of this.claimsExpiringAt.keys()) {
      if (second > now) return;
      this.claimsExpiringAt.delete(second);
    }
  }

  async release(claim: NonceClaim): Promise<void> {
    await this.command(() => this.client.eval(RELEASE, { keys: [this.keyPrefix + claim.key], arguments: [claim.holder] }));
  }

  async close(): Promise<void> {
    this.connected = false; // a closing client's errors are not an outage
    if (!this.client.isOpen) return;
    // A graceful close waits for the answers still due: not past the command timeout (Redis may be stuck).
    await this.timeout
      .execute(() => this.client.close())
      .catch((error: unknown) => {
        this.log.debug({ err: error }, 'nonce store connection not closed cleanly; destroyed');
        this.client.destroy();
      });
  }

  private async command<T>(run: () => Promise<T>): Promise<T> {
    try {
      // retry → breaker → timeout, nested by hand (wrap() would hang every command's timeout on one shared signal).
      return await this.retry.execute(() => this.breaker.execute(() => this.timeout.execute(() => run())));
    } catch (error) {
      throw new NonceStoreUnavailableError(error);
    }
  }
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
