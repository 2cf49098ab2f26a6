/**
 * Cores used by each watched process of a bench between start() and stop(), with the machine as a whole, the
 * rest of it (`other`) and which other processes that was, from /proc. Shared by bench/query-service.ts and
 * bench/store-app.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, machineBusySeconds, round } from './runtime/common.js';

/** CPU seconds of every process on the machine now, by pid. */
function everyProcess(): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const value = cpuSeconds(Number(entry));
    if (value !== undefined) seconds.set(Number(entry), value);
  }
  return seconds;
}

/** The machine's CPU seconds by kind, from /proc/stat's first line. */
function machineKinds(): Record<string, number> {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const names = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'];
  return Object.fromEntries(names.map((name, i) => [name, (fields[i] ?? 0) / 100]));
}

const commandOf = (pid: number): string => {
  try {
    const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return (line || readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).slice(0, 100);
  } catch {
    return '?';
  }
};

export type Pids = number | undefined | (() => Promise<number[]>);

export class CpuWatch {
  private startedAt = 0;
  private before = new Map<string, number | undefined>();
  private resolved: Record<string, readonly number[]> = {};
  private everyBefore = new Map<number, number>();
  private kindsBefore: Record<string, number> = {};
  /** After stop(): the machine's cores by kind (user, system, softirq, steal…). */
  machine: Record<string, number> = {};
  /** After stop(): the processes outside the watched ones that used most (what `other` was). */
  otherProcesses: Array<{ pid: number; command: string; cores: number }> = [];

  /**
   * Per name: a process id, none, or a function giving several (summed; asked again at each start). `self`: the
   * name the bench's own process is reported under.
   */
  constructor(
    private readonly pids: Record<string, Pids>,
    private readonly self = 'bench',
  ) {}

  private read(): Map<string, number | undefined> {
    const values = new Map<string, number | undefined>([
      ['machine', machineBusySeconds()],
      [this.self, cpuSeconds(process.pid)],
    ]);
    for (const [name, pids] of Object.entries(this.resolved)) {
      const each = pids.map((pid) => cpuSeconds(pid));
      values.set(name, pids.length === 0 || each.includes(undefined) ? undefined : each.reduce<number>((sum, value) => sum + value!, 0));
    }
    return values;
  }

  async start(): Promise<void> {
    for (const [name, pids] of Object.entries(this.pids))
      this.resolved[name] = typeof pids === 'function' ? await pids() : pids === undefined ? [] : [pids];
    this.everyBefore = everyProcess();
    this.kindsBefore = machineKinds();
    this.startedAt = performance.now();
    this.before = this.read();
  }

  stop(): Record<string, number> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const after = this.read();
    const kinds = machineKinds();
    this.machine = Object.fromEntries(
      Object.entries(kinds).map(([name, value]) => [name, round((value - (this.kindsBefore[name] ?? 0)) / seconds, 2)]),
    );
    const watched = new Set([process.pid, ...Object.values(this.resolved).flat()]);
    this.otherProcesses = [...everyProcess()]
      .filter(([pid]) => !watched.has(pid))
      .map(([pid, value]) => ({ pid, cores: round((value - (this.everyBefore.get(pid) ?? 0)) / seconds, 2) }))
      .filter((entry) => entry.cores >= 0.01)
      .sort((a, b) => b.cores - a.cores)
      .slice(0, 8)
      .map((entry) => ({ ...entry, command: commandOf(entry.pid) }));
    const cores: Record<string, number> = {};
    for (const [name, value] of after) {
      const was = this.before.get(name);
      if (value !== undefined && was !== undefined) cores[name] = round((value - was) / seconds, 2);
    }
    if (cores.machine !== undefined) {
      const known = Object.entries(cores)
        .filter(([name]) => name !== 'machine')
        .reduce((sum, [, value]) => sum + value, 0);
      cores.other = round(Math.max(0, cores.machine - known), 2);
    }
    return cores;
  }
}
