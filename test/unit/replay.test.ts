// `omnia replay` over test/fixtures/replay/orders.jsonl (docs/contract.md §9). The fixture's README.md says, input line by
// input line, what each record tests and what it must produce.
//
// (a) The output equals expected.jsonl line for line.
// (b) Independently of that file, the facts it must show: rejections, releases, status sequences, bundle discounts,
//     COD failures, updates before and after release, the redelivery, dead letters and their headers.
// (c) The CLI itself: stdout equals expected.jsonl; a line that is not JSON exits 1 naming the line.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { replay } from '../../bin/replay.js';
import type { PaymentEvent, Release, StatusChange, ValidationResult } from '../../processors/domain/types.js';
import { DlqHeaders } from '../../runtime/dead-letter.js';

const INPUT = resolve('test/fixtures/replay/orders.jsonl');
const EXPECTED = resolve('test/fixtures/replay/expected.jsonl');
const OMNIA = resolve('dist/bin/omnia.js');

/** The configuration the fixture is written for (README.md); the replay reads nothing else from the environment. */
const ENV: NodeJS.ProcessEnv = {
  OMNIA_RELEASE_HOLD_SECONDS: '300',
  OMNIA_COD_MIN: '1.0000',
  OMNIA_COD_MAX: '5000.0000',
  OMNIA_COD_SERVICE_AREA: '10,11,12,50',
};
const HOLD_MS = 300_000;

interface OutputLine {
  topic: string;
  key: string | null;
  value: unknown;
  headers?: Record<string, string>;
}

interface InputLine {
  topic: string;
  key: string | null;
  value: unknown;
  timestamp?: string | number;
}

const inputText = readFileSync(INPUT, 'utf8');
const expectedText = readFileSync(EXPECTED, 'utf8');
const inputs = inputText.split('\n').map((text) => (text.trim() === '' ? undefined : (JSON.parse(text) as InputLine)));

/** Runs the replay in-process; `byInput[i]` holds what input line i + 1 produced (releases that fell due at its time included). */
async function runReplay(): Promise<{ lines: string[]; byInput: OutputLine[][] }> {
  const lines: string[] = [];
  const byInput: OutputLine[][] = [];
  let current: OutputLine[] = [];
  async function* feed() {
    for (const text of inputText.split('\n')) {
      current = [];
      byInput.push(current);
      yield text;
    }
  }
  await replay(
    feed(),
    (line) => {
      lines.push(line);
      current.push(JSON.parse(line) as OutputLine);
    },
    ENV,
  );
  return { lines, byInput };
}

const run = runReplay();

const orderIdOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null && 'OrderID' in value ? String((value as { OrderID: unknown }).OrderID) : undefined;

/** 0-based index of the `nth` input record of `topic` whose value has this OrderID. */
function inputIndex(topic: string, orderId: string, nth = 0): number {
  let seen = 0;
  for (let i = 0; i < inputs.length; i++) {
    const line = inputs[i];
    if (line?.topic === topic && orderIdOf(line.value) === orderId && seen++ === nth) return i;
  }
  throw new Error(`the fixture has no ${topic} record #${nth + 1} for ${orderId}`);
}
const createOf = (orderId: string, nth = 0) => inputIndex('order.create.v1', orderId, nth);
const updateOf = (orderId: string, nth = 0) => inputIndex('order.update.v1', orderId, nth);

/** Money in ten-thousandths, exact: "5.0714" → 50714n. */
function units(money: string): bigint {
  const match = /^(-?)([0-9]+)\.([0-9]{4})$/.exec(money);
  if (!match) throw new Error(`not a 4-decimal money string: ${money}`);
  const value = BigInt(match[2]!) * 10_000n + BigInt(match[3]!);
  return match[1] ? -value : value;
}
const sumUnits = (amounts: string[]): bigint => amounts.reduce((total, amount) => total + units(amount), 0n);

async function outputs() {
  const { byInput } = await run;
  const all = byInput.flat();
  const on = (topic: string, orderId?: string) =>
    all.filter((line) => line.topic === topic && (orderId === undefined || orderIdOf(line.value) === orderId));
  return {
    all,
    byInput,
    validations: (orderId?: string) => on('order.validation.v1', orderId).map((line) => line.value as ValidationResult),
    statuses: (orderId?: string) => on('order.status.v1', orderId).map((line) => line.value as StatusChange),
    payments: (orderId?: string) => on('order.payment.v1', orderId).map((line) => line.value as PaymentEvent),
    releases: (orderId?: string) => on('order.release.v1', orderId).map((line) => line.value as Release),
    /** What input `index` produced for this order (or, with no order, all of it). */
    of: (index: number, orderId?: string) => byInput[index]!.filter((line) => orderId === undefined || orderIdOf(line.value) === orderId),
  };
}

const steps = (changes: StatusChange[]) => changes.map((change) => [change.FromStatus, change.ToStatus]);
const codes = (result: ValidationResult | undefined) => result?.Errors.map((error) => error.Code);

/** Orders that pass every check: each is released exactly once, 1000 → 2000 → 3000. */
const RELEASED = [
  'QC0042-001201',
  'QC0107-003101',
  'QC0215-004101',
  'QC0388-005101',
  'QC0042-001206',
  'QC0215-004106',
  'QC0042-001207',
  'QC0107-003106',
  'QC0215-004108',
  'QC0388-005106',
  'QC0388-005107',
  'QC0388-005108',
  'QC0107-003109',
  'QC0042-001210',
  'QC0215-004109',
];

t.test('(a) the output equals expected.jsonl line for line', async (t) => {
  const { lines } = await run;
  const expected = expectedText.split('\n').filter((line) => line !== '');
  const first = lines.findIndex((line, i) => line !== expected[i]);
  const differs = first >= 0 ? first : lines.length !== expected.length ? Math.min(lines.length, expected.length) : -1;
  t.equal(
    differs,
    -1,
    differs < 0
      ? `${lines.length} output lines as expected`
      : `first difference at output line ${differs + 1}:\n  expected: ${expected[differs] ?? '(no more lines)'}\n  actual:   ${lines[differs] ?? '(no more lines)'}`,
  );
  t.equal(lines.length, expected.length, 'as many output lines as expected.jsonl');
});

t.test('(b) each order breaking one rule: one validation record with its code, one dead letter, nothing else', async (t) => {
  const o = await outputs();
  const cases: Array<[label: string, index: number, orderId: string, code: string]> = [
    ['A OrderID with a slash', createOf('QC0042/001202'), 'QC0042/001202', 'INVALID_ORDER_ID'],
    ['A OrderID reused with another payload', createOf('QC0042-001201', 1), 'QC0042-001201', 'DUPLICATE_ORDER_ID'],
    ['B a line shipped from another store', createOf('QC0107-003102'), 'QC0107-003102', 'SHIP_FROM_LOCATION_MISMATCH'],
    ['C IsForceAllocation false', createOf('QC0215-004102'), 'QC0215-004102', 'FORCE_ALLOCATION_REQUIRED'],
    ['D T1MembershipID of 15 digits', createOf('QC0388-005102'), 'QC0388-005102', 'INVALID_T1_MEMBERSHIP_ID'],
    ['E T1Number with 5 digits', createOf('QC0042-001203'), 'QC0042-001203', 'INVALID_T1_NUMBER'],
    ['F CustRef in Thai script', createOf('QC0107-003103'), 'QC0107-003103', 'INVALID_CUST_REF'],
    ['G unknown CustomerID', createOf('QC0215-004103'), 'QC0215-004103', 'UNKNOWN_CUSTOMER'],
    ['no lines', createOf('QC0388-005103'), 'QC0388-005103', 'INVALID_LINE'],
    ['a line of Quantity 0', createOf('QC0042-001204'), 'QC0042-001204', 'INVALID_LINE'],
    ['a UnitPrice with 5 decimals', createOf('QC0107-003104'), 'QC0107-003104', 'INVALID_LINE'],
    ['a LineID used twice', createOf('QC0215-004104'), 'QC0215-004104', 'INVALID_LINE'],
    ['PaymentMethod CREDIT_CARD', createOf('QC0388-005104'), 'QC0388-005104', 'UNSUPPORTED_PAYMENT_METHOD'],
    ['OrderLines not an array (an object not of the schema)', createOf('QC0388-005110'), 'QC0388-005110', 'MALFORMED_RECORD'],
  ];
  for (const [label, index, orderId, code] of cases) {
    const produced = o.of(index, orderId);
    const results = produced.filter((line) => line.topic === 'order.validation.v1').map((line) => line.value as ValidationResult);
    const dead = produced.filter((line) => line.topic === 'order.create.v1.dlq');
    t.equal(produced.length, 2, `${label}: a validation record and a dead letter, nothing else`);
    t.equal(results.length, 1, `${label}: one validation record`);
    t.equal(results[0]?.Valid, false, `${label}: not valid`);
    t.same(codes(results[0]), [code], `${label}: ${code}`);
    t.equal(dead.length, 1, `${label}: one dead letter`);
    t.equal(dead[0]?.headers?.[DlqHeaders.code], code, `${label}: dead letter code header ${code}`);
    t.equal(dead[0]?.headers?.[DlqHeaders.topic], 'order.create.v1', `${label}: source topic header`);
    t.same(dead[0]?.value, inputs[index]!.value, `${label}: the dead letter carries the record as it arrived`);
  }
  t.same(
    steps(o.statuses('QC0042-001201')),
    [
      [null, 1000],
      [1000, 2000],
      [2000, 3000],
    ],
    'the duplicate did not touch the first order',
  );
});

t.test('(b) the order breaking every rule at once lists every code; the dead letter names the first', async (t) => {
  const o = await outputs();
  const produced = o.of(createOf('QC0042 001205'));
  const result = produced.find((line) => line.topic === 'order.validation.v1')?.value as ValidationResult | undefined;
  t.same(codes(result), [
    'INVALID_ORDER_ID',
    'SHIP_FROM_LOCATION_MISMATCH',
    'FORCE_ALLOCATION_REQUIRED',
    'INVALID_T1_MEMBERSHIP_ID',
    'INVALID_T1_NUMBER',
    'INVALID_CUST_REF',
    'UNKNOWN_CUSTOMER',
    'INVALID_LINE',
    'UNSUPPORTED_PAYMENT_METHOD',
  ]);
  t.same(
    result?.Errors.map((error) => error.Rule),
    ['A', 'B', 'C', 'D', 'E', 'F', 'G', '—', '—'],
  );
  const dead = produced.filter((line) => line.topic === 'order.create.v1.dlq');
  t.equal(dead.length, 1);
  t.equal(dead[0]?.headers?.[DlqHeaders.code], 'INVALID_ORDER_ID');
  t.match(
    dead[0]?.headers?.[DlqHeaders.message],
    /INVALID_ORDER_ID.*SHIP_FROM_LOCATION_MISMATCH.*UNSUPPORTED_PAYMENT_METHOD/,
    'the message lists every failure',
  );
  t.same(o.statuses('QC0042 001205'), [], 'no order was created');
});

t.test('(b) undecodable values go to the DLQ as MALFORMED_RECORD only; the redelivery yields nothing', async (t) => {
  const o = await outputs();
  const raw = inputs.flatMap((line, index) =>
    line?.topic === 'order.create.v1' && (typeof line.value !== 'object' || Array.isArray(line.value)) ? [index] : [],
  );
  t.equal(raw.length, 2, 'two undecodable values: truncated JSON text and a JSON array');
  for (const index of raw) {
    // Releases that fell due at this record's time come first; they name their orders, the dead letter does not.
    const produced = o.of(index).filter((line) => orderIdOf(line.value) === undefined);
    t.same(
      o.of(index).filter((line) => line.topic === 'order.validation.v1'),
      [],
      `input line ${index + 1}: no validation record`,
    );
    t.equal(produced.length, 1, `input line ${index + 1}: only a dead letter`);
    t.equal(produced[0]?.topic, 'order.create.v1.dlq');
    t.equal(produced[0]?.headers?.[DlqHeaders.code], 'MALFORMED_RECORD');
    t.equal(produced[0]?.headers?.[DlqHeaders.partition], '0');
    t.match(produced[0]?.headers?.[DlqHeaders.offset], /^[0-9]+$/);
    t.same(produced[0]?.value, inputs[index]!.value, 'the original value, as it arrived');
  }
  const redelivery = createOf('QC0042-001201', 2);
  t.same(inputs[redelivery]!.value, inputs[createOf('QC0042-001201')]!.value, 'the redelivery is the first record again');
  t.same(o.of(redelivery), [], 'a byte-identical redelivery is absorbed: no output at all');
  t.equal(o.releases('QC0042-001201').length, 1, 'still one release');
});

t.test('(b) each valid order: one validation, 1000 → 2000 → 3000, COD accepted, one release after its hold', async (t) => {
  const o = await outputs();
  const released = new Set(o.releases().map((release) => release.OrderID));
  t.same([...released].sort(), [...RELEASED].sort(), 'exactly these orders are released');
  t.equal(o.releases().length, RELEASED.length, 'one release per order');
  for (const orderId of RELEASED) {
    t.same(
      steps(o.statuses(orderId)),
      [
        [null, 1000],
        [1000, 2000],
        [2000, 3000],
      ],
      `${orderId}: 1000 → 2000 → 3000`,
    );
    const validations = o.of(createOf(orderId), orderId).filter((line) => line.topic === 'order.validation.v1');
    t.same(
      validations.map((line) => (line.value as ValidationResult).Valid),
      [true],
      `${orderId}: one validation record, valid`,
    );
    t.equal(o.validations(orderId).filter((result) => result.Valid).length, 1, `${orderId}: no other valid record for it`);
    const [release] = o.releases(orderId);
    const payments = o.payments(orderId);
    t.ok(payments.length >= 1 && payments.every((payment) => payment.PaymentStatus === '5000'), `${orderId}: COD accepted (5000)`);
    t.equal(payments.at(-1)?.Amount, release?.OrderTotal, `${orderId}: the last accepted COD amount is the released total`);
    const created = Date.parse((inputs[createOf(orderId)]!.value as { CreatedAt: string }).CreatedAt);
    t.ok(Date.parse(release!.At) >= created + HOLD_MS, `${orderId}: released after its 300 s hold`);
    t.equal(release?.ReleaseID, `REL-${orderId}`);
  }
});

t.test('(b) every release adds up (Cal A–F) and shows the enriched descriptions', async (t) => {
  const o = await outputs();
  for (const release of o.releases()) {
    const lines = release.ReleaseLines;
    t.equal(
      sumUnits(lines.map((line) => line.LineDiscount)),
      units(release.TotalDiscount),
      `${release.OrderID}: TotalDiscount = Σ LineDiscount`,
    );
    t.equal(sumUnits(lines.map((line) => line.LineTax)), units(release.TotalTaxes), `${release.OrderID}: TotalTaxes = Σ LineTax`);
    const subTotal = lines.reduce((total, line) => total + units(line.UnitPrice) * BigInt(line.Quantity), 0n);
    t.equal(subTotal, units(release.SubTotal), `${release.OrderID}: SubTotal = Σ UnitPrice × Quantity`);
    t.equal(
      units(release.SubTotal) - units(release.TotalDiscount) + units(release.TotalTaxes) + units(release.TotalCharges),
      units(release.OrderTotal),
      `${release.OrderID}: OrderTotal`,
    );
    t.equal(release.CodAmount, release.OrderTotal, `${release.OrderID}: CodAmount = OrderTotal`);
    t.ok(
      lines.every((line) => line.ShortDescription && line.ImageURL),
      `${release.OrderID}: every line has a description and an image`,
    );
  }
  const totals = Object.fromEntries(o.releases().map((release) => [release.OrderID, release.OrderTotal]));
  t.match(
    totals,
    {
      'QC0042-001201': '90.6200',
      'QC0107-003101': '313.1200',
      'QC0215-004101': '251.8684',
      'QC0042-001206': '131.8150',
      'QC0215-004106': '337.5135',
      'QC0042-001207': '257.1258',
      'QC0107-003106': '287.4800',
      'QC0215-004108': '231.5300',
      'QC0388-005108': '300.2575',
      'QC0042-001210': '217.4150',
    },
    'order totals computed by hand (README.md)',
  );
  const [peanuts] = o.releases('QC0215-004101');
  t.equal(peanuts?.ReleaseLines[2]?.LineTax, '0.8634', '12.3350 × 0.07 = 0.86345 rounds half to even');
  t.equal(peanuts?.InformationalTaxes, '11.8400', 'informational taxes reported');
  t.equal(peanuts?.TotalCharges, '45.0000', 'two charges');
  t.same(
    peanuts?.ReleaseLines.map((line) => line.ShortDescription),
    ['Butter croissant', 'Dish soap, lime', 'Roasted peanuts 100 g'],
    'blank descriptions enriched, given ones kept',
  );
  t.equal(o.releases('QC0042-001201')[0]?.T1MembershipID, '1234567890123456', 'the T1 membership travels to the release');
});

t.test('(b) bundles: line discounts sum exactly to the bundle discount', async (t) => {
  const o = await outputs();
  const lineOf = (orderId: string) => o.releases(orderId)[0]!.ReleaseLines;

  const coffee = lineOf('QC0042-001206');
  t.same(
    coffee.map((line) => [line.LineDiscount, line.BundleGroupID]),
    [
      ['5.0714', 'BDL-COFFEE-SET#1'],
      ['6.4286', 'BDL-COFFEE-SET#1'],
    ],
    'detected FIXED 69.0000: 80.5000 − 69.0000 = 11.5000, the leftover 0.0001 to the larger remainder',
  );
  t.equal(sumUnits(coffee.map((line) => line.LineDiscount)), units('11.5000'));

  const hair = lineOf('QC0215-004106');
  t.same(
    hair.map((line) => [line.LineDiscount, line.BundleGroupID]),
    [
      ['23.8500', 'BDL-HAIRCARE#1'],
      ['20.8500', 'BDL-HAIRCARE#1'],
      ['5.0000', null],
    ],
    'declared PERCENT_OFF 15 on 298.0000 = 44.7000; the dish soap keeps its own 5.0000 promo',
  );
  t.equal(sumUnits(hair.slice(0, 2).map((line) => line.LineDiscount)), units('44.7000'));

  const rice = lineOf('QC0042-001207');
  t.same(
    rice.map((line) => [line.LineDiscount, line.BundleGroupID]),
    [
      ['14.9407', 'BDL-RICE-SAUCE#1'],
      ['5.0593', 'BDL-RICE-SAUCE#1'],
    ],
    'detected AMOUNT_OFF 20.0000 at QC0042',
  );
  t.equal(sumUnits(rice.map((line) => line.LineDiscount)), units('20.0000'));

  t.same(
    lineOf('QC0107-003106').map((line) => [line.LineDiscount, line.BundleGroupID]),
    [
      ['0.0000', null],
      ['0.0000', null],
    ],
    'same items at QC0107: the bundle is for QC0042 only',
  );
});

t.test('(b) COD failures and a discount above the subtotal cancel the order; nothing is released', async (t) => {
  const o = await outputs();
  const cod: Array<[orderId: string, code: string, amount: string]> = [
    ['QC0042-001208', 'COD_AMOUNT_OUT_OF_RANGE', '5542.6000'],
    ['QC0107-003110', 'COD_AMOUNT_OUT_OF_RANGE', '0.0000'],
    ['QC0511-006101', 'COD_AREA_NOT_SERVED', '225.4600'],
    ['QC0107-003107', 'COD_CUSTOMER_INELIGIBLE', '93.6650'],
    ['QC0215-004107', 'COD_CUSTOMER_INELIGIBLE', '1380.3000'],
  ];
  for (const [orderId, code, amount] of cod) {
    t.same(
      steps(o.statuses(orderId)),
      [
        [null, 1000],
        [1000, 2000],
        [2000, 9000],
      ],
      `${orderId}: allocated, then cancelled`,
    );
    t.equal(o.statuses(orderId).at(-1)?.Reason, code, `${orderId}: reason ${code}`);
    t.same(
      o.validations(orderId).map((result) => [result.Valid, codes(result)]),
      [
        [true, []],
        [false, [code]],
      ],
      `${orderId}: a validation record lists ${code}`,
    );
    t.same(
      o.payments(orderId).map((payment) => [payment.PaymentStatus, payment.Amount]),
      [['Failed', amount]],
      `${orderId}: payment Failed for ${amount}`,
    );
    t.same(o.releases(orderId), [], `${orderId}: not released`);
    t.same(
      o.of(createOf(orderId)).filter((line) => line.topic.endsWith('.dlq')),
      [],
      `${orderId}: no dead letter (the record itself was valid)`,
    );
  }
  const over = 'QC0388-005105';
  t.same(
    steps(o.statuses(over)),
    [
      [null, 1000],
      [1000, 9000],
    ],
    'discount above subtotal: opened, then cancelled',
  );
  t.equal(o.statuses(over).at(-1)?.Reason, 'DISCOUNT_EXCEEDS_SUBTOTAL');
  t.same(
    o.validations(over).map((result) => [result.Valid, codes(result)]),
    [
      [true, []],
      [false, ['DISCOUNT_EXCEEDS_SUBTOTAL']],
    ],
  );
  const dead = o.of(createOf(over)).filter((line) => line.topic === 'order.create.v1.dlq');
  t.same(
    dead.map((line) => line.headers?.[DlqHeaders.code]),
    ['DISCOUNT_EXCEEDS_SUBTOTAL'],
    'the create record is dead-lettered',
  );
  t.same(o.payments(over), [], 'never reached COD');
  t.same(o.releases(over), []);
});

t.test('(b) updates before release cancel or modify; after release they are ORDER_LOCKED', async (t) => {
  const o = await outputs();

  const cancelled = 'QC0107-003108';
  t.same(
    o
      .of(updateOf(cancelled), cancelled)
      .map((line) => [
        line.topic,
        (line.value as { ToStatus?: number; PaymentStatus?: string }).ToStatus ?? (line.value as PaymentEvent).PaymentStatus,
      ]),
    [
      ['order.payment.v1', 'Reversed'],
      ['order.status.v1', 9000],
    ],
    'CANCEL: COD reversed, 2000 → 9000',
  );
  t.equal(o.statuses(cancelled).at(-1)?.Reason, 'CANCELLED: customer ordered twice');
  t.same(o.releases(cancelled), [], 'a cancelled order is never released');

  const modified = 'QC0215-004108';
  t.same(
    o.of(updateOf(modified), modified).map((line) => [line.topic, (line.value as PaymentEvent).Amount]),
    [['order.payment.v1', '231.5300']],
    'MODIFY lines: the new total is accepted for COD, nothing else yet',
  );
  const [release] = o.releases(modified);
  t.same(
    release?.ReleaseLines.map((line) => [line.ItemID, line.Quantity]),
    [
      ['SKU-900', 1],
      ['SKU-101', 2],
    ],
    'released with the new lines',
  );
  t.equal(release?.OrderTotal, '231.5300');

  const moved = 'QC0388-005106';
  t.same(o.of(updateOf(moved), moved), [], 'MODIFY address within the served area: accepted silently');
  t.equal(o.releases(moved)[0]?.OrderTotal, '189.0000', 'then released as before');

  const away = 'QC0042-001209';
  const awayOut = o.of(updateOf(away), away);
  t.same(
    codes(awayOut.find((line) => line.topic === 'order.validation.v1')?.value as ValidationResult),
    ['COD_AREA_NOT_SERVED'],
    'MODIFY address out of the service area fails COD',
  );
  t.same(
    o.payments(away).map((payment) => payment.PaymentStatus),
    ['5000', 'Reversed'],
  );
  t.same(steps(o.statuses(away)), [
    [null, 1000],
    [1000, 2000],
    [2000, 9000],
  ]);
  t.same(o.releases(away), []);

  for (const [orderId, action] of [
    ['QC0042-001201', 'CANCEL'],
    ['QC0042-001206', 'MODIFY'],
  ] as const) {
    const index = updateOf(orderId);
    t.equal((inputs[index]!.value as { Action: string }).Action, action);
    const releasedAt = o.all.findIndex((line) => line.topic === 'order.release.v1' && orderIdOf(line.value) === orderId);
    const updateAt = o.all.indexOf(o.byInput[index]![0]!);
    t.ok(releasedAt >= 0 && releasedAt < updateAt, `${orderId}: released before the ${action} arrives`);
    const produced = o.of(index);
    t.same(
      produced.map((line) => line.topic),
      ['order.update.v1.dlq', 'order.validation.v1'],
      `${action} after release: a dead letter and a validation record`,
    );
    t.same(codes(produced[1]?.value as ValidationResult), ['ORDER_LOCKED']);
    t.equal(produced[0]?.headers?.[DlqHeaders.code], 'ORDER_LOCKED');
    t.equal(produced[0]?.headers?.[DlqHeaders.topic], 'order.update.v1');
    t.equal(o.statuses(orderId).at(-1)?.ToStatus, 3000, `${orderId}: stays released`);
  }

  const unknown = o.of(updateOf('QC0388-009999'), 'QC0388-009999');
  t.same(
    unknown.map((line) => line.topic),
    ['order.update.v1.dlq', 'order.validation.v1'],
    'an update of an unknown order is rejected',
  );
  t.same(codes(unknown[1]?.value as ValidationResult), ['ORDER_NOT_FOUND']);
  t.equal(unknown[0]?.headers?.[DlqHeaders.code], 'ORDER_NOT_FOUND');
});

t.test('(b) the stock count makes a later order oversell: one low-stock event', async (t) => {
  const o = await outputs();
  const lowStock = o.all.filter((line) => line.topic === 'inventory.low-stock.v1');
  t.equal(lowStock.length, 1);
  t.same(lowStock[0]?.value, {
    ShipFromLocationID: 'QC0388',
    ItemID: 'SKU-700',
    OnHand: 2,
    Allocated: 3,
    OrderID: 'QC0388-005107',
    At: '2026-11-21T09:12:20.000Z',
  });
  t.ok(o.of(createOf('QC0388-005107')).includes(lowStock[0]!), 'raised while allocating that order');
  t.equal(o.releases('QC0388-005107').length, 1, 'overselling never blocks the order');
});

t.test('(c) the CLI writes the same lines; a line that is not JSON exits 1 naming it', async (t) => {
  const cli = spawnSync(process.execPath, [OMNIA, 'replay', '--input', INPUT], { env: ENV, encoding: 'utf8' });
  t.equal(cli.status, 0, cli.stderr);
  const actual = cli.stdout.split('\n');
  const expected = expectedText.split('\n');
  const first = actual.findIndex((line, i) => line !== expected[i]);
  t.equal(
    first,
    -1,
    first < 0
      ? 'stdout equals expected.jsonl'
      : `first difference at stdout line ${first + 1}:\n  expected: ${expected[first]}\n  actual:   ${actual[first]}`,
  );
  t.equal(actual.length, expected.length, 'as many lines as expected.jsonl');
  t.match(cli.stderr, /omnia replay: 72 input records, 178 output records/);

  const dir = t.testdir({
    'bad.jsonl': `${inputText.split('\n')[0]}\n{"topic":"order.create.v1","key":"QC0042","value":{"OrderID":\n`,
  });
  const bad = spawnSync(process.execPath, [OMNIA, 'replay', '--input', join(dir, 'bad.jsonl')], { env: ENV, encoding: 'utf8' });
  t.equal(bad.status, 1, 'exit code 1');
  t.match(bad.stderr, /^omnia replay: line 2: not JSON \(.+\)\n$/, 'the message names the line and says it is not JSON');
  t.equal(bad.stdout, '', 'the reference record before it produced nothing, and the replay stopped at the broken line');
});
