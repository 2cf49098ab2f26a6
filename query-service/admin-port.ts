/**
 * The operators' port (OMNIA_ADMIN_PORT): /metrics and the API docs (/docs and everything under it) on a port of
 * their own, which Prometheus scrapes and which no ingress exposes. With it, the service's own port answers 404 to
 * them, exactly as to a path that does not exist, and the admin port answers 404 to everything but them and the
 * health checks: the API is never reachable there, whatever the token.
 *
 * One Fastify instance serves both ports, so the docs describe the routes the public port serves and every hook
 * (request ids, security headers, errors) applies alike: the admin port's server hands its requests to the same
 * router, and the gate below tells them apart by the server they came in on.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { notFound } from './errors.js';
import { DOCS_PREFIX } from './plugins.js';
import { closeSecondPort, listenSecondPort } from './second-port.js';

/** Served on the admin port only, once there is one. */
export const isAdminPath = (path: string): boolean => path === '/metrics' || path === DOCS_PREFIX || path.startsWith(`${DOCS_PREFIX}/`);

/** What the admin port serves: its own paths and the health checks (a probe may ask either port). */
const servedOnAdminPort = (path: string): boolean => isAdminPath(path) || path === '/health/live' || path === '/health/ready';

interface AdminPort {
  readonly requests: WeakSet<IncomingMessage>;
  server?: Server;
}

const adminPorts = new WeakMap<FastifyInstance, AdminPort>();

/**
 * Keeps /metrics and the docs to the admin port. Install before the auth hook: a path that is not served on a port
 * is answered 404 there before a token is asked for.
 */
export function installAdminGate(app: FastifyInstance): void {
  const port: AdminPort = { requests: new WeakSet() };
  adminPorts.set(app, port);
  app.addHook('onRequest', async (request, reply) => {
    const onAdminPort = port.requests.has(request.raw);
    // The route matched, not the URL as sent: `/%6Detrics` is routed to /metrics too.
    const route = request.is404 ? undefined : (request.routeOptions.url ?? '');
    if (onAdminPort) {
      // Nothing else, not even the web app's pages or its fallback page.
      if (route === undefined || !servedOnAdminPort(route))
        throw notFound(`No route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`);
      return;
    }
    if (route === undefined || !isAdminPath(route)) return;
    // Answered by the not-found handler, as a path that does not exist is, headers and all: which paths exist on
    // the admin port is not told.
    reply.callNotFound();
    return reply;
  });
  app.addHook('onClose', async () => {
    if (port.server?.listening) await closeSecondPort(port.server);
  });
}

/** Listens on the admin port (after `installAdminGate`); resolves with its address. */
export async function listenAdminPort(app: FastifyInstance, options: { host: string; port: number }): Promise<AddressInfo> {
  const port = adminPorts.get(app);
  if (!port) throw new Error('the query service was built without an admin port (buildQueryService({ adminPort: true }))');
  if (port.server) throw new Error('the admin port is already listening');
  port.server = await listenSecondPort(app, { ...options, requests: port.requests });
  return port.server.address() as AddressInfo;
}
