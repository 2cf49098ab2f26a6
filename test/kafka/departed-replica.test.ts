/**
 * Releasing a replica that was SIGKILLed (runtime/departed-replica.ts) on the real broker: its member leaves the
 * group and its open transaction is aborted at once, where the broker alone would wait a minute for each (the
 * victim's session and transaction timeouts); records written after it are readable under read_committed again.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { releaseDepartedReplica } from '../../runtime/departed-replica.js';
import { tpKey } from '../../topology/kafka/client.js';
import { BROKERS, createTopics, produce, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const VICTIM = resolve('dist/test/fixtures/abandoned-replica.js');

t.test('a killed replica is taken out of the group and its open transaction aborted, not a minute later', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('departed');
  const topic = `${app}-out`;
  const instance = `${app}-pod-0-w2`;
  await createTopics(client, [topic], 1);

  const victim = spawn(process.execPath, [VICTIM], {
    env: { ...process.env, KAFKA_BROKERS: BROKERS.join(','), APP: app, INSTANCE: instance, TOPIC: topic },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => void victim.kill('SIGKILL'));
  await new Promise<void>((holding, failed) => {
    createInterface({ input: victim.stdout! }).on('line', (line) => line === 'holding' && holding());
    victim.once('exit', (code) => failed(new Error(`the victim exited (${code}) before it held a transaction`)));
  });

  const admin = client.admin();
  t.teardown(() => admin.close());
  const tp = [{ topic, partition: 0 }];
  const ends = async () => {
    const [written, stable] = await Promise.all([admin.endOffsets(tp, false), admin.endOffsets(tp, true)]);
    return { written: written.get(tpKey(topic, 0))!, stable: stable.get(tpKey(topic, 0))! };
  };
  const group = await admin.describeGroup(app);
  t.ok(
    group.members.some((member) => member.instanceId === instance),
    'the victim is a member of the group, under its static id',
  );
  t.equal((await ends()).stable, 0n, "its open transaction holds read_committed readers at the partition's start");

  victim.kill('SIGKILL');
  await new Promise((exited) => victim.once('exit', exited));
  // A record written after the victim's: invisible to read_committed readers while the victim's transaction is open.
  await produce(client, [{ topic, partition: 0, key: Buffer.from('k'), value: Buffer.from('after'), timestamp: Date.now(), headers: {} }]);
  t.equal((await ends()).stable, 0n, 'killed, its transaction still holds them (the broker would wait out its minute)');
  t.equal(
    (await admin.describeGroup(app)).members.filter((member) => member.instanceId === instance).length,
    1,
    'and it is still a member (its session has a minute to run)',
  );

  const released = await releaseDepartedReplica(client, { applicationId: app, instanceId: instance, exactlyOnce: true });
  t.same(released, { fenced: true, removed: true }, 'released: fenced and removed');
  t.same(
    (await admin.describeGroup(app)).members.filter((member) => member.instanceId === instance),
    [],
    'it is out of the group at once',
  );
  // The abort marker is written once the coordinator has aborted; the stable end then passes it.
  await waitFor(
    'the stable end to pass the aborted transaction',
    async () => {
      const { written, stable } = await ends();
      return stable === written;
    },
    15_000,
  );
  t.pass('its transaction aborted: read_committed readers reach the record written after it');

  t.same(
    await releaseDepartedReplica(client, { applicationId: app, instanceId: instance, exactlyOnce: true }),
    { fenced: true, removed: false },
    'releasing it again finds no member to remove',
  );
});
