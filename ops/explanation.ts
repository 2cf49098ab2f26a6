/**
 * `omnia explain` as data (pure): every rule, bundle, proration and Cal A–F step that decided an order, worked out
 * again by the pipeline's own functions — `ORDER_RULES` (validation-rules.ts), `applyBundles` (bundles.ts),
 * `calculateOrder` / `lineAmount` / `sumAmounts` (calculation.ts), `repriceOrder` (shorts.ts), `validateCod`
 * (cod.ts) — on the order's stored input, then compared with the totals the pipeline stored and the release it
 * published, to the 4th decimal. Nothing here re-implements a rule; the arithmetic shown beside a step (an exact
 * quotient or product before its rounding) is for reading only.
 *
 * Which bundle table: the pipeline priced the order with the bundle table as it was then (the last pricing is the
 * VALIDATED history entry, or the last MODIFIED one). That table is rebuilt from bundle.definition.v1's records up
 * to that time; when that does not reproduce the stored pricing and today's table does, today's is used and the
 * difference said (a definition that arrived within the second the order was priced). Once the topic is compacted,
 * older definitions may be gone: then a difference is explained by the definitions that changed since.
 *
 * After a short or a substitution (Released to Packed), the order's lines changed and it was repriced keeping
 * each line's bundle share (docs/contract.md §11): that repricing is what is re-run, and the release, published
 * before the change, is shown beside it rather than counted as a difference.
 */
import type { BundleApplication, BundleInstanceRun, BundleNote } from '../processors/domain/bundles.js';
import { applyBundles } from '../processors/domain/bundles.js';
import { calculateOrder, lineAmount, sumAmounts, type OrderCalculation } from '../processors/domain/calculation.js';
import { validateCod, type CodConfig } from '../processors/domain/cod.js';
import { decimal, formatMoney, normaliseMoney, parseMoney, tryParseMoney, type Decimal } from '../processors/domain/money.js';
import { bundleSharesOf, repriceOrder } from '../processors/domain/shorts.js';
import {
  OrderStatusName,
  type BundleDefinition,
  type Customer,
  type OrderStatusCode,
  type OrderTotals,
  type ValidationError,
} from '../processors/domain/types.js';
import {
  checkCustomer,
  checkCustRef,
  checkDuplicateOrderId,
  checkForceAllocation,
  checkOrderId,
  checkOrderLines,
  checkPaymentMethod,
  checkRecordShape,
  checkShipFromLocation,
  checkT1MembershipId,
  checkT1Number,
  ORDER_RULES,
  type OrderRule,
} from '../processors/domain/validation-rules.js';
import type { OrderState, PricedLine } from '../processors/order-state.js';
import { table } from './format.js';

export const TOTALS = ['SubTotal', 'TotalDiscount', 'TotalTaxes', 'InformationalTaxes', 'TotalCharges', 'OrderTotal'] as const;
export type TotalName = (typeof TOTALS)[number];
const CAL: Readonly<Record<TotalName, string>> = {
  SubTotal: 'A',
  TotalDiscount: 'D',
  TotalTaxes: 'E',
  InformationalTaxes: 'F',
  TotalCharges: 'B',
  OrderTotal: 'C',
};

const RULE_LABELS = new Map<OrderRule, string>([
  [checkOrderId, 'A  OrderID: 1–50 characters of A–Z a–z 0–9 _ -'],
  [checkDuplicateOrderId, 'A  OrderID not received before with another payload'],
  [checkShipFromLocation, "B  every line ships from the order's ShipFromLocationID"],
  [checkForceAllocation, 'C  IsForceAllocation is true'],
  [checkT1MembershipId, 'D  T1MembershipID, when given: 16 digits'],
  [checkT1Number, 'E  T1Number, when given: T1- and 6 digits'],
  [checkCustRef, 'F  CustRef, when given: 1–50 printable ASCII characters'],
  [checkCustomer, 'G  CustomerID, when given: in customer.profile.v1'],
  [checkOrderLines, '—  lines: ids, quantities, prices, tax rates, amounts'],
  [checkPaymentMethod, '—  PaymentMethod is COD'],
  [checkRecordShape, '—  structure: the record is of the schema'],
]);

export interface ReleaseFacts {
  /** Where it was read: "order.release.v1 p1", "postgres releases". */
  readonly source: string;
  readonly totals: OrderTotals;
}

export interface ExplainInputs {
  readonly stored: { readonly state: OrderState; readonly source: string; readonly owner: string | null };
  /** The bundle table when the order was last priced; null when it could not be rebuilt. */
  readonly bundlesAtPricing: readonly BundleDefinition[] | null;
  readonly bundlesNow: readonly BundleDefinition[];
  /** Definitions changed after the order was priced (their ids and when), to explain a difference. */
  readonly bundleChangesSince: ReadonlyArray<{ readonly bundleId: string; readonly at: string }>;
  /** The customer as the table holds it now; null when unknown to it, undefined when the order names none. */
  readonly customer: Customer | null | undefined;
  readonly cod: CodConfig;
  /** Null: not released; undefined: released but its record was not found. */
  readonly release: ReleaseFacts | null | undefined;
}

export interface RuleOutcome {
  readonly rule: string;
  readonly passed: boolean;
  readonly errors: readonly ValidationError[];
}

export interface InstanceExplanation {
  readonly bundleId: string;
  readonly instances: string;
  readonly count: number;
  readonly declared: boolean;
  readonly group: string;
  readonly pricing: string;
  readonly listValue: string;
  readonly discount: string;
  readonly lines: ReadonlyArray<{ lineId: string; units: number; unitPrice: string; weight: string; exact: string; share: string }>;
}

export interface LineExplanation {
  readonly lineId: string;
  readonly itemId: string;
  readonly quantity: number;
  readonly unitPrice: string;
  readonly amount: string;
  readonly ownDiscount: string;
  readonly bundleShare: string;
  readonly discount: string;
  readonly taxRate: string;
  /** (amount − discount) × rate, exact, before the half-to-even rounding to 4 decimals. */
  readonly taxExact: string;
  readonly tax: string;
  readonly informationalTaxes: string;
  readonly group: string | null;
}

export interface TotalStep {
  readonly cal: string;
  readonly name: TotalName;
  readonly formula: string;
  readonly value: string;
}

export interface TotalComparison {
  readonly name: TotalName;
  readonly recomputed: string;
  readonly stored: string | null;
  readonly release: string | null;
  /** Recomputed = stored (and = release when the release is compared) to the 4th decimal. */
  readonly equal: boolean;
}

export type ExplainVerdict = 'AGREES' | 'DIFFERS';

export interface Explanation {
  readonly orderId: string;
  readonly store: string;
  readonly status: number;
  readonly statusName: string;
  readonly paymentStatus: string | null;
  readonly releaseId: string | null;
  readonly createdAt: string;
  readonly source: string;
  readonly owner: string | null;
  readonly verdict: ExplainVerdict;
  readonly summary: string;
  readonly reasons: readonly string[];
  readonly history: ReadonlyArray<{
    at: string;
    from: number | null;
    to: number;
    reason: string | null;
    source: string;
    actor: string | null;
  }>;
  readonly validation: readonly RuleOutcome[];
  readonly customer: string;
  readonly pricing: {
    /** priced: bundles formed and Cal A–F; repriced: after a short or substitution, shares kept. */
    readonly mode: 'priced' | 'repriced';
    readonly bundleTable: string;
    readonly instances: readonly InstanceExplanation[];
    readonly notes: readonly BundleNote[];
    readonly lines: readonly LineExplanation[];
    readonly totals: readonly TotalStep[];
  };
  readonly cod: { readonly accepted: boolean; readonly errors: readonly ValidationError[]; readonly settings: string };
  readonly comparison: readonly TotalComparison[];
  readonly lineDifferences: ReadonlyArray<{ lineId: string; field: string; recomputed: string; stored: string }>;
}

/** Equal as amounts to the 4th decimal ("35.5" = "35.5000"); anything that is not money compares as text. */
export function sameAmount(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  const x = tryParseMoney(a);
  const y = tryParseMoney(b);
  return x !== undefined && y !== undefined ? formatMoney(x) === formatMoney(y) : a === b;
}

const money = (value: string): string => (tryParseMoney(value) === undefined ? value : normaliseMoney(value));

/** An exact decimal for reading: up to `places` decimals, "…" when cut. */
function exact(value: Decimal, places = 6): string {
  const fixed = value.decimalPlaces(places, 1); // ROUND_DOWN: show what is there, not a rounding
  const text = fixed.toFixed(Math.max(4, Math.min(places, value.decimalPlaces() ?? 0)));
  return fixed.isEqualTo(value) ? text : `${text}…`;
}

function sumText(terms: readonly string[], total: string): string {
  if (terms.length === 0) return `none = ${total}`;
  if (terms.length === 1) return terms[0] === total ? total : `${terms[0]} = ${total}`;
  return terms.length > 8 ? `Σ of ${terms.length} = ${total}` : `${terms.join(' + ')} = ${total}`;
}

function pricingText(definition: BundleDefinition | undefined, listValue: string, discount: string): string {
  const pricing = definition?.Pricing;
  switch (pricing?.Type) {
    case 'FIXED':
      return `FIXED price ${money(pricing.Price ?? '')}: D = L − price${parseMoney(discount).isZero() ? ' (price ≥ L: no discount)' : ''} = ${discount}`;
    case 'PERCENT_OFF':
      return `PERCENT_OFF ${pricing.Percent} %: D = round4(L × ${pricing.Percent} / 100) = round4(${exact(
        parseMoney(listValue)
          .times(decimal(pricing.Percent ?? '0'))
          .shiftedBy(-2),
        8,
      )}) = ${discount}`;
    case 'AMOUNT_OFF':
      return `AMOUNT_OFF ${money(pricing.Amount ?? '')}: D = min(amount, L) = ${discount}`;
    default:
      return `D = ${discount}`;
  }
}

function instancesOf(application: BundleApplication, table: readonly BundleDefinition[], state: OrderState): InstanceExplanation[] {
  const definitions = new Map(table.map((definition) => [definition.BundleID, definition]));
  const prices = new Map(state.Order.OrderLines.map((line) => [line.LineID, line.UnitPrice]));
  return application.Instances.map((run: BundleInstanceRun) => {
    const list = parseMoney(run.ListValue);
    const discount = parseMoney(run.Discount);
    const first = Number(run.FirstInstanceID.slice(run.BundleID.length + 1));
    return {
      bundleId: run.BundleID,
      instances: run.Count === 1 ? run.FirstInstanceID : `${run.FirstInstanceID} … #${first + run.Count - 1}`,
      count: run.Count,
      declared: run.Declared,
      group: run.BundleGroupID,
      pricing: pricingText(definitions.get(run.BundleID), run.ListValue, run.Discount),
      listValue: run.ListValue,
      discount: run.Discount,
      lines: run.Lines.map((line) => {
        const unitPrice = prices.get(line.LineID) ?? '0';
        const weight = parseMoney(unitPrice).times(line.Quantity);
        return {
          lineId: line.LineID,
          units: line.Quantity,
          unitPrice: money(unitPrice),
          weight: formatMoney(weight),
          exact: list.isZero() ? '0.0000' : exact(discount.times(weight).div(list)),
          share: line.Share,
        };
      }),
    };
  });
}

function linesOf(state: OrderState, calculation: OrderCalculation, shares: ReadonlyMap<string, string>): LineExplanation[] {
  return state.Order.OrderLines.map((line, index) => {
    const priced = calculation.Lines[index]!;
    const amount = lineAmount(line);
    const discount = parseMoney(priced.LineDiscount);
    return {
      lineId: line.LineID,
      itemId: line.ItemID,
      quantity: line.Quantity,
      unitPrice: money(line.UnitPrice),
      amount: priced.LineAmount,
      ownDiscount: formatMoney(sumAmounts(line.Discounts)),
      bundleShare: shares.get(line.LineID) ?? '0.0000',
      discount: priced.LineDiscount,
      taxRate: money(line.TaxRate),
      taxExact: exact(amount.minus(discount).times(parseMoney(line.TaxRate)), 8),
      tax: priced.LineTax,
      informationalTaxes: formatMoney(sumAmounts(line.InformationalTaxes)),
      group: priced.BundleGroupID,
    };
  });
}

function totalsOf(state: OrderState, calculation: OrderCalculation, lines: readonly LineExplanation[]): TotalStep[] {
  const charges = state.Order.Charges ?? [];
  const c = calculation;
  return [
    {
      cal: 'A',
      name: 'SubTotal',
      formula: `Σ line amounts = ${sumText(
        lines.map((l) => l.amount),
        c.SubTotal,
      )}`,
      value: c.SubTotal,
    },
    {
      cal: 'D',
      name: 'TotalDiscount',
      formula: `Σ line discounts = ${sumText(
        lines.map((l) => l.discount),
        c.TotalDiscount,
      )} (must not exceed A)`,
      value: c.TotalDiscount,
    },
    {
      cal: 'E',
      name: 'TotalTaxes',
      formula: `Σ line taxes = ${sumText(
        lines.map((l) => l.tax),
        c.TotalTaxes,
      )}`,
      value: c.TotalTaxes,
    },
    {
      cal: 'F',
      name: 'InformationalTaxes',
      formula: `Σ informational taxes = ${sumText(
        lines.filter((l) => !parseMoney(l.informationalTaxes).isZero()).map((l) => l.informationalTaxes),
        c.InformationalTaxes,
      )} (reported, never charged)`,
      value: c.InformationalTaxes,
    },
    {
      cal: 'B',
      name: 'TotalCharges',
      formula: `Σ charges = ${sumText(
        charges.map((charge) => `${money(charge.Amount)} ${charge.Type}`),
        c.TotalCharges,
      )} (never spread onto lines)`,
      value: c.TotalCharges,
    },
    {
      cal: 'C',
      name: 'OrderTotal',
      formula: `A − D + E + B = ${c.SubTotal} − ${c.TotalDiscount} + ${c.TotalTaxes} + ${c.TotalCharges} = ${c.OrderTotal}`,
      value: c.OrderTotal,
    },
  ];
}

/** Where the recomputed lines differ from the stored priced lines. */
function lineDifferences(calculation: OrderCalculation, stored: readonly PricedLine[]) {
  const byId = new Map(stored.map((line) => [line.LineID, line]));
  const out: Array<{ lineId: string; field: string; recomputed: string; stored: string }> = [];
  for (const line of calculation.Lines) {
    const was = byId.get(line.LineID);
    if (!was) {
      out.push({ lineId: line.LineID, field: 'line', recomputed: 'present', stored: 'absent' });
      continue;
    }
    for (const field of ['LineAmount', 'LineDiscount', 'LineTax'] as const)
      if (!sameAmount(line[field], was[field])) out.push({ lineId: line.LineID, field, recomputed: line[field], stored: was[field] });
    if ((line.BundleGroupID ?? null) !== (was.BundleGroupID ?? null))
      out.push({ lineId: line.LineID, field: 'BundleGroupID', recomputed: String(line.BundleGroupID), stored: String(was.BundleGroupID) });
  }
  return out;
}

const totalsEqual = (a: OrderTotals, b: OrderTotals | null): boolean => b !== null && TOTALS.every((name) => sameAmount(a[name], b[name]));

/** The last time the pipeline priced the order: its VALIDATED entry, or a later MODIFIED one. */
export function pricedAt(state: OrderState): string {
  const entries = state.History.filter((entry) => entry.Reason === 'VALIDATED' || (entry.Reason ?? '').startsWith('MODIFIED'));
  return entries.at(-1)?.At ?? state.Order.CreatedAt;
}

/** True when a short or substitution changed the order's lines after release. */
export const wasRepriced = (state: OrderState): boolean =>
  state.ShortedLines.length > 0 || state.History.some((entry) => /(^|; )SUBSTITUTED:/.test(entry.Reason ?? ''));

export function explain(inputs: ExplainInputs): Explanation {
  const { state } = inputs.stored;
  const order = state.Order;
  const reasons: string[] = [];

  // ---- validation, as the validate stage runs it, on the order as stored
  const validation: RuleOutcome[] = ORDER_RULES.map((rule) => {
    const errors: ValidationError[] = [];
    rule(order as unknown as Record<string, unknown>, { customer: inputs.customer ?? null }, errors);
    return { rule: RULE_LABELS.get(rule) ?? rule.name, passed: errors.length === 0, errors };
  });
  const customer =
    inputs.customer === undefined
      ? 'the order names no customer'
      : inputs.customer === null
        ? `customer ${order.CustomerID} is not in customer.profile.v1 now`
        : `customer ${inputs.customer.CustomerID} as customer.profile.v1 holds it now (CodEligible ${String(inputs.customer.CodEligible)}, CodLimit ${inputs.customer.CodLimit ?? 'none'})`;
  if (validation.some((outcome) => !outcome.passed))
    reasons.push(
      'a rule fails on the stored order now although the order was accepted: the reference data it depends on changed since (e.g. the customer was removed)',
    );

  // ---- pricing: bundles and Cal A–F
  const repriced = wasRepriced(state);
  let calculation: OrderCalculation;
  let application: BundleApplication | undefined;
  let tableUsed: readonly BundleDefinition[] = [];
  let bundleTable: string;
  const at = pricedAt(state);
  if (repriced) {
    calculation = repriceOrder(order, state.Lines);
    bundleTable = 'not formed again: a short or substitution changed the lines, and each line keeps the bundle share it was priced with';
  } else {
    const candidates: Array<{ label: string; table: readonly BundleDefinition[] }> = [];
    if (inputs.bundlesAtPricing) candidates.push({ label: `as of ${at}, when the order was priced`, table: inputs.bundlesAtPricing });
    candidates.push({ label: 'as it is now', table: inputs.bundlesNow });
    const tried = candidates.map((candidate) => {
      const applied = applyBundles(order, candidate.table);
      const calc = calculateOrder(order, applied.Lines);
      return { ...candidate, applied, calc, matches: totalsEqual(calc, state.Totals) && lineDifferences(calc, state.Lines).length === 0 };
    });
    const chosen = tried.find((entry) => entry.matches) ?? tried[0]!;
    if (chosen !== tried[0] && inputs.bundlesAtPricing)
      reasons.push(
        `the bundle table rebuilt as of the pricing time does not reproduce the stored pricing, today's does: a definition was applied within a moment of the order (global tables are read about once a second)`,
      );
    if (!inputs.bundlesAtPricing) reasons.push('the bundle table as of the pricing time could not be rebuilt; today’s is used');
    calculation = chosen.calc;
    application = chosen.applied;
    tableUsed = chosen.table;
    bundleTable = `bundle.definition.v1 ${chosen.label} (${chosen.table.length} definitions)`;
  }
  const shares = new Map<string, string>(
    repriced
      ? bundleSharesOf(order.OrderLines, state.Lines).map((share) => [share.LineID, share.BundleDiscount])
      : (application?.Lines ?? []).map((line) => [line.LineID, line.BundleDiscount]),
  );
  const lines = linesOf(state, calculation, shares);
  const totals = totalsOf(state, calculation, lines);

  // ---- COD, as the pay stage decides it
  const codErrors = validateCod(
    { OrderTotal: calculation.OrderTotal, DeliveryAddress: order.DeliveryAddress, Customer: inputs.customer ?? null },
    inputs.cod,
  );

  // ---- comparison with what the pipeline stored and released
  const release = inputs.release;
  const releaseCompared = release !== null && release !== undefined && !repriced;
  const comparison: TotalComparison[] = TOTALS.map((name) => {
    const stored = state.Totals?.[name] ?? null;
    const released = release ? money(release.totals[name]) : null;
    const equal = sameAmount(calculation[name], stored) && (!releaseCompared || sameAmount(calculation[name], released));
    return { name, recomputed: calculation[name], stored: stored === null ? null : money(stored), release: released, equal };
  });
  const differences = lineDifferences(calculation, state.Lines);
  if (state.Totals === null) reasons.push('the order has no stored totals (it was cancelled before it was priced)');
  const unequal = comparison.filter((row) => !row.equal);
  for (const row of unequal) {
    if (!sameAmount(row.recomputed, row.stored))
      reasons.push(`${CAL[row.name]} ${row.name}: recomputed ${row.recomputed}, stored ${row.stored ?? '—'}`);
    else if (releaseCompared)
      reasons.push(`${CAL[row.name]} ${row.name}: the release carried ${row.release}, the stored order ${row.stored}`);
  }
  for (const diff of differences) reasons.push(`line ${diff.lineId} ${diff.field}: recomputed ${diff.recomputed}, stored ${diff.stored}`);
  const differs = unequal.length > 0 || differences.length > 0 || state.Totals === null;
  if (differs && !repriced && inputs.bundleChangesSince.length)
    reasons.push(
      `bundle definitions changed after the order was priced: ${inputs.bundleChangesSince.map((change) => `${change.bundleId} (${change.at})`).join(', ')}; once bundle.definition.v1 is compacted the definitions it was priced with may be gone`,
    );
  if (repriced && release)
    reasons.push(
      `a short or substitution after release repriced the order: the release carried OrderTotal ${money(release.totals.OrderTotal)}, the order now ${state.Totals?.OrderTotal ?? '—'} (see the history)`,
    );
  if (release === undefined)
    reasons.push('the order was released but its release record was not found (order.release.v1 retention, or no DATABASE_URL)');

  const statusName = OrderStatusName[state.Status as OrderStatusCode] ?? String(state.Status);
  const against = releaseCompared ? `the stored totals and release ${state.ReleaseID}` : 'the stored totals';
  const summary = differs
    ? `DIFFERS: the recomputation does not equal ${against} (below, and why)`
    : `AGREES: recomputed totals equal ${against} to the 4th decimal (OrderTotal ${calculation.OrderTotal})`;

  return {
    orderId: order.OrderID,
    store: order.ShipFromLocationID,
    status: state.Status,
    statusName,
    paymentStatus: state.PaymentStatus,
    releaseId: state.ReleaseID,
    createdAt: order.CreatedAt,
    source: inputs.stored.source,
    owner: inputs.stored.owner,
    verdict: differs ? 'DIFFERS' : 'AGREES',
    summary,
    reasons,
    history: state.History.map((entry) => ({
      at: entry.At,
      from: entry.From,
      to: entry.To,
      reason: entry.Reason ?? null,
      source: entry.Source,
      actor: entry.Actor ?? null,
    })),
    validation,
    customer,
    pricing: {
      mode: repriced ? 'repriced' : 'priced',
      bundleTable,
      instances: application ? instancesOf(application, tableUsed, state) : [],
      notes: application?.Notes ?? [],
      lines,
      totals,
    },
    cod: {
      accepted: codErrors.length === 0,
      errors: codErrors,
      settings: `OMNIA_COD_MIN ${inputs.cod.codMin}, OMNIA_COD_MAX ${inputs.cod.codMax}, OMNIA_COD_SERVICE_AREA ${inputs.cod.codServiceArea.join(',') || '(all)'}`,
    },
    comparison,
    lineDifferences: differences,
  };
}

/** The explanation for people: verdict first, then how the order went, the rules, bundles, Cal A–F, COD, comparison. */
export function renderExplanation(x: Explanation): string {
  const out: string[] = [];
  out.push(
    `${x.orderId} at ${x.store}: ${x.status} ${x.statusName}, payment ${x.paymentStatus ?? '—'}${x.releaseId ? `, ${x.releaseId}` : ''}`,
    `  ${x.summary}`,
    ...x.reasons.map((reason) => `  · ${reason}`),
    `  state: ${x.source}${x.owner ? `; owned now by ${x.owner}` : ''}`,
  );

  out.push('', 'HISTORY');
  out.push(
    table(
      ['  at', 'from', 'to', 'source', 'reason'],
      x.history.map((entry) => [
        `  ${entry.at}`,
        entry.from === null ? '—' : String(entry.from),
        String(entry.to),
        entry.source,
        `${entry.reason ?? ''}${entry.actor ? ` (by ${entry.actor})` : ''}`,
      ]),
    ),
  );

  out.push('', `VALIDATION  (Rules A–G in the pipeline's order, on the order as stored; ${x.customer})`);
  for (const outcome of x.validation) {
    out.push(`  ${outcome.passed ? 'pass' : 'FAIL'}  ${outcome.rule}`);
    for (const error of outcome.errors) out.push(`        ${error.Code} ${error.Field}: ${error.Message}`);
  }

  out.push('', `BUNDLES  (${x.pricing.bundleTable})`);
  if (x.pricing.mode === 'repriced') {
    const kept = x.pricing.lines.filter((line) => !parseMoney(line.bundleShare).isZero());
    out.push(
      kept.length
        ? kept.map((line) => `  line ${line.lineId} keeps its share ${line.bundleShare} (group ${line.group ?? '—'})`).join('\n')
        : '  no line is in a bundle',
    );
  } else if (x.pricing.instances.length === 0) out.push('  none formed');
  for (const run of x.pricing.instances) {
    out.push(
      `  ${run.instances} ${run.declared ? 'declared by its lines' : 'detected'}, group ${run.group}${run.count > 1 ? ` (${run.count} identical instances, per instance below)` : ''}`,
      `    list value L = ${run.lines.map((line) => `${line.units} × ${line.unitPrice} (line ${line.lineId})`).join(' + ')} = ${run.listValue}`,
      `    ${run.pricing}`,
      `    proration: share = D × w / L rounded down to 0.0001, the leftover 0.0001s to the largest remainders:`,
      ...run.lines.map(
        (line) => `      line ${line.lineId}: ${run.discount} × ${line.weight} / ${run.listValue} = ${line.exact} → ${line.share}`,
      ),
    );
  }
  for (const note of x.pricing.notes)
    out.push(`  note: ${note.BundleID}${note.LineID ? ` line ${note.LineID}` : ''} ${note.Reason}: ${note.Message}`);

  out.push(
    '',
    `CAL A–F  (${x.pricing.mode === 'repriced' ? 'the repricing after the short or substitution' : 'as the calculate stage priced it'}; tax rounds half to even)`,
  );
  for (const line of x.pricing.lines) {
    const discount = parseMoney(line.bundleShare).isZero() ? line.ownDiscount : `${line.ownDiscount} own + ${line.bundleShare} bundle`;
    out.push(
      `  line ${line.lineId} ${line.itemId}: amount ${line.quantity} × ${line.unitPrice} = ${line.amount}; discount ${discount} = ${line.discount}; tax (${line.amount} − ${line.discount}) × ${line.taxRate} = ${line.taxExact} → ${line.tax}`,
    );
  }
  for (const step of x.pricing.totals) out.push(`  ${step.cal} ${step.name.padEnd(18)} ${step.formula}`);

  out.push('', `COD  (${x.cod.settings}, as this shell sets them)`);
  out.push(x.cod.accepted ? '  accepted' : x.cod.errors.map((error) => `  REFUSED ${error.Code}: ${error.Message}`).join('\n'));

  out.push('', 'COMPARISON  (to the 4th decimal)');
  out.push(
    table(
      ['  total', 'recomputed', 'stored', 'release', ''],
      x.comparison.map((row) => [
        `  ${CAL[row.name]} ${row.name}`,
        row.recomputed,
        row.stored ?? '—',
        row.release ?? '—',
        row.equal ? 'equal' : 'DIFFERS',
      ]),
      [1, 2, 3],
    ),
  );
  for (const diff of x.lineDifferences)
    out.push(`  line ${diff.lineId} ${diff.field}: recomputed ${diff.recomputed}, stored ${diff.stored}`);
  return out.join('\n');
}
