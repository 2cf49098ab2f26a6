/**
 * The sink's operator endpoints: /health/live (the process answers), /health/ready (it is writing: Postgres
 * answers now, partitions assigned; 503 with the reason otherwise) and /metrics for Prometheus.
 *
 * Postgres is asked on every readiness check (`database`): a batch whose statement hangs on a database that
 * stopped answering leaves the connector `running` until the statement times out, and readiness must say so now.
 */
import { withDefaultMetrics } from '../observability/metrics.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { allReady, type DatabaseProbe } from '../postgres/probe.js';
import type { SinkConnector } from './sink-connector.js';

export interface SinkHealthOptions {
  readonly host: string;
  readonly port: number;
  /** Whether Postgres answers now (postgres/probe.ts); none: the connector's last contact alone decides. */
  readonly database?: DatabaseProbe;
}

export async function sinkHealthServer(connector: SinkConnector, options: SinkHealthOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/health/live', async (_request, reply) => {
    const status = connector.status();
    return reply.code(status.state === 'failed' ? 503 : 200).send({ live: status.state !== 'failed', state: status.state });
  });
  app.get('/health/ready', async (_request, reply) => {
    const database = options.database ? await options.database() : { ready: true };
    const status = connector.status();
    const connectorReady = status.state === 'running' && status.postgres === 'up';
    const { ready, reason } = allReady([
      database,
      {
        ready: connectorReady,
        reason: status.state !== 'running' ? `connector is ${status.state}` : `postgres is ${status.postgres}`,
      },
    ]);
    const postgres = database.ready ? status.postgres : 'down';
    return reply.code(ready ? 200 : 503).send({ ready, ...(reason ? { reason } : {}), ...status, postgres });
  });
  app.get('/metrics', async (_request, reply) => {
    const registry = withDefaultMetrics(connector.metrics.registry);
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });
  await app.listen({ host: options.host, port: options.port });
  return app;
}
