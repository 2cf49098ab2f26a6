/** The orchestrator's options (`node dist/bench/versus.js --help`). */
import path from 'node:path';
import { APP_NAMES, type AppName } from './apps.js';
import { flags, intFlag } from './flags.js';

export interface VersusOptions {
  /** Orders of the backlog produced before the app starts (catch-up). */
  orders: number;
  /** Orders per second of the steady load (latency). */
  rate: number;
  /** Seconds of steady load. */
  seconds: number;
  /** Rounds of Omnia then Kafka Streams. */
  pairs: number;
  /** The apps run in each round, in this order. */
  apps: AppName[];
  /** Seed of the orders: the same for every run, so both apps see the same orders. */
  seed: number;
  /** Partitions of every source and sink topic. */
  partitions: number;
  commitIntervalMs: number;
  kstreamsThreads: number;
  /** Kafka Streams' producer retry.backoff.ms; the client's own default (100) when absent. */
  kstreamsRetryBackoffMs?: number;
  javaOptions: string[];
  /** Node options of the Omnia process (e.g. --cpu-prof), split on spaces. */
  nodeOptions: string[];
  /** OMNIA_WORKERS of the Omnia app: its worker processes (1: one process, no primary). */
  omniaWorkers: number;
  /** The steady generator's send period, ms. */
  tickMs: number;
  /** A catch-up that has not finished after this many seconds fails the run. */
  catchUpTimeoutSeconds: number;
  /** Where the JSON results go; app logs go beside it. */
  out: string;
}

const OPTION_DOC: Array<[string, string]> = [
  ['--orders=N', 'backlog orders, produced before the app starts (default 60000)'],
  ['--rate=N', 'orders/s of the steady load after the catch-up (default 1000)'],
  ['--seconds=N', 'seconds of steady load (default 30)'],
  ['--pairs=N', 'rounds of Omnia then Kafka Streams (default 2)'],
  ['--only=omnia|kstreams', 'run one app only (no ratio)'],
  ['--seed=N', 'seed of the orders (default 1)'],
  ['--partitions=N', 'partitions of every source and sink topic (default 8)'],
  ['--commit-interval-ms=N', 'commit interval of both apps (default 100)'],
  ['--kstreams-threads=N', "Kafka Streams' num.stream.threads (default 1)"],
  ['--kstreams-retry-backoff-ms=N', "Kafka Streams' producer retry.backoff.ms (default: the client's, 100)"],
  ['--java-opts="…"', 'JVM options of the Kafka Streams app (default none: the JVM picks the heap)'],
  ['--node-opts="…"', 'Node options of the Omnia process, e.g. "--cpu-prof --cpu-prof-dir=bench/results/profiles"'],
  ['--omnia-workers=N', "Omnia's OMNIA_WORKERS: N worker processes under a primary (default: the env's, else 1)"],
  ['--tick-ms=N', "the steady generator's send period (default 5)"],
  ['--catch-up-timeout=N', 'seconds a catch-up may take before the run fails (default 900)'],
  ['--out=FILE', 'JSON results (default bench/results/versus.json); app logs go to FILE without .json + -logs/'],
];

export function usage(): string {
  return [
    'usage: node dist/bench/versus.js [options]   (KAFKA_BROKERS, default 127.0.0.1:9092)',
    ...OPTION_DOC.map(([flag, doc]) => `  ${flag.padEnd(24)} ${doc}`),
  ].join('\n');
}

/** The options from the command line; `env` gives what the command line leaves out (OMNIA_WORKERS). */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): VersusOptions | 'help' {
  const args = flags(argv);
  if (args.has('help')) return 'help';
  const known = new Set(OPTION_DOC.map(([flag]) => /^--([a-z-]+)/.exec(flag)![1]!));
  for (const name of args.keys()) if (!known.has(name)) throw new Error(`unknown option --${name}\n${usage()}`);
  const positive = (name: string, fallback: number) => {
    const value = intFlag(args, name, fallback);
    if (value <= 0) throw new Error(`--${name} must be at least 1`);
    return value;
  };
  // Without the flag, an OMNIA_WORKERS of the bench's environment (which reaches Omnia anyway) is the one used.
  const workersOfEnv = () => {
    const raw = env.OMNIA_WORKERS;
    if (raw === undefined || raw === '') return 1;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`OMNIA_WORKERS must be a whole number ≥ 1, got "${raw}"`);
    return Number(raw);
  };
  const only = args.get('only');
  if (only !== undefined && !APP_NAMES.includes(only as AppName))
    throw new Error(`--only must be one of ${APP_NAMES.join(', ')}, got "${only}"`);
  return {
    orders: positive('orders', 60_000),
    rate: positive('rate', 1000),
    seconds: positive('seconds', 30),
    pairs: positive('pairs', 2),
    apps: only ? [only as AppName] : [...APP_NAMES],
    seed: intFlag(args, 'seed', 1),
    partitions: positive('partitions', 8),
    commitIntervalMs: positive('commit-interval-ms', 100),
    kstreamsThreads: positive('kstreams-threads', 1),
    ...(args.has('kstreams-retry-backoff-ms') ? { kstreamsRetryBackoffMs: positive('kstreams-retry-backoff-ms', 100) } : {}),
    javaOptions: (args.get('java-opts') ?? '').split(' ').filter(Boolean),
    nodeOptions: (args.get('node-opts') ?? '').split(' ').filter(Boolean),
    omniaWorkers: args.has('omnia-workers') ? positive('omnia-workers', 1) : workersOfEnv(),
    tickMs: positive('tick-ms', 5),
    catchUpTimeoutSeconds: positive('catch-up-timeout', 900),
    out: path.resolve(args.get('out') ?? 'bench/results/versus.json'),
  };
}
