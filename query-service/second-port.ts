/**
 * A second port for one Fastify instance (the admin port, a worker's own port): its requests go through the same
 * router, hooks and all, and `requests` learns which ones came in there, for a hook to tell the ports apart.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

export async function listenSecondPort(
  app: FastifyInstance,
  options: { host: string; port: number; requests: WeakSet<IncomingMessage>; exclusive?: boolean },
): Promise<Server> {
  await app.ready();
  const server = createServer((request, response) => {
    options.requests.add(request);
    app.routing(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host, exclusive: options.exclusive ?? false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Stops listening and ends every connection, kept-alive ones too (Prometheus keeps its own between scrapes). */
export function closeSecondPort(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
