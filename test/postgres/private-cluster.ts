/**
 * A Postgres server of the test's own (initdb into a temporary directory, its own port), so a test or a
 * benchmark can stop and start it — an outage — without touching the shared server others use. Runs the
 * server as the `postgres` user when started as root (Postgres refuses root).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin'];

function binary(name: string): string {
  const dir = BIN_DIRS.find((candidate) => existsSync(join(candidate, name)));
  if (!dir) throw new Error(`${name} not found (looked in ${BIN_DIRS.join(', ')}): install the PostgreSQL server package`);
  return join(dir, name);
}

export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb and start; `url` is then a superuser connection with trust auth. */
  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'omnia-pg-'));
    chmodSync(dir, 0o777);
    const cluster = new PrivatePostgres(dir, await freePort());
    cluster.run('initdb', ['-D', cluster.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync']);
    await cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  async start(): Promise<void> {
    this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
  }

  /** Stops the server the way an outage does: connections drop, in-flight transactions roll back. */
  async stop(): Promise<void> {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    try {
      this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(command: string, args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', binary(command), ...args]] : [binary(command), args];
    execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
}
