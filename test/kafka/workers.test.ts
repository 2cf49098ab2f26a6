/**
 * `omnia start` with OMNIA_WORKERS=2 on the real broker and Postgres: the primary forks two workers, each a member
 * of the group with its own share of the tasks; lookups on the shared port are answered whichever worker the
 * connection lands on (the other forwards to the owner at the port it advertises); /metrics on the shared port
 * gathers both workers' series, a worker's own port its own; SIGKILL of the primary takes the workers with it, a
 * worker killed is taken out of the group at once and stops its sibling and the process; SIGTERM stops all cleanly; and through all of it every order
 * comes out exactly once, compared record for record with an in-process replay.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { devToken } from '../../query-service/auth.js';
import { tpKey } from '../../topology/kafka/client.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { Topics } from '../../topology/topics.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import { withSchema } from '../sink/harness.js';
import {
  assertExactlyOnce,
  OrderLoad,
  readCommitted,
  referenceRecords,
  type Replica,
  Replicas,
  verifyExactlyOnce,
} from './cluster-harness.js';
import { BROKERS, createPipelineTopics, produce, requireKafka, uniqueName, waitFor } from './harness.js';

const PARTITIONS = 8;
const RATE = 150;
const SECRET = 'workers-test-secret-of-at-least-32-bytes!!';
const FORWARD_SECRET = 'workers-test-forward-secret-of-32-bytes-or-more';
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A port free now, with the next `count - 1` free too (the workers' own ports follow each other). */
async function freePorts(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = await Promise.all(Array.from({ length: count }, (_, index) => free(base + index)));
    if (all.every(Boolean)) return base;
  }
}

/** Live child processes of `pid` (a zombie is gone). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(parent) === pid && state !== 'Z') children.push(Number(entry));
    } catch {
      // gone between the listing and the read
    }
  }
  return children;
}

const alive = (pid: number): boolean => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

/** GET on a new connection each time, so the cluster hands each to a worker of its choosing. */
function ask(port: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(
      { host: '127.0.0.1', port, path, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.once('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error(`GET ${path} took over 10 s`)));
  });
}

t.test(
  'two workers: the tasks shared, lookups on either, metrics of both, crashes and stops as one process, every order once',
  async (t) => {
    if (!(await requireKafka(t))) return;
    const admin = await freshSchema(t);
    if (!admin) return;
    const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
    const started = Date.now();
    const at = () => `t=${Math.round((Date.now() - started) / 1000)} s`;
    const app = uniqueName('workers');
    const prefix = `${app}.`;
    const orderTopic = prefix + Topics.orderCreate;
    const stateRoot = join(tmpdir(), `omnia-${app}`);
    const [port, workerBase] = [await freePorts(1), await freePorts(2)];
    const replicas = new Replicas({
      brokers: BROKERS,
      applicationId: app,
      prefix,
      stateRoot,
      env: {
        OMNIA_WORKERS: '2',
        OMNIA_WORKER_BASE_PORT: String(workerBase),
        // One local broker: one copy of each topic the replica creates.
        OMNIA_TOPIC_REPLICATION_FACTOR: '1',
        OMNIA_TOPIC_MIN_INSYNC_REPLICAS: '1',
        OMNIA_SESSION_TIMEOUT_MS: '6000',
        DATABASE_URL: withSchema(DATABASE_URL, schema),
        PORT: String(port),
        OMNIA_QUERY_HOST: '127.0.0.1',
        OMNIA_ENDPOINT: `127.0.0.1:${port}`,
        OMNIA_JWT_SECRET: SECRET,
        OMNIA_FORWARD_SECRET: FORWARD_SECRET,
      },
    });
    const client = new PlatformaticClient(BROKERS, app);
    const load = new OrderLoad(client, orderTopic, { rate: RATE, partitions: PARTITIONS, log: (line) => t.comment(line) });
    const topicAdmin = client.admin();
    t.teardown(async () => {
      await load.stop().catch(() => undefined);
      const pids = replicas.all.flatMap((replica) => (replica.pid && replica.alive ? [replica.pid, ...childrenOf(replica.pid)] : []));
      await replicas.killAll();
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await topicAdmin.close().catch(() => undefined);
      await rm(stateRoot, { recursive: true, force: true });
    });
    await createPipelineTopics(client, prefix, PARTITIONS);
    await produce(client, referenceRecords(prefix));

    /** Starts the process and waits until both workers serve; its two workers' pids. */
    const start = async (): Promise<{ replica: Replica; workers: number[] }> => {
      const replica = await replicas.add(0);
      for (const number of [1, 2])
        await replica.waitFor(
          `worker ${number}'s query service`,
          (line) => line.worker === number && line.msg.startsWith('omnia: query service on'),
          120_000,
        );
      const workers = childrenOf(replica.pid!);
      t.equal(workers.length, 2, `${at()}: the primary (pid ${replica.pid}) runs two workers (${workers.join(', ')})`);
      return { replica, workers };
    };
    /** The group's members: instance, endpoint and order.create partitions, once both own some. */
    const members = async () => {
      let found: Array<{ instance: string; endpoint: string; partitions: number[] }> = [];
      await waitFor(
        'both workers to own partitions',
        async () => {
          found = (await topicAdmin.groupMembers(app).catch(() => [])).map((member) => {
            const metadata = JSON.parse(member.metadata?.toString() ?? '{}') as { instance: string; endpoint: string };
            const partitions = member.partitions.filter((tp) => tp.topic === orderTopic).map((tp) => tp.partition);
            return { instance: metadata.instance, endpoint: metadata.endpoint, partitions: [...new Set(partitions)].sort((a, b) => a - b) };
          });
          return (
            found.length === 2 &&
            found.every((member) => member.partitions.length > 0) &&
            found.flatMap((m) => m.partitions).length === PARTITIONS
          );
        },
        90_000,
      );
      return found.sort((a, b) => (a.instance < b.instance ? -1 : 1));
    };

    // -------------------------------------------------------------------------------- two workers, one group
    let { replica, workers } = await start();
    const group = await members();
    t.same(
      group.map((member) => [member.instance, member.endpoint]),
      [
        [`${app}-0-w1`, `127.0.0.1:${workerBase}`],
        [`${app}-0-w2`, `127.0.0.1:${workerBase + 1}`],
      ],
      'each worker joins as a member of its own, advertising its own port',
    );
    t.comment(`partitions: w1 ${group[0]!.partitions.join(',')}; w2 ${group[1]!.partitions.join(',')}`);
    load.start();
    await sleep(4_000);

    // -------------------------------------------------------------------------------- lookups, metrics, readiness
    const coordinator = devToken(
      { algorithm: 'HS256', secret: SECRET, clockSkewSeconds: 30 },
      { sub: 'coordinator', roles: ['regional_coordinator'] },
    );
    // An order released on each worker's partitions (under a loaded CI machine the first ones take a while).
    let onEach: Array<{ owner: string; orderId: string; store: string }> = [];
    await waitFor(
      'a release on each worker’s partitions',
      async () => {
        const releases = await readCommitted(BROKERS, prefix + Topics.release);
        onEach = group.flatMap((member) => {
          const release = releases.find((record) => member.partitions.includes(record.partition));
          if (!release) return [];
          const value = JSON.parse(release.value!.toString()) as { OrderID: string; ShipFromLocationID: string };
          return [{ owner: member.instance, orderId: value.OrderID, store: value.ShipFromLocationID }];
        });
        return onEach.length === group.length;
      },
      90_000,
    );
    const sources = new Set<string>();
    for (const order of onEach) {
      // A forward has 1 s; on a loaded machine one may run out and fall back to Postgres, which this test leaves
      // without tables (503): asked again, as a client retries a 503. Which worker answers is what is checked.
      let retried = 0;
      const lookup = async () => {
        for (let attempt = 1; ; attempt++) {
          const answer = await ask(port, `/api/v1/orders/${order.orderId}?store=${order.store}`, coordinator);
          if (answer.status !== 503 || attempt === 3) return answer;
          retried++;
        }
      };
      const answers = await Promise.all(Array.from({ length: 12 }, lookup));
      if (retried) t.comment(`${retried} lookups answered 503 (a forward out of time) and asked again`);
      const bodies = answers.map((answer) => ({
        status: answer.status,
        ...(JSON.parse(answer.body) as { source?: string; answeredBy?: string }),
      }));
      for (const body of bodies) if (body.source) sources.add(body.source);
      t.ok(
        bodies.every((body) => body.status === 200 && body.answeredBy === order.owner),
        `order ${order.orderId} (${order.owner}'s) answered by its owner on all 12 connections to the shared port`,
        { answers: bodies.slice(0, 4) },
      );
    }
    t.same(
      [...sources].sort(),
      ['local-state', 'replica'],
      'the connections landed on both workers: the owner answered, or the other forwarded to it',
    );

    const whole = await ask(port, '/metrics');
    t.equal(whole.status, 200);
    t.match(whole.body, /process_resident_memory_bytes\{worker="1"\}/, "the shared port's /metrics has worker 1's series");
    t.match(whole.body, /process_resident_memory_bytes\{worker="2"\}/, "and worker 2's");
    const own = await ask(workerBase + 1, '/metrics');
    t.match(own.body, /worker="2"/, "worker 2's own port: its series");
    t.notMatch(own.body, /worker="1"/, 'and only its');
    const ready = await ask(port, '/health/ready');
    t.same([ready.status, JSON.parse(ready.body)], [200, { ready: true }], 'ready: both workers are');

    // -------------------------------------------------------------------------------- SIGKILL of the primary
    process.kill(replica.pid!, 'SIGKILL');
    await replica.exited;
    await waitFor('the workers to exit with their primary', () => workers.every((pid) => !alive(pid)), 15_000);
    t.pass(`${at()}: primary SIGKILLed; both workers exited with it (no orphan holds a task)`);
    ({ replica, workers } = await start());
    await sleep(4_000);

    // -------------------------------------------------------------------------------- SIGKILL of one worker
    process.kill(workers[1]!, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      replica.exited,
      new Promise<string>((done) => (timer = setTimeout(() => done('still running'), 45_000))),
    ]);
    clearTimeout(timer);
    t.not(code, 'still running', `${at()}: a worker killed, the process exits (code ${code})`);
    t.not(code, 0, 'with a failure code, so it is restarted');
    t.ok(
      replica.lines.some((line) => /^worker \d exited \(killed by SIGKILL\); stopping the other workers/.test(line.msg)),
      'its log says which worker died and why the rest stopped',
    );
    t.ok(
      replica.lines.some((line) =>
        /^worker \d released: out of the group now, its tasks move to the other replicas at once/.test(line.msg),
      ),
      'the killed worker was taken out of the group at once, not left to its session timeout',
      { lines: replica.lines.filter((line) => /^worker/.test(line.msg)).map((line) => line.msg) },
    );
    t.ok(
      workers.every((pid) => !alive(pid)),
      'the sibling stopped too',
    );
    ({ replica, workers } = await start());
    await sleep(3_000);

    // -------------------------------------------------------------------------------- drain, SIGTERM, verify
    const sent = await load.stop();
    const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: orderTopic, partition }));
    await waitFor(
      'every order processed and committed',
      async () => {
        const [ends, committed] = await Promise.all([
          topicAdmin.endOffsets(partitions, false),
          topicAdmin.committedOffsets(app, partitions),
        ]);
        return partitions.every(({ topic, partition }) => committed.get(tpKey(topic, partition)) === ends.get(tpKey(topic, partition)));
      },
      120_000,
    );
    t.equal(await replicas.remove(replica), 0, `${at()}: SIGTERM: every worker committed and closed, the process exited 0`);
    t.ok(
      workers.every((pid) => !alive(pid)),
      'no worker left behind',
    );

    const report = await verifyExactlyOnce(BROKERS, prefix, PARTITIONS);
    assertExactlyOnce(t, report, sent, prefix, at());
  },
);
