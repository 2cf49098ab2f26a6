/**
 * What `omnia explain` reads about one order, and from where:
 * - its state — the order as accepted (or last modified), its priced lines, totals, status and history — from the
 *   `orders` store's changelog (`<application id>-orders-changelog`): exactly what the owning replica's store
 *   holds, as committed, and what it restores from; readable whether the owner is up or not. The partition is the
 *   order's store's (`--store`, or the store Postgres knows for the order); without either, every partition is read;
 * - the reference data the pipeline priced it with: the bundle table (bundle.definition.v1, with each definition's
 *   time, so the table as it was when the order was priced can be rebuilt) and its customer (customer.profile.v1);
 * - its release: the order.release.v1 record itself (read from its release time on), else Postgres's `releases`;
 * - from Postgres (DATABASE_URL), when the changelog has no such order: the analysts' tables and the verdicts of a
 *   rejected order.
 */
import { prepareSerdes } from '../avro/config.js';
import type { SqlSession } from '../postgres/sql.js';
import type { BundleDefinition, Customer, Release } from '../processors/domain/types.js';
import type { OrderState } from '../processors/order-state.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ConsumedRecord } from '../runtime/produced-record.js';
import { changelogTopic } from '../state/store-definition.js';
import { tpKey } from '../topology/kafka/client.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { Stores, Topics } from '../topology/topics.js';
import { readTopic, type OpsContext } from './cluster.js';

export interface StoredOrder {
  readonly state: OrderState;
  readonly changelog: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** A reference-table record with its time: the table at any moment is the last value per key up to it. */
export interface TableRecord<V> {
  readonly key: string;
  /** Null: the key was deleted (a tombstone), or its value could not be read. */
  readonly value: V | null;
  readonly timestamp: number;
}

export class OrderSource {
  private readonly serdes;
  private prepared: Promise<void> | undefined;

  constructor(private readonly context: OpsContext) {
    this.serdes = orderSerdes(context.serdes, context.order.topicPrefix);
  }

  private topic(name: string): string {
    return this.context.order.topicPrefix + name;
  }

  /** The serdes of a schema registry fetch their schemas once, before the first value is decoded. */
  private async ready(): Promise<void> {
    this.prepared ??= prepareSerdes(this.context.serdes);
    await this.prepared;
  }

  /** Tasks (partitions) of the pipeline: the partition count of order.create.v1. */
  async partitions(): Promise<number> {
    const topic = this.topic(Topics.orderCreate);
    return (await this.context.admin.partitionCounts([topic])).get(topic) ?? 0;
  }

  async partitionOf(store: string): Promise<number> {
    return partitionForKey(Buffer.from(store), await this.partitions());
  }

  /** The order's last state in the `orders` changelog, in `partitions` (all when absent); undefined when not there. */
  async fromChangelog(orderId: string, partitions?: readonly number[]): Promise<StoredOrder | undefined> {
    await this.ready();
    const topic = changelogTopic(this.context.runtime.applicationId, Stores.orders);
    const wanted = Buffer.from(orderId);
    let last: ConsumedRecord | undefined;
    await readTopic(
      this.context,
      topic,
      (records) => {
        for (const record of records) if (record.key?.equals(wanted)) last = record;
      },
      partitions,
    );
    if (!last || last.value === null) return undefined;
    const state = this.serdes.store(Stores.orders).deserialize(last.value) as OrderState;
    return { state, changelog: topic, partition: last.partition, offset: last.offset };
  }

  /** Every record of a reference topic, decoded; a value that does not decode reads as null (as a deletion). */
  private async table<V>(name: string, keep: (key: string) => boolean): Promise<Array<TableRecord<V>>> {
    await this.ready();
    const serde = this.serdes.topic(name);
    const out: Array<TableRecord<V>> = [];
    await readTopic(this.context, this.topic(name), (records) => {
      for (const record of records) {
        const key = record.key?.toString() ?? '';
        if (!keep(key)) continue;
        let value: V | null;
        try {
          value = record.value === null ? null : (serde.deserialize(record.value) as V);
        } catch {
          value = null; // undecodable: the global table would not hold it either
        }
        out.push({ key, value, timestamp: record.timestamp });
      }
    });
    return out;
  }

  bundleHistory(): Promise<Array<TableRecord<BundleDefinition>>> {
    return this.table<BundleDefinition>(Topics.bundles, () => true);
  }

  /** The customer as customer.profile.v1 holds it now; null when the table does not know it. */
  async customer(customerId: string): Promise<Customer | null> {
    const records = await this.table<Customer>(Topics.customers, (key) => key === customerId);
    return records.at(-1)?.value ?? null;
  }

  /**
   * The order's release record on order.release.v1: in the order's partition, from a little before its release time
   * (the RELEASED history entry; a record's time is the time it was produced). Undefined when it is not there.
   */
  async release(orderId: string, partition: number, releasedAt: number): Promise<Release | undefined> {
    await this.ready();
    const topic = this.topic(Topics.release);
    const tp = { topic, partition };
    const from = (await this.context.admin.offsetsForTime([tp], releasedAt - 5_000)).get(tpKey(topic, partition)) ?? 0n;
    const end = (await this.context.admin.endOffsets([tp], true)).get(tpKey(topic, partition)) ?? 0n;
    if (from >= end) return undefined;
    const serde = this.serdes.topic(Topics.release);
    let found: Release | undefined;
    const stop = new Error('found');
    try {
      await this.context.reader().read(tp, from, end, async (records) => {
        for (const record of records) {
          if (record.value === null) continue;
          try {
            const release = serde.deserialize(record.value) as Release;
            if (release.OrderID === orderId) {
              found = release;
              throw stop;
            }
          } catch (error) {
            if (error === stop) throw error;
          }
        }
      });
    } catch (error) {
      if (error !== stop) throw error;
    }
    return found;
  }
}

/** The bundle table at `at` (epoch ms): the last definition of each bundle up to then; now when `at` is absent. */
export function tableAt(history: ReadonlyArray<TableRecord<BundleDefinition>>, at?: number): BundleDefinition[] {
  const table = new Map<string, BundleDefinition | null>();
  for (const record of history) if (at === undefined || record.timestamp <= at) table.set(record.key, record.value);
  return [...table.values()].filter((value): value is BundleDefinition => value !== null);
}

// ------------------------------------------------------------------------------------------------- Postgres

export type Row = Record<string, unknown>;

export interface TableFacts {
  readonly order: Row | undefined;
  readonly lines: Row[];
  readonly release: Row | undefined;
  /** Verdicts on order.validation.v1, oldest first, each with its errors. */
  readonly validations: Array<{
    valid: boolean;
    at: string;
    errors: Array<{ rule: string; code: string; field: string; message: string }>;
  }>;
}

export async function tableFacts(db: SqlSession, orderId: string): Promise<TableFacts> {
  const order = (await db.query<Row>('SELECT * FROM orders WHERE order_id = $1', [orderId])).rows[0];
  const lines = (await db.query<Row>('SELECT * FROM order_lines WHERE order_id = $1 ORDER BY line_id', [orderId])).rows;
  const release = (await db.query<Row>('SELECT * FROM releases WHERE order_id = $1', [orderId])).rows[0];
  const verdicts = (
    await db.query<Row>(
      'SELECT kafka_partition, kafka_offset, valid, at FROM validations WHERE order_id = $1 ORDER BY kafka_partition, kafka_offset',
      [orderId],
    )
  ).rows;
  const errors = (
    await db.query<Row>(
      'SELECT kafka_partition, kafka_offset, rule, code, field, message FROM validation_errors WHERE order_id = $1 ORDER BY kafka_partition, kafka_offset, error_index',
      [orderId],
    )
  ).rows;
  return {
    order,
    lines,
    release,
    validations: verdicts.map((verdict) => ({
      valid: verdict.valid === true,
      at: verdict.at instanceof Date ? verdict.at.toISOString() : String(verdict.at),
      errors: errors
        .filter(
          (error) =>
            String(error.kafka_partition) === String(verdict.kafka_partition) &&
            String(error.kafka_offset) === String(verdict.kafka_offset),
        )
        .map((error) => ({
          rule: String(error.rule),
          code: String(error.code),
          field: String(error.field),
          message: String(error.message),
        })),
    })),
  };
}
