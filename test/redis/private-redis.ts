/**
 * A Redis server of the test's own (its own port, nothing persisted), so a test can stop and start it — an
 * outage — without touching the machine's shared Redis.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import type { Test } from 'tap';
import { freePort } from '../free-port.js';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** Whether redis-server can run here; fails the test in CI (`CI=true`) when it cannot, says so elsewhere. */
export function requireRedis(t: Test): boolean {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const message = `no ${REDIS_SERVER} on this machine: install the redis-server package`;
  if (process.env.CI) t.fail(message);
  else t.comment(`SKIPPED: ${message}`);
  return false;
}

export class PrivateRedis {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async create(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL: connections drop at once, as when the server or its host dies. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.process = undefined;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
