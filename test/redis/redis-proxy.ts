/**
 * A TCP proxy in front of a Redis, for injecting what a client cannot tell from a slow Redis: commands reach
 * Redis and run, but their answers come late (`holdReplies`) or never (`dropNextReply`: the connection is cut
 * when the answer comes, and new connections are refused until `restore`).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class RedisProxy {
  private server: Server | undefined;
  private readonly clients = new Set<Socket>();
  private holding = false;
  private held: Array<{ client: Socket; chunk: Buffer }> = [];
  private dropping = false;
  private refusing = false;
  /** Replies Redis sent that were held back or dropped: commands that ran without their caller hearing of it. */
  unheard = 0;
  port = 0;

  constructor(private readonly redisPort: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.refusing) return client.destroy();
      const upstream = connect({ host: '127.0.0.1', port: this.redisPort });
      this.clients.add(client);
      const close = () => {
        this.clients.delete(client);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
      client.on('data', (chunk: Buffer) => upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => this.reply(client, chunk));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Redis' answers from now on are kept back until `releaseReplies`. */
  holdReplies(): void {
    this.holding = true;
  }

  /** The answers kept back, in order, and every answer from now on. */
  releaseReplies(): void {
    this.holding = false;
    for (const { client, chunk } of this.held) if (!client.destroyed) client.write(chunk);
    this.held = [];
  }

  /** When Redis next answers, the answer is lost: every connection is cut, and new ones refused until `restore`. */
  dropNextReply(): void {
    this.dropping = true;
  }

  restore(): void {
    this.refusing = false;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private reply(client: Socket, chunk: Buffer): void {
    if (this.dropping) {
      this.dropping = false;
      this.refusing = true;
      this.unheard++;
      for (const each of this.clients) each.destroy();
      return;
    }
    if (this.holding) {
      this.unheard++;
      this.held.push({ client, chunk });
      return;
    }
    client.write(chunk);
  }
}
