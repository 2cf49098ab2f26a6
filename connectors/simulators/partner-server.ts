/**
 * The HTTP side every partner simulator shares: a real node:http server on loopback with bearer auth, JSON
 * routes, counters of calls by result, and fault injection on demand:
 *
 * | fault | effect on an API call |
 * |---|---|
 * | `failureRate` | that fraction is answered 503 before anything is done |
 * | `failAfterAcceptRate` | that fraction is done (accepted, stored) and then answered 503: the answer is "lost", so the caller retries something the partner already has |
 * | `latencyMs` | every answer is delayed this long |
 * | `timeoutRate` | that fraction is never answered (nothing is done); the socket stays open until the caller gives up |
 * | `down()` / `up()` | the listener is closed and every open connection destroyed (callers get ECONNREFUSED, or a closed socket on a pooled connection), then reopened on the same port |
 * | `duplicateCallbackRate`, `outOfOrderCallbacks` | for the webhook callbacks (webhook-sender.ts) |
 *
 * Operator routes (same bearer token): `GET /_sim/state` (counters and faults), `POST /_sim/faults` (a partial
 * Faults object), so a test in another process can drive a simulator too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, logger as rootLogger } from '../../observability/logger.js';

export interface Faults {
  failureRate: number;
  /** Share of requests refused as the partner's own verdict on them (422: an unknown item, say): retrying will not help. */
  refusalRate: number;
  failAfterAcceptRate: number;
  latencyMs: number;
  timeoutRate: number;
  duplicateCallbackRate: number;
  outOfOrderCallbacks: boolean;
}

export const NO_FAULTS: Faults = {
  failureRate: 0,
  refusalRate: 0,
  failAfterAcceptRate: 0,
  latencyMs: 0,
  timeoutRate: 0,
  duplicateCallbackRate: 0,
  outOfOrderCallbacks: false,
};

export interface PartnerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface PartnerAnswer {
  readonly status: number;
  readonly body: unknown;
  /** Counter the call is counted under (e.g. `accepted`, `duplicate`); default `status-<code>`. */
  readonly result?: string;
  /** Response headers besides content-type. */
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (request: PartnerRequest) => PartnerAnswer | Promise<PartnerAnswer>;

export interface PartnerServerOptions {
  /** Bearer token callers must send. */
  readonly token: string;
  readonly host?: string;
  /** 0 (default) picks a free port; kept across down()/up(). */
  readonly port?: number;
  readonly faults?: Partial<Faults>;
  /** [0, 1) source for the fault draws; tests may make it deterministic. */
  readonly random?: () => number;
}

export class PartnerServer {
  readonly faults: Faults;
  /** API calls by result: `accepted`, `duplicate`, `failed-5xx`, `failed-after-accept`, `timeout`, `unauthorized`, … */
  readonly calls = new Map<string, number>();
  private readonly routes = new Map<string, Handler>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private port: number;
  private readonly host: string;
  readonly random: () => number;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    private readonly options: PartnerServerOptions,
  ) {
    this.faults = { ...NO_FAULTS, ...options.faults };
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.random = options.random ?? Math.random;
    this.log = rootLogger.child({ component: `${name}-simulator` });
  }

  route(method: string, path: string, handler: Handler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  setFaults(faults: Partial<Faults>): void {
    Object.assign(this.faults, faults);
  }

  clearFaults(): void {
    Object.assign(this.faults, NO_FAULTS);
  }

  count(result: string, by = 1): void {
    this.calls.set(result, (this.calls.get(result) ?? 0) + by);
  }

  callsOf(result: string): number {
    return this.calls.get(result) ?? 0;
  }

  /** Listens (on the same port as before after a down()); resolves with the base URL. */
  async start(): Promise<string> {
    if (this.server) return this.url;
    const server = createServer(
      (request, response) =>
        void this.handle(request, response).catch((error: unknown) => {
          // A request that broke off while being read (the caller gave up, down()): nothing to answer.
          this.log.debug({ method: request.method, path: request.url, err: error }, 'request not handled');
          response.destroy();
        }),
    );
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this.url;
  }

  /** Connection refused from now on: the listener closes and every open connection is destroyed. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  up(): Promise<string> {
    return this.start();
  }

  stop(): Promise<void> {
    return this.down();
  }

  state(): Record<string, unknown> {
    return { name: this.name, up: this.isUp, url: this.url, faults: this.faults, calls: Object.fromEntries(this.calls) };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (request.url ?? '/').split('?')[0]!;
    const method = request.method ?? 'GET';
    const answer = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}) => {
      if (response.destroyed) return;
      response.writeHead(status, { ...headers, 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };

    if (request.headers.authorization !== `Bearer ${this.options.token}`) {
      this.count('unauthorized');
      return answer(401, { error: 'UNAUTHORIZED', message: 'a valid bearer token is required' });
    }
    let body: unknown = null;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.count('bad-request');
        return answer(400, { error: 'BAD_REQUEST', message: 'body is not JSON' });
      }
    }
    if (path.startsWith('/_sim/')) return answer(...this.operator(method, path, body));

    const handler = this.routes.get(`${method} ${path}`);
    if (!handler) {
      this.count('not-found');
      return answer(404, { error: 'NOT_FOUND', message: `${method} ${path}` });
    }
    if (this.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.faults.latencyMs));
    if (this.draw(this.faults.timeoutRate)) {
      this.count('timeout'); // never answered: the socket stays open until the caller gives up or down()
      return;
    }
    if (this.draw(this.faults.failureRate)) {
      this.count('failed-5xx');
      return answer(503, { error: 'UNAVAILABLE', message: `${this.name} simulator: injected failure` });
    }
    if (this.draw(this.faults.refusalRate)) {
      this.count('refused-4xx');
      return answer(422, { error: 'UNPROCESSABLE', message: `${this.name} simulator: injected refusal` });
    }
    let result: PartnerAnswer;
    try {
      result = await handler({ method, path, headers: request.headers, body });
    } catch (error) {
      this.count('error');
      return answer(500, { error: 'INTERNAL', message: (error as Error).message });
    }
    if (result.status < 300 && this.draw(this.faults.failAfterAcceptRate)) {
      this.count(result.result ?? `status-${result.status}`);
      this.count('failed-after-accept');
      return answer(503, { error: 'UNAVAILABLE', message: `${this.name} simulator: injected failure after the request was processed` });
    }
    this.count(result.result ?? `status-${result.status}`);
    answer(result.status, result.body, result.headers);
  }

  private operator(method: string, path: string, body: unknown): [number, unknown] {
    if (method === 'GET' && path === '/_sim/state') return [200, this.state()];
    if (method === 'POST' && path === '/_sim/faults' && body && typeof body === 'object') {
      const allowed = Object.keys(NO_FAULTS);
      const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
      if (unknown.length)
        return [400, { error: 'BAD_REQUEST', message: `unknown faults ${unknown.join(', ')}; known: ${allowed.join(', ')}` }];
      this.setFaults(body as Partial<Faults>);
      return [200, this.state()];
    }
    return [404, { error: 'NOT_FOUND', message: `${method} ${path}` }];
  }

  private draw(rate: number): boolean {
    return rate > 0 && this.random() < rate;
  }
}

/** Reads a header that must be present once. */
export function header(request: PartnerRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
