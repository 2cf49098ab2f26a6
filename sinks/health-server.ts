/**
 * The sink's operator endpoints: /health/live (the process answers), /health/ready (it is writing: Postgres
 * up, partitions assigned; 503 with the reason otherwise) and /metrics for Prometheus.
 */
import { withDefaultMetrics } from '../observability/metrics.js';
import Fastify, { type FastifyInstance } from 'fastify';
import type { SinkConnector } from './sink-connector.js';

export async function sinkHealthServer(connector: SinkConnector, options: { host: string; port: number }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/health/live', async (_request, reply) => {
    const status = connector.status();
    return reply.code(status.state === 'failed' ? 503 : 200).send({ live: status.state !== 'failed', state: status.state });
  });
  app.get('/health/ready', async (_request, reply) => {
    const status = connector.status();
    const ready = status.state === 'running' && status.postgres === 'up';
    const reason = ready ? undefined : status.state !== 'running' ? `connector is ${status.state}` : `postgres is ${status.postgres}`;
    return reply.code(ready ? 200 : 503).send({ ready, ...(reason ? { reason } : {}), ...status });
  });
  app.get('/metrics', async (_request, reply) => {
    const registry = withDefaultMetrics(connector.metrics.registry);
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });
  await app.listen({ host: options.host, port: options.port });
  return app;
}
