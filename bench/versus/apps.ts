/**
 * The two apps under test, each started as its own process with the same settings: the run's broker, topic
 * prefix, application id (= consumer group), state directory, exactly-once and the commit interval. What
 * either needs that this machine lacks is said up front, with how to get it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BROKERS } from '../runtime/common.js';
import { Child } from './child.js';

export type AppName = 'omnia' | 'kstreams';
export const APP_NAMES: readonly AppName[] = ['omnia', 'kstreams'];

/** Names of one run: fresh for every run, so no state, group or topic carries over. */
export interface RunNames {
  applicationId: string;
  /** Prepended to every topic name. */
  prefix: string;
  stateDir: string;
}

export interface AppSettings {
  commitIntervalMs: number;
  /** Kafka Streams' num.stream.threads. */
  kstreamsThreads: number;
  /**
   * Kafka Streams' producer retry.backoff.ms. Under transactions v2 a Produce sent while the previous transaction
   * still completes is refused and sent again after it: 100 ms by default.
   */
  kstreamsRetryBackoffMs?: number;
  /** JVM options for the Kafka Streams app (heap, GC), split on spaces. */
  javaOptions: readonly string[];
  /** Node options for Omnia (a CPU profile), split on spaces. */
  nodeOptions: readonly string[];
  /** Omnia's OMNIA_WORKERS: above 1, a primary process forks this many workers. */
  omniaWorkers: number;
}

export interface AppUnderTest {
  name: AppName;
  label: string;
  /** What keeps it from running here, each with the way to fix it; empty when it can run. */
  missing(): string[];
  /** The settings it is started with (recorded with the results). */
  environment(names: RunNames, settings: AppSettings): Record<string, string>;
  start(names: RunNames, settings: AppSettings, logFile: string): Child;
  /** The stdout line it prints once it runs. */
  ready: RegExp;
}

const fromRepo = (relative: string): string => fileURLToPath(new URL(`../../../${relative}`, import.meta.url));
const OMNIA_BIN = fileURLToPath(new URL('../../bin/omnia.js', import.meta.url));
export const KSTREAMS_JAR = fromRepo('bench/kstreams/target/omnia-kstreams.jar');
const KSTREAMS_POM = fromRepo('bench/kstreams/pom.xml');
const KSTREAMS_BUILD = 'mvn -q -f bench/kstreams/pom.xml package -DskipTests';

/** The environment without what would change either app's behaviour behind the bench's back. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // No query service, no schema registry (JSON on every topic), no fixed instance id shared between runs.
  for (const name of ['DATABASE_URL', 'SCHEMA_REGISTRY_URL', 'OMNIA_INSTANCE_ID', 'OMNIA_ENDPOINT']) delete env[name];
  return env;
}

/** The variables of the bench's own environment whose names match. */
function ownSettings(names: RegExp): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => names.test(entry[0]) && entry[1] !== undefined),
  );
}

export const omnia: AppUnderTest = {
  name: 'omnia',
  label: 'Omnia',
  missing: () => (existsSync(OMNIA_BIN) ? [] : [`${OMNIA_BIN} is missing: build with npx tsc -p tsconfig.json`]),
  environment: (names, settings) => ({
    // Every OMNIA_* setting of the bench's own environment passes through (OMNIA_COMMIT_IDLE_MS=0, an engine…).
    ...ownSettings(/^OMNIA_/),
    KAFKA_BROKERS: BROKERS.join(','),
    OMNIA_APPLICATION_ID: names.applicationId,
    OMNIA_TOPIC_PREFIX: names.prefix,
    OMNIA_STATE_DIR: names.stateDir,
    OMNIA_PROCESSING_GUARANTEE: 'exactly_once',
    OMNIA_COMMIT_INTERVAL_MS: String(settings.commitIntervalMs),
    OMNIA_RELEASE_HOLD_SECONDS: '0',
    OMNIA_FORMAT: 'json',
    OMNIA_WORKERS: String(settings.omniaWorkers),
  }),
  start(names, settings, logFile) {
    const env = { ...baseEnv(), ...this.environment(names, settings) };
    return new Child('omnia', process.execPath, [...settings.nodeOptions, OMNIA_BIN, 'start'], env, logFile);
  },
  ready: /omnia: running on/,
};

export const kstreams: AppUnderTest = {
  name: 'kstreams',
  label: 'Kafka Streams',
  missing() {
    const problems: string[] = [];
    const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
    if (java.error || java.status !== 0)
      problems.push('java is not on PATH: install a JDK 17 or later (e.g. apt-get install openjdk-17-jdk-headless)');
    if (!existsSync(KSTREAMS_POM))
      problems.push(
        'bench/kstreams/pom.xml is missing: the Kafka Streams app is not in this checkout yet (run with --only=omnia meanwhile)',
      );
    else if (!existsSync(KSTREAMS_JAR)) problems.push(`${KSTREAMS_JAR} is missing: build it with ${KSTREAMS_BUILD}`);
    return problems;
  },
  environment: (names, settings) => ({
    ...ownSettings(/^OMNIA_(COD_|RELEASE_HOLD)/),
    KAFKA_BROKERS: BROKERS.join(','),
    APPLICATION_ID: names.applicationId,
    TOPIC_PREFIX: names.prefix,
    STATE_DIR: names.stateDir,
    COMMIT_INTERVAL_MS: String(settings.commitIntervalMs),
    NUM_STREAM_THREADS: String(settings.kstreamsThreads),
    ...(settings.kstreamsRetryBackoffMs === undefined ? {} : { PRODUCER_RETRY_BACKOFF_MS: String(settings.kstreamsRetryBackoffMs) }),
  }),
  start(names, settings, logFile) {
    const env = { ...baseEnv(), ...this.environment(names, settings) };
    return new Child('kstreams', 'java', [...settings.javaOptions, '-jar', KSTREAMS_JAR], env, logFile);
  },
  ready: /^RUNNING$/,
};

export const APPS: Readonly<Record<AppName, AppUnderTest>> = { omnia, kstreams };

/** `name` as the report shows it: Omnia with its worker count when it forks workers. */
export const withWorkers = (name: string, app: AppName, workers: number): string =>
  app === 'omnia' && workers > 1 ? `${name} ×${workers} workers` : name;

/** The OMNIA_WORKERS a run's app was started with (1 in results from before the setting). */
export const workersOf = (settings: Readonly<Record<string, string>>): number => Number(settings.OMNIA_WORKERS ?? 1);

/** `java -version`'s first line, for the results; undefined without java. */
export function javaVersion(): string | undefined {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return java.status === 0 ? java.stderr.split('\n')[0]?.trim() : undefined;
}
