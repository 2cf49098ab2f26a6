// Section 6: bundles. Which lines form which bundle instances, each instance's discount, and its proration over
// the lines that supply it. For an order that passed `validateOrder`.
//
// Forming instances
// - Declared: lines carrying a BundleID are taken as that bundle, whatever its ActiveFrom/ActiveTo/Locations
//   (the producer sold them as a bundle; the contract puts the activity test on detection only). The declared
//   lines of one BundleID are pooled and form as many whole instances as their quantities allow. Their units
//   never feed any other bundle, leftovers included. A BundleID with no (valid) definition, a declared line
//   whose item is not a component, or one left out of every instance gets no bundle discount and a `Note`.
// - Detected: for the lines without a BundleID, bundles active at the order's CreatedAt (ActiveFrom ≤ CreatedAt
//   < ActiveTo, either end open when null) and for its ShipFromLocationID (Locations empty = all) are tried
//   highest Priority first, ties by BundleID (code-unit order), each taking as many whole instances as the
//   remaining quantities allow before the next bundle is tried.
// - Units are taken from the lines of a component item in LineID order (`compareLineIds`: numeric when both
//   are digit strings, so "2" before "10").
//
// How a split line is represented: lines are never split. A line is the unit the rest of the pipeline
// allocates, releases and shorts, and LineID is what Slick and the release know. So:
// - each line reports `BundleQuantity`, how many of its units sit in bundle instances (the rest are sold
//   alone), and `BundleDiscount`, the sum of its shares in those instances;
// - instance n of a bundle is `<BundleID>#<n>` (n from 1, per BundleID, in the order instances are formed);
// - `BundleGroupID`: instances that share a line cannot be shorted apart, so they form one group, named after
//   its first-formed instance. Two instances drawn from the same two lines (quantity 2 each) are one group
//   `<BundleID>#1`; a line that feeds instances of two bundles joins them into one group too. A line's
//   leftover units (not in any instance) travel with its group.
//
// Discount per instance: list value L = Σ units × UnitPrice of the lines that supply it; bundle price P is
// Price (FIXED), L − round4(L × Percent / 100) (PERCENT_OFF) or L − Amount (AMOUNT_OFF); discount = L − P,
// zero when P > L, and at most L (a price below zero counts as zero). Identical instances (same lines, same
// units) are computed once and reported as one run with a Count; shares are per instance, then multiplied.
//
// Proration (`prorate`): in ten-thousandths, share_i = floor(D × w_i / Σw) with w_i = units_i × UnitPrice_i;
// the leftover units go one each to the largest remainders, ties to the earlier LineID. Exact integer
// arithmetic, so the shares always sum to D and none is negative.
import { type Decimal, decimal, formatMoney, isMoney, parseMoney, round4, ZERO } from './money.js';
import type { BundleDefinition, Money, OrderCreate } from './types.js';

/**
 * A bundle's pricing once checked (`isValidPricing`): the field its Type names is set. The BundlePricing record
 * carries all three fields, the two unused ones null.
 */
export type PricingRule =
  { Type: 'FIXED'; Price: Money } | { Type: 'PERCENT_OFF'; Percent: string } | { Type: 'AMOUNT_OFF'; Amount: Money };

/** What bundle detection reads of an order. */
export type BundleOrder = Pick<OrderCreate, 'ShipFromLocationID' | 'CreatedAt' | 'OrderLines'>;

/** One line's part in bundles; only lines with units in some instance are listed. */
export interface LineBundleShare {
  LineID: string;
  /** Units of the line inside bundle instances (≤ its Quantity). */
  BundleQuantity: number;
  /** Σ of the line's shares of its instances' discounts. */
  BundleDiscount: Money;
  BundleGroupID: string;
}

/** A run of identical instances of one bundle. */
export interface BundleInstanceRun {
  BundleID: string;
  /** `<BundleID>#<n>` of the run's first instance; the run is instances n … n + Count − 1. */
  FirstInstanceID: string;
  Count: number;
  BundleGroupID: string;
  /** True when the lines carried the BundleID, false when the bundle was detected. */
  Declared: boolean;
  /** Per instance: the lines supplying it, the units each supplies and its share of the discount. */
  Lines: Array<{ LineID: string; Quantity: number; Share: Money }>;
  /** Per instance. */
  ListValue: Money;
  /** Per instance; the shares sum to it. */
  Discount: Money;
}

export type BundleNoteReason = 'UNKNOWN_BUNDLE' | 'INVALID_DEFINITION' | 'NOT_A_COMPONENT' | 'NO_WHOLE_INSTANCE';

/** Something that did not get a bundle discount, for logs and support; never a reason to reject the order. */
export interface BundleNote {
  BundleID: string;
  LineID: string | null;
  Reason: BundleNoteReason;
  Message: string;
}

export interface BundleApplication {
  /** In the order's line order; feed to `calculateOrder`. */
  Lines: LineBundleShare[];
  /** In the order they were formed. */
  Instances: BundleInstanceRun[];
  /** Σ over instances of the discount: equals Σ Lines[].BundleDiscount. */
  TotalDiscount: Money;
  Notes: BundleNote[];
}

/** Orders LineIDs: numerically when both are digit strings ("2" < "10"), else by UTF-16 code units. */
export function compareLineIds(a: string, b: string): number {
  if (/^[0-9]+$/.test(a) && /^[0-9]+$/.test(b)) {
    const x = a.replace(/^0+(?=.)/, '');
    const y = b.replace(/^0+(?=.)/, '');
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A bundle's discount on one instance of list value `listValue` (see the file comment). */
export function bundleDiscount(pricing: PricingRule, listValue: Decimal): Decimal {
  let price: Decimal;
  switch (pricing.Type) {
    case 'FIXED':
      price = parseMoney(pricing.Price);
      break;
    case 'PERCENT_OFF':
      price = listValue.minus(round4(listValue.times(decimal(pricing.Percent)).shiftedBy(-2)));
      break;
    case 'AMOUNT_OFF':
      price = listValue.minus(parseMoney(pricing.Amount));
      break;
  }
  if (price.isGreaterThan(listValue)) return ZERO;
  return price.isNegative() ? listValue : listValue.minus(price);
}

/**
 * Spreads `discount` (≥ 0, 4 decimals) over parts in proportion to their values (≥ 0): shares rounded down to
 * 4 decimals, the leftover 0.0001s one each to the largest remainders, ties to the earlier LineID. Returns the
 * shares in the parts' order; they sum exactly to `discount`.
 */
export function prorate(discount: Decimal, parts: ReadonlyArray<{ LineID: string; Value: Decimal }>): Decimal[] {
  const shares: Decimal[] = new Array(parts.length).fill(ZERO);
  if (discount.isZero()) return shares;
  let total = ZERO;
  for (const part of parts) total = total.plus(part.Value);
  if (discount.isNegative() || discount.isGreaterThan(total) || discount.decimalPlaces()! > 4) {
    throw new RangeError(`cannot prorate ${discount.toFixed()} over a list value of ${total.toFixed()}`);
  }
  const units = discount.shiftedBy(4);
  const whole = total.shiftedBy(4);
  const remainders: Decimal[] = new Array(parts.length);
  let left = units;
  for (let i = 0; i < parts.length; i++) {
    const scaled = units.times(parts[i]!.Value.shiftedBy(4));
    const floor = scaled.idiv(whole);
    remainders[i] = scaled.minus(floor.times(whole));
    shares[i] = floor;
    left = left.minus(floor);
  }
  const order = parts.map((_, i) => i);
  order.sort((a, b) => remainders[b]!.comparedTo(remainders[a]!)! || compareLineIds(parts[a]!.LineID, parts[b]!.LineID));
  for (let k = 0; left.isGreaterThan(0); k++, left = left.minus(1)) shares[order[k]!] = shares[order[k]!]!.plus(1);
  for (let i = 0; i < shares.length; i++) shares[i] = shares[i]!.shiftedBy(-4);
  return shares;
}

/** Whether a bundle applies to an order created at `createdAt` at `location` (the detection test). */
export function isBundleActive(definition: BundleDefinition, createdAt: string, location: string): boolean {
  const prepared = prepare(definition);
  return typeof prepared !== 'string' && activeAt(prepared, Date.parse(createdAt), location);
}

// ------------------------------------------------------------------------------------------ implementation

interface PreparedBundle {
  id: string;
  components: Array<{ itemId: string; quantity: number }>;
  pricing: PricingRule;
  priority: number;
  from: number;
  to: number;
  locations: readonly string[];
}

interface WorkLine {
  index: number;
  lineId: string;
  itemId: string;
  price: Decimal;
  available: number;
  bundled: number;
  discount: Decimal;
  /** Union-find parent (a line index). */
  parent: number;
}

const NOT_ACTIVE = Number.NaN;

function parseBound(value: string | null | undefined, open: number): number {
  if (value === null || value === undefined) return open;
  return typeof value === 'string' ? Date.parse(value) : NOT_ACTIVE;
}

function isValidPricing(pricing: unknown): pricing is PricingRule {
  if (typeof pricing !== 'object' || pricing === null) return false;
  const p = pricing as Record<string, unknown>;
  switch (p.Type) {
    case 'FIXED':
      return isMoney(p.Price) && !p.Price.startsWith('-');
    case 'PERCENT_OFF':
      return isMoney(p.Percent) && !p.Percent.startsWith('-') && !parseMoney(p.Percent).isGreaterThan(100);
    case 'AMOUNT_OFF':
      return isMoney(p.Amount) && !p.Amount.startsWith('-');
    default:
      return false;
  }
}

/** The definition checked and normalised (components merged by item), or why it cannot be used. */
function prepare(definition: BundleDefinition): PreparedBundle | string {
  const d = definition as unknown as Record<string, unknown>;
  if (typeof d.BundleID !== 'string' || d.BundleID === '') return 'BundleID is not a non-empty string';
  if (!Array.isArray(d.Components) || d.Components.length === 0) return 'Components is not a non-empty array';
  const components: PreparedBundle['components'] = [];
  for (const component of d.Components as unknown[]) {
    const c = (typeof component === 'object' && component !== null ? component : {}) as Record<string, unknown>;
    if (typeof c.ItemID !== 'string' || typeof c.Quantity !== 'number' || !Number.isSafeInteger(c.Quantity) || c.Quantity < 1) {
      return `component ${JSON.stringify(component)} needs an ItemID and a whole Quantity ≥ 1`;
    }
    const same = components.find((seen) => seen.itemId === c.ItemID);
    if (same) same.quantity += c.Quantity;
    else components.push({ itemId: c.ItemID, quantity: c.Quantity });
  }
  if (!isValidPricing(d.Pricing))
    return `Pricing ${JSON.stringify(d.Pricing)} is not FIXED {Price}, PERCENT_OFF {Percent 0–100} or AMOUNT_OFF {Amount}, non-negative`;
  if (typeof d.Priority !== 'number' || !Number.isFinite(d.Priority)) return `Priority ${JSON.stringify(d.Priority)} is not a number`;
  const from = parseBound(d.ActiveFrom as string | null | undefined, -Infinity);
  const to = parseBound(d.ActiveTo as string | null | undefined, Infinity);
  if (Number.isNaN(from) || Number.isNaN(to)) return `ActiveFrom/ActiveTo ${JSON.stringify([d.ActiveFrom, d.ActiveTo])} are not timestamps`;
  const locations = d.Locations;
  if (locations !== null && locations !== undefined && (!Array.isArray(locations) || !locations.every((l) => typeof l === 'string'))) {
    return 'Locations is not an array of strings';
  }
  return {
    id: d.BundleID,
    components,
    pricing: d.Pricing,
    priority: d.Priority,
    from,
    to,
    locations: (locations as string[] | null | undefined) ?? [],
  };
}

function activeAt(bundle: PreparedBundle, createdAt: number, location: string): boolean {
  return bundle.from <= createdAt && createdAt < bundle.to && (bundle.locations.length === 0 || bundle.locations.includes(location));
}

const byPriority = (a: PreparedBundle, b: PreparedBundle): number => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function find(lines: WorkLine[], index: number): number {
  let root = index;
  while (lines[root]!.parent !== root) root = lines[root]!.parent;
  while (lines[index]!.parent !== root) {
    const next = lines[index]!.parent;
    lines[index]!.parent = root;
    index = next;
  }
  return root;
}

interface Run {
  bundle: PreparedBundle;
  first: number;
  count: number;
  declared: boolean;
  takes: Array<{ line: WorkLine; units: number }>;
  listValue: Decimal;
  discount: Decimal;
  shares: Decimal[];
}

/**
 * Forms as many whole instances of `bundle` as `pool` allows, as runs of identical instances, taking units
 * from each component's lines in LineID order. Returns the runs; consumes `available` units of the lines.
 */
function formInstances(bundle: PreparedBundle, pool: readonly WorkLine[], declared: boolean, nextInstance: number): Run[] {
  const supply = bundle.components.map((component) => pool.filter((line) => line.itemId === component.itemId && line.available > 0));
  let count = Infinity;
  for (let c = 0; c < bundle.components.length; c++) {
    let units = 0;
    for (const line of supply[c]!) units += line.available;
    count = Math.min(count, Math.floor(units / bundle.components[c]!.quantity));
  }
  const runs: Run[] = [];
  const cursor = new Array<number>(bundle.components.length).fill(0);
  for (let done = 0; done < count;) {
    // How many identical instances in a row: each component must come whole from one line for all of them.
    let repeat = count - done;
    for (let c = 0; c < bundle.components.length; c++) {
      const line = supply[c]![cursor[c]!]!;
      const need = bundle.components[c]!.quantity;
      repeat = Math.min(repeat, line.available >= need ? Math.floor(line.available / need) : 1);
    }
    const takes: Run['takes'] = [];
    for (let c = 0; c < bundle.components.length; c++) {
      let need = bundle.components[c]!.quantity;
      while (need > 0) {
        const line = supply[c]![cursor[c]!]!;
        const units = Math.min(need, line.available);
        takes.push({ line, units });
        line.available -= units * repeat;
        need -= units;
        if (line.available === 0) cursor[c]!++;
      }
    }
    const listValue = takes.reduce((sum, take) => sum.plus(take.line.price.times(take.units)), ZERO);
    const discount = bundleDiscount(bundle.pricing, listValue);
    const shares = prorate(
      discount,
      takes.map((take) => ({ LineID: take.line.lineId, Value: take.line.price.times(take.units) })),
    );
    runs.push({ bundle, first: nextInstance + done, count: repeat, declared, takes, listValue, discount, shares });
    done += repeat;
  }
  return runs;
}

/** Section 6 over an order's lines: see the file comment. `definitions` may be the whole bundle table. */
export function applyBundles(order: BundleOrder, definitions: Iterable<BundleDefinition>): BundleApplication {
  const lines: WorkLine[] = order.OrderLines.map((line, index) => ({
    index,
    lineId: line.LineID,
    itemId: line.ItemID,
    price: parseMoney(line.UnitPrice),
    available: line.Quantity,
    bundled: 0,
    discount: ZERO,
    parent: index,
  }));
  const notes: BundleNote[] = [];
  const declaredPools = new Map<string, WorkLine[]>();
  const freeItems = new Set<string>();
  for (const line of lines) {
    const bundleId = order.OrderLines[line.index]!.BundleID;
    if (bundleId) {
      const pool = declaredPools.get(bundleId);
      if (pool) pool.push(line);
      else declaredPools.set(bundleId, [line]);
    } else {
      freeItems.add(line.itemId);
    }
  }
  for (const pool of declaredPools.values()) pool.sort((a, b) => compareLineIds(a.lineId, b.lineId));
  const freeLines = lines.filter((line) => !order.OrderLines[line.index]!.BundleID).sort((a, b) => compareLineIds(a.lineId, b.lineId));

  // Only definitions that could matter to this order are checked: declared ones, and those whose items are all here.
  const createdAt = Date.parse(order.CreatedAt);
  const declared: PreparedBundle[] = [];
  const detectable: PreparedBundle[] = [];
  for (const definition of definitions) {
    const id = (definition as { BundleID?: unknown }).BundleID;
    const isDeclared = typeof id === 'string' && declaredPools.has(id);
    const components = (definition as { Components?: unknown }).Components;
    const couldDetect =
      Array.isArray(components) &&
      components.length > 0 &&
      components.every((c) => freeItems.has((c as { ItemID?: string } | null)?.ItemID as string));
    if (!isDeclared && !couldDetect) continue;
    const prepared = prepare(definition);
    if (typeof prepared === 'string') {
      if (isDeclared)
        for (const line of declaredPools.get(id as string)!) notes.push(note(id as string, line, 'INVALID_DEFINITION', prepared));
      else notes.push({ BundleID: String(id), LineID: null, Reason: 'INVALID_DEFINITION', Message: prepared });
      continue;
    }
    if (isDeclared) declared.push(prepared);
    if (couldDetect && activeAt(prepared, createdAt, order.ShipFromLocationID)) detectable.push(prepared);
  }
  declared.sort(byPriority);
  detectable.sort(byPriority);

  const runs: Run[] = [];
  const nextInstance = new Map<string, number>();
  const form = (bundle: PreparedBundle, pool: readonly WorkLine[], isDeclared: boolean): void => {
    const formed = formInstances(bundle, pool, isDeclared, nextInstance.get(bundle.id) ?? 1);
    for (const run of formed) {
      runs.push(run);
      nextInstance.set(bundle.id, run.first + run.count);
    }
  };

  const known = new Set(declared.map((bundle) => bundle.id));
  for (const [bundleId, pool] of declaredPools) {
    const invalid = notes.some((n) => n.BundleID === bundleId && n.Reason === 'INVALID_DEFINITION');
    if (!known.has(bundleId) && !invalid)
      for (const line of pool) notes.push(note(bundleId, line, 'UNKNOWN_BUNDLE', `no bundle definition ${JSON.stringify(bundleId)}`));
  }
  for (const bundle of declared) {
    const pool = declaredPools.get(bundle.id)!;
    form(bundle, pool, true);
    for (const line of pool) {
      if (!bundle.components.some((component) => component.itemId === line.itemId)) {
        notes.push(note(bundle.id, line, 'NOT_A_COMPONENT', `item ${JSON.stringify(line.itemId)} is not a component of the bundle`));
      } else if (line.available === order.OrderLines[line.index]!.Quantity) {
        notes.push(note(bundle.id, line, 'NO_WHOLE_INSTANCE', 'the declared lines do not make a whole instance that uses this line'));
      }
    }
  }
  for (const bundle of detectable) form(bundle, freeLines, false);

  return assemble(lines, runs, notes);
}

const note = (bundleId: string, line: WorkLine, reason: BundleNoteReason, message: string): BundleNote => ({
  BundleID: bundleId,
  LineID: line.lineId,
  Reason: reason,
  Message: message,
});

/** Groups (lines shared between instances join them), per-line totals, and the plain-data result. */
function assemble(lines: WorkLine[], runs: Run[], notes: BundleNote[]): BundleApplication {
  for (const run of runs) {
    const root = run.takes[0]!.line.index;
    for (const take of run.takes) {
      const a = find(lines, root);
      const b = find(lines, take.line.index);
      if (a !== b) lines[b]!.parent = a;
    }
  }
  const groupOf = new Map<number, string>();
  for (const run of runs) {
    const root = find(lines, run.takes[0]!.line.index);
    if (!groupOf.has(root)) groupOf.set(root, `${run.bundle.id}#${run.first}`);
  }
  let total = ZERO;
  const instances: BundleInstanceRun[] = runs.map((run) => {
    const group = groupOf.get(find(lines, run.takes[0]!.line.index))!;
    total = total.plus(run.discount.times(run.count));
    for (let i = 0; i < run.takes.length; i++) {
      const { line, units } = run.takes[i]!;
      line.bundled += units * run.count;
      line.discount = line.discount.plus(run.shares[i]!.times(run.count));
    }
    return {
      BundleID: run.bundle.id,
      FirstInstanceID: `${run.bundle.id}#${run.first}`,
      Count: run.count,
      BundleGroupID: group,
      Declared: run.declared,
      Lines: run.takes.map((take, i) => ({ LineID: take.line.lineId, Quantity: take.units, Share: formatMoney(run.shares[i]!) })),
      ListValue: formatMoney(run.listValue),
      Discount: formatMoney(run.discount),
    };
  });
  const shares: LineBundleShare[] = [];
  for (const line of lines) {
    if (line.bundled === 0) continue;
    shares.push({
      LineID: line.lineId,
      BundleQuantity: line.bundled,
      BundleDiscount: formatMoney(line.discount),
      BundleGroupID: groupOf.get(find(lines, line.index))!,
    });
  }
  return { Lines: shares, Instances: instances, TotalDiscount: formatMoney(total), Notes: notes };
}
