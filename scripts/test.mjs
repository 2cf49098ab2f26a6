#!/usr/bin/env node
// Runs the whole suite: compile (integration tests spawn compiled workers), then each test/**/*.test.ts, compiled.
// Ends with the one line CI reads: "N passed, N failed". Extra args: test files to run, --grep=…, --only.
// First, scripts/test-services.mjs starts or checks Kafka, Postgres and redis-server (OMNIA_TEST_NO_SERVICES=1 skips that).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServices } from './test-services.mjs';

// The web app first (the browser tests load it from the query service): its build empties dist/web, where tsc then
// puts the compiled web/src modules that test/unit/web imports.
const buildWeb = spawnSync('npm', ['run', '--silent', 'build:web'], { stdio: 'inherit' });
const build = buildWeb.status === 0 ? spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' }) : buildWeb;
if (build.status !== 0 || buildWeb.status !== 0) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}

const services = await startTestServices();
if (services.missing.length && process.env.CI) {
  // Under CI a missing service fails the run at once (the line above says what to install).
  services.stop();
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}

/** Test files are `*.test.ts`; helpers, fixtures and pending work beside them are not run. */
const testFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? testFiles(join(dir, entry.name)) : entry.name.endsWith('.test.ts') ? [join(dir, entry.name)] : [],
  );
// Extra args: files to run (instead of all), and `--grep=…` / `--only`, which go to every file.
const extra = process.argv.slice(2);
const flags = extra.filter((arg) => arg.startsWith('-'));
const files = extra.filter((arg) => !arg.startsWith('-'));

let passed = 0;
let failed = 0;
let fileFailures = 0; // failed assertions seen inside the current file
const failures = []; // 'file > case', listed again just above the last line so a log's tail names them
let currentFile = '';
// Each failed assertion with its YAML block (what was wanted, what was found, where), repeated at the end too:
// a CI log is often read from its tail only.
const details = [];
let detail = null; // the block being read: { indent, lines }
const MAX_DETAILS = 20;
const MAX_DETAIL_LINES = 30;
const collect = (line) => {
  if (detail) {
    detail.lines.push(line);
    if (line.trim() === '...' || detail.lines.length >= MAX_DETAIL_LINES) detail = null;
    return;
  }
  const failure = /^(\s*)not ok \d+ - (.*)$/.exec(line);
  if (failure && failure[1].length > 0 && details.length < MAX_DETAILS) {
    detail = { lines: [`${currentFile}: ${failure[2]}`] };
    details.push(detail.lines);
  }
};
const count = (line) => {
  collect(line);
  const subtest = /^# Subtest: (.+)$/.exec(line);
  if (subtest) currentFile = subtest[1];
  // Depth-2 results are the t.test() cases in each file; a file that fails outside any case counts once.
  if (/^ {4}ok \d+/.test(line)) passed++;
  else if (/^ {4}not ok \d+/.test(line)) {
    failed++;
    fileFailures++;
    failures.push(`${currentFile} > ${line.replace(/^ {4}not ok \d+ - /, '')}`);
  } else if (/^not ok \d+/.test(line)) {
    if (fileFailures === 0) {
      failed++;
      failures.push(`${currentFile} (outside any case: ${line.replace(/^not ok \d+ - /, '')})`);
    }
    fileFailures = 0;
  } else if (/^ok \d+/.test(line)) fileFailures = 0;
};
// Each compiled file runs in its own `node` (a tap test file is a program that prints TAP): the tap runner's own
// start-up and TypeScript loading cost about 2 s a file, more than most unit files take to run.
const FILE_TIMEOUT_MS = 900_000;
const grep = flags.filter((flag) => flag.startsWith('--grep=')).map((flag) => flag.slice('--grep='.length));
const unknownFlags = flags.filter((flag) => !flag.startsWith('--grep=') && flag !== '--only');
if (unknownFlags.length) {
  services.stop();
  console.log(`unknown flag ${unknownFlags.join(' ')}: the runner takes --grep=<pattern> (repeatable) and --only\n\n0 passed, 1 failed`);
  process.exit(1);
}
const testEnv = {
  ...process.env,
  // A test file's own limit (tap's default is 30 s when a file runs by itself); the runner also kills it at this.
  TAP_TIMEOUT: String(FILE_TIMEOUT_MS / 1000),
  ...(grep.length ? { TAP_GREP: grep.join('\n') } : {}),
  ...(flags.includes('--only') ? { TAP_ONLY: '1' } : {}),
};
const compiled = (file) => join('dist', file.replace(/\.ts$/, '.js'));
const say = (line) => {
  process.stdout.write(`${line}\n`);
  count(line);
};

/**
 * One test file, its TAP framed as the tap runner frames a file (its cases one level down); resolves with its exit
 * code. Its output is held and printed whole when it ends, so two files running at once never interleave.
 */
let numbered = 0;
const runFile = (file) =>
  new Promise((resolve) => {
    const started = Date.now();
    const lines = [`# Subtest: ${file}`];
    const child = spawn(process.execPath, ['--enable-source-maps', compiled(file)], { stdio: ['ignore', 'pipe', 'inherit'], env: testEnv });
    services.forward(child);
    let timedOut = false;
    let pending = '';
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, FILE_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      pending += chunk.toString();
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) lines.push(`    ${line}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending) lines.push(`    ${pending}`);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const number = ++numbered;
      if (code === 0) lines.push(`ok ${number} - ${file} # time=${seconds}s`);
      else {
        const why = timedOut ? `timed out after ${FILE_TIMEOUT_MS / 1000} s` : signal ? `killed by ${signal}` : `exit code ${code}`;
        lines.push(`not ok ${number} - ${file} (${why}) # time=${seconds}s`);
      }
      for (const line of lines) say(line);
      resolve(code ?? 1);
    });
  });

/**
 * Two files run at a time, in two lanes, so that the suite fits CI's time (one at a time it took 28 minutes, 18 of
 * them in test/kafka, whose files mostly wait: for a commit, a session timeout, a hold, a partner's retry). Each
 * file uses topics, groups, schemas, ports and state dirs of its own. Three rules keep the pairs fair:
 * - a broker test whose first lines say `ci: alone` (a private cluster of three brokers, a TLS broker, kills timed
 *   against the load) has no other broker test beside it: while lane A runs those one by one, lane B runs tests
 *   that use no broker (unit, postgres, redis, observability, deploy, embedded, then the browser's);
 * - then both lanes take the other broker tests, then what is left of the rest (a third lane for the tests that
 *   mostly wait for a minute boundary was tried: every file ran slower beside it and the suite took longer);
 * - the sink tests run last, one at a time with nothing beside them: their SIGKILLs are timed to land mid-batch.
 */
const BROKER_DIR = join('test', 'kafka');
const LAST_DIRS = [join('test', 'sink')];
const LIGHT_ORDER = ['unit', 'postgres', 'redis', 'observability', 'deploy', 'embedded', 'browser'].map((dir) => join('test', dir));
const marked = (file, mark) => new RegExp(`ci: ${mark}`).test(readFileSync(file, 'utf8').slice(0, 2000));
const inDir = (file, dir) => file.startsWith(dir + '/');
const lightRank = (file) => {
  const rank = LIGHT_ORDER.findIndex((dir) => inDir(file, dir));
  return rank < 0 ? LIGHT_ORDER.length : rank;
};
async function runAll(list) {
  let code = 0;
  const run = async (file) => {
    if ((await runFile(file)) !== 0) code = 1;
  };
  const last = list.filter((file) => LAST_DIRS.some((dir) => inDir(file, dir)));
  const broker = list.filter((file) => inDir(file, BROKER_DIR) && !last.includes(file));
  const alone = broker.filter((file) => marked(file, 'alone'));
  const shared = broker.filter((file) => !alone.includes(file));
  const light = list
    .filter((file) => !broker.includes(file) && !last.includes(file))
    .map((file, index) => ({ file, index }))
    .sort((a, b) => lightRank(a.file) - lightRank(b.file) || a.index - b.index)
    .map(({ file }) => file);
  let aloneDone = () => {};
  const alonePhase = new Promise((resolve) => (aloneDone = resolve));
  const pool = async () => {
    for (let next = shared.shift() ?? light.shift(); next !== undefined; next = shared.shift() ?? light.shift()) await run(next);
  };
  const laneA = async () => {
    for (const file of alone) await run(file);
    aloneDone();
    await pool();
  };
  const laneB = async () => {
    let busy = true;
    void alonePhase.then(() => (busy = false));
    while (busy && light.length) await run(light.shift());
    await alonePhase; // no broker test beside one that runs alone
    await pool();
  };
  await Promise.all([laneA(), laneB()]);
  for (const file of last) await run(file);
  return code;
}

const runFiles = files.length ? files : testFiles('test');
say('TAP version 14');
const code = await runAll(runFiles);
say(`1..${runFiles.length}`);
services.stop();
// Only the blocks that say something: a parent's "not ok" without a YAML block is named in the list below.
const said = details.filter((lines) => lines.length > 1);
if (said.length) console.log(`\nWhat failed:\n${said.map((lines) => lines.join('\n')).join('\n\n')}`);
if (failures.length) console.log(`\nFailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
