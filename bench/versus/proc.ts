/**
 * What a process has used, read from /proc while it is alive: user and system CPU seconds (/proc/<pid>/stat)
 * and resident memory, current and peak (/proc/<pid>/status VmRSS, VmHWM). Read before a process is stopped:
 * once it has exited and been reaped its figures are gone.
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

export function readCpu(pid: number): CpuReading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name start at field 3 (state); utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { at: Date.now(), user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** Resident set size now and at its peak, MB. */
export function readMemory(pid: number): { rssMb: number; peakRssMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: round(kb('VmRSS') / 1024, 1), peakRssMb: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return undefined;
  }
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
