#!/usr/bin/env node
// Runs the whole suite: compile (integration tests spawn compiled workers), then tap over test/**.
// Ends with the one line CI reads: "N passed, N failed". Extra args: test files to run, and tap flags.
// Before tap, scripts/test-services.mjs starts or checks Kafka, Postgres and redis-server (OMNIA_TEST_NO_SERVICES=1 skips that).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServices } from './test-services.mjs';

// The web app too: the browser tests load it from the query service (dist/web).
const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
const buildWeb = build.status === 0 ? spawnSync('npm', ['run', '--silent', 'build:web'], { stdio: 'inherit' }) : build;
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
// Extra args: files to run (instead of all), and tap flags (`--grep=…`), which go to every run.
const extra = process.argv.slice(2);
const flags = extra.filter((arg) => arg.startsWith('-'));
const files = extra.filter((arg) => !arg.startsWith('-'));
// One file at a time: the integration tests share the broker, Postgres, Redis and the browser, and two unit files
// at a time measured no faster (loading TypeScript is what they spend, on two cores).
const runs = [{ files: files.length ? files : testFiles('test'), jobs: 1 }];

let passed = 0;
let failed = 0;
let fileFailures = 0; // failed assertions seen inside the current file
let buffer = '';
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
/** One tap run; resolves with its exit code, its output counted as it goes. */
const runTap = ({ files: runFiles, jobs }) =>
  new Promise((resolve) => {
    const args = ['tap', '--disable-coverage', '--reporter=tap', '--timeout=900', `--jobs=${jobs}`, ...flags, ...runFiles];
    const tap = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    services.forward(tap);
    tap.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      lines.forEach(count);
    });
    tap.on('close', (code) => {
      if (buffer) count(buffer);
      buffer = '';
      resolve(code ?? 1);
    });
  });

let code = 0;
for (const run of runs) {
  const failedBefore = failed;
  const exit = await runTap(run);
  if (exit !== 0 && failed === failedBefore) failed++; // tap failed without a failing case (a crash, a timeout)
  if (exit !== 0) code = exit;
}
services.stop();
// Only the blocks that say something: a parent's "not ok" without a YAML block is named in the list below.
const said = details.filter((lines) => lines.length > 1);
if (said.length) console.log(`\nWhat failed:\n${said.map((lines) => lines.join('\n')).join('\n\n')}`);
if (failures.length) console.log(`\nFailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
