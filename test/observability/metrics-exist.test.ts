/**
 * Every metric a dashboard panel or an alert rule reads is exported by a process: the embedded default
 * (`npm start`: pipeline, connectors, sink and query service in one process; its /metrics is the query
 * service's and the webhook ingress's) and, on the real broker and Postgres, `omnia start` (the runtime and the
 * query service), `omnia sink`, `omnia connectors` and `omnia notify` are started and every /metrics endpoint
 * scraped. The runtime's, the sink's, the Slick egress's and the notification connector's metrics exist only in
 * those Kafka-mode processes: without a broker or Postgres (never under CI, where that fails) their registries are
 * read in-process instead, and the test says so. Also: every omnia_* metric a process exports is on a dashboard, and every Postgres panel's SQL runs on the
 * migrated tables.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import pg from 'pg';
import { Registry } from 'prom-client';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import type { SqlDatabase } from '../../postgres/sql.js';
import { RuntimeMetrics } from '../../runtime/metrics.js';
import { SinkMetrics } from '../../sinks/sink-metrics.js';
import { SlickMetrics } from '../../connectors/slick-metrics.js';
import { NotificationMetrics } from '../../connectors/notifications/metrics.js';
import { withDefaultMetrics } from '../../observability/metrics.js';
import { freePort } from '../free-port.js';
import { BROKERS, createPipelineTopics, requireKafka, testClient, uniqueName } from '../kafka/harness.js';
import { DATABASE_URL, migratedDatabase, withSchema } from '../postgres/harness.js';
import {
  dashboardExpressions,
  dashboardSql,
  type Expression,
  exposedNames,
  metricNames,
  ROOT,
  ruleExpressions,
  loadRuleGroups,
} from './observability-files.js';

const OMNIA = path.join(ROOT, 'dist', 'bin', 'omnia.js');
/** Series Prometheus makes itself for every scrape target. */
const PROMETHEUS_OWN = new Set(['up']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The exposition at a URL, once it answers 200 (a process still starting is waited for). */
async function scrape(url: string, timeoutMs = 90_000, exited?: () => string | undefined): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited?.();
    if (gone) throw new Error(`${url}: the process exited before serving it:\n${gone}`);
    try {
      const response = await fetch(url);
      if (response.ok) return await response.text();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(250);
  }
}

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  output: string;
  exited(): string | undefined;
}

function startChild(name: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [OMNIA, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle: Child = {
    name,
    process: child,
    output: '',
    exited: () =>
      child.exitCode !== null || child.signalCode !== null
        ? `omnia ${args.join(' ')} (${child.exitCode ?? child.signalCode}):\n${handle.output.slice(-4000)}`
        : undefined,
  };
  child.stdout!.on('data', (chunk: Buffer) => (handle.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (handle.output += chunk.toString()));
  return handle;
}

async function stopChild(child: Child | undefined): Promise<void> {
  if (!child || child.exited()) return;
  const gone = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 20_000);
  await gone;
  clearTimeout(timer);
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * `omnia start` on Kafka (with DATABASE_URL: the query service), `omnia sink`, `omnia connectors` and `omnia
 * notify`, each scraped: process → metric names. Undefined when no broker or Postgres answers.
 */
async function scrapeKafkaProcesses(t: Test): Promise<Map<string, Set<string>> | undefined> {
  if (!(await requireKafka(t))) return undefined;
  if (!(await postgresAnswers())) {
    const message = `no PostgreSQL at ${DATABASE_URL}: the Kafka-mode processes need it`;
    if (process.env.CI) t.fail(message);
    else t.comment(`SKIPPED: ${message}`);
    return undefined;
  }
  const database = await migratedDatabase(t);
  if (!database) return undefined;
  const schema = (await database.client.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const databaseUrl = withSchema(DATABASE_URL, schema);
  const app = uniqueName('metrics');
  const prefix = `${app}.`;
  const client = testClient();
  await createPipelineTopics(client, prefix, 2);
  const stateDir = path.join(ROOT, '.state', `test-${app}`);
  const common = { KAFKA_BROKERS: BROKERS.join(','), OMNIA_APPLICATION_ID: app, OMNIA_TOPIC_PREFIX: prefix, OMNIA_LOG_LEVEL: 'warn' };
  const children: Child[] = [];
  t.teardown(async () => {
    for (const child of children.reverse()) await stopChild(child);
    await rm(stateDir, { recursive: true, force: true });
  });

  const ports = {
    query: await freePort(),
    sink: await freePort(),
    webhooks: await freePort(),
    egress: await freePort(),
    notify: await freePort(),
  };
  const worker = startChild('omnia start (Kafka)', ['start'], {
    ...common,
    DATABASE_URL: databaseUrl,
    OMNIA_INSTANCE_ID: `${app}-0`,
    OMNIA_STATE_DIR: stateDir,
    PORT: String(ports.query),
    OMNIA_QUERY_HOST: '127.0.0.1',
    OMNIA_JWT_SECRET: 'a-test-secret-of-at-least-thirty-two-bytes',
  });
  children.push(worker);
  const scraped = new Map<string, Set<string>>();
  // The query service listens once the runtime runs: the pipeline's output topics exist from then on.
  scraped.set(worker.name, exposedNames(await scrape(`http://127.0.0.1:${ports.query}/metrics`, 120_000, worker.exited)));
  const sink = startChild('omnia sink', ['sink'], {
    ...common,
    DATABASE_URL: databaseUrl,
    OMNIA_SINK_PORT: String(ports.sink),
    OMNIA_SINK_HOST: '127.0.0.1',
  });
  children.push(sink);
  const connectors = startChild('omnia connectors', ['connectors'], {
    ...common,
    OMNIA_SLICK_WEBHOOK_SECRET: 'slick-secret-for-the-metrics-test-0123456789',
    OMNIA_GRAB_WEBHOOK_SECRET: 'grab-secret-for-the-metrics-test-0123456789',
    OMNIA_PMP_WEBHOOK_SECRET: 'pmp-secret-for-the-metrics-test-01234567890',
    OMNIA_WEBHOOK_PORT: String(ports.webhooks),
    OMNIA_WEBHOOK_HOST: '127.0.0.1',
    OMNIA_SLICK_PORT: String(ports.egress),
    OMNIA_SLICK_HOST: '127.0.0.1',
    // Nothing is released in this test: Slick is never called.
    SLICK_BASE_URL: 'http://127.0.0.1:9',
    SLICK_TOKEN: 'unused',
  });
  children.push(connectors);
  const notify = startChild('omnia notify', ['notify'], {
    ...common,
    // No order is produced in this test: no provider is called.
    OMNIA_NOTIFY_SMS_URL: 'http://127.0.0.1:9',
    OMNIA_NOTIFY_SMS_TOKEN: 'unused',
    OMNIA_NOTIFY_LINE_URL: 'http://127.0.0.1:9',
    OMNIA_NOTIFY_LINE_TOKEN: 'unused',
    OMNIA_TRACKING_SECRET: 'tracking-secret-for-the-metrics-test-0123456789',
    OMNIA_TRACKING_BASE_URL: 'https://track.omnia.example',
    OMNIA_NOTIFY_PORT: String(ports.notify),
    OMNIA_NOTIFY_HOST: '127.0.0.1',
  });
  children.push(notify);
  scraped.set(sink.name, exposedNames(await scrape(`http://127.0.0.1:${ports.sink}/metrics`, 90_000, sink.exited)));
  // The egress's /metrics carries the webhook ingress's registry too (what the PodMonitor scrapes).
  scraped.set(connectors.name, exposedNames(await scrape(`http://127.0.0.1:${ports.egress}/metrics`, 90_000, connectors.exited)));
  // The PodMonitor's port: Node's process metrics and the connector's omnia_notify_*.
  scraped.set(notify.name, exposedNames(await scrape(`http://127.0.0.1:${ports.notify}/metrics`, 90_000, notify.exited)));
  return scraped;
}

/** The registries of the Kafka-mode processes, read in-process: the fallback without a broker or Postgres. */
async function inProcessRegistries(): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  out.set('runtime metrics (in-process; omnia start on Kafka not started)', exposedNames(await new RuntimeMetrics().registry.metrics()));
  out.set(
    'sink metrics (in-process; omnia sink not started)',
    exposedNames(await withDefaultMetrics(new SinkMetrics().registry).metrics()),
  );
  out.set('Slick egress metrics (in-process; omnia connectors not started)', exposedNames(await new SlickMetrics().registry.metrics()));
  out.set(
    'notification connector metrics (in-process; omnia notify not started)',
    exposedNames(await new NotificationMetrics().registry.metrics()),
  );
  // Registered by the query service only with DATABASE_URL on Kafka; the embedded default has them too.
  out.set('default process metrics (in-process)', exposedNames(await withDefaultMetrics(new Registry()).metrics()));
  return out;
}

t.test('the metric-name extraction', async (t) => {
  t.same(
    [...metricNames('sum by (topic, code) ((a_total unless a_total offset 10m) or increase(a_total[10m])) > 0')],
    ['a_total'],
    'set operators, offset, ranges, grouping',
  );
  t.same(
    [
      ...metricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(x_bucket{route=~"/api/.*", route!~"/api/v1/(events|reports)"}[$__rate_interval]))) > 1',
      ),
    ],
    ['x_bucket'],
    'functions, matchers with regexps, Grafana variables',
  );
  t.same(
    [...metricNames('label_replace(absent(up{job=~"(.+/)?omnia-sink"} == 1), "component", "sink", "", "") or vector(0)')],
    ['up'],
    'label_replace arguments and vector()',
  );
  t.same([...metricNames('sum(a) / sum(b) * 100 > bool 1e3')], ['a', 'b'], 'arithmetic, bool, numbers');
  t.same(
    [...metricNames('deriv(sum by (topic) (lag)[15m:1m]) > 0 and sum(x) < quantile_over_time(0.5, sum(y)[1d:5m])')],
    ['lag', 'x', 'y'],
    'subqueries',
  );
});

t.test('every metric of a dashboard or a rule is exported by a process; every omnia_* metric is on a dashboard', async (t) => {
  // The embedded default, as `npm start` runs it.
  const db: SqlDatabase = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded: Embedded = await startEmbedded({ db, demoFeed: false, log: () => undefined, env: { PORT: String(await freePort()) } });
  t.teardown(() => embedded.stop());
  const processes = new Map<string, Set<string>>();
  processes.set('embedded default: query service /metrics', exposedNames(await scrape(`${embedded.query.url}/metrics`)));
  processes.set('embedded default: webhook ingress /metrics', exposedNames(await scrape(`${embedded.webhookUrl}/metrics`)));

  const kafka = await scrapeKafkaProcesses(t);
  if (kafka) for (const [name, names] of kafka) processes.set(name, names);
  else {
    t.comment(
      'the Kafka-mode processes were not started: the runtime, sink, Slick egress and notification connector registries are read in-process',
    );
    for (const [name, names] of await inProcessRegistries()) processes.set(name, names);
  }
  for (const [name, names] of processes) t.comment(`${name}: ${names.size} series names`);

  const exported = new Set([...processes.values()].flatMap((names) => [...names]));
  const recorded = new Set(
    loadRuleGroups()
      .flatMap((group) => group.rules)
      .map((rule) => rule.record)
      .filter((name): name is string => name !== undefined),
  );
  const missing: string[] = [];
  const expressions: Expression[] = [...dashboardExpressions(), ...ruleExpressions()];
  for (const { where, expr } of expressions) {
    const names = metricNames(expr);
    if (names.size === 0) missing.push(`${where}: no metric found in ${JSON.stringify(expr)}`);
    for (const name of names)
      if (!exported.has(name) && !PROMETHEUS_OWN.has(name) && !recorded.has(name))
        missing.push(`${where}: ${name} is exported by no process`);
  }
  t.same(missing, [], `every metric of ${expressions.length} expressions is exported`);

  // Each family once (a histogram's _bucket / _sum / _count are one family).
  const onDashboards = new Set(dashboardExpressions().flatMap(({ expr }) => [...metricNames(expr)]));
  const family = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
  const dashboardFamilies = new Set([...onDashboards].map(family));
  const omniaFamilies = new Set([...exported].filter((name) => name.startsWith('omnia_')).map(family));
  const notShown = [...omniaFamilies].filter((name) => !dashboardFamilies.has(name) && !dashboardFamilies.has(`${name}_total`)).sort();
  t.same(notShown, [], 'every omnia_* metric a process exports is on a dashboard');
  if (kafka) t.ok(processes.size >= 6, 'scraped: the embedded default, omnia start on Kafka, omnia sink, omnia connectors, omnia notify');
});

t.test('every Postgres panel of the business dashboard runs on the migrated tables', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const session = await db.session();
  try {
    const { migrate } = await import('../../postgres/migrate.js');
    await migrate(session);
  } finally {
    session.release();
  }
  const queries = dashboardSql();
  t.ok(queries.length >= 8, `${queries.length} queries`);
  for (const { where, expr } of queries) {
    // Grafana's macros and variables as Grafana expands them for a 7-day range and every store.
    const sql = expr
      .replace(/\$__timeFilter\(([^)]+)\)/g, `$1 BETWEEN now() - interval '7 days' AND now()`)
      .replace(/\$__timeFrom\(\)/g, `(now() - interval '7 days')`)
      .replace(/\$__timeTo\(\)/g, 'now()')
      .replace(/\$store\b/g, '%');
    t.notMatch(sql, /\$/, `${where}: every macro and variable expanded`);
    try {
      await db.query(sql);
      t.pass(`${where}: runs`);
    } catch (error) {
      t.fail(`${where}: ${(error as Error).message}\n${sql}`);
    }
  }
});
