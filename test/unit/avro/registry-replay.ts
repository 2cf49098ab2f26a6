// A tiny HTTP server that answers like a Confluent Schema Registry by replaying the exchanges recorded in
// test/fixtures/schema-registry/<name>.json, and records every request it receives.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

interface Exchange {
  request: { method: string; path: string };
  response: { status: number; headers?: Record<string, string>; body: unknown };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RegistryReplay {
  url: string;
  /** Every request received, in order. */
  requests: ReceivedRequest[];
  /** Requests no recorded exchange answers (they get a 500). */
  unmatched: ReceivedRequest[];
  close(): Promise<void>;
}

export async function replayRegistry(fixture: string): Promise<RegistryReplay> {
  // From the repository root, where the tests run (compiled, this file is in dist/test/unit/avro/).
  const file = path.resolve('test/fixtures/schema-registry', `${fixture}.json`);
  const { exchanges } = JSON.parse(readFileSync(file, 'utf8')) as { exchanges: Exchange[] };
  const requests: ReceivedRequest[] = [];
  const unmatched: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = {
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://registry').pathname,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      const exchange = exchanges.find((e) => e.request.method === received.method && e.request.path === received.path);
      if (!exchange) {
        unmatched.push(received);
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error_code: 500, message: `no recorded exchange for ${received.method} ${received.path}` }));
        return;
      }
      res
        .writeHead(exchange.response.status, exchange.response.headers ?? { 'content-type': 'application/json' })
        .end(JSON.stringify(exchange.response.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unmatched,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
