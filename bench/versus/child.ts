/**
 * The processes of a run (the app under test, the load generator, the probe), each spawned on its own so its
 * CPU and memory are its own. Their stdout is watched line by line for what they announce (ready, done) and
 * copied, with stderr, to a log file when one is given. Every live child is known here, so an interrupted
 * run can stop them all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/** Lines kept for `line()` and for the tail shown when a child fails. */
const KEPT_LINES = 1000;

export interface Line {
  text: string;
  /** Epoch ms it arrived. */
  at: number;
}

export class Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Epoch ms of the spawn. */
  readonly spawnedAt = Date.now();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lines: Line[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly log: WriteStream | undefined;
  private ended = false;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    logFile?: string,
  ) {
    this.log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
    this.process = spawn(command, args, { env, stdio: ['ignore', 'pipe', this.log ? 'pipe' : 'inherit'] });
    if (this.process.pid === undefined) throw new Error(`could not start ${name}: ${command} ${args.join(' ')}`);
    this.pid = this.process.pid;
    live.add(this);
    let buffered = '';
    this.process.stdout!.setEncoding('utf8');
    this.process.stdout!.on('data', (chunk: string) => {
      const at = Date.now();
      this.log?.write(chunk);
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        this.lines.push({ text: buffered.slice(0, newline).trimEnd(), at });
        buffered = buffered.slice(newline + 1);
      }
      if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
      this.wake();
    });
    this.process.stderr?.on('data', (chunk: Buffer) => this.log?.write(chunk));
    this.exited = new Promise((resolve) =>
      // 'close', not 'exit': by then its stdout has been read to the end.
      this.process.once('close', (code, signal) => {
        this.ended = true;
        live.delete(this);
        this.wake();
        this.log?.end();
        resolve({ code, signal });
      }),
    );
    this.process.once('error', (error) => {
      process.stderr.write(`[versus] ${name}: ${error.message}\n`);
    });
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** The first line (kept or still to come) matching `pattern`; rejects when the child exits first or after `timeoutMs`. */
  line(pattern: RegExp, timeoutMs: number): Promise<Line> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.name} printed no line matching ${pattern} within ${Math.round(timeoutMs / 1000)} s${this.tail()}`));
      }, timeoutMs);
      const check = () => {
        const hit = this.lines.find((line) => pattern.test(line.text));
        if (!hit && !this.ended) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        if (hit) resolve(hit);
        else reject(new Error(`${this.name} exited before printing a line matching ${pattern}${this.tail()}`));
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The last lines it printed, for an error message. */
  tail(count = 15): string {
    const last = this.lines.slice(-count).map((line) => `  | ${line.text}`);
    return last.length ? `; its last lines:\n${last.join('\n')}` : '';
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.ended) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const live = new Set<Child>();

/** Stops every child still running (an interrupted or failed run). */
export async function stopAllChildren(graceMs = 15_000): Promise<void> {
  await Promise.all([...live].map((child) => child.stop(graceMs)));
}
