/**
 * A store for @fastify/rate-limit over the project's Redis client (node-redis), so every replica counts a token
 * against one limit. The plugin's own Redis store expects ioredis; this is the same fixed window with the
 * node-redis API: one Lua script per request, atomic across replicas — INCR the token's counter, start its
 * window (PEXPIRE) on the first request of a window, and answer the count and the milliseconds left.
 *
 * Redis unreachable or slow: the command fails within `commandTimeoutMs` (nothing is queued while
 * disconnected) and the plugin lets the request through (`skipOnError`): a rate-limit outage does not take
 * the API down. The client reconnects by itself. `onUnavailable` / `onRecovered` are told when the store stops
 * and starts answering (a log line each), `onError` of every failure (a metric).
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { createClient, type RedisClientType } from 'redis';

export type RateLimitRedis = RedisClientType;

const WINDOW_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

export interface RedisRateLimitStoreOptions {
  /** Prefix of the counters' keys; default `omnia:query-rate-limit:`. */
  keyPrefix?: string;
  /** Longest wait for Redis' answer; default 250 ms. */
  commandTimeoutMs?: number;
  /** Told when the store stops answering (once, not per request)… */
  onUnavailable?: (error: unknown) => void;
  /** …and when it answers again. */
  onRecovered?: () => void;
  /** Told of every failed request count, for a metric. */
  onError?: (error: unknown) => void;
}

/** The store class the plugin instantiates (`store:` option), bound to a connected client. */
export function redisRateLimitStore(client: RateLimitRedis, options: RedisRateLimitStoreOptions = {}): FastifyRateLimitStoreCtor {
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  // Also a command already sent is given up on after the timeout: a Redis that hangs must not hold requests.
  const timed = client.withCommandOptions({ timeout: commandTimeoutMs, rejectInFlight: true });
  let failing = false;
  class RedisRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _params?: unknown,
      private readonly keyPrefix = options.keyPrefix ?? 'omnia:query-rate-limit:',
    ) {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      timed.eval(WINDOW_SCRIPT, { keys: [this.keyPrefix + key], arguments: [String(timeWindow)] }).then(
        (reply) => {
          if (failing) {
            failing = false;
            options.onRecovered?.();
          }
          const [current, ttl] = reply as [number, number];
          callback(null, { current, ttl });
        },
        (error: unknown) => {
          options.onError?.(error);
          if (!failing) {
            failing = true;
            options.onUnavailable?.(error);
          }
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    }

    /** A route with a limit of its own counts in its own keys. */
    child(routeOptions: { method?: unknown; url?: string }): FastifyRateLimitStore {
      return new RedisRateLimitStore(undefined, `${this.keyPrefix}${String(routeOptions.method)}${routeOptions.url ?? ''}:`);
    }
  }
  return RedisRateLimitStore;
}

/** `redis://user:secret@host` → `redis://user:***@host`, for messages. */
export const redactedUrl = (url: string): string => url.replace(/^(\w+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');

/** A client for the store, connected now so a wrong URL stops the service at start rather than being skipped on every request. */
export async function connectRateLimitRedis(url: string, connectTimeoutMs = 2_000, what = 'rate-limit'): Promise<RateLimitRedis> {
  let connectedOnce = false;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      // Before the first connection a failure ends connect(); after it, reconnect for ever.
      reconnectStrategy: (retries, cause) => (connectedOnce ? Math.min(50 * 2 ** retries, 2_000) : cause),
    },
  });
  client.on('ready', () => (connectedOnce = true));
  // Without a listener the client's errors (a dropped connection while reconnecting) would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    throw new Error(`cannot connect to the ${what} Redis at ${redactedUrl(url)}: ${(error as Error).message}`, { cause: error });
  }
  return client;
}
