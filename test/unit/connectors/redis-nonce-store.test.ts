// The Redis nonce store's policies against a Redis stand-in the test controls (enough RESP for node-redis):
// a command Redis does not answer fails at the timeout and the ingress answers 503 NONCE_STORE_UNAVAILABLE;
// after N such failures the breaker answers at once without asking Redis; a probe after the cool-down closes it.
// A lost connection and its return are logged once each, the URL without its password.
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import t from 'tap';
import type { NonceClaim } from '../../../connectors/nonce-cache.js';
import { NonceStoreUnavailableError, RedisNonceStore } from '../../../connectors/redis-nonce-store.js';
import { signWebhook } from '../../../connectors/signature.js';
import { buildWebhookServer, WEBHOOK_ROUTES } from '../../../connectors/webhook-server.js';
import { capturingLogger, until } from './helpers.js';

/** Splits complete RESP arrays of bulk strings off `buffer`; returns them and what is left. */
function commands(buffer: Buffer): [string[][], Buffer] {
  const out: string[][] = [];
  let at = 0;
  parse: while (at < buffer.length) {
    let cursor = at;
    const line = () => {
      const end = buffer.indexOf('\r\n', cursor);
      if (end < 0) return undefined;
      const text = buffer.subarray(cursor + 1, end).toString();
      cursor = end + 2;
      return text;
    };
    const count = line();
    if (count === undefined) break;
    const args: string[] = [];
    for (let i = 0; i < Number(count); i++) {
      const length = line();
      if (length === undefined || cursor + Number(length) + 2 > buffer.length) break parse;
      args.push(buffer.subarray(cursor, cursor + Number(length)).toString());
      cursor += Number(length) + 2;
    }
    out.push(args);
    at = cursor;
  }
  return [out, buffer.subarray(at)];
}

/** Answers HELLO, a script with 1 (claimed, spent, released), anything else with +OK; while `hang()`ed it holds its answers (Redis stuck), `resume()` sends them. */
class StandInRedis {
  private answering = true;
  private readonly held = new Map<Socket, string[]>();
  readonly seen: string[][] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      // A reconnect accepted while stopping would hold server.close() open for good: dropped at once.
      if (!this.server) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        const [parsed, rest] = commands(Buffer.concat([pending, chunk]));
        pending = rest;
        for (const command of parsed) {
          this.seen.push(command);
          const name = command[0]!.toUpperCase();
          const answer = name === 'EVAL' ? ':1\r\n' : '+OK\r\n';
          if (name === 'HELLO') socket.write('%3\r\n+server\r\n+redis\r\n+version\r\n+7.2.0\r\n+proto\r\n:3\r\n');
          else if (this.answering) socket.write(answer);
          else this.held.set(socket, [...(this.held.get(socket) ?? []), answer]);
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    // Whatever a failed test leaves behind, the stand-in never holds the test file open.
    this.server.unref();
    this.port = (this.server.address() as { port: number }).port;
  }

  hang(): void {
    this.answering = false;
  }

  /** Answers what it held back, in order, and everything from now on. */
  resume(): void {
    this.answering = true;
    for (const [socket, answers] of this.held) if (!socket.destroyed) socket.write(answers.join(''));
    this.held.clear();
  }

  /** Every connection dropped and the listener closed, as when Redis dies. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Stop accepting first, then drop every connection, so none accepted in between outlives the close.
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  scripts(): number {
    return this.seen.filter((command) => command[0]!.toUpperCase() === 'EVAL').length;
  }
}

async function setup(t: { teardown(fn: () => Promise<void>): void }) {
  const redis = new StandInRedis();
  await redis.start();
  const { logger, lines, text } = capturingLogger();
  const store = await RedisNonceStore.connect({
    url: `redis://:hunter2-secret@127.0.0.1:${redis.port}`,
    ttlMs: 600_000,
    commandTimeoutMs: 150,
    // Commands time out fast here; the connection, on a loaded machine, may take longer to open.
    connectTimeoutMs: 5_000,
    breakerFailures: 3,
    breakerCoolDownMs: 400,
    logger,
  }).catch(async (error: unknown) => {
    // A listener left open would hold the test file until its timeout.
    await redis.stop();
    throw error;
  });
  t.teardown(async () => {
    await store.close();
    await redis.stop();
  });
  return { redis, store, lines, text };
}

/** A new attempt's claim on `key`. */
const claimOf = (key: string): NonceClaim => ({ key, digest: 'digest', holder: randomUUID(), leaseMs: 15_000 });
const claim = (store: RedisNonceStore, key: string) => store.claim(claimOf(key), Date.now());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

t.test('timeout, breaker open after 3 failures (answered at once, Redis not asked), probe closes it', async (t) => {
  const { redis, store, lines, text } = await setup(t);
  t.equal(await claim(store, 'pmp:nonce-1'), 'claimed', 'claimed while Redis answers');

  redis.hang();
  for (let i = 0; i < 3; i++) {
    const started = Date.now();
    const error = await failure(claim(store, `pmp:slow-${i}`));
    const elapsed = Date.now() - started;
    t.ok(error instanceof NonceStoreUnavailableError, `claim ${i + 1} refused as unavailable`);
    t.ok(elapsed >= 140, `after the 150 ms timeout (${elapsed} ms)`);
  }
  t.equal(redis.scripts(), 4, 'each of them reached Redis');
  t.equal(lines.filter((line) => /closed → open/.test(line.msg)).length, 1, 'the opening is logged once');
  t.match(
    lines.find((line) => /closed → open/.test(line.msg)),
    {
      level: 'warn',
      dependency: 'redis',
      store: /^redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/,
      breaker: { from: 'closed', to: 'open' },
      err: { message: /timed out/ },
    },
  );

  const refused = await failure(claim(store, 'pmp:while-open'));
  t.ok(refused instanceof NonceStoreUnavailableError, 'refused while open');
  t.match((refused as Error).message, /circuit breaker is open/, 'by the breaker, without waiting for a timeout');
  t.equal(redis.scripts(), 4, 'Redis was not asked');

  redis.resume();
  await until('the cool-down to pass', async () => (await claim(store, 'pmp:after').catch(() => 'refused')) === 'claimed', 3_000);
  t.equal(store.breaker.state, 0, 'closed again (cockatiel CircuitState.Closed)');
  t.equal(lines.filter((line) => /half-open → closed/.test(line.msg)).length, 1, 'the closing is logged once');
  t.notMatch(text(), /hunter2-secret/, 'the password is never logged');
});

t.test('the ingress answers 503 NONCE_STORE_UNAVAILABLE while Redis hangs, and publishes nothing', async (t) => {
  const { redis, store } = await setup(t);
  const published: unknown[] = [];
  const secret = 'pmp-webhook-secret-for-tests';
  const { logger } = capturingLogger();
  const app = buildWebhookServer({
    secrets: { slick: 'slick-webhook-secret-for-tests', grab: 'grab-webhook-secret-for-tests', pmp: secret },
    publisher: {
      publish: async (record) => (published.push(record), { partition: 0 }),
      readiness: () => ({ ready: true }),
      close: async () => undefined,
    },
    nonces: store,
    logger,
  });
  t.teardown(() => app.close());
  const body = JSON.stringify({ EventID: 'PMP-1', OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', At: '2026-11-21T09:15:00Z' });
  const send = () =>
    app.inject({
      method: 'POST',
      url: WEBHOOK_ROUTES.pmpDelivered.url,
      headers: { 'content-type': 'application/json', ...signWebhook(secret, body) },
      payload: body,
    });
  redis.hang();
  const refused = await send();
  t.equal(refused.statusCode, 503);
  t.equal(refused.json().error.code, 'NONCE_STORE_UNAVAILABLE');
  t.equal(refused.headers['retry-after'], '1');
  t.equal(published.length, 0);
  // The claim may have landed although its answer did not come: it is given back, after it on the connection.
  await until('the unanswered claim given back', () => redis.scripts() >= 2);
  const [claimed, givenBack] = redis.seen.filter((command) => command[0]!.toUpperCase() === 'EVAL');
  t.match(claimed, ['EVAL', /'held:'/, '1', /^omnia:webhook-nonce:pmp:/], 'first the claim');
  t.match(givenBack, ['EVAL', /'DEL'/, '1', claimed![3], claimed![4]], 'then its release, for the same key and holder');
  redis.resume();
  t.equal((await send()).statusCode, 202, 'accepted once Redis answers');
});

t.test('a lost connection is logged once (not per reconnect attempt), and so is its return; claims fail meanwhile', async (t) => {
  const { redis, store, lines } = await setup(t);
  await redis.stop();
  await until('the loss logged', () => lines.some((line) => /connection lost/.test(line.msg)));
  // Queued, the claim would wait for Redis, which comes back only below: it would never be answered.
  t.ok(
    (await failure(claim(store, 'pmp:offline'))) instanceof NonceStoreUnavailableError,
    'a claim fails while disconnected, without waiting for Redis to come back (commands are not queued)',
  );
  await new Promise((resolve) => setTimeout(resolve, 500)); // several reconnect attempts fail meanwhile
  await redis.start();
  await until('the return logged', () => lines.some((line) => /connection back/.test(line.msg)), 5_000);
  t.equal(lines.filter((line) => /connection lost/.test(line.msg)).length, 1, 'one line for the loss');
  t.match(
    lines.find((line) => /connection lost/.test(line.msg)),
    { level: 'error', store: /redis:\/\/:\*\*\*@/, err: { message: String } },
  );
  await until(
    'claims accepted again',
    async () => (await claim(store, `pmp:back-${Date.now()}`).catch(() => 'refused')) === 'claimed',
    5_000,
  );
});
