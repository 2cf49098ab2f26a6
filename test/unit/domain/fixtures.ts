// Records shared by the domain tests: a valid order as the contract's example spells it.
import type { Customer, OrderCreate, OrderLine } from '../../../processors/domain/types.js';

export const line = (overrides: Partial<OrderLine> = {}): OrderLine => ({
  LineID: '1',
  ItemID: 'SKU-100',
  ShipFromLocationID: 'QC0042',
  Quantity: 2,
  UnitPrice: '35.5000',
  TaxRate: '0.0700',
  ShortDescription: null,
  ImageURL: null,
  Discounts: [{ Type: 'Promo', Amount: '5.0000' }],
  InformationalTaxes: [{ Type: 'VATIncluded', Amount: '4.6500' }],
  BundleID: null,
  ...overrides,
});

export const order = (overrides: Partial<OrderCreate> = {}): OrderCreate => ({
  OrderID: 'QC0042-000123',
  ShipFromLocationID: 'QC0042',
  IsForceAllocation: true,
  T1MembershipID: '1234567890123456',
  T1Number: 'T1-000981',
  CustRef: 'SLK-77812',
  CustomerID: 'C-1001',
  Currency: 'THB',
  PaymentMethod: 'COD',
  CreatedAt: '2026-11-21T09:15:00Z',
  DeliveryAddress: { Line1: '1 Silom Rd', District: 'Bang Rak', Province: 'Bangkok', PostalCode: '10110', Phone: '0812345678' },
  Charges: [{ Type: 'DeliveryFee', Amount: '20.0000' }],
  OrderLines: [line()],
  ...overrides,
});

export const customer = (overrides: Partial<Customer> = {}): Customer => ({
  CustomerID: 'C-1001',
  Name: 'Somchai',
  Phone: '0812345678',
  CodEligible: true,
  CodLimit: '3000.0000',
  ...overrides,
});
