/**
 * A realistic, reproducible feed for the embedded default, the benchmarks and the end-to-end tests: catalog,
 * customers and bundles, then orders across many stores — mostly valid, some breaking a rule, some COD
 * failures, some bundles. Deterministic for a given seed.
 */
import type { BundleDefinition, Customer, DeliveryAddress, OrderCreate, OrderLine, Product } from '../processors/domain/types.js';
import { Topics } from '../topology/topics.js';

export interface FeedRecord {
  topic: string;
  key: string;
  value: unknown;
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same feed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export const storeIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `QC${String(i + 1).padStart(4, '0')}`);

const PRODUCTS: Product[] = [
  ['SKU-100', 'Iced coffee 250 ml', '35.5000'],
  ['SKU-101', 'Butter croissant', '29.0000'],
  ['SKU-102', 'Drinking water 600 ml', '7.0000'],
  ['SKU-103', 'Green tea 500 ml', '20.0000'],
  ['SKU-104', 'Chicken sandwich', '45.0000'],
  ['SKU-105', 'Potato chips 50 g', '22.0000'],
  ['SKU-106', 'Instant noodles cup', '15.0000'],
  ['SKU-107', 'Fresh milk 450 ml', '26.5000'],
].map(([ItemID, ShortDescription, UnitPrice]) => ({
  ItemID: ItemID!,
  ShortDescription: ShortDescription!,
  ImageURL: `https://img.omnia.example/${ItemID}.png`,
  UnitPrice: UnitPrice!,
  TaxRate: '0.0700',
}));

const BUNDLES: BundleDefinition[] = [
  {
    BundleID: 'B-BREAKFAST',
    Components: [
      { ItemID: 'SKU-100', Quantity: 1 },
      { ItemID: 'SKU-101', Quantity: 1 },
    ],
    Pricing: { Type: 'FIXED', Price: '55.0000', Percent: null, Amount: null },
    ActiveFrom: null,
    ActiveTo: null,
    Locations: [],
    Priority: 10,
  },
  {
    BundleID: 'B-LUNCH',
    Components: [
      { ItemID: 'SKU-104', Quantity: 1 },
      { ItemID: 'SKU-103', Quantity: 1 },
    ],
    Pricing: { Type: 'PERCENT_OFF', Price: null, Percent: '15', Amount: null },
    ActiveFrom: null,
    ActiveTo: null,
    Locations: [],
    Priority: 5,
  },
];

export function referenceData(customers: number): FeedRecord[] {
  const records: FeedRecord[] = [];
  for (const product of PRODUCTS) records.push({ topic: Topics.catalog, key: product.ItemID, value: product });
  for (const bundle of BUNDLES) records.push({ topic: Topics.bundles, key: bundle.BundleID, value: bundle });
  for (let i = 1; i <= customers; i++) {
    const customer: Customer = {
      CustomerID: `C-${1000 + i}`,
      Name: `Customer ${i}`,
      Phone: `08${String(10_000_000 + i).slice(-8)}`,
      CodEligible: i % 25 !== 0,
      CodLimit: i % 10 === 0 ? '100.0000' : '3000.0000',
    };
    records.push({ topic: Topics.customers, key: customer.CustomerID, value: customer });
  }
  return records;
}

export interface OrderFeedOptions {
  stores: number;
  customers: number;
  seed: number;
  /** Share of orders that break a validation rule (default 0.05). */
  invalidShare?: number;
}

/** The n-th demo order's address: 200 houses on one Bangkok road, inside the COD service area. */
export const demoDeliveryAddress = (n: number): DeliveryAddress => ({
  Line1: `${1 + (n % 200)} Sukhumvit Rd`,
  District: 'Khlong Toei',
  Province: 'Bangkok',
  PostalCode: '10110',
  Phone: '+66 81 234 5678',
});

/** The n-th order of the feed (n from 0), created at `createdAt`. */
export function demoOrder(n: number, createdAt: Date, options: OrderFeedOptions, next = random(options.seed + n)): OrderCreate {
  const stores = storeIds(options.stores);
  const location = stores[n % stores.length]!;
  const lineCount = 1 + Math.floor(next() * 3);
  const lines: OrderLine[] = [];
  for (let i = 0; i < lineCount; i++) {
    const product = PRODUCTS[Math.floor(next() * PRODUCTS.length)]!;
    if (lines.some((line) => line.ItemID === product.ItemID)) continue;
    lines.push({
      LineID: String(lines.length + 1),
      ItemID: product.ItemID,
      ShipFromLocationID: location,
      Quantity: 1 + Math.floor(next() * 3),
      UnitPrice: product.UnitPrice,
      TaxRate: product.TaxRate,
      ShortDescription: null,
      ImageURL: null,
      Discounts: next() < 0.2 ? [{ Type: 'Promo', Amount: '2.0000' }] : [],
      InformationalTaxes: [],
      BundleID: null,
    });
  }
  const order: OrderCreate = {
    OrderID: `${location}-${String(n).padStart(8, '0')}`,
    ShipFromLocationID: location,
    IsForceAllocation: true,
    T1MembershipID: next() < 0.5 ? String(1_000_000_000_000_000 + n).slice(0, 16) : null,
    T1Number: null,
    CustRef: `SLK-${n}`,
    CustomerID: `C-${1001 + (n % options.customers)}`,
    Currency: 'THB',
    PaymentMethod: 'COD',
    CreatedAt: createdAt.toISOString(),
    DeliveryAddress: demoDeliveryAddress(n),
    Charges: [{ Type: 'DeliveryFee', Amount: '20.0000' }],
    OrderLines: lines,
  };
  if (next() < (options.invalidShare ?? 0.05)) return { ...order, IsForceAllocation: false };
  return order;
}
