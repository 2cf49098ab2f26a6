/**
 * Bundle promotions on the tablet: the edit form's fields and the API's definition (query-service/
 * bundle-definitions.ts, `BundleInput` / `BundleView`), mapped both ways; what the form checks before sending
 * (the same rules as the service's schema, so a refusal is rare); and the price preview's basket
 * (POST /bundles/preview). Everything typed is kept as text: money and percentages are sent as typed, never
 * through a float.
 *
 * The activation window is typed as local date and time (`datetime-local`, "2026-12-06T16:00") and sent as UTC
 * ISO-8601; `offsetOf` gives the zone's offset east of UTC at a local time (in the app, the tablet's own). A
 * window bound left as it was loaded is sent back unchanged, seconds included.
 */
import type { BundleInput, BundleView, PreviewInput, PricingType } from '../../../query-service/bundle-definitions.js';
import { amountProblem } from './money.js';

export type { BundleInput, BundleView, PricingType };

export const PRICING_TYPES: readonly PricingType[] = ['FIXED', 'PERCENT_OFF', 'AMOUNT_OFF'];
/** The one pricing field each type reads. */
export const PRICING_FIELD: Readonly<Record<PricingType, 'price' | 'percent' | 'amount'>> = {
  FIXED: 'price',
  PERCENT_OFF: 'percent',
  AMOUNT_OFF: 'amount',
};

export const MAX_COMPONENTS = 50;
export const MAX_LOCATIONS = 1000;
export const MAX_BASKET_LINES = 200;
const INT32_MAX = 2147483647;
const BUNDLE_ID = /^[A-Za-z0-9_-]{1,50}$/;
const PERCENT = /^(100(\.0{1,4})?|[0-9]{1,2}(\.[0-9]{1,4})?)$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
/** The id a draft without one is previewed under. */
export const PREVIEW_DRAFT_ID = 'DRAFT-PREVIEW';

export interface ComponentRow {
  itemId: string;
  quantity: string;
}

export interface BundleForm {
  bundleId: string;
  components: ComponentRow[];
  pricingType: PricingType;
  /** One value per type, so switching the type back and forth loses nothing; only the type's own is sent. */
  price: string;
  percent: string;
  amount: string;
  /** `datetime-local` text, '' for an open end. */
  activeFrom: string;
  activeTo: string;
  /** The window as loaded (UTC ISO), sent back as it was while its local text is unchanged. */
  loadedFrom: string | null;
  loadedTo: string | null;
  scope: 'all' | 'stores';
  /** Store ids, separated by commas, spaces or new lines. */
  locations: string;
  priority: string;
}

/** Minutes east of UTC at a local date and time ("2026-12-06T16:00"). */
export type OffsetAt = (localTime: string) => number;
/** Minutes east of UTC at an instant (ms since the epoch). */
export type OffsetOfInstant = (ms: number) => number;

export const emptyForm = (): BundleForm => ({
  bundleId: '',
  components: [
    { itemId: '', quantity: '1' },
    { itemId: '', quantity: '1' },
  ],
  pricingType: 'FIXED',
  price: '',
  percent: '',
  amount: '',
  activeFrom: '',
  activeTo: '',
  loadedFrom: null,
  loadedTo: null,
  scope: 'all',
  locations: '',
  priority: '0',
});

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A UTC instant as `datetime-local` text in the zone `offsetOf` describes (minutes, seconds dropped). */
export function localTimeOf(iso: string, offsetOf: OffsetOfInstant): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const local = new Date(ms + offsetOf(ms) * 60_000);
  return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
}

/** `datetime-local` text as a UTC ISO instant, or undefined when it is not a real local time. */
export function instantOf(localTime: string, offsetOf: OffsetAt): string | undefined {
  const match = LOCAL_TIME.exec(localTime.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const probe = new Date(wall);
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23) return undefined;
  return new Date(wall - offsetOf(localTime.trim()) * 60_000).toISOString();
}

/** The form for a bundle as the API shows it. */
export function formOf(view: BundleView, offsetOf: OffsetOfInstant): BundleForm {
  return {
    bundleId: view.bundleId,
    components: view.components.map((component) => ({ itemId: component.itemId, quantity: String(component.quantity) })),
    pricingType: view.pricing.type,
    price: view.pricing.price ?? '',
    percent: view.pricing.percent ?? '',
    amount: view.pricing.amount ?? '',
    activeFrom: view.activeFrom ? localTimeOf(view.activeFrom, offsetOf) : '',
    activeTo: view.activeTo ? localTimeOf(view.activeTo, offsetOf) : '',
    loadedFrom: view.activeFrom,
    loadedTo: view.activeTo,
    scope: view.locations.length === 0 ? 'all' : 'stores',
    locations: view.locations.join(', '),
    priority: String(view.priority),
  };
}

/** Store ids typed in one field: split on commas and white space, empty ones dropped, each once. */
export const splitLocations = (text: string): string[] => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/** What the form says is wrong, as `bundleProblem.<key>` messages. */
export type ProblemKey =
  | 'bundleId.required'
  | 'bundleId.format'
  | 'components.none'
  | 'components.tooMany'
  | 'itemId.tooLong'
  | 'quantity'
  | 'price'
  | 'percent'
  | 'amount'
  | 'window.format'
  | 'window.order'
  | 'locations.none'
  | 'locations.format'
  | 'priority';

export interface Problem {
  /** The form field: `bundleId`, `components.0.itemId`, `pricing`, `activeFrom`, `locations`, … */
  field: string;
  key: ProblemKey;
}

const isWholeNumber = (text: string, min: number, max: number): boolean =>
  /^-?\d{1,10}$/.test(text.trim()) && Number(text) >= min && Number(text) <= max;

/** Nothing typed in the row (a blank row is left out rather than refused). */
const blankComponent = (row: ComponentRow) => row.itemId.trim() === '';

/**
 * The definition the form describes and its problems. `forPreview`: the id is not needed yet (a draft without
 * one is previewed as PREVIEW_DRAFT_ID).
 */
export function bundleRequest(
  form: BundleForm,
  offsetOf: OffsetAt,
  forPreview = false,
): { input: BundleInput & { bundleId: string }; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (field: string, key: ProblemKey) => problems.push({ field, key });

  const bundleId = form.bundleId.trim();
  if (bundleId === '') {
    if (!forPreview) problem('bundleId', 'bundleId.required');
  } else if (!BUNDLE_ID.test(bundleId)) problem('bundleId', 'bundleId.format');

  const components: Array<{ itemId: string; quantity: number }> = [];
  form.components.forEach((row, index) => {
    if (blankComponent(row)) return;
    const itemId = row.itemId.trim();
    if (itemId.length > 50) problem(`components.${index}.itemId`, 'itemId.tooLong');
    if (!isWholeNumber(row.quantity, 1, INT32_MAX)) problem(`components.${index}.quantity`, 'quantity');
    components.push({ itemId, quantity: Number(row.quantity.trim()) });
  });
  if (components.length === 0) problem('components', 'components.none');
  else if (components.length > MAX_COMPONENTS) problem('components', 'components.tooMany');

  const type = form.pricingType;
  const field = PRICING_FIELD[type];
  const value = form[field].trim();
  if (type === 'PERCENT_OFF') {
    if (!PERCENT.test(value)) problem('pricing', 'percent');
  } else if (amountProblem(value)) problem('pricing', field);

  const bound = (text: string, loaded: string | null, name: 'activeFrom' | 'activeTo'): string | null => {
    if (text.trim() === '') return null;
    const instant = instantOf(text, offsetOf);
    if (!instant) {
      problem(name, 'window.format');
      return null;
    }
    // Unchanged since loaded (shown to the minute): what the service holds goes back as it is, seconds included.
    if (loaded && sameMinute(loaded, instant)) return loaded;
    return instant;
  };
  const activeFrom = bound(form.activeFrom, form.loadedFrom, 'activeFrom');
  const activeTo = bound(form.activeTo, form.loadedTo, 'activeTo');
  if (activeFrom && activeTo && Date.parse(activeFrom) >= Date.parse(activeTo)) problem('activeTo', 'window.order');

  let locations: string[] = [];
  if (form.scope === 'stores') {
    locations = splitLocations(form.locations);
    if (locations.length === 0) problem('locations', 'locations.none');
    else if (locations.length > MAX_LOCATIONS || locations.some((location) => location.length > 50))
      problem('locations', 'locations.format');
  }

  const priorityText = form.priority.trim();
  let priority = 0;
  if (priorityText !== '') {
    if (!isWholeNumber(priorityText, -INT32_MAX - 1, INT32_MAX)) problem('priority', 'priority');
    else priority = Number(priorityText);
  }

  const input: BundleInput & { bundleId: string } = {
    bundleId: bundleId || PREVIEW_DRAFT_ID,
    components,
    pricing: { type, [field]: value },
    activeFrom,
    activeTo,
    locations,
    priority,
  };
  return { input, problems };
}

/** Two instants in the same minute (a loaded bound shown to the minute and not touched). */
function sameMinute(a: string, b: string): boolean {
  const x = Date.parse(a);
  const y = Date.parse(b);
  return !Number.isNaN(x) && !Number.isNaN(y) && Math.floor(x / 60_000) === Math.floor(y / 60_000);
}

/** The body of a create (POST /bundles, with the id) or an edit (PUT /bundles/:id, without: the path names it). */
export function saveBody(input: BundleInput & { bundleId: string }, mode: 'create' | 'edit'): BundleInput {
  if (mode === 'create') return input;
  const { bundleId: _omitted, ...rest } = input;
  return rest;
}

/**
 * A field the service named in a VALIDATION_FAILED (`components.0.itemId`, `pricing.price`, `locations.3`,
 * `(root)`) as the form's field, to mark it.
 */
export function formFieldOf(serverField: string): string {
  if (serverField.startsWith('pricing')) return 'pricing';
  if (serverField.startsWith('locations')) return 'locations';
  const component = /^components\.(\d+)\.(itemId|quantity)/.exec(serverField);
  if (component) return `components.${component[1]}.${component[2]}`;
  if (serverField.startsWith('components')) return 'components';
  return serverField;
}

/** The pricing in words' ingredients: the type and the one value it reads. */
export function pricingValue(view: Pick<BundleView, 'pricing'>): string | null {
  return view.pricing[PRICING_FIELD[view.pricing.type]];
}

// ------------------------------------------------------------------------------------------------ preview

export interface BasketLine {
  itemId: string;
  quantity: string;
  unitPrice: string;
}

export interface Basket {
  store: string;
  lines: BasketLine[];
  /** The order's delivery fee ('' for none), as a DeliveryFee charge. */
  deliveryFee: string;
}

export type BasketProblemKey = 'store' | 'itemId' | 'quantity' | 'unitPrice' | 'deliveryFee' | 'empty' | 'tooMany';

export interface BasketProblem {
  /** `store`, `lines.0.unitPrice`, `deliveryFee`, `lines` */
  field: string;
  key: BasketProblemKey;
}

export const emptyBasketLine = (): BasketLine => ({ itemId: '', quantity: '1', unitPrice: '' });

const blankLine = (line: BasketLine) => line.itemId.trim() === '' && line.unitPrice.trim() === '';

/**
 * The preview request for the basket, priced with the stored bundles and `draft` (which replaces a stored
 * bundle of its id). Blank rows are left out. Undefined body when something must be fixed first.
 */
export function previewRequest(
  basket: Basket,
  draft: (BundleInput & { bundleId: string }) | undefined,
): { body: PreviewInput | undefined; problems: BasketProblem[] } {
  const problems: BasketProblem[] = [];
  const store = basket.store.trim();
  if (store === '' || store.length > 50) problems.push({ field: 'store', key: 'store' });
  const lines: PreviewInput['lines'] = [];
  basket.lines.forEach((line, index) => {
    if (blankLine(line)) return;
    const itemId = line.itemId.trim();
    if (itemId === '' || itemId.length > 50) problems.push({ field: `lines.${index}.itemId`, key: 'itemId' });
    if (!isWholeNumber(line.quantity, 1, INT32_MAX)) problems.push({ field: `lines.${index}.quantity`, key: 'quantity' });
    if (amountProblem(line.unitPrice)) problems.push({ field: `lines.${index}.unitPrice`, key: 'unitPrice' });
    lines.push({ itemId, quantity: Number(line.quantity.trim()), unitPrice: line.unitPrice.trim() });
  });
  if (lines.length === 0) problems.push({ field: 'lines', key: 'empty' });
  else if (lines.length > MAX_BASKET_LINES) problems.push({ field: 'lines', key: 'tooMany' });
  const fee = basket.deliveryFee.trim();
  if (fee !== '' && amountProblem(fee)) problems.push({ field: 'deliveryFee', key: 'deliveryFee' });
  if (problems.length > 0) return { body: undefined, problems };
  return {
    body: {
      store,
      lines,
      ...(fee !== '' ? { charges: [{ type: 'DeliveryFee', amount: fee }] } : {}),
      ...(draft ? { bundles: [draft] } : {}),
    },
    problems,
  };
}

/** The bundle's items as basket lines (one instance), keeping the unit prices already typed for those items. */
export function basketOfComponents(components: readonly ComponentRow[], current: readonly BasketLine[]): BasketLine[] {
  const prices = new Map(current.filter((line) => line.unitPrice.trim() !== '').map((line) => [line.itemId.trim(), line.unitPrice]));
  const lines = components
    .filter((row) => row.itemId.trim() !== '')
    .map((row) => ({ itemId: row.itemId.trim(), quantity: row.quantity.trim() || '1', unitPrice: prices.get(row.itemId.trim()) ?? '' }));
  return lines.length > 0 ? lines : [emptyBasketLine()];
}

/** A stable text of a request, to skip pricing the same thing twice. */
export const requestKey = (body: unknown): string => JSON.stringify(body);
