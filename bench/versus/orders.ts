/**
 * The orders both apps are fed, deterministic by (seed, n): JSON `order.create.v1` values with 1–5 lines, a
 * declared bundle in every fifth order (n % 5 = 0), a known customer in every other order (odd n) and no customer
 * in the rest. A few break a rule on purpose, so the correctness check also compares what each app rejects:
 * 2% ask for no force allocation (rule C) and the known customers include the four the demo reference data makes
 * COD-ineligible. Totals stay far below every COD limit, so validity never depends on pricing.
 */
import { demoDeliveryAddress, random, storeIds } from '../../bin/demo-feed.js';
import type { OrderCreate, OrderLine } from '../../processors/domain/types.js';

/** Stores the orders are spread over (the key of `order.create.v1`). */
export const STORES = 50;
/** Customers of the reference data (`referenceData(CUSTOMERS)`, C-1001 … C-1200). */
export const CUSTOMERS = 200;
const RULE_C_SHARE = 0.02;

const STORE_IDS = storeIds(STORES);

/** The demo catalog's items and prices (bin/demo-feed.ts), all taxed at 7%. */
const PRICES: Readonly<Record<string, string>> = {
  'SKU-100': '35.5000',
  'SKU-101': '29.0000',
  'SKU-102': '7.0000',
  'SKU-103': '20.0000',
  'SKU-104': '45.0000',
  'SKU-105': '22.0000',
  'SKU-106': '15.0000',
  'SKU-107': '26.5000',
};
/** The demo bundles' components: an order holding all of one bundle's items would be detected as that bundle. */
const BUNDLES: ReadonlyArray<{ id: string; items: readonly [string, string] }> = [
  { id: 'B-BREAKFAST', items: ['SKU-100', 'SKU-101'] },
  { id: 'B-LUNCH', items: ['SKU-104', 'SKU-103'] },
];
const ITEMS = Object.keys(PRICES);
const NOT_IN_ANY_BUNDLE = ITEMS.filter((item) => !BUNDLES.some((bundle) => bundle.items.includes(item)));

export interface VersusOrder {
  order: OrderCreate;
  /** Passes validation and COD: the app must release it exactly once. */
  valid: boolean;
}

/** The order's id: unique within a run (backlog and steady load take disjoint ranges of n). */
export const orderId = (n: number): string => `VS-${String(n).padStart(9, '0')}`;

/** Customers the demo reference data makes COD-ineligible (CodEligible false: every 25th). */
const codIneligible = (customer: number): boolean => customer % 25 === 0;

export function versusOrder(n: number, seed: number, createdAt: Date): VersusOrder {
  const next = random(seed * 1_000_003 + n);
  const store = STORE_IDS[n % STORES]!;
  const lines: OrderLine[] = [];
  const addLine = (item: string, bundleId: string | null, quantity = 1 + Math.floor(next() * 3)) =>
    lines.push({
      LineID: String(lines.length + 1),
      ItemID: item,
      ShipFromLocationID: store,
      Quantity: quantity,
      UnitPrice: PRICES[item]!,
      TaxRate: '0.0700',
      ShortDescription: null,
      ImageURL: null,
      Discounts: next() < 0.2 ? [{ Type: 'Promo', Amount: '2.0000' }] : [],
      InformationalTaxes: [],
      BundleID: bundleId,
    });

  if (n % 5 === 0) {
    const bundle = BUNDLES[Math.floor(next() * BUNDLES.length)]!;
    const sets = 1 + Math.floor(next() * 2);
    for (const item of bundle.items) addLine(item, bundle.id, sets);
    // Extra lines only from items outside every bundle, so exactly one bundle is in the order.
    const extras = shuffled(NOT_IN_ANY_BUNDLE, next).slice(0, Math.floor(next() * 4));
    for (const item of extras) addLine(item, null);
  } else {
    const wanted = 1 + Math.floor(next() * 5);
    for (const item of shuffled(ITEMS, next)) {
      if (lines.length === wanted) break;
      // Skip an item that would complete a bundle with one already in the order.
      const completes = BUNDLES.some(
        (bundle) =>
          bundle.items.includes(item) && bundle.items.some((other) => other !== item && lines.some((line) => line.ItemID === other)),
      );
      if (!completes) addLine(item, null);
    }
  }

  // Customers 10, 20, … have a 100 THB COD limit: left out, so a known customer's verdict never depends on the total.
  const customer = n % 2 === 1 ? knownCustomer(next) : undefined;
  const ruleC = next() < RULE_C_SHARE;
  const order: OrderCreate = {
    OrderID: orderId(n),
    ShipFromLocationID: store,
    IsForceAllocation: !ruleC,
    T1MembershipID: next() < 0.5 ? String(1_000_000_000_000_000 + n).slice(0, 16) : null,
    T1Number: null,
    CustRef: `VS-${seed}-${n}`,
    CustomerID: customer === undefined ? null : `C-${1000 + customer}`,
    Currency: 'THB',
    PaymentMethod: 'COD',
    CreatedAt: createdAt.toISOString(),
    DeliveryAddress: demoDeliveryAddress(n),
    Charges: [{ Type: 'DeliveryFee', Amount: '20.0000' }],
    OrderLines: lines,
  };
  return { order, valid: !ruleC && (customer === undefined || !codIneligible(customer)) };
}

/** Whether order n of the seed must be released (its CreatedAt plays no part). */
export const isValidOrder = (n: number, seed: number): boolean => versusOrder(n, seed, new Date(0)).valid;

function knownCustomer(next: () => number): number {
  for (;;) {
    const customer = 1 + Math.floor(next() * CUSTOMERS);
    if (customer % 10 !== 0) return customer;
  }
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
