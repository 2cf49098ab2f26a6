/**
 * HTTP schema fuzzing, the long form of test/embedded/http-fuzz.test.ts: the same campaign (test/fuzz/http-campaign.ts)
 * with many more bad requests, on the embedded default in a process of its own. It prints the figures — routes,
 * requests by status and by kind, the child's memory (VmRSS at the start, its peak, at the end) and CPU, the
 * largest answer, the time — and every failure, effect or lost valid request it found; it exits 1 if there is one.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http-fuzz.js [--requests=100000] [--seed=20261207] [--concurrency=8]
 *
 * Memory is the figure to watch: bad requests must not leave anything behind, so the peak should stay near the
 * start however many are sent.
 */
import { httpFuzzCampaign, summary } from '../test/fuzz/http-campaign.js';

interface Options {
  requests: number;
  seed: number;
  concurrency: number;
}

function parseOptions(argv: readonly string[]): Options {
  const given = new Map(
    argv.map((arg) => {
      const match = /^--([a-z-]+)=(.*)$/.exec(arg);
      if (!match) throw new Error(`unknown argument "${arg}" (known: --requests=N --seed=N --concurrency=N)`);
      return [match[1]!, match[2]!] as const;
    }),
  );
  const known = ['requests', 'seed', 'concurrency'];
  for (const name of given.keys())
    if (!known.includes(name)) throw new Error(`unknown option --${name} (known: --requests --seed --concurrency)`);
  const int = (name: string, fallback: number) => {
    const raw = given.get(name);
    const value = raw === undefined ? fallback : Number(raw.replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return { requests: int('requests', 100_000), seed: int('seed', 20_261_207), concurrency: int('concurrency', 8) };
}

const options = parseOptions(process.argv.slice(2));
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
log(`http fuzz: about ${options.requests} bad requests, seed ${options.seed}, ${options.concurrency} in flight`);
const result = await httpFuzzCampaign({ ...options, progress: log });

const table = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([name, count]) => `  ${name.padEnd(26)} ${String(count).padStart(8)}`)
    .join('\n');
console.log(`\nby status\n${table(result.byStatus)}\n\nby kind\n${table(result.byKind)}\n`);
const problems = [
  ...result.schemaGaps.map((gap) => `schema: ${gap}`),
  ...result.failures,
  ...result.effects.map((effect) => `effect: ${effect}`),
  ...result.afterwards,
  ...result.errorsLogged.map((line) => `logged: ${line}`),
];
for (const problem of problems.slice(0, 50)) console.log(`FAILED ${problem}`);
if (problems.length > 50) console.log(`… and ${problems.length - 50} more`);
console.log(summary(result));
process.exit(problems.length ? 1 : 0);
