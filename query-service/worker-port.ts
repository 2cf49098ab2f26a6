/**
 * A worker's own port (OMNIA_WORKERS above 1, with OMNIA_ENDPOINT): the port it advertises to the group, where the
 * other workers and replicas forward the lookups of the tasks it owns. PORT is shared by every worker of the
 * process (the cluster hands each connection to one of them), so a lookup sent there could land on any; this
 * port reaches this worker alone. It serves the same routes through the same router, hooks and all; only
 * /health/ready and /metrics answer for this worker instead of the whole process (query-service/app.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { closeSecondPort, listenSecondPort } from './second-port.js';

/** Listens on the worker's port; `requests` learns which requests came in there. */
export async function listenWorkerPort(
  app: FastifyInstance,
  options: { host: string; port: number; requests: WeakSet<IncomingMessage> },
): Promise<void> {
  // exclusive: in a cluster worker a listen is otherwise shared through the primary with every other worker.
  const server = await listenSecondPort(app, { ...options, exclusive: true });
  // Closed with the service (hooks cannot be added once it is ready): when PORT's server closes, so does this one.
  app.server.once('close', () => void closeSecondPort(server));
}
