/**
 * Status changes committed to order.status.v1 on the real broker reach SSE clients of GET /api/v1/events
 * through a KafkaStatusTail: only committed ones, from the tail's start on, in order per partition, filtered
 * by store and by the token's stores; an undecodable value is skipped; failing broker requests are retried
 * without loss or duplicates. The produce→receive latency is reported, not asserted.
 */
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import type { StatusChange } from '../../processors/domain/types.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { Topics } from '../../topology/topics.js';
import { devToken } from '../../query-service/app.js';
import { eventsRoutes } from '../../query-service/events-routes.js';
import { KafkaStatusTail } from '../../query-service/kafka-status-tail.js';
import { StatusFeed } from '../../query-service/status-feed.js';
import type { AdminClient, KafkaClient } from '../../topology/kafka/client.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { bearer, hs256, T0, testService } from '../unit/query-service/helpers.js';
import { SseClient } from '../unit/query-service/sse-client.js';
import { createTopics, produce, requireKafka, testClient, uniqueName } from './harness.js';

const PARTITIONS = 3;
const STORES = ['S001', 'S002', 'S003', 'S004', 'S005', 'S006'];
/** Each store's changes go to one partition, as the pipeline's ShipFromLocationID key does. */
const partitionOf = (store: string) => STORES.indexOf(store) % PARTITIONS;

/** Admin requests fail while `failing` is set: a broker that stops answering, without touching the broker. */
function flakyClient(inner: KafkaClient): KafkaClient & { failing: boolean; failures: number } {
  const state = { failing: false, failures: 0 };
  const failable = new Set<PropertyKey>(['partitionCounts', 'endOffsets']);
  const admin = (): AdminClient =>
    new Proxy(inner.admin(), {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (state.failing && failable.has(property)) {
            state.failures++;
            return Promise.reject(new Error('broker unavailable (injected)'));
          }
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'admin') return admin;
      if (property === 'failing' || property === 'failures') return state[property];
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    set(_target, property, value) {
      if (property !== 'failing') return false;
      state.failing = value as boolean;
      return true;
    },
  }) as KafkaClient & { failing: boolean; failures: number };
}

t.test('committed status changes reach SSE clients through the Kafka tail, in order per partition, filtered by store', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const prefix = `${uniqueName('status-events')}.`;
  const topic = prefix + Topics.status;
  await createTopics(client, [topic], PARTITIONS);
  t.teardown(async () => {
    const admin = client.admin();
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.close();
  });

  const serde = orderSerdes(serdeConfig({}), prefix).topic(Topics.status);
  let sequence = 0;
  const change = (store: string, overrides: Partial<StatusChange> = {}): StatusChange => ({
    OrderID: `O-${String(++sequence).padStart(5, '0')}`,
    ShipFromLocationID: store,
    FromStatus: 1000,
    ToStatus: 2000,
    Reason: 'allocated',
    Source: 'allocate',
    At: new Date(T0 + sequence * 1000).toISOString(),
    Actor: null,
    ...overrides,
  });
  const record = (value: StatusChange | Buffer): ProducedRecord => {
    const store = Buffer.isBuffer(value) ? 'S001' : value.ShipFromLocationID;
    return {
      topic,
      partition: partitionOf(store),
      key: Buffer.from(store),
      value: Buffer.isBuffer(value) ? value : serde.serialize(value),
      timestamp: Date.now(),
      headers: {},
    };
  };

  // Before the tail starts: not streamed (the tail starts at the end).
  await produce(
    client,
    STORES.map((store) => record(change(store, { OrderID: 'BEFORE' }))),
  );

  const flaky = flakyClient(client);
  const registry = new Registry();
  const feed = new StatusFeed({ registry });
  const log: string[] = [];
  const tail = new KafkaStatusTail({
    client: flaky,
    feed,
    serdes: serdeConfig({}),
    topicPrefix: prefix,
    pollIntervalMs: 20,
    retryDelayMs: 50,
    log: (line) => log.push(line),
  });
  await tail.start();
  t.teardown(() => tail.stop());
  const { app } = testService({ registry, routes: [eventsRoutes(feed)], rateLimit: { perSecond: 1000, burst: 1000 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/events`;
  const everything = await SseClient.connect(url, bearer(devToken(hs256, { roles: ['regional_coordinator'] }, T0)));
  const twoStores = await SseClient.connect(`${url}?store=S002,S005`, bearer(devToken(hs256, { roles: ['admin'] }, T0)));
  const staff = await SseClient.connect(url, bearer(devToken(hs256, { roles: ['store_staff'], stores: ['S003'] }, T0)));
  const clients = [everything, twoStores, staff];
  t.teardown(async () => {
    for (const sse of clients) sse.close();
    await app.close();
  });
  for (const sse of clients) {
    t.equal(sse.status, 200);
    await sse.waitFor('connected', () => sse.comments.includes('connected'));
  }

  // Committed, aborted and committed again, plus a plain (non-transactional) batch with an undecodable value.
  const producer = client.producer({ transactionalId: `${prefix}tx` });
  await producer.init();
  const committed: StatusChange[] = [];
  for (const [round, commit] of [true, false, true].entries()) {
    const changes = Array.from({ length: 60 }, (_, i) =>
      change(STORES[i % STORES.length]!, { Reason: `round ${round}`, Source: `allocate ${i}` }),
    );
    await producer.beginTransaction();
    await producer.send(changes.map(record));
    if (commit) {
      await producer.commitTransaction();
      committed.push(...changes);
    } else {
      await producer.abortTransaction();
    }
  }
  const plain = [change('S001', { Reason: 'plain' }), change('S002', { Reason: 'plain' })];
  await produce(client, [record(plain[0]!), record(Buffer.from('{not json')), record(plain[1]!)]);
  committed.push(...plain);

  await everything.waitForEvents(committed.length, 20_000);
  const received = everything.statusData();
  t.equal(received.length, committed.length, 'every committed change once; nothing from before the start, nothing aborted');
  t.notOk(received.some((data) => data.orderId === 'BEFORE' || data.reason === 'round 1'));
  t.ok(
    log.some((line) => /skipped .*@\d+: the value does not decode/.test(line)),
    'the undecodable value is skipped with a log line',
  );
  t.same(tail.stats, { published: committed.length, skipped: 1 });
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const expected = committed.filter((c) => partitionOf(c.ShipFromLocationID) === partition).map((c) => c.OrderID);
    const events = everything.events.filter((event) => event.id!.startsWith(`${partition}-`));
    t.same(
      events.map((event) => (JSON.parse(event.data) as { orderId: string }).orderId),
      expected,
      `partition ${partition}: in produce order`,
    );
    const offsets = events.map((event) => BigInt(event.id!.split('-')[1]!));
    t.ok(
      offsets.every((offset, i) => i === 0 || offset > offsets[i - 1]!),
      `partition ${partition}: ids <partition>-<offset> with rising offsets`,
    );
  }
  // Order holds per partition, not across them (the tail may hand on a later round of another partition first).
  t.same(
    received.find((event) => event.orderId === committed[0]!.OrderID),
    {
      orderId: committed[0]!.OrderID,
      shipFromLocationId: committed[0]!.ShipFromLocationID,
      fromStatus: 1000,
      toStatus: 2000,
      reason: 'round 0',
      source: 'allocate 0',
      at: committed[0]!.At,
      actor: null,
    },
  );

  const ofStores = (stores: string[]) => committed.filter((c) => stores.includes(c.ShipFromLocationID));
  await twoStores.waitForEvents(ofStores(['S002', 'S005']).length, 10_000);
  await staff.waitForEvents(ofStores(['S003']).length, 10_000);
  const sorted = (ids: unknown[]) => ids.map(String).sort();
  t.same(
    sorted(twoStores.statusData().map((data) => data.orderId)),
    sorted(ofStores(['S002', 'S005']).map((c) => c.OrderID)),
    '?store=S002,S005: exactly those stores',
  );
  t.same(
    sorted(staff.statusData().map((data) => data.orderId)),
    sorted(ofStores(['S003']).map((c) => c.OrderID)),
    'a store role: exactly its store',
  );

  // Latency: one change per transaction, each waited for before the next.
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const one = change(STORES[i % STORES.length]!, { Reason: 'latency' });
    const before = everything.events.length;
    // At a random moment: right after a receipt the tail has just begun its idle wait, which would skew the numbers.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 50));
    await producer.beginTransaction();
    await producer.send([record(one)]);
    await producer.commitTransaction();
    const committedAt = performance.now();
    await everything.waitForEvents(before + 1, 10_000);
    latencies.push(everything.events[before]!.receivedAt - committedAt);
  }
  await producer.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  t.comment(
    `commit → SSE receipt over ${latencies.length} single-change transactions: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms (poll interval 20 ms)`,
  );

  // The broker stops answering for a while; changes committed meanwhile arrive once it answers again.
  const start = everything.events.length;
  flaky.failing = true;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const during = STORES.map((store) => change(store, { Reason: 'during outage' }));
  await produce(client, during.map(record));
  await new Promise((resolve) => setTimeout(resolve, 300));
  flaky.failing = false;
  await everything.waitForEvents(start + during.length, 20_000);
  t.ok(flaky.failures > 0, `${flaky.failures} failed requests`);
  t.ok(
    log.some((line) => /failed .*retrying in \d+ ms/.test(line)),
    'the failure is logged with the retry',
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(
    sorted(
      everything
        .statusData()
        .slice(start)
        .map((data) => data.orderId),
    ),
    sorted(during.map((c) => c.OrderID)),
    'after the outage: every change committed meanwhile, once',
  );

  // Stopped and started again: it goes on from where it stopped.
  await tail.stop();
  const whileStopped = change('S004', { Reason: 'while stopped' });
  await produce(client, [record(whileStopped)]);
  await tail.start();
  const afterRestart = change('S005', { Reason: 'after restart' });
  await produce(client, [record(afterRestart)]);
  await everything.waitFor(
    'the changes around the restart',
    () => everything.statusData().some((data) => data.orderId === afterRestart.OrderID),
    10_000,
  );
  t.same(
    everything
      .statusData()
      .slice(-2)
      .map((data) => data.orderId)
      .sort(),
    [whileStopped.OrderID, afterRestart.OrderID].sort(),
    'a restarted tail publishes what was committed while it was stopped, and after',
  );
});
