import t from 'tap';
import {
  canonicalJson,
  checkCustRef,
  checkCustomer,
  checkDuplicateOrderId,
  checkForceAllocation,
  checkOrderId,
  checkOrderLines,
  checkPaymentMethod,
  checkShipFromLocation,
  checkT1MembershipId,
  checkT1Number,
  classifyArrival,
  isMalformed,
  type OrderLookups,
  type OrderRule,
  payloadHash,
  validateOrder,
  validateOrderUpdate,
  validationResult,
} from '../../../processors/domain/validation-rules.js';
import type { ValidationError } from '../../../processors/domain/types.js';
import { customer, line, order } from './fixtures.js';

const known: OrderLookups = { customer: customer() };
const run = (rule: OrderRule, value: object, lookups: OrderLookups = known): ValidationError[] => {
  const errors: ValidationError[] = [];
  rule(value as Record<string, unknown>, lookups, errors);
  return errors;
};
const codes = (errors: ValidationError[]) => errors.map((error) => error.Code);
const fields = (errors: ValidationError[]) => errors.map((error) => error.Field);

t.test('the contract example is valid', async (t) => {
  t.same(validateOrder(order(), known), []);
});

t.test('optional fields may be absent or null', async (t) => {
  const minimal: Record<string, unknown> = {
    ...order(),
    T1MembershipID: null,
    T1Number: undefined,
    CustRef: null,
    CustomerID: null,
    Charges: null,
  };
  delete minimal.Currency;
  minimal.OrderLines = [{ LineID: '1', ItemID: 'SKU-1', Quantity: 1, UnitPrice: '0', TaxRate: '0' }];
  t.same(validateOrder(minimal, {}), []);
  t.same(
    validateOrder({ ...order(), Currency: null }, known),
    [],
    'Currency null: the schema makes it optional (an Avro-decoded order without one)',
  );
});

t.test('Rule A: OrderID 1–50 characters of [A-Za-z0-9_-]', async (t) => {
  for (const good of ['a', 'QC0042-000123', 'x_Y-9', 'A'.repeat(50)]) t.same(run(checkOrderId, order({ OrderID: good })), [], good);
  for (const bad of ['', 'A'.repeat(51), 'QC 1', 'QC#1', 'ก1', undefined, null, 42]) {
    const errors = run(checkOrderId, { ...order(), OrderID: bad });
    t.same(codes(errors), ['INVALID_ORDER_ID'], String(bad));
    t.equal(errors[0]?.Rule, 'A');
    t.equal(errors[0]?.Field, 'OrderID');
  }
  t.match(run(checkOrderId, order({ OrderID: 'QC#1' }))[0]?.Message, /"QC#1"/, 'the message quotes the value');
  t.match(run(checkOrderId, { ...order(), OrderID: undefined })[0]?.Message, /missing/);
});

t.test('Rule A: same OrderID with another payload is DUPLICATE_ORDER_ID; byte-identical is a redelivery', async (t) => {
  const bytes = Buffer.from(JSON.stringify(order()));
  const hash = payloadHash(bytes);
  t.equal(hash, payloadHash(JSON.stringify(order())), 'a string hashes as its UTF-8 bytes');
  t.equal(classifyArrival(undefined, hash), 'first');
  t.equal(classifyArrival({ payloadHash: hash }, hash), 'redelivery');
  t.equal(classifyArrival({ payloadHash: hash }, payloadHash(JSON.stringify(order({ CustRef: 'X' })))), 'duplicate');
  t.equal(classifyArrival({ payloadHash: hash }, undefined), 'duplicate', 'no hash to compare: not a redelivery');
  t.equal(classifyArrival({ payloadHash: hash }, payloadHash(JSON.stringify(order(), null, 1))), 'duplicate', 'spacing changes the bytes');

  t.same(run(checkDuplicateOrderId, order(), { previous: null, payloadHash: hash }), []);
  t.same(run(checkDuplicateOrderId, order(), { previous: { payloadHash: hash }, payloadHash: hash }), []);
  const errors = run(checkDuplicateOrderId, order(), { previous: { payloadHash: 'other' }, payloadHash: hash });
  t.same(codes(errors), ['DUPLICATE_ORDER_ID']);
  t.match(errors[0]?.Message, /"QC0042-000123"/);
});

t.test('canonicalJson ignores key order and spacing', async (t) => {
  t.equal(canonicalJson({ b: 1, a: [{ d: null, c: 'x' }], u: undefined }), '{"a":[{"c":"x","d":null}],"b":1}');
  t.equal(payloadHash(canonicalJson(JSON.parse('{"B":2, "A":1}'))), payloadHash(canonicalJson({ A: 1, B: 2 })));
});

t.test('Rule B: a line ShipFromLocationID, when given, equals the order’s', async (t) => {
  t.same(
    run(
      checkShipFromLocation,
      order({ OrderLines: [line({ ShipFromLocationID: undefined }), line({ LineID: '2', ShipFromLocationID: null })] }),
    ),
    [],
  );
  const errors = run(checkShipFromLocation, order({ OrderLines: [line(), line({ LineID: '2', ShipFromLocationID: 'QC0099' })] }));
  t.same(codes(errors), ['SHIP_FROM_LOCATION_MISMATCH']);
  t.same(fields(errors), ['OrderLines[1].ShipFromLocationID']);
  t.equal(errors[0]?.Rule, 'B');
  t.match(errors[0]?.Message, /"QC0099".*"QC0042"/);
});

t.test('Rule C: IsForceAllocation must be the boolean true', async (t) => {
  t.same(run(checkForceAllocation, order()), []);
  for (const bad of [false, 'true', 1, undefined, null]) {
    t.same(codes(run(checkForceAllocation, { ...order(), IsForceAllocation: bad })), ['FORCE_ALLOCATION_REQUIRED'], String(bad));
  }
});

t.test('Rule D: T1MembershipID, when given, exactly 16 digits', async (t) => {
  t.same(run(checkT1MembershipId, order({ T1MembershipID: null })), []);
  for (const bad of ['123456789012345', '12345678901234567', '123456789012345a', '', 1234567890123456]) {
    const errors = run(checkT1MembershipId, { ...order(), T1MembershipID: bad });
    t.same(codes(errors), ['INVALID_T1_MEMBERSHIP_ID'], String(bad));
    t.equal(errors[0]?.Rule, 'D');
  }
  t.same(
    codes(run(checkT1MembershipId, order({ T1MembershipID: '๑๒๓๔๕๖๗๘๙๐๑๒๓๔๕๖' }))),
    ['INVALID_T1_MEMBERSHIP_ID'],
    'Thai digits are not digits here',
  );
});

t.test('Rule E: T1Number, when given, "T1-" and 6 digits', async (t) => {
  t.same(run(checkT1Number, order({ T1Number: undefined })), []);
  for (const bad of ['T1-00098', 'T1-0009811', 't1-000981', 'T2-000981', 'T1000981', '']) {
    const errors = run(checkT1Number, order({ T1Number: bad }));
    t.same(codes(errors), ['INVALID_T1_NUMBER'], bad);
    t.equal(errors[0]?.Rule, 'E');
  }
});

t.test('Rule F: CustRef, when given, 1–50 printable ASCII characters', async (t) => {
  for (const good of ['x', 'SLK 77812 ~!', '~'.repeat(50)]) t.same(run(checkCustRef, order({ CustRef: good })), [], good);
  for (const bad of ['', 'x'.repeat(51), 'tab\there', 'ลูกค้า', 'line\n']) {
    const errors = run(checkCustRef, order({ CustRef: bad }));
    t.same(codes(errors), ['INVALID_CUST_REF'], JSON.stringify(bad));
    t.equal(errors[0]?.Rule, 'F');
  }
});

t.test('Rule G: CustomerID, when given, must be in the customer table', async (t) => {
  t.same(run(checkCustomer, order(), { customer: customer() }), []);
  t.same(run(checkCustomer, order({ CustomerID: null }), {}), [], 'no CustomerID: nothing to look up');
  const errors = run(checkCustomer, order(), { customer: undefined });
  t.same(codes(errors), ['UNKNOWN_CUSTOMER']);
  t.equal(errors[0]?.Rule, 'G');
  t.match(errors[0]?.Message, /"C-1001"/);
  t.same(codes(run(checkCustomer, { ...order(), CustomerID: 1001 }, {})), ['UNKNOWN_CUSTOMER']);
});

t.test('PaymentMethod must be COD', async (t) => {
  t.same(run(checkPaymentMethod, order()), []);
  const errors = run(checkPaymentMethod, order({ PaymentMethod: 'CARD' }));
  t.same(codes(errors), ['UNSUPPORTED_PAYMENT_METHOD']);
  t.match(errors[0]?.Message, /"CARD"/);
  t.same(codes(run(checkPaymentMethod, order({ PaymentMethod: 'cod' }))), ['UNSUPPORTED_PAYMENT_METHOD'], 'case matters');
});

t.test('lines: at least one', async (t) => {
  const errors = run(checkOrderLines, order({ OrderLines: [] }));
  t.same(codes(errors), ['INVALID_LINE']);
  t.same(fields(errors), ['OrderLines']);
});

t.test('lines: Quantity a whole number ≥ 1', async (t) => {
  for (const good of [1, 999]) t.same(run(checkOrderLines, order({ OrderLines: [line({ Quantity: good })] })), []);
  for (const bad of [0, -1, 1.5, '2', Number.NaN, Infinity, null, 2 ** 53]) {
    const errors = run(checkOrderLines, order({ OrderLines: [line({ Quantity: bad as number })] }));
    t.same(codes(errors), ['INVALID_LINE'], String(bad));
    t.same(fields(errors), ['OrderLines[0].Quantity']);
  }
});

t.test('lines: UnitPrice money ≥ 0 with at most 4 decimals', async (t) => {
  for (const good of ['0', '0.0000', '35.5', '99.9999'])
    t.same(run(checkOrderLines, order({ OrderLines: [line({ UnitPrice: good })] })), [], good);
  for (const bad of ['-0.0001', '35.50001', '1e2', '', 'NaN', 35.5]) {
    const errors = run(checkOrderLines, order({ OrderLines: [line({ UnitPrice: bad as string })] }));
    t.same(codes(errors), ['INVALID_LINE'], String(bad));
    t.same(fields(errors), ['OrderLines[0].UnitPrice']);
  }
  t.match(run(checkOrderLines, order({ OrderLines: [line({ UnitPrice: '35.50001' })] }))[0]?.Message, /"35\.50001"/);
});

t.test('lines: TaxRate a fraction 0–1 with at most 4 decimals', async (t) => {
  for (const good of ['0', '0.07', '1']) t.same(run(checkOrderLines, order({ OrderLines: [line({ TaxRate: good })] })), [], good);
  for (const bad of ['7', '-0.07', '0.07001', undefined]) {
    t.same(fields(run(checkOrderLines, order({ OrderLines: [line({ TaxRate: bad as string })] }))), ['OrderLines[0].TaxRate'], String(bad));
  }
});

t.test('lines: unique LineIDs, non-empty LineID and ItemID', async (t) => {
  const errors = run(checkOrderLines, order({ OrderLines: [line(), line({ LineID: '2' }), line({ LineID: '1' })] }));
  t.same(codes(errors), ['INVALID_LINE']);
  t.same(fields(errors), ['OrderLines[2].LineID']);
  t.match(errors[0]?.Message, /"1".*OrderLines\[0\]/);
  t.same(fields(run(checkOrderLines, order({ OrderLines: [line({ LineID: '', ItemID: '' })] }))), [
    'OrderLines[0].LineID',
    'OrderLines[0].ItemID',
  ]);
  t.same(fields(run(checkOrderLines, order({ OrderLines: [line({ BundleID: '' })] }))), ['OrderLines[0].BundleID']);
});

t.test('lines: discount and informational tax amounts are money ≥ 0', async (t) => {
  const errors = run(
    checkOrderLines,
    order({
      OrderLines: [line({ Discounts: [{ Type: 'Promo', Amount: '1.00005' }], InformationalTaxes: [{ Type: 'VAT', Amount: '-1' }] })],
    }),
  );
  t.same(codes(errors), ['INVALID_LINE', 'INVALID_LINE']);
  t.same(fields(errors), ['OrderLines[0].Discounts[0].Amount', 'OrderLines[0].InformationalTaxes[0].Amount']);
});

t.test('charges: amounts are money ≥ 0', async (t) => {
  const errors = validateOrder(order({ Charges: [{ Type: 'DeliveryFee', Amount: '20.00001' }] }), known);
  t.same(codes(errors), ['INVALID_LINE']);
  t.same(fields(errors), ['Charges[0].Amount']);
});

t.test('every rule broken at once gives every code, each once', async (t) => {
  const broken = {
    ...order(),
    OrderID: 'bad id!',
    IsForceAllocation: false,
    T1MembershipID: '123',
    T1Number: 'T1-1',
    CustRef: '',
    CustomerID: 'C-404',
    PaymentMethod: 'CARD',
    OrderLines: [line({ ShipFromLocationID: 'QC0099', Quantity: 0 })],
  };
  const errors = validateOrder(broken, { customer: undefined, previous: { payloadHash: 'a' }, payloadHash: 'b' });
  t.same(codes(errors).sort(), [
    'DUPLICATE_ORDER_ID',
    'FORCE_ALLOCATION_REQUIRED',
    'INVALID_CUST_REF',
    'INVALID_LINE',
    'INVALID_ORDER_ID',
    'INVALID_T1_MEMBERSHIP_ID',
    'INVALID_T1_NUMBER',
    'SHIP_FROM_LOCATION_MISMATCH',
    'UNKNOWN_CUSTOMER',
    'UNSUPPORTED_PAYMENT_METHOD',
  ]);
  t.same(errors.map((error) => error.Rule).sort(), ['A', 'A', 'B', 'C', 'D', 'E', 'F', 'G', '—', '—']);
  for (const error of errors) t.ok(error.Message.length > 0 && error.Field.length > 0, error.Code);
  t.notOk(isMalformed(errors));
});

t.test('a value that is not an object is one MALFORMED_RECORD error, not an exception', async (t) => {
  for (const value of [null, undefined, 'order', 42, [order()]]) {
    const errors = validateOrder(value);
    t.same(codes(errors), ['MALFORMED_RECORD'], String(value));
    t.equal(errors[0]?.Field, '');
    t.ok(isMalformed(errors));
  }
});

t.test('missing OrderLines array and wrong types give clear errors, not exceptions', async (t) => {
  const value = {
    OrderID: 'X1',
    ShipFromLocationID: 7,
    IsForceAllocation: true,
    PaymentMethod: 'COD',
    CreatedAt: 'yesterday',
    Currency: 1,
    DeliveryAddress: { PostalCode: 10110, Phone: 812345678 },
    Charges: { Type: 'DeliveryFee' },
  };
  const errors = validateOrder(value, {});
  t.ok(isMalformed(errors));
  t.same(fields(errors).sort(), [
    'Charges',
    'CreatedAt',
    'Currency',
    'DeliveryAddress.Phone',
    'DeliveryAddress.PostalCode',
    'OrderLines',
    'ShipFromLocationID',
  ]);
  t.match(errors.find((error) => error.Field === 'OrderLines')?.Message, /array.*missing/);
  t.match(errors.find((error) => error.Field === 'CreatedAt')?.Message, /"yesterday"/);
});

t.test('lines and entries that are not objects are MALFORMED_RECORD at their path', async (t) => {
  const errors = validateOrder(
    order({ OrderLines: [null, line({ LineID: '2', Discounts: ['5.0000'] as never, ShortDescription: 3 as never })] as never }),
    known,
  );
  t.same(fields(errors), ['OrderLines[0]', 'OrderLines[1].ShortDescription', 'OrderLines[1].Discounts[0]']);
  t.same([...new Set(codes(errors))], ['MALFORMED_RECORD']);
  t.same(
    validateOrder(order({ DeliveryAddress: undefined as never }), known).map((error) => error.Field),
    ['DeliveryAddress'],
  );
});

t.test('CreatedAt must be UTC ISO-8601', async (t) => {
  for (const good of ['2026-11-21T09:15:00Z', '2026-11-21T09:15:00.123Z', '2026-11-21T09:15:00+00:00'])
    t.same(validateOrder(order({ CreatedAt: good }), known), [], good);
  for (const bad of ['2026-11-21T09:15:00+07:00', '2026-11-21', '2026-13-45T09:15:00Z', '']) {
    t.same(fields(validateOrder(order({ CreatedAt: bad }), known)), ['CreatedAt'], bad);
  }
});

t.test('validationResult carries OrderID, location, Valid and every error', async (t) => {
  const errors = validateOrder(order({ PaymentMethod: 'CARD' }), known);
  t.same(validationResult(order(), errors, '2026-11-21T09:15:01Z'), {
    OrderID: 'QC0042-000123',
    ShipFromLocationID: 'QC0042',
    Valid: false,
    Errors: errors,
    At: '2026-11-21T09:15:01Z',
  });
  t.equal(validationResult(order(), [], 'x').Valid, true);
  t.same(validationResult(null, [], 'x').OrderID, '');
});

t.test('OrderUpdate: CANCEL and MODIFY are checked, and locked from Released on', async (t) => {
  const cancel = { OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', Action: 'CANCEL', Reason: 'customer asked' };
  t.same(validateOrderUpdate(cancel, 1000), []);
  t.same(validateOrderUpdate(cancel, 2000), []);
  t.same(codes(validateOrderUpdate(cancel, 3000)), ['ORDER_LOCKED']);
  t.same(codes(validateOrderUpdate({ ...cancel, Action: 'DELETE' })), ['MALFORMED_RECORD']);
  t.same(codes(validateOrderUpdate({ ...cancel, Action: 'MODIFY' })), ['MALFORMED_RECORD'], 'a MODIFY without lines or address');
  const modify = { ...cancel, Action: 'MODIFY', OrderLines: [line(), line({ LineID: '1', ShipFromLocationID: 'QC0001', Quantity: 0 })] };
  t.same(fields(validateOrderUpdate(modify, 1000)), ['OrderLines[1].Quantity', 'OrderLines[1].LineID', 'OrderLines[1].ShipFromLocationID']);
  t.same(validateOrderUpdate({ ...cancel, Action: 'MODIFY', DeliveryAddress: { PostalCode: '10110' } }, 2000), []);
  t.same(codes(validateOrderUpdate({ ...cancel, Action: 'MODIFY', DeliveryAddress: { PostalCode: '10110' } }, 3700)), ['ORDER_LOCKED']);
  t.same(codes(validateOrderUpdate('cancel')), ['MALFORMED_RECORD']);
});

t.test('OrderUpdate: Reason is optional, as the schema says; given, it is a string', async (t) => {
  const cancel = { OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', Action: 'CANCEL' };
  t.same(validateOrderUpdate(cancel, 1000), [], 'absent');
  t.same(validateOrderUpdate({ ...cancel, Reason: null }, 1000), [], 'null (an Avro-decoded update without one)');
  t.same(fields(validateOrderUpdate({ ...cancel, Reason: 42 }, 1000)), ['Reason']);
});
