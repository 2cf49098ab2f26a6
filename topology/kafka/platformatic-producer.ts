import { Producer as KafkaProducer } from '@platformatic/kafka';

type Transaction = Awaited<ReturnType<KafkaProducer['beginTransaction']>>;
import { ProducerFencedError, TaskMigratedError } from '../../runtime/errors.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import type { GroupMetadata, PartitionOffset, Producer } from './client.js';
import { tpKey } from './client.js';
import type { KafkaConnectionOptions } from './security.js';

/** Idempotent producer; with a transactional id, transactions whose offsets are fenced by group generation. */
export class PlatformaticProducer implements Producer {
  private readonly producer: KafkaProducer;
  private transaction: Transaction | undefined;
  readonly transactional: boolean;

  constructor(
    bootstrapBrokers: string[],
    clientId: string,
    options: { transactionalId?: string; transactionTimeoutMs?: number },
    connection: KafkaConnectionOptions = {},
  ) {
    this.transactional = options.transactionalId !== undefined;
    this.producer = new KafkaProducer({
      clientId,
      bootstrapBrokers,
      idempotent: true,
      acks: -1,
      ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}),
      // The client sends its request timeout as the transaction timeout: a crashed member's open
      // transaction is aborted by the broker after this long at the latest.
      timeout: options.transactionTimeoutMs ?? 10_000,
      // AddPartitionsToTxn right after a commit is answered CONCURRENT_TRANSACTIONS until the broker has written
      // the markers (a few ms): a short retry delay keeps that from stalling every transaction. Longer outages
      // fail the commit and the runtime's own backoff takes over.
      retries: 100,
      retryDelay: 10,
      ...connection,
    });
  }

  async init(): Promise<void> {
    if (!this.transactional) await this.producer.initIdempotentProducer({});
  }

  async beginTransaction(): Promise<void> {
    if (this.transaction && !this.transaction.completed) throw new Error('a transaction is already open');
    // -1/-1 asks the broker for this transactional id's current producer: the client's default (0/0) is
    // answered PRODUCER_FENCED whenever the id was used before, i.e. on every restart of a replica.
    this.transaction = await fenced(
      this.producer.beginTransaction(this.producer.producerId === undefined ? { producerId: -1n, producerEpoch: -1 } : {}),
    );
  }

  async send(records: readonly ProducedRecord[]): Promise<Map<string, bigint>> {
    const offsets = new Map<string, bigint>();
    if (records.length === 0) return offsets;
    const messages = records.map((record) => ({
      topic: record.topic,
      partition: record.partition,
      key: record.key ?? undefined,
      value: record.value ?? undefined,
      timestamp: BigInt(record.timestamp),
      headers: toHeaderMap(record.headers),
    }));
    // One request per chunk, in order: the broker refuses a batch over its message size limit (1 MiB), and the
    // client sends one batch per partition whatever its size. Chunks are sequential: concurrent idempotent
    // sends lose records in this client (bench/clients/README.md).
    for (const chunk of chunks(messages, records)) {
      const result = await fenced(
        this.transaction ? this.transaction.send({ messages: chunk as never }) : this.producer.send({ messages: chunk as never }),
      );
      for (const { topic, partition, offset } of result.offsets ?? []) {
        const key = tpKey(topic, partition);
        if (!offsets.has(key)) offsets.set(key, offset);
      }
    }
    return offsets;
  }

  async sendOffsetsToTransaction(offsets: readonly PartitionOffset[], group: GroupMetadata): Promise<void> {
    const transaction = this.requireTransaction();
    if (offsets.length === 0) return;
    // AddOffsetsToTxn for the group; the client only reads `groupId` from the consumer it is given.
    await fenced(transaction.addConsumer({ groupId: group.groupId } as never));
    // One TxnOffsetCommit for every partition (patches/: the client sent one request per partition, in turn, which
    // was a quarter of a commit's time with eight tasks). The client commits `offset + 1` for each.
    await fenced(
      transaction.addOffset({
        offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset - 1n })),
        metadata: { consumer: group },
      } as never),
    );
  }

  async commitTransaction(): Promise<void> {
    await fenced(this.requireTransaction().commit());
    this.transaction = undefined;
  }

  async abortTransaction(): Promise<void> {
    // The client may hold a transaction of its own when beginTransaction failed halfway (e.g. the broker was
    // still aborting a crashed predecessor's transaction): cancel it too, or every later begin fails.
    const transaction = this.transaction ?? this.producer.transaction;
    this.transaction = undefined;
    if (!transaction || transaction.completed) return;
    try {
      await transaction.abort();
    } catch {
      await transaction.cancel().catch(() => undefined);
    }
  }

  async settle(): Promise<void> {
    if (!this.transactional) return;
    // The client registers the id (InitProducerId) when the first transaction begins; the coordinator answers
    // CONCURRENT_TRANSACTIONS, which the client retries, until the id's earlier transaction is complete. The empty
    // transaction is then dropped in the client alone: nothing was added to it, so the broker never hears of it.
    await this.beginTransaction();
    const transaction = this.transaction!;
    this.transaction = undefined;
    await transaction.cancel();
  }

  async close(): Promise<void> {
    await this.producer.close(true);
  }

  private requireTransaction(): Transaction {
    if (!this.transaction) throw new Error('no open transaction');
    return this.transaction;
  }
}

/** The client's default serializers pass bytes through: header names and values must be Buffers. */
function toHeaderMap(headers: Readonly<Record<string, string>>): Map<Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>();
  for (const name in headers) map.set(Buffer.from(name), Buffer.from(headers[name]!));
  return map;
}

/** Kafka error codes that mean this producer's epoch is over: PRODUCER_FENCED, INVALID_PRODUCER_EPOCH. */
const FENCING_CODES = [90, 47];

/**
 * Kafka error codes of an offsets commit whose group moved on (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID): the records were read under a generation that is over, as Kafka
 * Streams' CommitFailedException → TaskMigratedException.
 */
const GROUP_MOVED_CODES = [22, 25, 27, 82];

/** The client's fencing and group-moved failures as the runtime's typed errors; any other error as it is. */
export function producerFailure(error: unknown): unknown {
  const text = JSON.stringify(error, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)) + String(error);
  // The client's errors carry each protocol error (after retries, nested); findBy walks them by code.
  const has = (codes: number[]) =>
    codes.some(
      (code) =>
        text.includes(`"errorCode":${code}`) || (error as { findBy?: (key: string, value: unknown) => unknown })?.findBy?.('apiCode', code),
    );
  if (has(FENCING_CODES) || /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/.test(text))
    return new ProducerFencedError(`producer fenced: ${(error as Error).message}`, { cause: error });
  if (has(GROUP_MOVED_CODES) || /ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID|REBALANCE_IN_PROGRESS/.test(text))
    return new TaskMigratedError(`the group moved on before the offsets were committed: ${(error as Error).message}`, { cause: error });
  return error;
}

async function fenced<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw producerFailure(error);
  }
}

/** Splits messages so that no chunk carries more than ~512 KiB of keys and values. */
const CHUNK_BYTES = 512 * 1024;
function* chunks<T>(messages: T[], records: readonly ProducedRecord[]): Generator<T[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const size = (records[i]!.key?.length ?? 0) + (records[i]!.value?.length ?? 0) + 64;
    if (bytes + size > CHUNK_BYTES && i > start) {
      yield messages.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) yield messages.slice(start);
}
