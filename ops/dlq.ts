/**
 * `omnia dlq list | show | redrive`: the dead letters of one application (every `<topic>.dlq` of the topics it
 * reads and writes, docs/contract.md §13), and their re-drive onto the source topic once the cause is fixed.
 *
 * A re-drive is exactly once across runs and crashes (see ops/dead-letters.ts for the ledger):
 * 1. a transactional producer with the fixed id `<application id>-dlq-redrive` begins: the broker fences any
 *    other re-drive still running and completes (or aborts) whatever transaction it left open;
 * 2. only then the ledger is read, so it holds every re-drive that ever committed;
 * 3. the matching dead letters not in the ledger are re-produced, each with its ledger entry, in transactions
 *    of OMNIA_OPS_REDRIVE_BATCH; a crash leaves each batch either whole or absent, and the next run skips the
 *    whole ones. `--dry-run` only reads.
 * A dead letter is re-produced only onto a topic whose every reader takes it again as intended (`redrivableTopics`):
 * the topology's source topics, and order.release.v1 (the Slick egress's dead letters: the sink upserts a release
 * and Slick takes each ReleaseID once). Not order.payment.v1, whose every event is a row of the sink's.
 */
import { ProducerFencedError } from '../runtime/errors.js';
import { createdTopic } from '../runtime/config.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { tpKey } from '../topology/kafka/client.js';
import { Topics } from '../topology/topics.js';
import { parseSince, UsageError } from './args.js';
import { describeError, openContext, OpsError, reachKafka, readTopic, sourceTopics, type OpsContext } from './cluster.js';
import {
  deadLetterOf,
  ledgerOf,
  ledgerRecord,
  ledgerTombstone,
  ledgerTopicOf,
  matches,
  parsePosition,
  redriveRecord,
  summarise,
  type DeadLetter,
  type DeadLetterFilter,
  type RedriveEntry,
} from './dead-letters.js';
import { ago, clip, count, describeBytes, isoSeconds, plural, table, toJson } from './format.js';
import type { ConsumedRecord } from '../runtime/produced-record.js';
import { DLQ_SUFFIX } from '../runtime/dead-letter.js';

/** Every DLQ this application can have: one per topic it reads (the runtime's) or delivers (the Slick egress's). */
export function dlqTopicsOf(context: Pick<OpsContext, 'order'>): string[] {
  return Object.values(Topics).map((topic) => `${context.order.topicPrefix}${topic}${DLQ_SUFFIX}`);
}

/** The DLQ topics that exist, asked first: an unreachable broker is said as such. */
async function existingDlqTopics(context: OpsContext): Promise<string[]> {
  const all = dlqTopicsOf(context);
  const counts = await reachKafka(context, () => context.admin.partitionCounts(all));
  return all.filter((topic) => counts.has(topic));
}

/**
 * Topics a dead letter may be re-produced onto: those whose every reader takes the record again as intended. The
 * topology's source topics (the topology is their one reader), and order.release.v1, whose dead letters the Slick
 * egress wrote: the sink upserts a release by ReleaseID and Slick accepts each ReleaseID once, so a release
 * either already took is not repeated. Not order.payment.v1: the sink keeps a row per payment event.
 */
export function redrivableTopics(context: Pick<OpsContext, 'order' | 'serdes'>): string[] {
  return [...sourceTopics(context), context.order.topicPrefix + Topics.release];
}

/** `--topic` as given (`order.create.v1`, prefixed or not, or its `.dlq`) → the source topic's full name. */
export function originTopicOf(context: Pick<OpsContext, 'order'>, given: string): string {
  const bare = given.endsWith(DLQ_SUFFIX) ? given.slice(0, -DLQ_SUFFIX.length) : given;
  const prefix = context.order.topicPrefix;
  return prefix && !bare.startsWith(prefix) ? prefix + bare : bare;
}

export async function readLedger(context: OpsContext): Promise<Map<string, RedriveEntry>> {
  const records: ConsumedRecord[] = [];
  await readTopic(context, ledgerTopicOf(context.runtime.applicationId), (batch) => void records.push(...batch));
  return ledgerOf(records);
}

/** Every dead letter of the given DLQ topics (all of them by default), marked with the ledger's re-drives. */
export async function scanDeadLetters(context: OpsContext, topics: readonly string[] = dlqTopicsOf(context)): Promise<DeadLetter[]> {
  const ledger = await readLedger(context);
  const letters: DeadLetter[] = [];
  for (const topic of topics)
    await readTopic(context, topic, (records) => void letters.push(...records.map((r) => deadLetterOf(r, ledger))));
  return letters;
}

interface FilterOptions {
  readonly topic?: string | undefined;
  readonly code?: string | undefined;
  readonly since?: string | undefined;
}

function filterOf(context: OpsContext, options: FilterOptions, now: number): DeadLetterFilter {
  return {
    ...(options.topic ? { dlqTopics: new Set([originTopicOf(context, options.topic) + DLQ_SUFFIX]) } : {}),
    ...(options.code ? { code: options.code } : {}),
    ...(options.since ? { since: parseSince(options.since, now) } : {}),
  };
}

const describeFilter = (options: FilterOptions): string =>
  [options.topic && `topic ${options.topic}`, options.code && `code ${options.code}`, options.since && `since ${options.since}`]
    .filter(Boolean)
    .join(', ');

/** The topic name people type: without the deployment's prefix. */
const short = (context: OpsContext, topic: string): string =>
  context.order.topicPrefix && topic.startsWith(context.order.topicPrefix) ? topic.slice(context.order.topicPrefix.length) : topic;

// ------------------------------------------------------------------------------------------------------ list

export async function dlqList(options: FilterOptions & { json: boolean }, now = Date.now()): Promise<number> {
  const context = openContext();
  try {
    const filter = filterOf(context, options, now);
    const letters = (await scanDeadLetters(context, await existingDlqTopics(context))).filter((letter) => matches(letter, filter));
    const rows = summarise(letters);
    if (options.json) {
      process.stdout.write(
        `${toJson({ applicationId: context.runtime.applicationId, filter: describeFilter(options) || null, topics: rows })}\n`,
      );
      return 0;
    }
    const waiting = rows.reduce((sum, row) => sum + row.waiting, 0);
    const redriven = rows.reduce((sum, row) => sum + row.redriven, 0);
    const scope = describeFilter(options);
    if (rows.length === 0) {
      process.stdout.write(`no dead letters${scope ? ` (${scope})` : ''} for ${context.runtime.applicationId}: nothing is stuck\n`);
      return 0;
    }
    const out = [
      `DEAD LETTERS  ${context.runtime.applicationId}${scope ? ` (${scope})` : ''}: ${plural(waiting, 'waiting', 'waiting')}, ${count(redriven)} re-driven`,
      table(
        ['dlq topic', 'code', 'waiting', 're-driven', 'oldest waiting', 'newest'],
        rows.map((row) => [
          row.dlqTopic,
          row.code,
          count(row.waiting),
          count(row.redriven),
          row.oldestWaiting === null ? '—' : `${isoSeconds(row.oldestWaiting)} (${ago(row.oldestWaiting, now)})`,
          `${isoSeconds(row.newest)} (${ago(row.newest, now)})`,
        ]),
        [2, 3],
      ),
    ];
    const first = rows.find((row) => row.waiting > 0);
    if (first)
      out.push(
        `→ see them: omnia dlq show --topic ${short(context, first.dlqTopic.slice(0, -DLQ_SUFFIX.length))} --code ${first.code}`,
        '→ once the cause is fixed: omnia dlq redrive --topic … --code … (--dry-run first shows what would go)',
      );
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } finally {
    await context.close();
  }
}

// ------------------------------------------------------------------------------------------------------ show

export async function dlqShow(options: FilterOptions & { json: boolean; limit: number; full: boolean }, now = Date.now()): Promise<number> {
  const context = openContext();
  try {
    const filter = filterOf(context, options, now);
    const letters = (await scanDeadLetters(context, await existingDlqTopics(context)))
      .filter((letter) => matches(letter, filter))
      .sort((a, b) => a.at - b.at || a.dlqTopic.localeCompare(b.dlqTopic));
    const shown = letters.slice(0, options.limit);
    if (options.json) {
      process.stdout.write(`${toJson({ total: letters.length, shown: shown.map(asJson) })}\n`);
      return 0;
    }
    if (letters.length === 0) {
      process.stdout.write(`no dead letters${describeFilter(options) ? ` (${describeFilter(options)})` : ''}\n`);
      return 0;
    }
    const out: string[] = [];
    for (const letter of shown) {
      const extra = Object.entries(letter.headers).filter(
        ([name]) => !name.startsWith('omnia.error.') && !name.startsWith('omnia.source.'),
      );
      out.push(
        `${letter.dlqTopic} p${letter.partition}@${letter.offset}  ${letter.code}  ${
          letter.redriven ? `re-driven ${letter.redriven.at} → ${letter.redriven.topic} p${letter.redriven.partition}` : 'waiting'
        }`,
        `  dead-lettered  ${isoSeconds(letter.at)} (${ago(letter.at, now)})`,
        `  origin         ${letter.originTopic} p${letter.originPartition ?? '?'}@${letter.originOffset ?? '?'}`,
        `  key            ${letter.key === null ? '(none)' : describeBytes(letter.key, 80)}`,
        `  message        ${options.full ? letter.message : clip(letter.message, 300)}`,
        ...(extra.length ? [`  headers        ${extra.map(([name, value]) => `${name}=${clip(value, 80)}`).join(', ')}`] : []),
        `  value          ${describeBytes(letter.value, options.full ? Number.MAX_SAFE_INTEGER : 300)}`,
        '',
      );
    }
    if (letters.length > shown.length)
      out.push(`… ${plural(letters.length - shown.length, 'more dead letter')} (--limit ${letters.length} shows them all)`);
    process.stdout.write(`${out.join('\n').trimEnd()}\n`);
    return 0;
  } finally {
    await context.close();
  }
}

const asJson = (letter: DeadLetter) => ({
  dlqTopic: letter.dlqTopic,
  partition: letter.partition,
  offset: letter.offset.toString(),
  code: letter.code,
  message: letter.message,
  deadLetteredAt: new Date(letter.at).toISOString(),
  origin: { topic: letter.originTopic, partition: letter.originPartition, offset: letter.originOffset },
  key: letter.key?.toString() ?? null,
  headers: letter.headers,
  value: letter.value === null ? null : letter.value.toString('utf8'),
  valueBase64: letter.value === null ? null : letter.value.toString('base64'),
  redriven: letter.redriven,
});

// --------------------------------------------------------------------------------------------------- redrive

export interface RedriveResult {
  readonly dlqTopic: string;
  readonly originTopic: string;
  readonly code: string;
  readonly since: string | null;
  readonly dryRun: boolean;
  /** Matching the filter. */
  readonly matching: number;
  /** Matching, but re-driven by an earlier run: skipped. */
  readonly alreadyRedriven: number;
  /** In the DLQ topic, not matching the filter: left as they are. */
  readonly notMatching: number;
  /** Re-driven by this run (or, with --dry-run, what would be). */
  readonly redriven: ReadonlyArray<{ position: string; key: string | null; deadLetteredAt: string; to: string }>;
  readonly transactions: number;
}

export async function dlqRedrive(
  options: { topic: string; code: string; since?: string | undefined; dryRun: boolean; json: boolean },
  now = Date.now(),
): Promise<number> {
  const context = openContext();
  try {
    const result = await redrive(context, options, now);
    process.stdout.write(`${options.json ? toJson(result) : renderRedrive(context, result)}\n`);
    return 0;
  } finally {
    await context.close();
  }
}

export async function redrive(
  context: OpsContext,
  options: { topic: string; code: string; since?: string | undefined; dryRun: boolean },
  now: number,
): Promise<RedriveResult> {
  const origin = originTopicOf(context, options.topic);
  const dlqTopic = origin + DLQ_SUFFIX;
  const since = options.since === undefined ? undefined : parseSince(options.since, now);
  const redrivable = redrivableTopics(context);
  if (!redrivable.includes(origin)) {
    const payment = origin === context.order.topicPrefix + Topics.payment;
    throw new OpsError(
      payment
        ? `dead letters of ${origin} are not re-driven onto it: the Postgres sink keeps one row per payment event, and would hold a second one of a payment it already wrote.\n` +
            `  → omnia dlq show --topic ${Topics.payment} --full prints each; once the Slick egress is fixed, send a Collected one to Slick by hand (POST /v1/collections, Idempotency-Key COLLECTED-<OrderID>: Slick takes it once; connectors/README.md)`
        : `${origin} is not a topic whose dead letters can be re-driven; these are: ${redrivable.map((topic) => short(context, topic)).join(', ')}`,
      1,
    );
  }
  const counts = await reachKafka(context, () => context.admin.partitionCounts([origin, dlqTopic]));
  const partitions = counts.get(origin);
  if (partitions === undefined) throw new OpsError(`topic ${origin} does not exist: check OMNIA_TOPIC_PREFIX (omnia config)`, 1);
  const base = { dlqTopic, originTopic: origin, code: options.code, since: since === undefined ? null : new Date(since).toISOString() };
  if (!counts.has(dlqTopic))
    return { ...base, dryRun: options.dryRun, matching: 0, alreadyRedriven: 0, notMatching: 0, redriven: [], transactions: 0 };

  const ledgerTopic = ledgerTopicOf(context.runtime.applicationId);
  const producer = options.dryRun
    ? undefined
    : context.client.producer({ transactionalId: `${context.runtime.applicationId}-dlq-redrive`, transactionTimeoutMs: 60_000 });
  try {
    if (producer) {
      await context.admin.ensureTopics([
        createdTopic({ topic: ledgerTopic, partitions: 1, configs: { 'cleanup.policy': 'compact' } }, context.runtime),
      ]);
      await producer.init();
      // Registers the transactional id: any other re-drive is fenced from here on and its open transaction is
      // finished by the broker, so the ledger read next holds every re-drive that committed.
      await producer.beginTransaction();
    }
    const letters = await scanDeadLetters(context, [dlqTopic]);
    const filter: DeadLetterFilter = { dlqTopics: new Set([dlqTopic]), code: options.code, ...(since === undefined ? {} : { since }) };
    const matching = letters
      .filter((letter) => matches(letter, filter))
      .sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
    const todo = matching.filter((letter) => !letter.redriven);
    const planned = todo.map((letter) => ({ letter, record: redriveRecord(letter, partitions, now) }));
    const summary = {
      ...base,
      dryRun: options.dryRun,
      matching: matching.length,
      alreadyRedriven: matching.length - todo.length,
      notMatching: letters.length - matching.length,
      redriven: planned.map(({ letter, record }) => ({
        position: `${letter.dlqTopic}/${letter.partition}/${letter.offset}`,
        key: letter.key?.toString() ?? null,
        deadLetteredAt: new Date(letter.at).toISOString(),
        to: `${record.topic} p${record.partition}`,
      })),
    };
    if (!producer) return { ...summary, transactions: 0 };

    const tombstones = await staleLedgerEntries(context, dlqTopic, ledgerTopic, now);
    if (planned.length === 0 && tombstones.length === 0) {
      await producer.abortTransaction();
      return { ...summary, transactions: 0 };
    }
    let transactions = 0;
    let committed = 0;
    try {
      const batch = Math.max(1, context.ops.redriveBatch);
      for (let i = 0; i === 0 || i < planned.length; i += batch) {
        if (i > 0) await producer.beginTransaction();
        const chunk = planned.slice(i, i + batch);
        const records: ProducedRecord[] = [
          ...chunk.map(({ record }) => record),
          ...chunk.map(({ letter, record }) => ledgerRecord(ledgerTopic, letter, record, now)),
          ...(i === 0 ? tombstones : []),
        ];
        await producer.send(records);
        await producer.commitTransaction();
        transactions++;
        committed += chunk.length;
      }
    } catch (error) {
      await producer.abortTransaction().catch(() => undefined);
      if (error instanceof ProducerFencedError)
        throw new OpsError(
          `another omnia dlq redrive started meanwhile and took over; ${committed} of ${planned.length} were re-driven by this run, the rest were left to it.\n  → omnia dlq list shows what still waits`,
        );
      throw new OpsError(
        `${committed} of ${planned.length} were re-driven (committed); the rest were not: ${describeError(error)}.\n  → run the same command again: it skips what already went`,
      );
    }
    return { ...summary, transactions };
  } catch (error) {
    await producer?.abortTransaction().catch(() => undefined);
    throw error;
  } finally {
    await producer?.close().catch(() => undefined);
  }
}

/** Ledger entries of `dlqTopic` whose dead letters retention has removed: tombstones that drop them. */
async function staleLedgerEntries(context: OpsContext, dlqTopic: string, ledgerTopic: string, now: number): Promise<ProducedRecord[]> {
  const ledger = await readLedger(context);
  const positions = [...ledger.keys()]
    .map((key) => ({ key, position: parsePosition(key) }))
    .filter((entry) => entry.position?.dlqTopic === dlqTopic);
  if (positions.length === 0) return [];
  const reader = context.reader();
  const starts = new Map<string, bigint>();
  for (const partition of new Set(positions.map((entry) => entry.position!.partition)))
    starts.set(tpKey(dlqTopic, partition), await reader.startOffset({ topic: dlqTopic, partition }));
  return positions
    .filter(({ position }) => position!.offset < (starts.get(tpKey(dlqTopic, position!.partition)) ?? 0n))
    .map(({ key }) => ledgerTombstone(ledgerTopic, key, now));
}

function renderRedrive(context: OpsContext, result: RedriveResult): string {
  const scope = `${result.dlqTopic} → ${result.originTopic}, code ${result.code}${result.since ? `, since ${result.since}` : ''}`;
  const out = [`${result.dryRun ? 'DRY RUN (nothing is produced)' : 'RE-DRIVE'}  ${scope}`];
  out.push(
    `  ${plural(result.matching, 'dead letter')} match: ${count(result.redriven.length)} to re-drive, ${count(result.alreadyRedriven)} re-driven before (skipped); ${count(result.notMatching)} other${result.notMatching === 1 ? ' in the topic left as it is' : 's in the topic left as they are'}`,
  );
  if (result.redriven.length === 0) {
    out.push(
      result.matching === 0
        ? '  nothing to re-drive: check --topic, --code and --since against omnia dlq list'
        : '  nothing to re-drive: every matching dead letter went before',
    );
    return out.join('\n');
  }
  out.push(
    result.dryRun
      ? `  would re-drive ${plural(result.redriven.length, 'record')}:`
      : `  re-drove ${plural(result.redriven.length, 'record')} in ${plural(result.transactions, 'transaction')} (recorded in ${ledgerTopicOf(context.runtime.applicationId)}):`,
  );
  out.push(
    table(
      ['  dead letter', 'key', 'dead-lettered', 'to'],
      result.redriven.map((entry) => [`  ${entry.position}`, entry.key ?? '—', entry.deadLetteredAt.replace(/\.\d{3}Z$/, 'Z'), entry.to]),
    ),
  );
  out.push(
    result.dryRun
      ? '→ run it without --dry-run to re-drive them'
      : '→ follow them with omnia status; a record that fails again is dead-lettered anew and shows in omnia dlq list',
  );
  return out.join('\n');
}

/** Checks the arguments `redrive` must have before anything is read. */
export function redriveOptions(values: ReadonlyMap<string, string>): { topic: string; code: string; since?: string } {
  const topic = values.get('topic');
  const code = values.get('code');
  if (!topic || !code)
    throw new UsageError(
      'redrive needs --topic and --code: re-drive one cause at a time, once it is fixed (omnia dlq list shows the codes)',
    );
  const since = values.get('since');
  return { topic, code, ...(since ? { since } : {}) };
}
