/**
 * Persistent state-store engines head to head on one workload: 1,000,000 keys of 20 bytes with
 * ~100-byte JSON-ish values, written in shuffled order in batches of 1,000. Each engine runs in its
 * own child process so peak RSS is that engine's alone.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/state-engines.js
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineWrite, StoreEngine } from '../state/engine.js';
import { createEngine, type EngineKind } from '../state/engines.js';

const RECORDS = 1_000_000;
const BATCH = 1_000;
const GETS = 200_000;
const MISSES = 100_000;
const ENGINES: EngineKind[] = ['rocksdb', 'leveldb'];
// Prime and coprime with RECORDS, so i * STRIDE % RECORDS visits every index once in scattered order.
const STRIDE = 999_983;

interface Result {
  engine: string;
  writePerSec: number;
  getPerSec: number;
  missPerSec: number;
  scanPerSec: number;
  reopenMs: number;
  peakRssMb: number;
  diskMb: number;
}

const keyOf = (i: number): Buffer => Buffer.from(`order-${String(i).padStart(14, '0')}`);
// Sorts between keyOf(i) and keyOf(i + 1), so misses land inside the key range rather than past its end.
const absentKeyOf = (i: number): Buffer => Buffer.from(`order-${String(i).padStart(14, '0')}x`);

function valueOf(i: number): Buffer {
  const json = `{"id":${i},"status":"${i % 3 ? 'OPEN' : 'FILLED'}","qty":${i % 977},"px":${(i % 10007) / 100},"acct":"A${i % 5003}"}`;
  return Buffer.from(json.padEnd(100, ' '));
}

const perSec = (count: number, startNs: bigint): number => Math.round(count / (Number(process.hrtime.bigint() - startNs) / 1e9));

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await dirBytes(full) : (await stat(full)).size;
  }
  return total;
}

async function load(engine: StoreEngine): Promise<number> {
  const start = process.hrtime.bigint();
  for (let base = 0; base < RECORDS; base += BATCH) {
    const batch: EngineWrite[] = [];
    for (let i = base; i < base + BATCH; i++) {
      const n = (i * STRIDE) % RECORDS;
      batch.push([keyOf(n), valueOf(n)]);
    }
    await engine.write(batch);
  }
  return perSec(RECORDS, start);
}

async function pointGets(engine: StoreEngine, count: number, present: boolean): Promise<number> {
  let seed = present ? 42 : 7;
  let wrong = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const index = seed % RECORDS;
    const value = await engine.get(present ? keyOf(index) : absentKeyOf(index));
    if ((value !== undefined) !== present) wrong++;
  }
  const rate = perSec(count, start);
  if (wrong > 0) throw new Error(`${engine.kind}: ${wrong} of ${count} point gets returned the wrong presence`);
  return rate;
}

async function scan(engine: StoreEngine): Promise<number> {
  let count = 0;
  let previous: Buffer = Buffer.alloc(0);
  const start = process.hrtime.bigint();
  for await (const [key] of engine.range()) {
    if (Buffer.compare(previous, key) >= 0) throw new Error(`${engine.kind}: scan out of order`);
    previous = key;
    count++;
  }
  const rate = perSec(count, start);
  if (count !== RECORDS) throw new Error(`${engine.kind}: scan saw ${count} of ${RECORDS} records`);
  return rate;
}

async function runOne(kind: EngineKind, location: string): Promise<Result> {
  const engine = createEngine(kind, location);
  await engine.open();
  const writePerSec = await load(engine);
  const getPerSec = await pointGets(engine, GETS, true);
  const missPerSec = await pointGets(engine, MISSES, false);
  const scanPerSec = await scan(engine);
  await engine.close();
  const diskMb = (await dirBytes(location)) / 2 ** 20;
  const start = process.hrtime.bigint();
  await engine.open();
  const reopenMs = Number(process.hrtime.bigint() - start) / 1e6;
  await engine.destroy();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  return { engine: kind, writePerSec, getPerSec, missPerSec, scanPerSec, reopenMs, peakRssMb, diskMb };
}

function printTable(results: Result[]): void {
  const rows = [
    ['engine', 'write rec/s', 'get rec/s', 'miss get/s', 'scan rec/s', 'reopen ms', 'peak RSS MB', 'disk MB'],
    ...results.map((r) => [
      r.engine,
      r.writePerSec.toLocaleString('en-US'),
      r.getPerSec.toLocaleString('en-US'),
      r.missPerSec.toLocaleString('en-US'),
      r.scanPerSec.toLocaleString('en-US'),
      r.reopenMs.toFixed(1),
      r.peakRssMb.toFixed(0),
      r.diskMb.toFixed(1),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

async function main(): Promise<void> {
  const [mode, kind, location] = process.argv.slice(2);
  if (mode === 'child') {
    console.log(JSON.stringify(await runOne(kind as EngineKind, location!)));
    return;
  }
  console.log(
    `${RECORDS.toLocaleString('en-US')} records, 20-byte keys, 100-byte values, batches of ${BATCH}, ${GETS.toLocaleString('en-US')} awaited gets of present keys, ${MISSES.toLocaleString('en-US')} of absent ones`,
  );
  const root = await mkdtemp(path.join(os.tmpdir(), 'omnia-bench-engines-'));
  const results: Result[] = [];
  try {
    for (const engine of ENGINES) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'child', engine, path.join(root, engine)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (child.status !== 0) throw new Error(`${engine} benchmark exited with ${child.status}`);
      results.push(JSON.parse(child.stdout.trim().split('\n').pop()!) as Result);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  printTable(results);
}

await main();
