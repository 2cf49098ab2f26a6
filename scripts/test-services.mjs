// What the tests need besides Node, brought up before tap runs (scripts/test.mjs):
//   Kafka     a broker on 127.0.0.1:9092; when none answers, `bash scripts/kafka-local.sh start`, and
//             `bash scripts/kafka-local.sh stop` after the tests (also on failure or SIGINT/SIGTERM).
//   Postgres  127.0.0.1:5432 with the `test` database, user postgres without a password; when it does not
//             answer, the Debian cluster in /etc/postgresql is started (and stopped after); `test` is created
//             when missing. initdb/pg_ctl for the tests that run a Postgres of their own.
//   Redis     a redis-server binary (REDIS_SERVER_BIN), which the Redis tests start themselves.
// Only what was started here is stopped. A broker or server that already answers is left alone, and so is
// Kafka when KAFKA_BROKERS names another broker and Postgres when DATABASE_URL is set.
// Whatever cannot be provided is reported in one line with the command that fixes it; the caller fails the
// run under CI (CI set, as the tests read it) and carries on elsewhere (the tests then say they skipped).
// OMNIA_TEST_NO_SERVICES=1 skips all of this.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const kafkaScript = join(root, 'scripts', 'kafka-local.sh');
const KAFKA = { host: '127.0.0.1', port: 9092 };
const PG = { host: '127.0.0.1', port: 5432 };
const TEST_DATABASE_URL = `postgres://postgres@${PG.host}:${PG.port}/test`;
/** Where test/postgres/private-cluster.ts looks for initdb and pg_ctl. */
const PG_BIN_DIRS = [
  '/usr/lib/postgresql/17/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/15/bin',
  '/usr/local/bin',
  '/usr/bin',
];
const sudo = process.getuid?.() === 0 ? '' : 'sudo ';

const say = (line) => console.error(line);

/** Stops, newest first, of what was started here; run once, synchronously (it also runs on process exit). */
const stops = [];
/** Child processes to pass a SIGINT/SIGTERM on to. */
const running = new Set();

const onPath = (command) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;

/** Runs a command with its output on stderr (stdout carries the tap stream); resolves to its exit status. */
const run = (command, args) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 2, 2] });
    running.add(child);
    child.on('error', () => resolve(127));
    child.on('close', (code) => {
      running.delete(child);
      resolve(code ?? 1);
    });
  });

const answers = ({ host, port }) =>
  new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
  });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function stopAll() {
  while (stops.length) {
    try {
      stops.pop()();
    } catch (error) {
      say(`could not stop a test service: ${error.message}`);
    }
  }
}

async function kafka() {
  const brokers = process.env.KAFKA_BROKERS;
  if (brokers && brokers !== `${KAFKA.host}:${KAFKA.port}`) return [];
  if (await answers(KAFKA)) return [];
  const dir = process.env.OMNIA_KAFKA_DIR ?? join(root, '.kafka');
  const needs = ['java', ...(existsSync(join(dir, 'libs', '.complete')) ? [] : ['mvn'])].filter((command) => !onPath(command));
  if (needs.length) {
    const packages = needs.map((command) => (command === 'java' ? 'default-jre-headless' : 'maven')).join(' ');
    return [
      `Kafka does not answer on ${KAFKA.host}:${KAFKA.port} and scripts/kafka-local.sh needs ${needs.join(' and ')}: ${sudo}apt-get install -y ${packages}, then npm test`,
    ];
  }
  say(`No Kafka broker answers on ${KAFKA.host}:${KAFKA.port}: starting one (bash scripts/kafka-local.sh start), stopped after the tests`);
  // The stop is registered before the start so that an interrupted start leaves no broker behind, unless a
  // broker of this checkout's pid file was already alive (then it is not ours).
  if (!pidFileAlive(join(dir, 'broker.pid'))) {
    stops.push(() => {
      say('Stopping the Kafka broker started for the tests');
      spawnSync('bash', [kafkaScript, 'stop'], { cwd: root, stdio: ['ignore', 2, 2] });
    });
  }
  if ((await run('bash', [kafkaScript, 'start'])) !== 0 || !(await answers(KAFKA))) {
    return [
      `Kafka does not answer on ${KAFKA.host}:${KAFKA.port} and "bash scripts/kafka-local.sh start" failed (its output is above): fix that, then npm test`,
    ];
  }
  return [];
}

function pidFileAlive(file) {
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/** The Debian clusters named main, newest version first. */
function clusters() {
  try {
    return readdirSync('/etc/postgresql')
      .filter((version) => existsSync(join('/etc/postgresql', version, 'main')))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

async function pgReady() {
  if (onPath('pg_isready')) return spawnSync('pg_isready', ['-q', '-t', '2', '-h', PG.host, '-p', String(PG.port)]).status === 0;
  return answers(PG);
}

async function postgres() {
  const missing = [];
  if (!PG_BIN_DIRS.some((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))) {
    missing.push(
      `No initdb/pg_ctl (test/sink/postgres-outage.test.ts runs a Postgres of its own): ${sudo}apt-get install -y postgresql, then npm test`,
    );
  }
  if (process.env.DATABASE_URL) return missing;
  const version = clusters()[0];
  const hba = `/etc/postgresql/${version ?? '<version>'}/main/pg_hba.conf`;
  if (!(await pgReady())) {
    if (!version || !onPath('pg_ctlcluster')) {
      missing.push(
        `Postgres does not answer on ${PG.host}:${PG.port} and is not installed here: ${sudo}apt-get install -y postgresql, then put "host all all 127.0.0.1/32 trust" first in ${hba} (the tests connect as postgres without a password) and npm test`,
      );
      return missing;
    }
    const start = ['--skip-systemctl-redirect', version, 'main', 'start'];
    say(
      `Postgres does not answer on ${PG.host}:${PG.port}: starting cluster ${version}/main (pg_ctlcluster ${start.join(' ')}), stopped after the tests`,
    );
    if ((await run('pg_ctlcluster', start)) !== 0) {
      missing.push(
        `Postgres does not answer on ${PG.host}:${PG.port} and could not be started (its output is above): ${sudo}pg_ctlcluster ${start.join(' ')}, then npm test`,
      );
      return missing;
    }
    stops.push(() => {
      say(`Stopping Postgres cluster ${version}/main started for the tests`);
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'stop'], { stdio: ['ignore', 2, 2] });
    });
    const deadline = Date.now() + 30_000;
    while (!(await pgReady())) {
      if (Date.now() > deadline) {
        missing.push(
          `Postgres cluster ${version}/main started but does not answer on ${PG.host}:${PG.port} within 30 s: check port and listen_addresses in /etc/postgresql/${version}/main/postgresql.conf and /var/log/postgresql/, then npm test`,
        );
        return missing;
      }
      await sleep(500);
    }
  }
  const problem = await testDatabase(version);
  if (problem) missing.push(problem);
  return missing;
}

/** Connects as the tests do; creates the `test` database when only that is missing. Returns a problem line or undefined. */
async function testDatabase(version = '<version>') {
  const hba = `/etc/postgresql/${version}/main/pg_hba.conf`;
  let pg;
  try {
    ({ default: pg } = await import('pg'));
  } catch (error) {
    return `Cannot check Postgres without the pg package (${error.message}): npm ci, then npm test`;
  }
  const tryConnect = async (url, sql) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      if (sql) await client.query(sql);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  let error = await tryConnect(TEST_DATABASE_URL);
  if (error?.code === '3D000') {
    say(`Postgres on ${PG.host}:${PG.port} has no database test: creating it`);
    error = await tryConnect(`postgres://postgres@${PG.host}:${PG.port}/postgres`, 'CREATE DATABASE test');
    if (error)
      return `Postgres on ${PG.host}:${PG.port} has no database test and creating it failed (${error.message}): createdb -h ${PG.host} -U postgres test, then npm test`;
    return undefined;
  }
  if (!error) return undefined;
  if (error.code === '28P01' || error.code === '28000' || /password/i.test(error.message)) {
    return `Postgres on ${PG.host}:${PG.port} does not let user postgres in without a password (${error.message}): put "host all all 127.0.0.1/32 trust" first in ${hba}, ${sudo}pg_ctlcluster --skip-systemctl-redirect ${version} main reload, then npm test`;
  }
  return `Postgres on ${PG.host}:${PG.port} refuses the tests' connection to ${TEST_DATABASE_URL} (${error.message}): fix that (the tests connect as postgres without a password), then npm test`;
}

function redis() {
  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0) return [];
  return [`No ${binary} on this machine (test/redis starts its own): ${sudo}apt-get install -y redis-server, then npm test`];
}

/**
 * Checks and starts what the tests need. Returns the lines for what is missing (already printed) and `stop`,
 * which stops what was started here (also run on exit and on SIGINT/SIGTERM, after passing the signal to the
 * children handed to `forward`).
 */
export async function startTestServices() {
  if (process.env.OMNIA_TEST_NO_SERVICES === '1') return { missing: [], stop: () => undefined, forward: () => undefined };
  process.on('exit', stopAll);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ]) {
    process.on(signal, () => {
      for (const child of running) child.kill(signal);
      stopAll();
      process.exit(code);
    });
  }
  const missing = (await Promise.all([kafka(), postgres(), redis()])).flat();
  for (const line of missing) say(line);
  return {
    missing,
    stop: stopAll,
    /** Passes a SIGINT/SIGTERM on to `child` (the tap run) before stopping the services. */
    forward: (child) => {
      running.add(child);
      child.on('close', () => running.delete(child));
    },
  };
}
