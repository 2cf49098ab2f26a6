/**
 * What a broker failure used to do to the Kafka client (bench/scale-out.md, "What misbehaved") and how it is
 * handled now, without a broker: the patched connection pool (patches/), and the group consumer whose client gave
 * up in the background. The broker-backed halves are test/kafka/client-faults.test.ts and test/kafka/scale-out.test.ts.
 */
import { ConnectionPool, ResponseError } from '@platformatic/kafka';
import t from 'tap';
import { ConsumerLostError, ProducerFencedError, TaskMigratedError } from '../../runtime/errors.js';
import { PlatformaticGroupConsumer } from '../../topology/kafka/platformatic-group-consumer.js';
import { producerFailure } from '../../topology/kafka/platformatic-producer.js';

t.test('a broker gone from the metadata: the pool answers with an error, it does not throw from a callback', async (t) => {
  const pool = new ConnectionPool('faults-test');
  t.teardown(() => pool.close());
  // Before the patch: TypeError "Cannot read properties of undefined (reading 'host')", thrown where nothing
  // catches it (the group coordinator's node had left the cluster), and the replica exited.
  const error = await pool.get(undefined as never).then(
    () => undefined,
    (failure: Error) => failure,
  );
  t.ok(error, 'the call fails');
  t.notOk(error instanceof TypeError, 'not a TypeError');
  t.match(error?.message, /not in the cluster metadata/);
  t.equal((error as { canRetry?: boolean } | undefined)?.canRetry, true, 'retriable: the caller looks for the broker again');
});

t.test('the group client gave up rejoining in the background: the next poll and commit throw ConsumerLostError', async (t) => {
  // Nothing connects before join(): the brokers need not exist.
  const consumer = new PlatformaticGroupConsumer(['127.0.0.1:1'], 'faults-test', {
    groupId: 'faults-test',
    sessionTimeoutMs: 6000,
    readCommitted: true,
  });
  t.teardown(() => consumer.close().catch(() => undefined));
  const inner = (consumer as unknown as { consumer: NodeJS.EventEmitter }).consumer;
  // Unheard, this was an uncaught 'error' event: the process exited.
  t.doesNotThrow(() => inner.emit('error', new Error('rejoinGroup failed 6 times.')), 'the event is heard');
  await t.rejects(consumer.poll(10), ConsumerLostError, 'poll');
  await t.rejects(consumer.poll(10), { message: /gave up: rejoinGroup failed 6 times/ }, 'and again, naming the cause');
  await t.rejects(
    consumer.commit([{ topic: 't', partition: 0, offset: 1n }], {
      groupId: 'faults-test',
      generationId: -1,
      memberId: '',
      coordinatorId: -1,
    }),
    ConsumerLostError,
    'commit',
  );
});

t.test('an offsets commit refused because the group moved on is a task migration; a fenced producer stays fenced', async (t) => {
  // As the client reports a TxnOffsetCommit (API 28) answered per partition.
  const answered = (code: number) => new ResponseError(28, 4, { '/topics/0/partitions/0': [code, null] }, {});
  t.type(producerFailure(answered(22)), TaskMigratedError, 'ILLEGAL_GENERATION');
  t.type(producerFailure(answered(25)), TaskMigratedError, 'UNKNOWN_MEMBER_ID');
  t.type(producerFailure(answered(27)), TaskMigratedError, 'REBALANCE_IN_PROGRESS');
  t.type(producerFailure(answered(90)), ProducerFencedError, 'PRODUCER_FENCED');
  t.notOk(producerFailure(answered(22)) instanceof ProducerFencedError, 'a moved group is not a fenced producer');
  const other = new Error('Producing messages failed.');
  t.equal(producerFailure(other), other, 'anything else as it is');
});
