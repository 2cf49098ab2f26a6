/**
 * The HTTP schema-fuzzing campaign, short (test/embedded/http-fuzz.test.ts) or long (bench/http-fuzz.ts): the
 * embedded default in a child process (http-target.ts), every route of its query service that takes input fuzzed
 * with the bad requests bad-requests.ts makes from the route's own schemas, as an admin so that each reaches the
 * route's checks; a sample of them again without a token; valid requests between them.
 *
 * What it finds out, for the caller to assert:
 * - every bad request answered as expected: the status (400, or 413 / 414 / 415 / 431), no 5xx; a 400's `details`
 *   naming every broken field; an error body `{ error: { code, message } }`; an answer of at most 1 MB (no
 *   amplification); an answer at all (a request that gets none within `timeoutMs` is a failure, never a speed check);
 * - without a token, 401 TOKEN_MISSING with nothing of the validation in it (unless the HTTP layer answers first);
 * - no effect: the orders, bundles, search, the awaiting-Slick list and the audit trail an admin sees are the same
 *   after the campaign as before it (but for the valid actions), and the fuzzing caller is in no audit entry;
 * - nothing valid lost: every valid request between them answered as it should (the same order view throughout),
 *   every bundle it created there afterwards, and a cancel after the campaign goes through;
 * - the child's memory (VmRSS, sampled every 250 ms) and CPU, for the caller to bound and report.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssMb } from '../../bench/runtime/common.js';
import { type BadRequest, badRequests, type Broken, type JsonSchema, KINDS, type Limits, type RouteInput } from './bad-requests.js';
import { freePort } from '../free-port.js';
import type { TargetMessage, TargetReady } from './http-target.js';

export interface CampaignOptions {
  /** Bad requests, about (each fuzzed route gets its share). */
  readonly requests: number;
  readonly seed: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  /** One valid request after every this many bad ones. */
  readonly validEvery?: number;
  /** One bad request in this many sent again without a token. */
  readonly anonymousEvery?: number;
  /** A request not answered by then is a failure (a hang), not a slow answer. */
  readonly timeoutMs?: number;
  readonly progress?: (line: string) => void;
}

export interface CampaignResult {
  /** `METHOD url` of the routes fuzzed. */
  readonly routes: readonly string[];
  /** `METHOD url` of the routes the service declares that a campaign fuzzes (isFuzzed). */
  readonly declared: readonly string[];
  /** API routes declared without a schema for their path parameters, and parameters longer than the router takes. */
  readonly schemaGaps: readonly string[];
  readonly bad: number;
  readonly anonymous: number;
  readonly valid: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byKind: Readonly<Record<string, number>>;
  /** What went wrong, one line each (status, fields, an answer that never came…). */
  readonly failures: readonly string[];
  /** Differences between what an admin saw before and after the campaign. */
  readonly effects: readonly string[];
  /** The checks after the campaign: every valid bundle there, a cancel accepted and applied. */
  readonly afterwards: readonly string[];
  /** Lines the service logged at level error (a 5xx is logged so). */
  readonly errorsLogged: readonly string[];
  readonly rss: { readonly startMb: number; readonly peakMb: number; readonly endMb: number };
  readonly cpuSeconds: number;
  readonly largestAnswerBytes: number;
  readonly seconds: number;
}

/** An answer larger than this is an amplification, whatever the request. */
export const MAX_ANSWER_BYTES = 1024 * 1024;
/** Node's default --max-http-header-size. */
const MAX_HEADER_BYTES = 16 * 1024;
/**
 * Kept of a bad request's answer for the checks; the rest is counted only. As much as an answer may be: kept by
 * whole chunks, a cut answer would be unreadable JSON, and how an answer is chunked depends on the machine's load
 * (a 106 KB answer came in one chunk on a quiet machine and was cut under CI's).
 */
const KEPT_BYTES = MAX_ANSWER_BYTES;

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly bytes: number;
}

/** One request as it goes out: `path` exactly as given, the body as given (in 64 KB pieces when chunked). */
function send(
  agent: Agent | false,
  url: URL,
  request: Pick<BadRequest, 'method' | 'path' | 'headers' | 'body' | 'chunked'>,
  timeoutMs: number,
  keep = KEPT_BYTES,
): Promise<Answer | { error: string }> {
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const finish = (result: Answer | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const headers: Record<string, string | number> = { ...request.headers, ...(agent === false ? { connection: 'close' } : {}) };
    if (request.body && !request.chunked) headers['content-length'] = request.body.length;
    const outgoing = httpRequest({ agent, host: url.hostname, port: url.port, method: request.method, path: request.path, headers });
    const timer = setTimeout(() => {
      outgoing.destroy();
      finish({ error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    outgoing.on('response', (response) => {
      answered = true;
      const kept: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        if (bytes < keep) kept.push(chunk);
        bytes += chunk.length;
      });
      response.on('end', () => finish({ status: response.statusCode ?? 0, text: Buffer.concat(kept).toString('utf8'), bytes }));
      response.on('error', (error) => finish({ error: `the answer broke off: ${error.message}` }));
    });
    // A server that answers before the whole body is sent (413, 431) may close the connection under the upload.
    outgoing.on('error', (error) => {
      if (!answered) finish({ error: `no answer: ${error.message}` });
    });
    if (request.body && request.chunked) {
      for (let at = 0; at < request.body.length; at += 64 * 1024) outgoing.write(request.body.subarray(at, at + 64 * 1024));
    } else if (request.body) outgoing.write(request.body);
    outgoing.end();
  });
}

interface ErrorAnswer {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

const parsed = (text: string): ErrorAnswer | undefined => {
  try {
    return JSON.parse(text) as ErrorAnswer;
  } catch {
    return undefined;
  }
};

/** Whether the details name `broken`: the field itself or one inside it, at its location. */
const names = (details: unknown, broken: Broken): boolean =>
  Array.isArray(details) &&
  details.some(
    (detail: { location?: unknown; field?: unknown }) =>
      detail.location === broken.location &&
      typeof detail.field === 'string' &&
      (detail.field === broken.field || detail.field.startsWith(`${broken.field}.`)),
  );

const describe = (request: BadRequest) =>
  `${request.kind} ${request.method} ${request.path.length > 160 ? `${request.path.slice(0, 160)}…` : request.path}${
    request.breaks.length ? ` [${request.breaks.map((broken) => `${broken.location}:${broken.field}`).join(', ')}]` : ''
  }`;

/**
 * Requests the server answers before reading them whole, then closes the connection on (a body or headers over the
 * limit, a path the router refuses): each on a connection of its own, so that no other request is sent on one
 * the server is closing.
 */
const endsConnection = (request: BadRequest) =>
  request.expected.beforeAuth || request.expected.status === 413 || request.expected.status === 431;

/** What is wrong with the answer to a bad request, or undefined; `open`: the route needs no token. */
function verdict(request: BadRequest, answer: Answer | { error: string }, anonymous: boolean, open: boolean): string | undefined {
  const what = `${anonymous ? '(no token) ' : ''}${describe(request)}`;
  if ('error' in answer) return `${what}: ${answer.error}`;
  const excerpt = answer.text.slice(0, 300);
  const want = anonymous && !open && !request.expected.beforeAuth ? 401 : request.expected.status;
  if (answer.status !== want) return `${what}: ${answer.status}, expected ${want}: ${excerpt}`;
  if (answer.bytes > MAX_ANSWER_BYTES) return `${what}: an answer of ${answer.bytes} bytes`;
  // 431 is Node's own answer to headers over its limit, before any of the service runs.
  if (answer.status === 431) return undefined;
  const body = parsed(answer.text);
  if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string')
    return `${what}: not an error body { error: { code, message } }: ${excerpt}`;
  if (want === 401) {
    if (body.error.code !== 'TOKEN_MISSING') return `${what}: 401 ${body.error.code}, expected TOKEN_MISSING`;
    if (body.error.details !== undefined) return `${what}: the 401 tells of the request's fields: ${excerpt}`;
    return undefined;
  }
  const unnamed = want === 400 ? request.expected.fields.filter((broken) => !names(body.error!.details, broken)) : [];
  if (unnamed.length)
    return `${what}: the 400 does not name ${unnamed.map((broken) => `${broken.location}:${broken.field}`).join(', ')}: ${excerpt}`;
  return undefined;
}

// --------------------------------------------------------------------------------------------- the target

interface Target {
  readonly child: ChildProcess;
  readonly ready: TargetReady;
  readonly errorsLogged: string[];
  flush(): Promise<void>;
  stop(): Promise<void>;
}

async function startTarget(progress: (line: string) => void): Promise<Target> {
  const script = fileURLToPath(new URL('./http-target.js', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, OMNIA_LOG_LEVEL: 'error', OMNIA_OPEN_BROWSER: 'false' };
  // The embedded default: its own Postgres, its own secret, no broker.
  for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'OMNIA_JWT_SECRET', 'OMNIA_JWT_PUBLIC_KEY', 'OMNIA_JWT_JWKS_URL', 'PORT'])
    delete env[name];
  env.PORT = String(await freePort());
  const child = fork(script, [], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const errorsLogged: string[] = [];
  const tail: string[] = [];
  const lines = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      tail.push(line.slice(0, 500));
      if (tail.length > 20) tail.shift();
      if (/"level":"(error|fatal)"/.test(line) && errorsLogged.length < 50) errorsLogged.push(line.slice(0, 1000));
    }
  };
  child.stdout!.on('data', lines);
  child.stderr!.on('data', lines);
  const ready = await new Promise<TargetReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the target did not start within 180 s:\n${tail.join('\n')}`)), 180_000);
    child.on('message', (message: TargetReady | { type: 'failed'; error: string }) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`the target failed to start: ${message.error}`));
      }
    });
    child.on('exit', (code) => reject(new Error(`the target exited (${code}) before it was ready:\n${tail.join('\n')}`)));
  });
  progress(`target ready: pid ${ready.pid}, ${ready.url}, ${ready.routes.length} routes declared`);
  const ask = (message: TargetMessage) => child.send(message);
  return {
    child,
    ready,
    errorsLogged,
    flush: () =>
      new Promise<void>((resolve) => {
        const done = (message: { type: string }) => {
          if (message.type !== 'flushed') return;
          child.off('message', done);
          resolve();
        };
        child.on('message', done);
        ask({ type: 'flush' });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        ask({ type: 'stop' });
      }),
  };
}

// ------------------------------------------------------------------------------------------ the campaign

/** The routes a campaign fuzzes: the API's and the tracking page's (not the docs, the web app's files or the probes). */
export const isFuzzed = (route: RouteInput) =>
  route.method !== 'HEAD' && (route.url.startsWith('/api/') || route.url.startsWith('/track/'));

/**
 * What a route's schemas leave open: a path parameter without a schema, or one longer than the router lets a
 * parameter be (a valid value would be a 414); a list in the body or query without `maxItems` (its errors would be
 * bounded by the body limit only).
 */
export function schemaGaps(routes: readonly RouteInput[], maxParamLength: number): string[] {
  const gaps: string[] = [];
  const unboundedLists = (schema: JsonSchema | undefined, path: string): string[] => {
    if (!schema) return [];
    const here = schema.type === 'array' || (Array.isArray(schema.type) && schema.type.includes('array'));
    return [
      ...(here && schema.maxItems === undefined ? [path || '(root)'] : []),
      ...Object.entries(schema.properties ?? {}).flatMap(([name, property]) => unboundedLists(property, path ? `${path}.${name}` : name)),
      ...unboundedLists(schema.items, `${path}.0`),
    ];
  };
  for (const route of routes.filter(isFuzzed)) {
    for (const location of ['body', 'querystring'] as const)
      for (const list of unboundedLists(route.schema?.[location], ''))
        gaps.push(`${route.method} ${route.url}: ${location} ${list} is a list without maxItems`);
    for (const [, name] of route.url.matchAll(/:([A-Za-z0-9_]+)/g)) {
      const schema = (route.schema?.params?.properties ?? {})[name!];
      if (!schema) gaps.push(`${route.method} ${route.url}: no schema for :${name}`);
      else if (schema.maxLength === undefined || schema.maxLength > maxParamLength)
        gaps.push(
          `${route.method} ${route.url}: :${name} may be ${schema.maxLength ?? 'any number of'} characters, the router takes ${maxParamLength}`,
        );
    }
  }
  return gaps;
}

export async function httpFuzzCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const progress = options.progress ?? (() => undefined);
  const concurrency = options.concurrency ?? 8;
  const validEvery = options.validEvery ?? 20;
  const anonymousEvery = options.anonymousEvery ?? 10;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  const target = await startTarget(progress);
  try {
    return await campaign(target, { ...options, concurrency, validEvery, anonymousEvery, timeoutMs, progress }, started);
  } finally {
    await target.stop();
  }
}

async function campaign(
  target: Target,
  options: Required<Omit<CampaignOptions, 'progress'>> & { progress: (line: string) => void },
  started: number,
): Promise<CampaignResult> {
  const { ready, child } = target;
  const url = new URL(ready.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency + 2 });
  const { fixtures, tokens, subjects } = ready;
  const store = fixtures.store;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = { 'content-type': 'application/json' };
  const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const answer = await send(
      agent,
      url,
      {
        method,
        path,
        headers: { ...(token ? bearer(token) : {}), ...(body === undefined ? {} : json) },
        ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
      },
      options.timeoutMs,
      Infinity,
    );
    if ('error' in answer) throw new Error(`${method} ${path}: ${answer.error}`);
    return answer;
  };

  // Memory: sampled from now on.
  const rss = { startMb: rssMb(child.pid!) ?? 0, peakMb: 0, endMb: 0 };
  rss.peakMb = rss.startMb;
  const sampler = setInterval(() => {
    const now = rssMb(child.pid!);
    if (now !== undefined) rss.peakMb = Math.max(rss.peakMb, now);
  }, 250);
  const cpuAtStart = cpuSeconds(child.pid!) ?? 0;

  try {
    // ------------------------------------------------------------------------------------------ before
    const orderIds = [...fixtures.held, ...fixtures.delivered];
    const isValidBundle = (id: string) => id.startsWith('FUZZ-VALID-');
    /** An answer's text without the time it was given at (`asOf`). */
    const timeless = (text: string) => JSON.stringify(JSON.parse(text), (key, value: unknown) => (key === 'asOf' ? undefined : value));
    const view = async (): Promise<Map<string, string>> => {
      await target.flush();
      const seen = new Map<string, string>();
      for (const id of orderIds) {
        const answer = await call('GET', `/api/v1/orders/${id}`, tokens.checker);
        seen.set(`order ${id}`, `${answer.status} ${answer.text}`);
      }
      const bundles = await call('GET', '/api/v1/bundles', tokens.checker);
      const list = (JSON.parse(bundles.text) as { bundles: Array<{ bundleId: string }> }).bundles;
      seen.set('bundles', JSON.stringify(list.filter((bundle) => !isValidBundle(bundle.bundleId))));
      seen.set('search', timeless((await call('GET', '/api/v1/orders?limit=200', tokens.checker)).text));
      seen.set('awaiting Slick', timeless((await call('GET', '/api/v1/releases/awaiting-slick', tokens.checker)).text));
      const from = new Date(started - 86_400_000).toISOString();
      // The trail by caller: the setup's actions as they were, and none in the fuzzing caller's name (the valid
      // requests add entries of their own caller, which is not read).
      const trail = async (actor: string) => {
        const answer = await call('GET', `/api/v1/audit?from=${encodeURIComponent(from)}&actor=${actor}&limit=1000`, tokens.checker);
        return (JSON.parse(answer.text) as { actions: unknown[] }).actions;
      };
      seen.set('audit trail of the setup', JSON.stringify(await trail(subjects.checker)));
      seen.set('fuzz caller in the audit trail', String((await trail(subjects.fuzz)).length));
      return seen;
    };
    const before = await view();
    const orderView = before.get(`order ${fixtures.held[0]}`)!;

    // ---------------------------------------------------------------------------------- the requests
    const routes = ready.routes.filter(isFuzzed);
    const openRoutes = new Set(routes.filter((route) => route.open).map((route) => `${route.method} ${route.url}`));
    const limits: Limits = { ...ready.limits, maxHeaderBytes: MAX_HEADER_BYTES };
    const fuzzedRoutes = routes.length;
    const perRoute = Math.max(1, Math.ceil(options.requests / fuzzedRoutes));
    const requests = badRequests(routes, {
      perRoute,
      seed: options.seed,
      limits,
      shared: ready.shared as Record<string, never>,
      examples: {
        // Not the last held order: it is cancelled after the campaign.
        orderId: [...fixtures.held.slice(0, 2), ...fixtures.delivered],
        orderIds: fixtures.held.slice(0, 2),
        returnId: [fixtures.returnId],
        bundleId: fixtures.bundles,
        token: [fixtures.trackingToken],
        id: [store],
        store: [store],
        lineId: ['1'],
        itemId: ['SKU-102'],
        lang: ['en'],
        day: ['2026-01-15'],
      },
    });

    const byStatus: Record<string, number> = {};
    const byKind: Record<string, number> = {};
    const failures: string[] = [];
    const seenRoutes = new Set<string>();
    let bad = 0;
    let anonymous = 0;
    let valid = 0;
    let largest = 0;
    const created: string[] = [];
    let validBundles = 0;
    const fail = (line: string) => {
      if (failures.length < 1000) failures.push(line);
    };

    /** The valid requests between the bad ones, in turn: each must be answered as it always is. */
    const validCalls: Array<() => Promise<string | undefined>> = [
      async () => {
        const answer = await call('GET', `/api/v1/orders/${fixtures.held[0]}`, tokens.checker);
        return `${answer.status} ${answer.text}` === orderView
          ? undefined
          : `the order view changed: ${answer.status} ${answer.text.slice(0, 200)}`;
      },
      async () => {
        const answer = await call('POST', '/api/v1/bundles/preview', tokens.checker, {
          store,
          lines: [{ itemId: 'SKU-102', quantity: 2, unitPrice: '7.0000' }],
        });
        return answer.status === 200 ? undefined : `preview: ${answer.status} ${answer.text.slice(0, 200)}`;
      },
      async () => {
        const bundleId = `FUZZ-VALID-${++validBundles}`;
        const answer = await call('POST', '/api/v1/bundles', tokens.valid, {
          bundleId,
          components: [{ itemId: 'SKU-101', quantity: 1 }],
          pricing: { type: 'PERCENT_OFF', percent: '5' },
          locations: [store],
        });
        if (answer.status !== 202) return `bundle ${bundleId} not created: ${answer.status} ${answer.text.slice(0, 200)}`;
        created.push(bundleId);
        return undefined;
      },
      async () => {
        const answer = await call('GET', '/api/v1/catalog/items?q=SKU', tokens.checker);
        return answer.status === 200 ? undefined : `catalog search: ${answer.status} ${answer.text.slice(0, 200)}`;
      },
      async () => {
        const answer = await call('GET', `/api/v1/orders?store=${store}&limit=5`, tokens.checker);
        return answer.status === 200 ? undefined : `search: ${answer.status} ${answer.text.slice(0, 200)}`;
      },
    ];

    type Job = { bad: BadRequest; anonymous: boolean } | { valid: () => Promise<string | undefined> };
    function* jobs(): Generator<Job> {
      let n = 0;
      for (const request of requests) {
        yield { bad: request, anonymous: false };
        if (n % options.anonymousEvery === options.anonymousEvery - 1) yield { bad: request, anonymous: true };
        if (n % options.validEvery === options.validEvery - 1)
          yield { valid: validCalls[Math.floor(n / options.validEvery) % validCalls.length]! };
        n++;
      }
    }
    const queue = jobs();
    let lastReport = Date.now();
    const worker = async () => {
      for (let next = queue.next(); !next.done; next = queue.next()) {
        const job = next.value;
        if ('valid' in job) {
          valid++;
          const problem = await job.valid().catch((error: Error) => error.message);
          if (problem) fail(`valid request: ${problem}`);
          continue;
        }
        const { bad: request } = job;
        const headers = job.anonymous ? request.headers : { ...request.headers, ...bearer(tokens.fuzz) };
        const sendIt = () => send(endsConnection(request) ? false : agent, url, { ...request, headers }, options.timeoutMs);
        let answer = await sendIt();
        // The server answers an oversize upload and closes under it; the client's write may fail before it reads that
        // answer. Its outcome was not seen, not wrong: it is asked once more (it never reaches a handler).
        if ('error' in answer && request.kind === 'oversize-body' && /EPIPE|ECONNRESET/.test(answer.error)) answer = await sendIt();
        if (job.anonymous) anonymous++;
        else {
          bad++;
          seenRoutes.add(request.route);
          byKind[request.kind] = (byKind[request.kind] ?? 0) + 1;
          const status = 'error' in answer ? 'none' : String(answer.status);
          byStatus[status] = (byStatus[status] ?? 0) + 1;
        }
        if (!('error' in answer)) largest = Math.max(largest, answer.bytes);
        const problem = verdict(request, answer, job.anonymous, openRoutes.has(request.route));
        if (problem) fail(problem);
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          options.progress(
            `${bad} bad requests, ${anonymous} without a token, ${valid} valid; ${failures.length} failures; RSS ${rssMb(child.pid!) ?? '?'} MB`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));

    // ------------------------------------------------------------------------------------------- after
    const after = await view();
    const effects = [...before]
      .filter(([key, value]) => after.get(key) !== value)
      .map(([key, value]) => `${key}: before ${value.slice(0, 300)} / after ${after.get(key)?.slice(0, 300)}`);
    if (before.get('fuzz caller in the audit trail') !== '0') effects.push(`the fuzzing caller is in the audit trail before the campaign`);

    const afterwards: string[] = [];
    const bundles = (JSON.parse((await call('GET', '/api/v1/bundles', tokens.checker)).text) as { bundles: Array<{ bundleId: string }> })
      .bundles;
    const there = new Set(bundles.map((bundle) => bundle.bundleId));
    const lost = created.filter((id) => !there.has(id));
    if (lost.length) afterwards.push(`valid bundles lost: ${lost.join(', ')}`);
    // A valid action still goes through, and the pipeline applies it.
    const cancelled = fixtures.held[2]!; // no bad request names it
    const cancel = await call('POST', `/api/v1/orders/${cancelled}/cancel`, tokens.checker, { reason: 'after the fuzzing' });
    if (cancel.status !== 202) afterwards.push(`a cancel after the campaign: ${cancel.status} ${cancel.text.slice(0, 200)}`);
    else {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const order = JSON.parse((await call('GET', `/api/v1/orders/${cancelled}`, tokens.checker)).text) as {
          order?: { status?: number };
        };
        if (order.order?.status === 9000) break;
        if (Date.now() > deadline) {
          afterwards.push(`the cancel after the campaign was accepted but the order is at ${order.order?.status}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    rss.endMb = rssMb(child.pid!) ?? 0;
    rss.peakMb = Math.max(rss.peakMb, rss.endMb);
    for (const kind of KINDS) byKind[kind] ??= 0;
    return {
      routes: [...seenRoutes].sort(),
      declared: routes.map((route) => `${route.method} ${route.url}`).sort(),
      schemaGaps: schemaGaps(ready.routes, ready.limits.maxParamLength),
      bad,
      anonymous,
      valid,
      byStatus,
      byKind,
      failures,
      effects,
      afterwards,
      errorsLogged: target.errorsLogged,
      rss,
      cpuSeconds: Math.round(((cpuSeconds(child.pid!) ?? cpuAtStart) - cpuAtStart) * 10) / 10,
      largestAnswerBytes: largest,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    clearInterval(sampler);
    agent.destroy();
  }
}

/** The one line a run is summed up in. */
export function summary(result: CampaignResult): string {
  const statuses = Object.entries(result.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  return (
    `http fuzz: ${result.routes.length} routes, ${result.bad} bad requests (${statuses}), ${result.anonymous} of them again without a token, ` +
    `${result.valid} valid between them; ${result.failures.length} failures, ${result.effects.length} effects; ` +
    `child RSS ${result.rss.startMb} MB at the start, peak ${result.rss.peakMb} MB, ${result.rss.endMb} MB at the end; ` +
    `${result.cpuSeconds} CPU s in the child; largest answer ${result.largestAnswerBytes} bytes; ${result.seconds} s`
  );
}
