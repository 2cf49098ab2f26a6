/**
 * What a process has used, read from /proc while it is alive: user and system CPU seconds (/proc/<pid>/stat)
 * and resident memory, current and peak (/proc/<pid>/status VmRSS, VmHWM). Read before a process is stopped:
 * once it has exited and been reaped its figures are gone. An app that forks workers is read as a tree: the
 * process and its descendants, found by their parent pid (field 4 of /proc/<pid>/stat).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { round } from '../runtime/common.js';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface CpuReading {
  /** Wall clock of the reading, epoch ms. */
  at: number;
  user: number;
  system: number;
}

/** The fields of /proc/<pid>/stat after the command name, which may hold spaces: [0] is field 3 (state). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function readCpu(pid: number): CpuReading | undefined {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15.
  return fields && { at: Date.now(), user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

export interface MemoryReading {
  rssMb: number;
  peakRssMb: number;
}

function readMemoryKb(pid: number): { rssKb: number; peakKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
    const rssKb = kb('VmRSS');
    // A zombie (exited, not yet reaped) has no VmRSS line: it holds no memory.
    return Number.isNaN(rssKb) ? undefined : { rssKb, peakKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Resident set size now and at its peak, MB. */
export function readMemory(pid: number): MemoryReading | undefined {
  const kb = readMemoryKb(pid);
  return kb && { rssMb: round(kb.rssKb / 1024, 1), peakRssMb: round(kb.peakKb / 1024, 1) };
}

export interface ProcessLink {
  pid: number;
  ppid: number;
}

/** Every live process with its parent, from one scan of /proc. */
export function readProcessLinks(): ProcessLink[] {
  const links: ProcessLink[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields) links.push({ pid: Number(entry), ppid: Number(fields[1]) });
  }
  return links;
}

/** `root` first, then every process below it in `links` (children, their children…). */
export function treeOf(root: number, links: Iterable<ProcessLink>): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of links) {
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  const tree = [root];
  const seen = new Set(tree);
  for (let i = 0; i < tree.length; i++)
    for (const child of children.get(tree[i]!) ?? [])
      if (!seen.has(child)) {
        seen.add(child);
        tree.push(child);
      }
  return tree;
}

/** `pid` and its live descendants (a primary and its forked workers), from one scan of /proc. */
export const processTree = (pid: number): number[] => treeOf(pid, readProcessLinks());

/**
 * CPU of `pid` and its live descendants, summed; undefined when `pid` itself is gone. A descendant's CPU
 * leaves the sum when it exits, so read the tree while its workers still run. `tree` is one `processTree(pid)`,
 * for a caller that needs the same pids for something else.
 */
export function readTreeCpu(pid: number, tree: readonly number[] = processTree(pid)): CpuReading | undefined {
  const root = readCpu(pid);
  if (!root) return undefined;
  let { user, system } = root;
  for (const descendant of tree.filter((member) => member !== pid)) {
    const reading = readCpu(descendant);
    if (reading) {
      user += reading.user;
      system += reading.system;
    }
  }
  return { at: root.at, user, system };
}

/**
 * Resident memory of `pid` and its live descendants: RSS summed now (pages shared between them, such as the
 * node binary's code, count once per process) and the sum of each one's own peak (VmHWM). The processes need
 * not have peaked at the same moment, so that peak is an upper bound on the tree's. `processes` is how many
 * were summed.
 */
export function readTreeMemory(
  pid: number,
  tree: readonly number[] = processTree(pid),
): (MemoryReading & { processes: number }) | undefined {
  const root = readMemoryKb(pid);
  if (!root) return undefined;
  let { rssKb, peakKb } = root;
  let processes = 1;
  for (const descendant of tree.filter((member) => member !== pid)) {
    const kb = readMemoryKb(descendant);
    if (!kb) continue;
    rssKb += kb.rssKb;
    peakKb += kb.peakKb;
    processes++;
  }
  return { rssMb: round(rssKb / 1024, 1), peakRssMb: round(peakKb / 1024, 1), processes };
}

export interface CpuUse {
  userSeconds: number;
  systemSeconds: number;
  /** Wall-clock seconds between the two readings. */
  wallSeconds: number;
  /** (user + system) / wall, in % of one core. */
  percentOfCore: number;
}

export function cpuBetween(from: CpuReading | undefined, to: CpuReading | undefined): CpuUse | undefined {
  if (!from || !to || to.at <= from.at) return undefined;
  const userSeconds = round(to.user - from.user, 2);
  const systemSeconds = round(to.system - from.system, 2);
  const wallSeconds = round((to.at - from.at) / 1000, 2);
  return { userSeconds, systemSeconds, wallSeconds, percentOfCore: round(((userSeconds + systemSeconds) / wallSeconds) * 100, 1) };
}

/** A reading of zero at the process's spawn: its CPU over its whole life so far. */
export const spawnReading = (spawnedAt: number): CpuReading => ({ at: spawnedAt, user: 0, system: 0 });

/** Busy CPU seconds of the whole machine (every process), from /proc/stat, as a reading. */
export function readMachine(): CpuReading | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return { at: Date.now(), user: (user + nice) / CLOCK_TICKS, system: (system + irq + softirq + steal) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) of every process on the machine now, by pid. */
export function readEveryProcess(): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const reading = readCpu(Number(entry));
    if (reading) seconds.set(Number(entry), reading.user + reading.system);
  }
  return seconds;
}

/** The processes outside `watched` that used most CPU between two `readEveryProcess` readings: what "other" was. */
export function busiestOthers(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  wallSeconds: number,
  watched: ReadonlySet<number>,
): Array<{ pid: number; command: string; percentOfCore: number }> {
  return [...after]
    .filter(([pid]) => !watched.has(pid))
    .map(([pid, seconds]) => ({ pid, percentOfCore: round(((seconds - (before.get(pid) ?? 0)) / wallSeconds) * 100, 1) }))
    .filter((entry) => entry.percentOfCore >= 2)
    .sort((a, b) => b.percentOfCore - a.percentOfCore)
    .slice(0, 5)
    .map((entry) => ({ ...entry, command: commandOf(entry.pid) }));
}

function commandOf(pid: number): string {
  try {
    const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return (line || readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).slice(0, 120);
  } catch {
    return '?';
  }
}
