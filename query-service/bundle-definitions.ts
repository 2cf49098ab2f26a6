/**
 * Bundle definitions as the API takes and shows them, their activation window, and the price preview. Pure:
 * no I/O (bundle-routes.ts reads the tables and publishes).
 *
 * The API speaks camelCase JSON; bundle.definition.v1 carries the BundleDefinition record (PascalCase,
 * avro/schemas/BundleDefinition.avsc, docs/contract.md §6). `definitionOf` maps a request onto the record and
 * `viewOf` the record onto an answer. A request is checked twice: by its JSON schema (bundle-routes.ts: types,
 * patterns, ranges) and by `bundleProblems` (what a schema does not say well: the one pricing field the type
 * reads, the window's order). What passes both is a definition the pipeline uses; `pipelineProblem` asks the
 * pipeline's own rules (processors/domain/bundles.ts) to be sure, and says why a definition already in the table
 * is ignored.
 *
 * The preview prices a basket with the pipeline's code, never a copy of it: the basket becomes an OrderCreate,
 * checked by `validateOrder` (the validate stage's rules), opened as the validate stage opens it (`openOrder`)
 * and priced by `priceOrder`, the calculate stage's pure half (`applyBundles`, then `calculateOrder`).
 * `applyBundles` is called once more with the same arguments, only to list the instances it formed.
 */
import { applyBundles, isBundleActive } from '../processors/domain/bundles.js';
import { normaliseMoney } from '../processors/domain/money.js';
import type { AmountEntry, BundleDefinition, OrderCreate, OrderLine } from '../processors/domain/types.js';
import { validateOrder } from '../processors/domain/validation-rules.js';
import { openOrder } from '../processors/order-state.js';
import { priceOrder } from '../processors/stages/calculate.js';
import type { FieldError } from './errors.js';

export const PRICING_TYPES = ['FIXED', 'PERCENT_OFF', 'AMOUNT_OFF'] as const;
export type PricingType = (typeof PRICING_TYPES)[number];

/** The one field of `pricing` each type reads (the record's Price, Percent, Amount). */
export const PRICING_FIELD = { FIXED: 'price', PERCENT_OFF: 'percent', AMOUNT_OFF: 'amount' } as const satisfies Record<
  PricingType,
  string
>;

/** A definition as a request gives it (create, edit, a preview's draft). */
export interface BundleInput {
  /** Required on create; on edit the path names the bundle and this, when given, must agree. */
  bundleId?: string;
  components: Array<{ itemId: string; quantity: number }>;
  pricing: { type: PricingType; price?: string | null; percent?: string | null; amount?: string | null };
  activeFrom?: string | null;
  activeTo?: string | null;
  locations?: string[];
  priority?: number;
}

/**
 * Where a definition's window stands at a moment: ACTIVE (ActiveFrom ≤ now < ActiveTo, either end open when
 * null), SCHEDULED (starts later) or INACTIVE (ended, or an empty window: it will not be active again as it is).
 */
export type WindowStatus = 'ACTIVE' | 'SCHEDULED' | 'INACTIVE';

export interface BundleView {
  bundleId: string;
  components: Array<{ itemId: string; quantity: number }>;
  pricing: { type: PricingType; price: string | null; percent: string | null; amount: string | null };
  activeFrom: string | null;
  activeTo: string | null;
  locations: string[];
  priority: number;
  status: WindowStatus;
  /** True when an order created now at one of its locations would have it detected (the pipeline's own test). */
  active: boolean;
  /** Why the pipeline ignores this definition; null when it uses it. */
  problem: string | null;
}

// ----------------------------------------------------------------------------------------------- time

const UTC = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]00:00)$/;

/** An ISO-8601 UTC timestamp of a real calendar day ("2026-11-21T09:15:00Z"); what ActiveFrom and ActiveTo hold. */
export function isUtcTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !UTC.test(value)) return false;
  const ms = Date.parse(value);
  // Date.parse rolls 2026-02-30 over to March; a date that does not survive the round trip is not a day.
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value.slice(0, 10);
}

export const iso = (ms: number): string => new Date(ms).toISOString();

const bound = (value: string | null | undefined, open: number): number =>
  value === null || value === undefined ? open : typeof value === 'string' ? Date.parse(value) : Number.NaN;

export function windowStatus(definition: BundleDefinition, now: number): WindowStatus {
  const from = bound(definition.ActiveFrom, -Infinity);
  const to = bound(definition.ActiveTo, Infinity);
  if (Number.isNaN(from) || Number.isNaN(to) || to <= from || to <= now) return 'INACTIVE';
  return now < from ? 'SCHEDULED' : 'ACTIVE';
}

/**
 * The definition made active from `now`: ActiveFrom = now; an ActiveTo still ahead is kept, a past one (or the
 * end of an emptied window) is dropped, so the bundle runs open-ended. Undefined when it is active already.
 */
export function activated(definition: BundleDefinition, now: number): BundleDefinition | undefined {
  if (windowStatus(definition, now) === 'ACTIVE') return undefined;
  const from = bound(definition.ActiveFrom, -Infinity);
  const to = bound(definition.ActiveTo, Infinity);
  const keepTo = definition.ActiveTo !== null && to > now && to > from;
  return { ...definition, ActiveFrom: iso(now), ActiveTo: keepTo ? definition.ActiveTo : null };
}

/**
 * The definition ended at `now`: an active one gets ActiveTo = now (orders created from now on do not get it;
 * orders created before keep it, also when a MODIFY reprices them); a scheduled one gets an empty window
 * (ActiveTo = ActiveFrom), so it never starts. Undefined when it is inactive already.
 */
export function deactivated(definition: BundleDefinition, now: number): BundleDefinition | undefined {
  switch (windowStatus(definition, now)) {
    case 'INACTIVE':
      return undefined;
    case 'SCHEDULED':
      return { ...definition, ActiveTo: definition.ActiveFrom };
    case 'ACTIVE':
      return { ...definition, ActiveTo: iso(now) };
  }
}

// ------------------------------------------------------------------------------------ request ↔ record

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What the schema cannot say about a definition in a request: the pricing field its type reads is given and the
 * other two are not, and the window ends after it starts. Defensive: runs on bodies that failed their schema
 * too, so that one answer lists every failing field. `prefix` places the fields ("bundles.0." in a preview).
 */
export function bundleProblems(body: unknown, prefix = ''): FieldError[] {
  const problems: FieldError[] = [];
  if (!isObject(body)) return problems;
  const at = (field: string, message: string) => problems.push({ location: 'body', field: prefix + field, message });
  const pricing = body.pricing;
  if (isObject(pricing) && typeof pricing.type === 'string' && Object.hasOwn(PRICING_FIELD, pricing.type)) {
    const type = pricing.type as PricingType;
    const wanted = PRICING_FIELD[type];
    if (pricing[wanted] === undefined || pricing[wanted] === null) at(`pricing.${wanted}`, `is required for a ${type} bundle`);
    for (const other of Object.values(PRICING_FIELD))
      if (other !== wanted && pricing[other] !== undefined && pricing[other] !== null)
        at(`pricing.${other}`, `is not read for a ${type} bundle: leave it out (only ${wanted} is)`);
  }
  const { activeFrom, activeTo } = body;
  if (isUtcTimestamp(activeFrom) && isUtcTimestamp(activeTo) && Date.parse(activeFrom) >= Date.parse(activeTo))
    at('activeTo', 'must be after activeFrom: the bundle is active from activeFrom (inclusive) to activeTo (exclusive)');
  return problems;
}

/** The record a request describes (checked by the schema and `bundleProblems`); money written with 4 digits. */
export function definitionOf(bundleId: string, input: BundleInput): BundleDefinition {
  const { type, price, percent, amount } = input.pricing;
  return {
    BundleID: bundleId,
    Components: input.components.map((component) => ({ ItemID: component.itemId, Quantity: component.quantity })),
    Pricing: {
      Type: type,
      Price: type === 'FIXED' && price ? normaliseMoney(price) : null,
      Percent: type === 'PERCENT_OFF' && percent ? percent : null,
      Amount: type === 'AMOUNT_OFF' && amount ? normaliseMoney(amount) : null,
    },
    ActiveFrom: input.activeFrom ?? null,
    ActiveTo: input.activeTo ?? null,
    Locations: [...(input.locations ?? [])],
    Priority: input.priority ?? 0,
  };
}

/** A probe line declaring the bundle: declared lines make the pipeline check a definition whatever its window says. */
const probeLine = (itemId: string, index: number, bundleId: string): OrderLine => ({
  LineID: String(index + 1),
  ItemID: itemId,
  ShipFromLocationID: null,
  Quantity: 1,
  UnitPrice: '1.0000',
  TaxRate: '0',
  ShortDescription: null,
  ImageURL: null,
  Discounts: [],
  InformationalTaxes: [],
  BundleID: bundleId,
});

/** Why the pipeline ignores `definition` (processors/domain/bundles.ts says so), or undefined when it uses it. */
export function pipelineProblem(definition: BundleDefinition): string | undefined {
  const d = definition as unknown as Record<string, unknown>;
  if (typeof d.BundleID !== 'string' || d.BundleID === '') return 'BundleID is not a non-empty string';
  if (!Array.isArray(d.Components) || d.Components.length === 0) return 'Components is not a non-empty array';
  const bundleId = d.BundleID;
  const lines = d.Components.map((component: unknown, index) =>
    probeLine(String(isObject(component) ? component.ItemID : component), index, bundleId),
  );
  const { Notes } = applyBundles({ ShipFromLocationID: '', CreatedAt: '1970-01-01T00:00:00Z', OrderLines: lines }, [definition]);
  return Notes.find((note) => note.Reason === 'INVALID_DEFINITION')?.Message;
}

/** The definition as the API shows it, its window and usability judged at `now`. */
export function viewOf(definition: BundleDefinition, now: number): BundleView {
  const problem = pipelineProblem(definition) ?? null;
  return {
    bundleId: definition.BundleID,
    components: definition.Components.map((component) => ({ itemId: component.ItemID, quantity: component.Quantity })),
    pricing: {
      type: definition.Pricing.Type,
      price: definition.Pricing.Price ?? null,
      percent: definition.Pricing.Percent ?? null,
      amount: definition.Pricing.Amount ?? null,
    },
    activeFrom: definition.ActiveFrom ?? null,
    activeTo: definition.ActiveTo ?? null,
    locations: [...definition.Locations],
    priority: definition.Priority,
    status: windowStatus(definition, now),
    active: problem === null && isBundleActive(definition, iso(now), definition.Locations[0] ?? ''),
    problem,
  };
}

/** Whether the bundle applies at `store`: its Locations name it, or name none (every location). */
export const appliesAt = (definition: BundleDefinition, store: string): boolean =>
  definition.Locations.length === 0 || definition.Locations.includes(store);

// ---------------------------------------------------------------------------------------------- preview

export interface AmountInput {
  type: string;
  amount: string;
}

export interface PreviewLineInput {
  /** Default: the line's position, from "1". */
  lineId?: string;
  itemId: string;
  quantity: number;
  unitPrice: string;
  /** Default: the catalog's TaxRate for the item. */
  taxRate?: string;
  discounts?: AmountInput[];
  informationalTaxes?: AmountInput[];
  bundleId?: string | null;
}

export interface PreviewInput {
  store: string;
  /** The order's CreatedAt: which bundles are active. Default: now. */
  at?: string;
  lines: PreviewLineInput[];
  charges?: AmountInput[];
  /** Drafts, priced with the table (a draft replaces the stored definition of its bundleId) or alone. */
  bundles?: BundleInput[];
  /** Price with the stored definitions too (default true); false prices with the drafts alone. */
  storedBundles?: boolean;
}

const entry = (input: AmountInput): AmountEntry => ({ Type: input.type, Amount: input.amount });

/** The pipeline's field names as the preview request spells them. */
const REQUEST_NAMES: Readonly<Record<string, string>> = {
  OrderLines: 'lines',
  Charges: 'charges',
  CreatedAt: 'at',
  ShipFromLocationID: 'store',
  LineID: 'lineId',
  ItemID: 'itemId',
  BundleID: 'bundleId',
};

/** `OrderLines[0].Discounts[1].Amount` → `lines.0.discounts.1.amount`. */
export function requestField(field: string): string {
  if (field === '') return '(root)';
  return field
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .map((part) => REQUEST_NAMES[part] ?? (/^\d+$/.test(part) ? part : part.charAt(0).toLowerCase() + part.slice(1)))
    .join('.');
}

/**
 * The OrderCreate a preview prices, created at `at`, and every way it fails the validate stage's checks (as
 * request fields). `taxRates` holds the catalog's TaxRate of the items whose lines give none.
 */
export function previewOrder(
  input: PreviewInput,
  at: string,
  taxRates: ReadonlyMap<string, string>,
): { order: OrderCreate; problems: FieldError[] } {
  const problems: FieldError[] = [];
  const lines: OrderLine[] = input.lines.map((line, index) => {
    const taxRate = line.taxRate ?? taxRates.get(line.itemId);
    if (taxRate === undefined)
      problems.push({
        location: 'body',
        field: `lines.${index}.taxRate`,
        message: `is required: the catalog has no item ${JSON.stringify(line.itemId)} to take it from`,
      });
    return {
      LineID: line.lineId ?? String(index + 1),
      ItemID: line.itemId,
      ShipFromLocationID: null,
      Quantity: line.quantity,
      UnitPrice: line.unitPrice,
      TaxRate: taxRate ?? '0',
      ShortDescription: null,
      ImageURL: null,
      Discounts: (line.discounts ?? []).map(entry),
      InformationalTaxes: (line.informationalTaxes ?? []).map(entry),
      BundleID: line.bundleId ?? null,
    };
  });
  const order: OrderCreate = {
    OrderID: 'PREVIEW',
    ShipFromLocationID: input.store,
    IsForceAllocation: true,
    T1MembershipID: null,
    T1Number: null,
    CustRef: null,
    CustomerID: null,
    Currency: null,
    PaymentMethod: 'COD',
    CreatedAt: at,
    DeliveryAddress: { Line1: null, District: null, Province: null, PostalCode: '', Phone: null },
    Charges: (input.charges ?? []).map(entry),
    OrderLines: lines,
  };
  for (const error of validateOrder(order)) problems.push({ location: 'body', field: requestField(error.Field), message: error.Message });
  return { order, problems };
}

/** The table a preview prices with: the stored definitions (unless left out), each draft replacing its namesake. */
export function previewDefinitions(
  stored: readonly BundleDefinition[],
  drafts: readonly BundleDefinition[],
  storedBundles = true,
): BundleDefinition[] {
  const drafted = new Set(drafts.map((draft) => draft.BundleID));
  return [...(storedBundles ? stored.filter((definition) => !drafted.has(definition.BundleID)) : []), ...drafts];
}

export interface PreviewView {
  store: string;
  at: string;
  /** False when the pipeline could not price the order (DISCOUNT_EXCEEDS_SUBTOTAL): it would cancel it. */
  priced: boolean;
  totals: {
    subTotal: string;
    totalDiscount: string;
    totalTaxes: string;
    informationalTaxes: string;
    totalCharges: string;
    orderTotal: string;
  };
  lines: Array<{
    lineId: string;
    itemId: string;
    quantity: number;
    unitPrice: string;
    taxRate: string;
    lineAmount: string;
    lineDiscount: string;
    lineTax: string;
    bundleGroupId: string | null;
    bundleQuantity: number;
    bundleDiscount: string;
  }>;
  bundles: Array<{
    bundleId: string;
    firstInstanceId: string;
    count: number;
    bundleGroupId: string;
    declared: boolean;
    draft: boolean;
    listValue: string;
    discount: string;
    lines: Array<{ lineId: string; quantity: number; share: string }>;
  }>;
  notes: Array<{ bundleId: string; lineId: string | null; reason: string; message: string }>;
  errors: Array<{ code: string; field: string; message: string }>;
}

/** `order` (valid: see `previewOrder`) priced as the calculate stage prices it with the bundle table `definitions`. */
export function pricePreview(
  order: OrderCreate,
  definitions: readonly BundleDefinition[],
  drafts: ReadonlySet<string> = new Set(),
): PreviewView {
  const { state } = openOrder(order, '', order.CreatedAt);
  const { lines, totals, errors } = priceOrder(state, definitions);
  const application = applyBundles(order, definitions);
  const shares = new Map(application.Lines.map((share) => [share.LineID, share]));
  return {
    store: order.ShipFromLocationID,
    at: order.CreatedAt,
    priced: errors.length === 0,
    totals: {
      subTotal: totals.SubTotal,
      totalDiscount: totals.TotalDiscount,
      totalTaxes: totals.TotalTaxes,
      informationalTaxes: totals.InformationalTaxes,
      totalCharges: totals.TotalCharges,
      orderTotal: totals.OrderTotal,
    },
    lines: lines.map((line, index) => ({
      lineId: line.LineID,
      itemId: line.ItemID,
      quantity: line.Quantity,
      unitPrice: line.UnitPrice,
      taxRate: order.OrderLines[index]!.TaxRate,
      lineAmount: line.LineAmount,
      lineDiscount: line.LineDiscount,
      lineTax: line.LineTax,
      bundleGroupId: line.BundleGroupID ?? null,
      bundleQuantity: shares.get(line.LineID)?.BundleQuantity ?? 0,
      bundleDiscount: shares.get(line.LineID)?.BundleDiscount ?? '0.0000',
    })),
    bundles: application.Instances.map((run) => ({
      bundleId: run.BundleID,
      firstInstanceId: run.FirstInstanceID,
      count: run.Count,
      bundleGroupId: run.BundleGroupID,
      declared: run.Declared,
      draft: drafts.has(run.BundleID),
      listValue: run.ListValue,
      discount: run.Discount,
      lines: run.Lines.map((share) => ({ lineId: share.LineID, quantity: share.Quantity, share: share.Share })),
    })),
    notes: application.Notes.map((note) => ({ bundleId: note.BundleID, lineId: note.LineID, reason: note.Reason, message: note.Message })),
    errors: errors.map((error) => ({ code: error.Code, field: error.Field, message: error.Message })),
  };
}
