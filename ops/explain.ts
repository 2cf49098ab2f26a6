/**
 * `omnia explain ORDER [--store S] [--json]`: every rule, bundle, proration and Cal A–F step that decided an order,
 * re-run by the pipeline's own functions on the order's stored input and compared with its stored totals and its
 * release (ops/explanation.ts; where each fact is read, ops/order-source.ts).
 *
 * Exit status: 0 the recomputation agrees to the 4th decimal (or the order was rejected, and why is shown);
 * 1 it differs (the reasons are listed); 2 only Postgres's tables were found, so nothing could be recomputed;
 * 3 the order was found nowhere, or Kafka could not be reached.
 */
import { pgDatabase, type SqlDatabase } from '../postgres/sql.js';
import { Topics } from '../topology/topics.js';
import { DLQ_SUFFIX } from '../runtime/dead-letter.js';
import { describeError, openContext, OpsError, reachKafka, type OpsContext } from './cluster.js';
import { scanDeadLetters } from './dlq.js';
import { explain, pricedAt, renderExplanation, sameAmount, TOTALS, type ReleaseFacts } from './explanation.js';
import { clip, isoSeconds, table, toJson } from './format.js';
import { OrderSource, tableAt, tableFacts, type Row, type TableFacts } from './order-source.js';
import { parseMemberMetadata } from '../runtime/member-metadata.js';
import type { OrderTotals } from '../processors/domain/types.js';
import type { DeadLetter } from './dead-letters.js';

const text = (value: unknown): string =>
  value === null || value === undefined ? '—' : value instanceof Date ? value.toISOString() : String(value);

const totalsOfRow = (row: Row): OrderTotals => ({
  SubTotal: text(row.sub_total),
  TotalDiscount: text(row.total_discount),
  TotalTaxes: text(row.total_taxes),
  InformationalTaxes: text(row.informational_taxes),
  TotalCharges: text(row.total_charges),
  OrderTotal: text(row.order_total),
});

export async function explainCommand(orderId: string, options: { store?: string | undefined; json: boolean }): Promise<number> {
  const context = openContext();
  const db: SqlDatabase | undefined = context.ops.databaseUrl
    ? pgDatabase(context.ops.databaseUrl, { max: 1, applicationName: `${context.runtime.applicationId}-ops` })
    : undefined;
  try {
    return await run(context, db, orderId, options);
  } finally {
    await Promise.allSettled([context.close(), db?.close()]);
  }
}

async function run(
  context: OpsContext,
  db: SqlDatabase | undefined,
  orderId: string,
  options: { store?: string | undefined; json: boolean },
) {
  const source = new OrderSource(context);
  let facts: TableFacts | undefined;
  if (db) {
    try {
      facts = await tableFacts(db, orderId);
    } catch (error) {
      process.stderr.write(
        `omnia explain: Postgres did not answer (${describeError(error)}); going on with Kafka alone. Check DATABASE_URL.\n`,
      );
    }
  }
  const store = options.store ?? (facts?.order ? String(facts.order.ship_from_location_id) : undefined);
  const partitions = await reachKafka(context, () => source.partitions());
  if (partitions === 0)
    throw new OpsError(`topic ${context.order.topicPrefix}${Topics.orderCreate} does not exist: check OMNIA_TOPIC_PREFIX (omnia config)`);
  const only = store ? [await source.partitionOf(store)] : undefined;
  if (!store && !options.json)
    process.stderr.write(
      `omnia explain: store unknown, reading every partition of the orders changelog (--store S, or DATABASE_URL, reads one)\n`,
    );
  const stored = await source.fromChangelog(orderId, only);

  if (!stored) {
    if (facts?.order) return tablesOnly(orderId, facts, options.json);
    const letters = (await scanDeadLetters(context, [`${context.order.topicPrefix}${Topics.orderCreate}${DLQ_SUFFIX}`])).filter(
      (letter) => orderIdOf(letter) === orderId,
    );
    if (letters.length || facts?.validations.length) return rejected(context, orderId, facts, letters, options.json);
    throw new OpsError(
      `no order ${orderId}: not in the orders changelog (${store ? `partition ${only![0]} of store ${store}` : 'every partition'})${db ? ', nor in Postgres' : ''}, and no dead letter on ${context.order.topicPrefix}${Topics.orderCreate}${DLQ_SUFFIX}.\n` +
        `  → check the OrderID, OMNIA_APPLICATION_ID and OMNIA_TOPIC_PREFIX (omnia config)${store ? ', and the store' : ''}`,
    );
  }

  const state = stored.state;
  const pricing = Date.parse(pricedAt(state));
  const history = await source.bundleHistory();
  const changed = new Map<string, number>();
  for (const record of history)
    if (record.timestamp > pricing) changed.set(record.key, Math.max(changed.get(record.key) ?? 0, record.timestamp));
  const customer = state.Order.CustomerID ? await source.customer(state.Order.CustomerID) : undefined;
  const release = await releaseOf(source, state, stored.partition, facts);
  const group = await context.admin.describeGroup(context.runtime.applicationId);
  const createTopic = context.order.topicPrefix + Topics.orderCreate;
  const owner = group.members.find((member) =>
    member.partitions.some((tp) => tp.topic === createTopic && tp.partition === stored.partition),
  );
  const explanation = explain({
    stored: {
      state,
      source: `${stored.changelog} p${stored.partition}@${stored.offset} (the owning replica's store, as committed)`,
      owner: owner ? (parseMemberMetadata(owner.metadata)?.instance ?? owner.memberId) : null,
    },
    // No definition at or before the pricing time: compacted away (or none then); today's table is all there is.
    bundlesAtPricing: history.some((record) => record.timestamp <= pricing) ? tableAt(history, pricing) : null,
    bundlesNow: tableAt(history),
    bundleChangesSince: [...changed].map(([bundleId, at]) => ({ bundleId, at: new Date(at).toISOString() })),
    customer,
    cod: context.order,
    release,
  });
  process.stdout.write(`${options.json ? toJson(explanation) : renderExplanation(explanation)}\n`);
  return explanation.verdict === 'AGREES' ? 0 : 1;
}

/** The release record: on order.release.v1 from its release time, else Postgres's row; null when not released. */
async function releaseOf(
  source: OrderSource,
  state: import('../processors/order-state.js').OrderState,
  partition: number,
  facts: TableFacts | undefined,
): Promise<ReleaseFacts | null | undefined> {
  if (!state.ReleaseID) return null;
  const released = state.History.find((entry) => entry.To === 3000 && entry.Reason === 'RELEASED');
  const record = released ? await source.release(state.Order.OrderID, partition, Date.parse(released.At)) : undefined;
  if (record) return { source: `order.release.v1 p${partition}`, totals: record };
  if (facts?.release) return { source: 'Postgres releases', totals: totalsOfRow(facts.release) };
  return undefined;
}

function orderIdOf(letter: DeadLetter): string | undefined {
  try {
    const value = JSON.parse(letter.value?.toString() ?? '') as { OrderID?: unknown };
    return typeof value.OrderID === 'string' ? value.OrderID : undefined;
  } catch {
    return undefined;
  }
}

/** Only Postgres knows the order: its stored lines and totals and the release, nothing recomputed. */
function tablesOnly(orderId: string, facts: TableFacts, json: boolean): number {
  const order = facts.order!;
  const totals = totalsOfRow(order);
  const release = facts.release ? totalsOfRow(facts.release) : null;
  const comparison = TOTALS.map((name) => ({
    name,
    stored: totals[name],
    release: release?.[name] ?? null,
    equal: release === null || sameAmount(totals[name], release[name]),
  }));
  const why =
    'the orders changelog has no state for it (compacted away, another OMNIA_APPLICATION_ID, or the topic recreated), and Postgres keeps neither the lines’ tax rates nor their own discounts nor what the bundles were: the rules and Cal A–F cannot be re-run from the tables';
  if (json) {
    process.stdout.write(
      `${toJson({ orderId, verdict: 'PARTIAL', reason: why, order, lines: facts.lines, release: facts.release ?? null, comparison })}\n`,
    );
    return 2;
  }
  const out = [
    `${orderId} at ${text(order.ship_from_location_id)}: ${text(order.status)}, payment ${text(order.payment_status)}${order.release_id ? `, ${text(order.release_id)}` : ''}`,
    `  PARTIAL: only Postgres knows it — ${why}`,
    '',
    'LINES  (Postgres order_lines)',
    table(
      ['  line', 'item', 'qty', 'unit price', 'amount', 'discount', 'tax', 'group'],
      facts.lines.map((line) => [
        `  ${text(line.line_id)}`,
        text(line.item_id),
        text(line.quantity),
        text(line.unit_price),
        text(line.line_amount),
        text(line.line_discount),
        text(line.line_tax),
        text(line.bundle_group_id),
      ]),
      [2, 3, 4, 5, 6],
    ),
    '',
    'TOTALS  (stored, and the release when there is one)',
    table(
      ['  total', 'stored', 'release', ''],
      comparison.map((row) => [`  ${row.name}`, row.stored, row.release ?? '—', row.equal ? (release ? 'equal' : '') : 'DIFFERS']),
      [1, 2],
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return 2;
}

/** An OrderID that never became an order: its verdicts and dead letters, and what to do. */
function rejected(context: OpsContext, orderId: string, facts: TableFacts | undefined, letters: DeadLetter[], json: boolean): number {
  const codes = [...new Set(letters.filter((letter) => !letter.redriven).map((letter) => letter.code))];
  const next = codes.length
    ? codes.map((code) => `fix the cause, then: omnia dlq redrive --topic ${Topics.orderCreate} --code ${code}`)
    : ['a corrected record under the same OrderID is validated afresh'];
  if (json) {
    process.stdout.write(
      `${toJson({
        orderId,
        verdict: 'REJECTED',
        validations: facts?.validations ?? [],
        deadLetters: letters.map((letter) => ({
          position: `${letter.dlqTopic}/${letter.partition}/${letter.offset}`,
          code: letter.code,
          message: letter.message,
          deadLetteredAt: new Date(letter.at).toISOString(),
          redriven: letter.redriven,
        })),
        next,
      })}\n`,
    );
    return 0;
  }
  const out = [`${orderId} was never accepted: it is not an order (no state in the orders changelog).`];
  if (facts?.validations.length) {
    out.push('', 'VERDICTS  (order.validation.v1, from Postgres)');
    for (const verdict of facts.validations) {
      out.push(`  ${verdict.at}  ${verdict.valid ? 'valid' : 'rejected'}`);
      for (const error of verdict.errors) out.push(`    ${error.rule} ${error.code} ${error.field}: ${clip(error.message, 200)}`);
    }
  }
  if (letters.length) {
    out.push('', `DEAD LETTERS  (${context.order.topicPrefix}${Topics.orderCreate}${DLQ_SUFFIX})`);
    for (const letter of letters)
      out.push(
        `  p${letter.partition}@${letter.offset}  ${letter.code}  dead-lettered ${isoSeconds(letter.at)}  ${letter.redriven ? `re-driven ${letter.redriven.at}` : 'waiting'}`,
        `    ${clip(letter.message, 240)}`,
      );
  }
  out.push('', ...next.map((line) => `→ ${line}`));
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
