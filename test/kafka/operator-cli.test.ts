/**
 * The operator commands on the real broker and Postgres, run as an operator runs them (`node dist/bin/omnia.js`,
 * a process of their own) against two `omnia start` replicas:
 * - `status`: both members, every task with its owner, lag per partition, each replica's last commit;
 * - `dlq list / show`: an order refused for an unknown customer is there with its code, origin and value;
 * - `dlq redrive`: `--dry-run` changes nothing; once the customer exists the order is re-driven and processed
 *   exactly once (one release, one 1000 → 2000 → 3000); a second run re-drives nothing; a dead letter of
 *   another code is left waiting; a re-drive whose transaction fails re-drives nothing, and the next run once;
 * - `explain`: a released order's recomputed totals equal its release record's to the 4th decimal.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import type { OrderCreate, Release } from '../../processors/domain/types.js';
import { REDRIVEN_FROM_HEADER } from '../../runtime/dead-letter.js';
import { formatMoney, parseMoney } from '../../processors/domain/money.js';
import { tpKey, type KafkaClient, type Producer } from '../../topology/kafka/client.js';
import { Topics } from '../../topology/topics.js';
import { openContext, OpsError } from '../../ops/cluster.js';
import { redrive } from '../../ops/dlq.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import { SinkProcess, withSchema } from '../sink/harness.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const PARTITIONS = 4;
const SECRET = 'operator-cli-test-secret-of-32-bytes!!';
const FORWARD_SECRET = 'operator-cli-test-forwarding-secret-32-bytes';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

t.test('operator CLI on two replicas: status, dlq list/show/redrive exactly once, explain to the 4th decimal', async (t) => {
  if (!(await requireKafka(t))) return;
  const admin = await freshSchema(t);
  if (!admin) return;
  const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const databaseUrl = withSchema(DATABASE_URL, schema);
  const client = testClient();
  const app = uniqueName('ops');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);
  await produce(
    client,
    referenceData(200).map((entry) => jsonRecord(name(entry.topic), entry.key, entry.value, 1)),
  );
  const cliEnv = { KAFKA_BROKERS: BROKERS.join(','), OMNIA_APPLICATION_ID: app, OMNIA_TOPIC_PREFIX: prefix, OMNIA_LOG_LEVEL: 'warn' };
  const omnia = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((done) => {
      const clean = { ...process.env };
      delete clean.DATABASE_URL;
      execFile(process.execPath, [OMNIA, ...args], { env: { ...clean, ...cliEnv, ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  const json = <T>(run: Run): T => {
    try {
      return JSON.parse(run.stdout) as T;
    } catch {
      throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
    }
  };

  // ------------------------------------------------------------------------------------- two replicas, a sink
  const replicas = new Map<string, { process: ChildProcess; port: number }>();
  const startReplica = async (id: string) => {
    const port = await SinkProcess.freePort();
    const child = spawn(process.execPath, [OMNIA, 'start'], {
      env: {
        ...process.env,
        ...cliEnv,
        DATABASE_URL: databaseUrl,
        OMNIA_INSTANCE_ID: `${app}-${id}`,
        OMNIA_STATE_DIR: `.state/test-${app}-${id}`,
        OMNIA_SESSION_TIMEOUT_MS: '30000',
        OMNIA_ENDPOINT: `127.0.0.1:${port}`,
        PORT: String(port),
        OMNIA_QUERY_HOST: '127.0.0.1',
        OMNIA_JWT_SECRET: SECRET,
        OMNIA_FORWARD_SECRET: FORWARD_SECRET,
        OMNIA_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    replicas.set(id, { process: child, port });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += chunk.toString();
        if (out.includes('query service on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`replica ${id} exited (${code}): ${out}`)));
    });
  };
  const sink = SinkProcess.forApp(app, databaseUrl);
  t.teardown(async () => {
    for (const { process: child } of replicas.values()) child.kill('SIGKILL');
    await sink.kill();
    for (const id of ['a', 'b']) await rm(`.state/test-${app}-${id}`, { recursive: true, force: true });
  });
  await Promise.all([startReplica('a'), startReplica('b')]);
  await sink.start();

  // ------------------------------------------------------------------------------------------------ the feed
  const created = new Date();
  // One customer for all, C-1001: eligible for COD with a limit no demo order reaches, so every valid order is released.
  const valid = Array.from({ length: 12 }, (_, n) => demoOrder(n, created, { stores: 12, customers: 1, seed: 21, invalidShare: 0 }));
  // One order that forms both demo bundles (B-BREAKFAST FIXED, B-LUNCH PERCENT_OFF) and has an own discount.
  const bundled: OrderCreate = {
    ...valid[0]!,
    OrderID: 'OPS-BUNDLED-1',
    OrderLines: [
      {
        ...valid[0]!.OrderLines[0]!,
        LineID: '1',
        ItemID: 'SKU-100',
        Quantity: 2,
        UnitPrice: '35.5000',
        Discounts: [{ Type: 'Promo', Amount: '2.0000' }],
      },
      { ...valid[0]!.OrderLines[0]!, LineID: '2', ItemID: 'SKU-101', Quantity: 1, UnitPrice: '29.0000', Discounts: [] },
      { ...valid[0]!.OrderLines[0]!, LineID: '3', ItemID: 'SKU-104', Quantity: 1, UnitPrice: '45.0000', Discounts: [] },
      { ...valid[0]!.OrderLines[0]!, LineID: '10', ItemID: 'SKU-103', Quantity: 3, UnitPrice: '20.0000', Discounts: [] },
    ],
  };
  const poison = { ...valid[1]!, OrderID: 'OPS-POISON-1', CustomerID: 'C-NEW-1' }; // UNKNOWN_CUSTOMER until C-NEW-1 exists
  const crashing = { ...valid[2]!, OrderID: 'OPS-POISON-2', CustomerID: 'C-NEW-2' }; // re-driven through a failed transaction first
  const refused = { ...valid[3]!, OrderID: 'OPS-REFUSED-1', IsForceAllocation: false }; // FORCE_ALLOCATION_REQUIRED: stays
  const feed = [...valid, bundled, poison, crashing, refused];
  await produce(
    client,
    feed.map((order) => jsonRecord(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS)),
  );
  const releases = async () =>
    (await readAll(client, name(Topics.release))).map((record) => JSON.parse(record.value!.toString()) as Release);
  await waitFor('the valid orders to be released', async () => (await releases()).length === valid.length + 1, 90_000);
  await waitFor(
    'the three refusals to be dead-lettered',
    async () => (await readAll(client, name(`${Topics.orderCreate}.dlq`))).length === 3,
    30_000,
  );

  // --------------------------------------------------------------------------------------------------- status
  interface StatusJson {
    verdict: string;
    group: { members: number; state: string };
    replicas: Array<{ instance: string; endpoint: string; state: string; tasks: number[]; lastCommitAt: number | null }>;
    tasks: Array<{ task: number; owner: string | null; state: string; lag: number }>;
    partitions: Array<{ topic: string; partition: number; owner: string; committed: string | null; end: string; lag: number }>;
    deadLetters: Array<{ dlqTopic: string; code: string; waiting: number }>;
  }
  let status: StatusJson | undefined;
  await waitFor(
    'status: both replicas running, nothing behind',
    async () => {
      const run = await omnia(['status', '--json']);
      status = json<StatusJson>(run);
      return (
        status.group.members === 2 &&
        status.replicas.every((replica) => replica.state === 'running') &&
        status.partitions.every((p) => p.lag === 0) &&
        status.tasks.every((task) => task.owner !== null)
      );
    },
    60_000,
  );
  t.same(
    status!.replicas.map((replica) => replica.instance),
    [`${app}-a`, `${app}-b`],
    'status: both replicas are members',
  );
  t.same(
    status!.replicas.map((replica) => replica.tasks.length),
    [2, 2],
    'status: the four tasks split two and two',
  );
  t.same(
    status!.tasks.map((task) => task.task),
    [0, 1, 2, 3],
    'status: every task listed',
  );
  for (const task of status!.tasks) {
    const owner = status!.replicas.find((replica) => replica.instance === task.owner);
    t.ok(owner?.tasks.includes(task.task), `task ${task.task} owned by ${task.owner}, which lists it`);
  }
  const created0 = status!.partitions.filter((p) => p.topic === name(Topics.orderCreate));
  t.equal(created0.length, PARTITIONS, 'status: lag for every partition of order.create.v1');
  const topics = client.admin();
  t.teardown(() => topics.close());
  const ends = await topics.endOffsets(
    created0.map((p) => ({ topic: p.topic, partition: p.partition })),
    true,
  );
  for (const p of created0) {
    t.equal(p.end, String(ends.get(tpKey(p.topic, p.partition))), `status: end offset of partition ${p.partition}`);
    // A partition nothing was written to has nothing committed either.
    t.equal(p.committed ?? '0', p.end, `status: partition ${p.partition} committed to its end (${p.committed}), lag ${p.lag}`);
    t.equal(p.lag, 0);
  }
  t.ok(
    status!.replicas.every((replica) => replica.lastCommitAt !== null),
    'status: each replica reports its last commit',
  );
  t.equal(status!.verdict, 'WARN', 'status: WARN while dead letters wait');
  const text = await omnia(['status']);
  t.equal(text.code, 1, 'status exits 1 on WARN');
  t.match(
    text.stdout.split('\n')[0],
    new RegExp(`^WARN  ${app} · 2 replicas · 4 of 4 tasks running · nothing behind · 3 dead letters waiting`),
  );
  t.match(text.stdout, /REPLICAS[\s\S]*TASKS[\s\S]*LAG[\s\S]*DEAD LETTERS WAITING[\s\S]*UNKNOWN_CUSTOMER/, 'status: every section');
  t.comment(text.stdout);

  // ------------------------------------------------------------------------------------------- dlq list / show
  interface ListJson {
    topics: Array<{ dlqTopic: string; code: string; waiting: number; redriven: number }>;
  }
  const list = async () =>
    json<ListJson>(await omnia(['dlq', 'list', '--json'])).topics.map((row) => [row.code, row.waiting, row.redriven]);
  t.same(
    await list(),
    [
      ['FORCE_ALLOCATION_REQUIRED', 1, 0],
      ['UNKNOWN_CUSTOMER', 2, 0],
    ],
    'dlq list: counts by code',
  );
  const shown = json<{ total: number; shown: Array<Record<string, unknown>> }>(
    await omnia(['dlq', 'show', '--topic', Topics.orderCreate, '--code', 'UNKNOWN_CUSTOMER', '--json']),
  );
  t.equal(shown.total, 2);
  const letter = shown.shown.find((entry) => String(entry.value).includes('OPS-POISON-1'))!;
  t.match(letter, {
    dlqTopic: name(`${Topics.orderCreate}.dlq`),
    code: 'UNKNOWN_CUSTOMER',
    message: /G UNKNOWN_CUSTOMER CustomerID/,
    origin: { topic: name(Topics.orderCreate) },
    key: poison.ShipFromLocationID,
    redriven: null,
  });
  const showText = await omnia(['dlq', 'show', '--topic', Topics.orderCreate, '--code', 'UNKNOWN_CUSTOMER']);
  t.match(
    showText.stdout,
    /dead-lettered[\s\S]*origin[\s\S]*message[\s\S]*value +\{"OrderID":"OPS-POISON-/,
    'dlq show: the record and its headers',
  );
  const listText = await omnia(['dlq', 'list']);
  t.match(listText.stdout, /UNKNOWN_CUSTOMER +2 +0/);
  t.comment(`$ omnia dlq list\n${listText.stdout}\n$ omnia dlq show --topic order.create.v1 --code UNKNOWN_CUSTOMER\n${showText.stdout}`);

  // ----------------------------------------------------------------------------------------------- dlq redrive
  const createEnd = async () => {
    const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: name(Topics.orderCreate), partition }));
    return [...(await topics.endOffsets(partitions, false)).values()].map(String);
  };
  const before = await createEnd();
  const dry = json<{ dryRun: boolean; redriven: unknown[]; matching: number }>(
    await omnia(['dlq', 'redrive', '--topic', Topics.orderCreate, '--code', 'UNKNOWN_CUSTOMER', '--dry-run', '--json']),
  );
  t.match(dry, { dryRun: true, matching: 2 });
  t.equal(dry.redriven.length, 2, 'dry run: both would go');
  const dryText = await omnia(['dlq', 'redrive', '--topic', Topics.orderCreate, '--code', 'UNKNOWN_CUSTOMER', '--dry-run']);
  t.match(dryText.stdout, /^DRY RUN \(nothing is produced\)[\s\S]*would re-drive 2 records/);
  t.comment(`$ omnia dlq redrive --topic order.create.v1 --code UNKNOWN_CUSTOMER --dry-run\n${dryText.stdout}`);
  t.same(await createEnd(), before, 'dry run: nothing produced onto order.create.v1');
  const payments = await omnia(['dlq', 'redrive', '--topic', Topics.payment, '--code', 'MALFORMED_RECORD']);
  t.equal(payments.code, 1, 'order.payment.v1 is not re-driven onto');
  t.match(payments.stderr, /the Postgres sink keeps one row per payment event/);
  t.same(await list(), [
    ['FORCE_ALLOCATION_REQUIRED', 1, 0],
    ['UNKNOWN_CUSTOMER', 2, 0],
  ]);

  // The fix: the customers exist now. The replicas read global tables about once a second.
  await produce(client, [
    jsonRecord(
      name(Topics.customers),
      'C-NEW-1',
      { CustomerID: 'C-NEW-1', Name: 'New', Phone: '0810000001', CodEligible: true, CodLimit: null },
      1,
    ),
    jsonRecord(
      name(Topics.customers),
      'C-NEW-2',
      { CustomerID: 'C-NEW-2', Name: 'New 2', Phone: '0810000002', CodEligible: true, CodLimit: null },
      1,
    ),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 5_000));

  // A re-drive whose transaction fails at the commit (as a crash would): nothing of it is visible, nothing is
  // recorded as re-driven, and the next run re-drives it once.
  const context = openContext({ ...process.env, ...cliEnv });
  let failCommit = true;
  const failing: KafkaClient = new Proxy(context.client, {
    get(target, property) {
      if (property !== 'producer') return Reflect.get(target, property, target) as unknown;
      return (options: { transactionalId?: string }) => {
        const producer = target.producer(options);
        return new Proxy(producer, {
          get(inner, key) {
            if (key === 'commitTransaction' && failCommit)
              return () => {
                failCommit = false;
                return Promise.reject(new Error('the process died here (injected)'));
              };
            const value = Reflect.get(inner, key, inner) as unknown;
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(inner) : value;
          },
        }) as Producer;
      };
    },
  });
  await t.rejects(
    redrive(
      { ...context, client: failing },
      { topic: Topics.orderCreate, code: 'UNKNOWN_CUSTOMER', since: undefined, dryRun: false },
      Date.now(),
    ),
    OpsError,
    'the failed re-drive reports that nothing was committed',
  );
  await context.close();
  t.same(
    await list(),
    [
      ['FORCE_ALLOCATION_REQUIRED', 1, 0],
      ['UNKNOWN_CUSTOMER', 2, 0],
    ],
    'after the failed transaction both still wait',
  );

  const first = await omnia(['dlq', 'redrive', '--topic', Topics.orderCreate, '--code', 'UNKNOWN_CUSTOMER']);
  t.equal(first.code, 0);
  t.match(first.stdout, /re-drove 2 records in 1 transaction/, 'redrive: both re-driven');
  t.match(first.stdout, /1 other in the topic left as it is/, 'redrive: the FORCE_ALLOCATION_REQUIRED dead letter is left as it is');
  t.comment(`$ omnia dlq redrive --topic order.create.v1 --code UNKNOWN_CUSTOMER\n${first.stdout}`);
  const again = await omnia(['dlq', 'redrive', '--topic', Topics.orderCreate, '--code', 'UNKNOWN_CUSTOMER']);
  t.comment(`$ omnia dlq redrive --topic order.create.v1 --code UNKNOWN_CUSTOMER   # again\n${again.stdout}`);
  t.equal(again.code, 0);
  t.match(again.stdout, /0 to re-drive, 2 re-driven before \(skipped\)/, 'a second redrive re-drives nothing');
  t.same(
    await list(),
    [
      ['FORCE_ALLOCATION_REQUIRED', 1, 0],
      ['UNKNOWN_CUSTOMER', 0, 2],
    ],
    'dlq list: re-driven, and the other code still waits',
  );

  for (const order of [poison, crashing]) {
    await waitFor(`${order.OrderID} released`, async () => (await releases()).some((release) => release.OrderID === order.OrderID), 60_000);
  }
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // anything produced twice would be there by now
  const allReleases = await releases();
  const statusChanges = (await readAll(client, name(Topics.status))).map(
    (record) => JSON.parse(record.value!.toString()) as { OrderID: string; ToStatus: number },
  );
  for (const order of [poison, crashing]) {
    t.equal(allReleases.filter((release) => release.OrderID === order.OrderID).length, 1, `${order.OrderID}: one release`);
    t.same(
      statusChanges.filter((change) => change.OrderID === order.OrderID).map((change) => change.ToStatus),
      [1000, 2000, 3000],
      `${order.OrderID}: 1000 → 2000 → 3000 once`,
    );
  }
  const redriven = (await readAll(client, name(Topics.orderCreate))).filter((record) => record.headers[REDRIVEN_FROM_HEADER] !== undefined);
  t.equal(redriven.length, 2, 'order.create.v1 holds each re-driven record once (the aborted copy is not read)');
  t.equal((await readAll(client, name(`${Topics.orderCreate}.dlq`))).length, 3, 'nothing dead-lettered again');
  t.equal(allReleases.length, feed.length - 1, 'every order but the refused one released, once');

  // ------------------------------------------------------------------------------------------------- explain
  const release = allReleases.find((entry) => entry.OrderID === bundled.OrderID)!;
  interface ExplainJson {
    verdict: string;
    comparison: Array<{ name: string; recomputed: string; stored: string; release: string; equal: boolean }>;
    pricing: { instances: Array<{ bundleId: string; discount: string }> };
    validation: Array<{ passed: boolean }>;
  }
  await waitFor(
    'the sink to write the order',
    async () => (await admin.query(`SELECT 1 FROM ${schema}.orders WHERE order_id = $1`, [bundled.OrderID])).rowCount === 1,
    60_000,
  );
  // With DATABASE_URL: the order's store from Postgres, one partition of the changelog read.
  const explained = await omnia(['explain', bundled.OrderID, '--json'], { DATABASE_URL: databaseUrl });
  t.equal(explained.code, 0, `explain exits 0: ${explained.stderr}`);
  const x = json<ExplainJson>(explained);
  t.equal(x.verdict, 'AGREES');
  t.ok(
    x.validation.every((rule) => rule.passed),
    'every rule passes',
  );
  t.same(
    x.pricing.instances.map((instance) => instance.bundleId),
    ['B-BREAKFAST', 'B-LUNCH'],
    'both bundles formed',
  );
  for (const row of x.comparison) {
    const released = release[row.name as keyof Release] as string;
    t.equal(formatMoney(parseMoney(row.recomputed)), formatMoney(parseMoney(released)), `${row.name}: recomputed = release, 4 decimals`);
    t.ok(row.equal, `${row.name} equal`);
  }
  // Without Postgres, by store; and as people read it.
  const byStore = await omnia(['explain', bundled.OrderID, '--store', bundled.ShipFromLocationID]);
  t.equal(byStore.code, 0);
  t.match(
    byStore.stdout,
    new RegExp(
      `AGREES: recomputed totals equal the stored totals and release REL-${bundled.OrderID} to the 4th decimal \\(OrderTotal ${release.OrderTotal}\\)`,
    ),
  );
  t.match(byStore.stdout, /VALIDATION[\s\S]*BUNDLES[\s\S]*B-BREAKFAST#1 detected[\s\S]*proration[\s\S]*CAL A–F[\s\S]*C OrderTotal/);
  t.comment(byStore.stdout);
  // The re-driven order explains as any other; the refused one says why it is not an order.
  t.equal((await omnia(['explain', poison.OrderID], { DATABASE_URL: databaseUrl })).code, 0, 'the re-driven order agrees');
  const refusedRun = await omnia(['explain', refused.OrderID], { DATABASE_URL: databaseUrl });
  t.equal(refusedRun.code, 0);
  t.match(
    refusedRun.stdout,
    /never accepted[\s\S]*FORCE_ALLOCATION_REQUIRED[\s\S]*omnia dlq redrive --topic order.create.v1 --code FORCE_ALLOCATION_REQUIRED/,
  );
  const missing = await omnia(['explain', 'NO-SUCH-ORDER', '--store', 'QC0001']);
  t.equal(missing.code, 3, 'an unknown order: exit 3');
  t.match(missing.stderr, /no order NO-SUCH-ORDER/);
});
