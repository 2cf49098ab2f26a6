/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time and by total
 * (inclusive) time, and self time per file / package. Also a command line:
 *
 *   node dist/bench/runtime/profile.js <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  where: string;
  percent: number;
  ms: number;
}

export interface ProfileSummary {
  file: string;
  durationMs: number;
  /** Share of samples in which the process was idle (waiting on I/O). */
  idlePercent: number;
  /** Share of samples in garbage collection. */
  gcPercent: number;
  self: ProfileRow[];
  /** Inclusive time of the runtime's own functions (topology/, state/, the test fixtures). */
  total: ProfileRow[];
  /**
   * Self time charged to the innermost runtime function on the stack: what each runtime entry point costs
   * including the client / engine / Node code it calls. Samples with no runtime frame (socket callbacks of
   * the client, timers, GC, idle) are grouped under their own name.
   */
  byEntry: ProfileRow[];
  /** Self time by what the sample was doing, judged from its whole stack (SUBSYSTEMS, first match wins). */
  bySubsystem: ProfileRow[];
  byFile: ProfileRow[];
}

/**
 * Subsystems by the frames on a sample's stack, most specific first: a processor's store read that ends in
 * LevelDB counts as the engine, a send's record encoding as the producer, and so on.
 */
const SUBSYSTEMS: Array<[string, RegExp]> = [
  [
    'state engine (classic-level / LevelDB)',
    /\/node_modules\/(classic-level|abstract-level|level-transcoder|module-error)\/|\/state\/leveldb-engine\.js/,
  ],
  ['runtime: restore (records to engine batches)', /\/topology\/restore\.js/],
  [
    'Kafka client: produce (encode, send, transactions)',
    /@platformatic\/kafka\/dist\/(clients\/producer|apis\/producer)\/|\/topology\/kafka\/platformatic-producer\.js/,
  ],
  [
    'Kafka client: fetch (decode, aborted-transaction filter)',
    /@platformatic\/kafka\/dist\/apis\/consumer\/fetch|\/topology\/kafka\/(platformatic-fetch|platformatic-reader|record-batches)\.js/,
  ],
  ['metrics (prom-client)', /\/node_modules\/prom-client\//],
  ['Kafka client: other (metadata, group, connections)', /@platformatic\/kafka\//],
  [
    'runtime: commit (collect output, flush stores, checkpoints)',
    /\/topology\/streams-runtime\.js:commit|\/state\/(task-store|checkpoint|transaction-buffer)\.js:(flush|writes|pendingChangelog|writeCheckpoint|entries|committed)/,
  ],
  ['runtime: per-record processing (task, serdes, stores, processors)', /\/(topology|state|test)\//],
  ['module loading and start-up', /node:internal\/modules\//],
];
/** The runtime's own code, as opposed to dependencies, Node and the benchmark harness. */
function isRuntimeUrl(url: string): boolean {
  return /\/dist\/(topology|state|test)\//.test(url);
}

const META = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/** A short location: package name for dependencies, path under the repository for our code, node: for Node internals. */
export function shortLocation(url: string): string {
  if (!url) return '(native)';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = file.slice(modules + 'node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    const inner = rest.slice(rest[0]!.startsWith('@') ? 2 : 1).join('/');
    return `${pkg}:${inner}`;
  }
  const dist = file.lastIndexOf('/dist/');
  if (dist >= 0) return file.slice(dist + '/dist/'.length);
  return file.startsWith('node:') ? file : path.basename(file);
}

/** The file (or package) a location belongs to, for the per-file aggregate. */
function fileOf(url: string): string {
  const location = shortLocation(url);
  return url.includes('node_modules/') ? location.split(':')[0]! : location;
}

export function summarise(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // Time per sample: the delta to the next sample (the last sample gets the mean).
  const total = profile.samples.length;
  const durationMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = total ? durationMs / total : 0;
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);

  const keyOf = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'}\u0000${node.callFrame.url}\u0000${node.callFrame.lineNumber}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const perFile = new Map<string, number>();
  const perEntry = new Map<string, number>();
  const perSubsystem = new Map<string, number>();
  const frames = new Map<string, ProfileNode>();
  let idle = 0;
  let gc = 0;
  for (const [id, count] of hits) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)') idle += count;
    if (name === '(garbage collector)') gc += count;
    const key = keyOf(node);
    frames.set(key, node);
    self.set(key, (self.get(key) ?? 0) + count);
    if (!META.has(name)) {
      const where = fileOf(node.callFrame.url);
      perFile.set(where, (perFile.get(where) ?? 0) + count);
    } else perFile.set(name, (perFile.get(name) ?? 0) + count);
    // Inclusive: every distinct runtime function on the stack of this sample; entry: the innermost one.
    const seen = new Set<string>();
    let entry: string | undefined;
    const stack: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!;
      stack.push(`${frame.callFrame.url}:${frame.callFrame.functionName}`);
      if (!isRuntimeUrl(frame.callFrame.url)) continue;
      const frameKey = keyOf(frame);
      entry ??= frameKey;
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      frames.set(frameKey, frame);
      inclusive.set(frameKey, (inclusive.get(frameKey) ?? 0) + count);
    }
    const entryKey = entry ?? (META.has(name) ? key : `(no runtime frame: ${fileOf(node.callFrame.url)})\u0000\u0000-1`);
    if (!frames.has(entryKey))
      frames.set(entryKey, {
        id: -1,
        callFrame: { functionName: entryKey.split('\u0000')[0]!, url: '', lineNumber: -1, columnNumber: -1 },
      });
    perEntry.set(entryKey, (perEntry.get(entryKey) ?? 0) + count);
    const subsystem = META.has(name)
      ? name
      : (SUBSYSTEMS.find(([, pattern]) => stack.some((frame) => pattern.test(frame)))?.[0] ?? 'other (Node internals, timers, sockets)');
    perSubsystem.set(subsystem, (perSubsystem.get(subsystem) ?? 0) + count);
  }
  const percent = (count: number) => Math.round((count / Math.max(1, total)) * 1000) / 10;
  const rows = (map: Map<string, number>, skipMeta: boolean): ProfileRow[] =>
    [...map]
      .filter(([key]) => !skipMeta || !META.has(frames.get(key)!.callFrame.functionName))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, count]) => {
        const frame = frames.get(key)!.callFrame;
        return {
          name: frame.functionName || '(anonymous)',
          where: frame.url ? `${shortLocation(frame.url)}:${frame.lineNumber + 1}` : '(native)',
          percent: percent(count),
          ms: Math.round(count * msPerSample),
        };
      });
  return {
    file,
    durationMs: Math.round(durationMs),
    idlePercent: percent(idle),
    gcPercent: percent(gc),
    self: rows(self, false),
    total: rows(inclusive, true),
    byEntry: rows(perEntry, false),
    bySubsystem: [...perSubsystem]
      .sort((a, b) => b[1] - a[1])
      .map(([subsystem, count]) => ({ name: subsystem, where: '', percent: percent(count), ms: Math.round(count * msPerSample) })),
    byFile: [...perFile]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, count]) => ({ name: where, where, percent: percent(count), ms: Math.round(count * msPerSample) })),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const table = (title: string, rows: ProfileRow[], withWhere: boolean) =>
    [
      title,
      ...rows.map(
        (row) =>
          `  ${row.percent.toFixed(1).padStart(5)}%  ${String(row.ms).padStart(6)} ms  ${row.name}${withWhere ? `  ${row.where}` : ''}`,
      ),
    ].join('\n');
  return [
    `profile ${path.basename(summary.file)}: ${summary.durationMs} ms, idle ${summary.idlePercent}%, GC ${summary.gcPercent}%`,
    table('time by subsystem (whole stack):', summary.bySubsystem, false),
    table('self time by function:', summary.self, true),
    table('total (inclusive) time of runtime functions:', summary.total, true),
    table('self time charged to the innermost runtime function on the stack:', summary.byEntry, true),
    table('self time by file / package:', summary.byFile, false),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/runtime/profile.js <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(summarise(file, Number(top ?? 20)))}\n`);
}
