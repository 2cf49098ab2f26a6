/**
 * Customers' notification preferences (customer.notification-preference.v1, compacted, key CustomerID): opted
 * out, language, channel, LINE user id, their own quiet hours. The connector holds the whole table in memory, as the
 * pipeline holds its global tables: read to the end before the first message, then followed (a change is seen
 * within `followMs`). A customer without a record — or an order without a CustomerID — gets the defaults.
 *
 * And where a message goes: the order's delivery phone (the recipient the carrier calls), normalised to E.164
 * with Thailand's +66 for a national number, or the customer's LINE user id.
 */
import type { NotificationPreference } from '../../avro/records.js';
import type { KafkaClient, PartitionReader, TopicPartition } from '../../topology/kafka/client.js';
import { tpKey } from '../../topology/kafka/client.js';
import type { Serde } from '../../serdes/serde.js';
import type { Logger } from '../../observability/logger.js';
import { pause } from '../resilience.js';

export type { NotificationPreference };

export class PreferenceTable {
  private readonly byCustomer = new Map<string, NotificationPreference>();

  get(customerId: string | null): NotificationPreference | undefined {
    return customerId ? this.byCustomer.get(customerId) : undefined;
  }

  set(preference: NotificationPreference): void {
    this.byCustomer.set(preference.CustomerID, preference);
  }

  /** A tombstone: the customer is back to the defaults. */
  delete(customerId: string): void {
    this.byCustomer.delete(customerId);
  }

  get size(): number {
    return this.byCustomer.size;
  }
}

/** "+66 81 234 5678", "081-234-5678", "66812345678" → "+66812345678"; undefined when it cannot be a phone number. */
export function normalisePhone(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const digits = raw.replace(/[\s().-]/g, '');
  let e164: string;
  if (/^\+[1-9][0-9]{7,14}$/.test(digits)) e164 = digits;
  else if (/^0[0-9]{8,9}$/.test(digits)) e164 = `+66${digits.slice(1)}`;
  else if (/^66[0-9]{8,9}$/.test(digits)) e164 = `+${digits}`;
  else return undefined;
  return e164;
}

/** "+66812345678" → "+66*****5678"; keeps the country code and the last four digits. */
export function maskPhone(e164: string): string {
  const country = e164.startsWith('+66') ? '+66' : e164.slice(0, 3);
  return `${country}${'*'.repeat(Math.max(0, e164.length - country.length - 4))}${e164.slice(-4)}`;
}

/** A LINE user id, its last four characters only. */
export const maskLineId = (id: string): string => `LINE:…${id.slice(-4)}`;

/**
 * Reads the preference topic into `table`: `load()` to the end of every partition, then `follow()` keeps reading
 * what arrives until the signal aborts. Undecodable values are logged and skipped (the customer keeps what the
 * table had).
 */
export class PreferenceReader {
  private reader: PartitionReader | undefined;
  private readonly positions = new Map<string, bigint>();

  constructor(
    private readonly client: KafkaClient,
    private readonly topic: string,
    private readonly serde: Serde<NotificationPreference>,
    private readonly table: PreferenceTable,
    private readonly log: Logger,
  ) {}

  /** Reads every partition from its start to its current committed end. */
  async load(): Promise<number> {
    const admin = this.client.admin();
    try {
      const partitions = (await admin.partitionCounts([this.topic])).get(this.topic) ?? 0;
      const tps: TopicPartition[] = Array.from({ length: partitions }, (_, partition) => ({ topic: this.topic, partition }));
      this.reader ??= this.client.partitionReader();
      for (const tp of tps)
        if (!this.positions.has(tpKey(tp.topic, tp.partition)))
          this.positions.set(tpKey(tp.topic, tp.partition), await this.reader.startOffset(tp));
      return await this.readTo(await admin.endOffsets(tps, true), tps);
    } finally {
      await admin.close();
    }
  }

  /** Reads what arrives, every `everyMs`, until `signal` aborts; a failed round is logged and tried again. */
  async follow(signal: AbortSignal, everyMs = 1_000): Promise<void> {
    while (!signal.aborted) {
      await pause(everyMs, signal);
      if (signal.aborted) break;
      try {
        await this.load();
      } catch (error) {
        this.log.warn({ err: error, topic: this.topic }, 'reading notification preferences failed; trying again');
      }
    }
  }

  async close(): Promise<void> {
    await this.reader?.close().catch(() => undefined);
    this.reader = undefined;
  }

  private async readTo(ends: Map<string, bigint>, tps: TopicPartition[]): Promise<number> {
    let read = 0;
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition);
      const from = this.positions.get(key) ?? 0n;
      const end = ends.get(key) ?? from;
      if (end <= from) continue;
      const next = await this.reader!.read(tp, from, end, async (records) => {
        for (const record of records) {
          read++;
          const customerId = record.key?.toString('utf8');
          if (record.value === null) {
            if (customerId) this.table.delete(customerId);
            continue;
          }
          try {
            this.table.set(this.serde.deserialize(record.value));
          } catch (error) {
            this.log.warn(
              { err: error, topic: tp.topic, partition: tp.partition, offset: String(record.offset) },
              'undecodable notification preference skipped',
            );
          }
        }
      });
      this.positions.set(key, next);
    }
    return read;
  }
}
