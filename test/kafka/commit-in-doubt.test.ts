/**
 * A commit whose answer never arrives: the coordinator may have committed the transaction although the call
 * failed (a request timed out while the coordinator's broker was paused). The replica must go on from what
 * really committed. Before this was handled it dropped the transaction's store writes and then read on from the
 * committed offsets, past the records whose state it had just dropped: under the broker pause an order received
 * twice was released twice, because its first copy's state was gone when the second came.
 *
 * The fault is injected in the producer the runtime is given: every call reaches the real broker, and one commit
 * either really commits and then fails (the answer lost) or fails without reaching the coordinator.
 */
import { rm } from 'node:fs/promises';
import t from 'tap';
import { loadConfig } from '../../runtime/config.js';
import { StreamsRuntime } from '../../runtime/streams-runtime.js';
import type { KafkaClient, Producer } from '../../topology/kafka/client.js';
import { counterTopology, type CounterOutput } from '../fixtures/counter-topology.js';
import { BROKERS, createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

type CommitFault = 'answer-lost' | 'never-sent';

/** A client whose transactional producers fail the next commit in the way `faults` asks, once per entry. */
function faultyClient(inner: KafkaClient, faults: CommitFault[], injected: CommitFault[]): KafkaClient {
  const faulty = (producer: Producer): Producer => ({
    get transactional() {
      return producer.transactional;
    },
    init: () => producer.init(),
    beginTransaction: () => producer.beginTransaction(),
    send: (records) => producer.send(records),
    sendOffsetsToTransaction: (offsets, group) => producer.sendOffsetsToTransaction(offsets, group),
    async commitTransaction() {
      const fault = faults.shift();
      if (fault === undefined) return producer.commitTransaction();
      injected.push(fault);
      if (fault === 'never-sent') throw new Error('injected: the commit request never reached the coordinator');
      await producer.commitTransaction();
      throw new Error('injected: the coordinator committed, its answer was lost');
    },
    abortTransaction: () => producer.abortTransaction(),
    settle: () => producer.settle(),
    close: () => producer.close(),
  });
  return {
    name: inner.name,
    admin: () => inner.admin(),
    groupConsumer: (options) => inner.groupConsumer(options),
    producer: (options) => faulty(inner.producer(options)),
    partitionReader: () => inner.partitionReader(),
  };
}

t.test('a commit that succeeded although it failed: the replica goes on from what committed', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('commit-in-doubt');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], 1);
  const faults: CommitFault[] = [];
  const injected: CommitFault[] = [];
  const stateDir = `.state/test-${app}`;
  const runtime = new StreamsRuntime(
    counterTopology(input, output),
    loadConfig({ applicationId: app, bootstrapServers: BROKERS, stateDir, instanceId: `${app}-0`, processingGuarantee: 'exactly_once' }),
    faultyClient(client, faults, injected),
  );
  t.teardown(async () => {
    await runtime.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
  await runtime.start();

  const key = Buffer.from('QC0001');
  let seq = 0;
  const send = (count: number) =>
    produce(
      client,
      Array.from({ length: count }, () => ({
        topic: input,
        partition: 0,
        key,
        value: Buffer.from(JSON.stringify({ seq: ++seq })),
        timestamp: Date.now(),
        headers: {},
      })),
    );
  const outputs = async () => (await readAll(client, output)).map((record) => JSON.parse(record.value!.toString()) as CounterOutput);
  const untilOutputs = (count: number) => waitFor(`${count} outputs`, async () => (await outputs()).length >= count);

  // The first transaction with work commits for real; the replica is told it failed.
  faults.push('answer-lost');
  await send(5);
  await untilOutputs(5);
  t.same(injected, ['answer-lost'], 'the commit answer was lost once');
  await send(3);
  await untilOutputs(8);

  // The next one never reaches the coordinator: the replica aborts it and processes its records again.
  faults.push('never-sent');
  await send(2);
  await untilOutputs(10);
  t.same(injected, ['answer-lost', 'never-sent'], 'both faults were injected');
  await send(1);
  await untilOutputs(11);

  const seen = await outputs();
  t.same(
    seen.map((out) => [out.seq, out.count]),
    Array.from({ length: 11 }, (_, i) => [i + 1, i + 1]),
    'each record once, and each count one more than the last: the store kept every committed write and nothing else',
  );
  // Both failed in EndTxn, where the replica cannot tell a lost answer from a request that never arrived.
  const commits = (await runtime.metrics.commits.get()).values;
  const counted = (result: string) => commits.find((sample) => sample.labels.result === result)?.value ?? 0;
  t.equal(counted('in-doubt'), 2, 'both failed commits were counted as in doubt');
  t.equal(counted('aborted'), 0, 'and not as aborted');
  t.equal(runtime.currentState, 'running', 'the replica is running');
});

t.test('a stable offset fetch waits for the transaction that commits the offsets, a plain one does not', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const group = uniqueName('stable-offsets');
  const input = `${group}-in`;
  await createTopics(client, [input], 1);
  const partitions = [{ topic: input, partition: 0 }];
  const admin = client.admin();
  const producer = client.producer({ transactionalId: `${group}-tx` });
  t.teardown(async () => {
    await producer.close().catch(() => undefined);
    await admin.close();
  });
  // The transaction's offsets go to the group's coordinator: a member that joins and leaves learns which it is.
  const member = client.groupConsumer({ groupId: group, sessionTimeoutMs: 6000, readCommitted: true });
  await member.join([input]);
  const { coordinatorId } = member.groupMetadata();
  await member.close();
  await producer.settle();
  await producer.beginTransaction();
  await producer.sendOffsetsToTransaction([{ topic: input, partition: 0, offset: 6n }], {
    groupId: group,
    generationId: -1,
    memberId: '',
    coordinatorId,
  });

  // The transaction is open: its offsets are pending. A plain fetch answers with what was committed before it.
  t.same([...(await admin.committedOffsets(group, partitions))], [], 'a plain fetch: nothing committed yet');
  let settled: Map<string, bigint> | undefined;
  const stable = admin.committedOffsets(group, partitions, { stable: true }).then((offsets) => (settled = offsets));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.equal(settled, undefined, 'a stable fetch is still waiting while the transaction is open');
  await producer.commitTransaction();
  await stable;
  t.same([...settled!], [[`${input}:0`, 6n]], 'and answers with the offsets the transaction committed');
});
