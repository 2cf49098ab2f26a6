/**
 * The topics the sink reads and how their values decode: the pipeline's output topics, and the `orders`
 * store's changelog for the orders and order_lines tables. The changelog carries each order's whole current
 * state (lines, totals, payment status) — including orders that are never released, which no output topic
 * describes in full — and it is exactly what the pipeline itself restores from. Besides the topology's output,
 * it reads the Slick egress's calls (order.fulfillment.v1), the daily reconciliation reports, the partner's
 * settlement rows (payment.settlement.v1, written by `omnia settlement import`) and what became of
 * people's decisions on exceptions (order.exception-outcome.v1) and every step of the customer notifications
 * (notification.sent.v1). Low stock comes two ways: each event (inventory.low-stock.v1), and the `inventory`
 * store's changelog, whose counters say whether an item is still short — an event is never withdrawn.
 *
 * For the audit trail (action-audit.ts) it also reads the topics people's actions are sent on, the dead-letter
 * topics of those the pipeline may refuse, and the exception outcomes again (each carries its decision whole).
 */
import type { SerdeConfig } from '../avro/config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { Stores, Topics } from '../topology/topics.js';
import { changelogTopic } from '../state/store-definition.js';
import type { Serde } from '../serdes/serde.js';
import type { ConsumedRecord } from '../runtime/produced-record.js';
import { dlqTopic } from '../runtime/dead-letter.js';
import type { SinkItem } from './batch-writer.js';
import { type Row, rowsOf, type SinkSource, UnusableRecordError } from './tables.js';
import {
  type CommandRecord,
  type CommandSource,
  commandAuditRows,
  outcomeAuditRows,
  type RefusedCommandSource,
  refusedAuditRows,
} from './action-audit.js';

/** What a topic holds: a table's source, a command for the audit trail, or a command's dead letter. */
export type SinkTopicSource = SinkSource | CommandSource | RefusedCommandSource;

/** The topics actions are sent on, with the record each holds; all but the bundles' are source topics with a DLQ. */
const COMMAND_TOPICS: ReadonlyArray<{ source: CommandSource; topic: (typeof Topics)[keyof typeof Topics]; refusable: boolean }> = [
  { source: 'orderUpdate', topic: Topics.orderUpdate, refusable: true },
  { source: 'cashConfirmation', topic: Topics.deliveryStatus, refusable: true },
  { source: 'exceptionAction', topic: Topics.exceptionAction, refusable: true },
  { source: 'orderReturn', topic: Topics.orderReturn, refusable: true },
  { source: 'bundleDefinition', topic: Topics.bundles, refusable: false },
];

export interface SinkSources {
  readonly topics: readonly string[];
  /**
   * Topics written outside the pipeline, which the sink creates itself when they are missing, with the
   * partitions of `like` (as their writer would): the Slick egress's order.fulfillment.v1, so the tables do not
   * wait for the connectors' first start.
   */
  readonly creatable: ReadonlyArray<{ readonly topic: string; readonly like: string }>;
  sourceOf(topic: string): SinkTopicSource | undefined;
  decode(topic: string, value: Buffer | null): unknown;
}

export function sinkSources(options: { applicationId: string; topicPrefix: string; serdes: SerdeConfig }): SinkSources {
  const serdes = orderSerdes(options.serdes, options.topicPrefix);
  const byTopic = new Map<string, { source: SinkTopicSource; serde: Serde<unknown> }>([
    [changelogTopic(options.applicationId, Stores.orders), { source: 'orders', serde: serdes.store(Stores.orders) }],
    [options.topicPrefix + Topics.status, { source: 'status', serde: serdes.topic(Topics.status) }],
    [options.topicPrefix + Topics.payment, { source: 'payment', serde: serdes.topic(Topics.payment) }],
    [options.topicPrefix + Topics.release, { source: 'release', serde: serdes.topic(Topics.release) }],
    [options.topicPrefix + Topics.validation, { source: 'validation', serde: serdes.topic(Topics.validation) }],
    [options.topicPrefix + Topics.fulfillment, { source: 'fulfillment', serde: serdes.topic(Topics.fulfillment) }],
    [options.topicPrefix + Topics.reconciliation, { source: 'reconciliation', serde: serdes.topic(Topics.reconciliation) }],
    [options.topicPrefix + Topics.settlement, { source: 'settlement', serde: serdes.topic(Topics.settlement) }],
    [options.topicPrefix + Topics.exceptionOutcome, { source: 'exceptionOutcome', serde: serdes.topic(Topics.exceptionOutcome) }],
    [options.topicPrefix + Topics.notificationSent, { source: 'notification', serde: serdes.topic(Topics.notificationSent) }],
    [options.topicPrefix + Topics.lowStock, { source: 'lowStock', serde: serdes.topic(Topics.lowStock) }],
    [changelogTopic(options.applicationId, Stores.inventory), { source: 'inventory', serde: serdes.store(Stores.inventory) }],
    // Returns and refunds, from the store that holds them whole (not the Refunded payment events, which carry no return).
    [changelogTopic(options.applicationId, Stores.returns), { source: 'returns', serde: serdes.store(Stores.returns) }],
  ]);
  for (const { source, topic, refusable } of COMMAND_TOPICS) {
    const serde = serdes.topic(topic);
    byTopic.set(options.topicPrefix + topic, { source, serde });
    // A dead letter holds the command's own bytes: it decodes as the command does.
    if (refusable) byTopic.set(dlqTopic(options.topicPrefix + topic), { source: `${source}Refused`, serde });
  }
  return {
    topics: [...byTopic.keys()],
    creatable: [
      { topic: options.topicPrefix + Topics.fulfillment, like: options.topicPrefix + Topics.release },
      // Written by the notification connector (omnia notify), which may start after the sink or not run at all.
      { topic: options.topicPrefix + Topics.notificationSent, like: options.topicPrefix + Topics.release },
    ],
    sourceOf: (topic) => byTopic.get(topic)?.source,
    decode(topic, value) {
      const entry = byTopic.get(topic);
      if (!entry) throw new Error(`the sink does not read ${topic}`);
      return value === null ? null : entry.serde.deserialize(value);
    },
  };
}

const COMMAND_SOURCES = new Set<SinkTopicSource>(COMMAND_TOPICS.map(({ source }) => source));
const REFUSED_SOURCES = new Set<SinkTopicSource>(COMMAND_TOPICS.map(({ source }) => `${source}Refused` as const));

const isCommand = (source: SinkTopicSource): source is CommandSource => COMMAND_SOURCES.has(source);
const isRefused = (source: SinkTopicSource): source is RefusedCommandSource => REFUSED_SOURCES.has(source);

/** The rows one decoded record becomes: a table's, and for a command (or an exception's outcome) its audit row. */
function rowsOfRecord(source: SinkTopicSource, value: unknown, record: CommandRecord): Row[] {
  if (isCommand(source)) return commandAuditRows(source, value, record);
  if (isRefused(source)) return refusedAuditRows(source.slice(0, -'Refused'.length) as CommandSource, value, record);
  const rows = rowsOf(source, value, { partition: record.partition, offset: record.offset });
  return source === 'exceptionOutcome' ? [...rows, ...outcomeAuditRows(value)] : rows;
}

/** A consumed record as rows, or as the reason it cannot be (a value that does not decode or fit a table). */
export function itemOf(record: ConsumedRecord, sources: SinkSources): SinkItem {
  const base = { topic: record.topic, partition: record.partition, offset: record.offset, key: record.key, value: record.value };
  const source = sources.sourceOf(record.topic);
  if (!source) return { ...base, rows: [], unusable: `the sink does not read ${record.topic}` };
  let value: unknown;
  try {
    value = sources.decode(record.topic, record.value);
  } catch (error) {
    // A command that does not decode names no one; the pipeline dead-letters it (MALFORMED_RECORD), the trail has nothing to add.
    if (isCommand(source) || isRefused(source)) return { ...base, rows: [] };
    return { ...base, rows: [], unusable: `undecodable: ${(error as Error).message}` };
  }
  try {
    return { ...base, rows: rowsOfRecord(source, value, record) };
  } catch (error) {
    return { ...base, rows: [], unusable: `${error instanceof UnusableRecordError ? '' : 'undecodable: '}${(error as Error).message}` };
  }
}
