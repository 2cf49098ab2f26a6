/**
 * What each cross-cutting concern of the query service costs per request: the service's hooks and plugins
 * (logger, request id, security headers, auth, rate limit, response validation, docs, access log) in front of
 * one trivial route, then the same with each concern switched off in turn, and with all off. It answers "which
 * plugin made a lookup dearer" without a broker or a database, so it is not a figure of the service itself
 * (bench/query-service.ts is).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http-overhead.js [--requests=30000] [--repeat=2]
 *
 * Client and server share this process (node:http, keep-alive, 8 requests in flight): the CPU per request
 * printed is both; what a concern costs is the difference between a row and "everything on".
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { installSecurityHeaders } from '../http/security-headers.js';
import { accessLog, quietRequests } from '../observability/access-log.js';
import { logger } from '../observability/logger.js';
import { devToken, installAuth } from '../query-service/auth.js';
import { installErrorHandlers } from '../query-service/errors.js';
import { installDocs, installRateLimit } from '../query-service/plugins.js';
import { installResponseValidation } from '../query-service/response-validation.js';

const CONCERNS = ['logger', 'requestId', 'securityHeaders', 'auth', 'rateLimit', 'responseValidation', 'docs', 'accessLog'] as const;
type Concern = (typeof CONCERNS)[number];

const AUTH = { secret: 'a-bench-secret-that-is-at-least-32-bytes' };

async function server(off: ReadonlySet<Concern>) {
  const app = off.has('logger')
    ? Fastify({ logger: false })
    : Fastify({
        loggerInstance: logger.child({ component: 'bench' }) as FastifyBaseLogger,
        logController: quietRequests(),
        genReqId: () => randomUUID(),
      });
  if (!off.has('requestId'))
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
  installErrorHandlers(app);
  if (!off.has('securityHeaders')) installSecurityHeaders(app);
  if (!off.has('auth')) installAuth(app, AUTH, { now: Date.now });
  if (!off.has('rateLimit')) installRateLimit(app, { perSecond: 1e6, burst: 1e6 });
  if (!off.has('responseValidation')) installResponseValidation(app);
  if (!off.has('docs')) installDocs(app, { title: 'bench', version: '1' });
  if (!off.has('accessLog')) accessLog(app);
  app.register(async (routes) => {
    routes.get<{ Params: { id: string } }>(
      '/api/v1/orders/:id',
      {
        schema: {
          params: { type: 'object', properties: { id: { type: 'string' } } },
          response: { 200: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' } } } },
        },
      },
      async (request) => ({ id: request.params.id, status: '3000' }),
    );
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port };
}

async function cpuPerRequest(off: ReadonlySet<Concern>, requests: number): Promise<number> {
  const { app, port } = await server(off);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const headers = { authorization: `Bearer ${devToken(AUTH, { roles: ['admin'] })}` };
  const get = () =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/api/v1/orders/O-1', agent, headers }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        })
        .on('error', reject);
    });
  const run = async (count: number) => {
    for (let sent = 0; sent < count; sent += 8) {
      const statuses = await Promise.all(Array.from({ length: Math.min(8, count - sent) }, get));
      if (statuses.some((status) => status !== 200)) throw new Error(`answered ${statuses.join(', ')}`);
    }
  };
  try {
    await run(3000); // warm-up: JIT, connections
    const before = process.cpuUsage();
    await run(requests);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / requests;
  } finally {
    agent.destroy();
    await app.close();
  }
}

const option = (name: string, fallback: number) =>
  Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);

async function main() {
  const requests = option('requests', 30_000);
  const repeat = option('repeat', 2);
  const rows: Array<[string, ReadonlySet<Concern>]> = [
    ['everything on', new Set()],
    ...CONCERNS.map((concern): [string, ReadonlySet<Concern>] => [`without ${concern}`, new Set([concern])]),
    ['everything off', new Set(CONCERNS)],
  ];
  console.log(`CPU µs per request (client and server), ${requests} requests, median of ${repeat}`);
  for (const [name, off] of rows) {
    const runs: number[] = [];
    for (let i = 0; i < repeat; i++) runs.push(await cpuPerRequest(off, requests));
    runs.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(30)} ${runs[Math.floor(runs.length / 2)]!.toFixed(1).padStart(7)}   (${runs.map((r) => r.toFixed(1)).join(', ')})`,
    );
  }
}

await main();
