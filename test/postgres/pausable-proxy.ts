/**
 * A TCP proxy in front of a Postgres that can stop answering, as a black-holed network or a server stuck on I/O
 * does: while paused it still accepts connections and keeps them open, but holds every byte in both directions,
 * so a client sees neither an answer nor an error. `resume` delivers what was held and forwards again.
 * Started paused, it is a server that accepts and never answers.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Held {
  readonly to: Socket;
  readonly chunk: Buffer;
}

export class PausableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private held: Held[] = [];
  private paused: boolean;
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
    options: { paused?: boolean } = {},
  ) {
    this.paused = options.paused ?? false;
  }

  /** `url` (a postgres:// connection string) with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target);
      for (const socket of [client, upstream]) this.sockets.add(socket);
      const close = () => {
        this.sockets.delete(client);
        this.sockets.delete(upstream);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
      client.on('data', (chunk: Buffer) => this.forward(upstream, chunk));
      upstream.on('data', (chunk: Buffer) => this.forward(client, chunk));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** From now on nothing passes: statements and answers, new connections' handshakes. */
  pause(): void {
    this.paused = true;
  }

  /** What was held, in order, then everything again. */
  resume(): void {
    this.paused = false;
    for (const { to, chunk } of this.held) if (!to.destroyed) to.write(chunk);
    this.held = [];
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(to: Socket, chunk: Buffer): void {
    if (this.paused) this.held.push({ to, chunk });
    else if (!to.destroyed) to.write(chunk);
  }
}
