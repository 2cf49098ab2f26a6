import t from 'tap';
import { detailText, refusalKeys } from '../../../web/src/detail-i18n.js';
import { REFUSAL_CODES, refusalsOf, type RefusalEntry } from '../../../web/src/logic/refusal.js';

const opened: RefusalEntry = { from: null, to: 1000, reason: 'VALIDATED', source: 'validate', at: '2026-11-21T09:00:00.000Z' };
const allocated: RefusalEntry = { from: 1000, to: 2000, reason: 'FORCE_ALLOCATED', source: 'allocate', at: '2026-11-21T09:00:00.000Z' };

t.test('an order the COD rules refused: its code, known, and when', async (t) => {
  const history: RefusalEntry[] = [
    opened,
    allocated,
    { from: 2000, to: 9000, reason: 'COD_AMOUNT_OUT_OF_RANGE', source: 'pay', at: '2026-11-21T09:00:01.000Z' },
  ];
  t.same(refusalsOf(history), [{ code: 'COD_AMOUNT_OUT_OF_RANGE', known: 'COD_AMOUNT_OUT_OF_RANGE', at: '2026-11-21T09:00:01.000Z' }]);
});

t.test('an order that could not be priced, and a change the COD rules refused', async (t) => {
  t.same(
    refusalsOf([opened, { from: 1000, to: 9000, reason: 'DISCOUNT_EXCEEDS_SUBTOTAL', source: 'calculate', at: 'T' }]).map((r) => r.known),
    ['DISCOUNT_EXCEEDS_SUBTOTAL'],
  );
  const modified = { from: 2000, to: 2000, reason: 'MODIFIED: two more', source: 'update', at: 'T1' };
  t.same(
    refusalsOf([opened, allocated, modified, { from: 2000, to: 9000, reason: 'COD_CUSTOMER_INELIGIBLE', source: 'pay', at: 'T2' }]).map(
      (r) => r.code,
    ),
    ['COD_CUSTOMER_INELIGIBLE'],
  );
});

t.test('a code the app has no words for is still shown, as it is', async (t) => {
  const [refusal] = refusalsOf([opened, { from: 2000, to: 9000, reason: 'COD_SOMETHING_NEW', source: 'pay', at: 'T' }]);
  t.same(refusal, { code: 'COD_SOMETHING_NEW', known: undefined, at: 'T' });
  t.same(refusalKeys(refusal!.known), { what: 'refusal.other.what', fix: 'refusal.other.fix' });
  t.match(detailText('en', 'refusal.other.what', { code: refusal!.code }), /COD_SOMETHING_NEW/);
  t.match(detailText('th', 'refusal.other.what', { code: refusal!.code }), /COD_SOMETHING_NEW/);
});

t.test('not a refusal: a cancel by a person, every line short, a delivered order', async (t) => {
  t.same(
    refusalsOf([opened, allocated, { from: 2000, to: 9000, reason: 'CANCELLED: customer changed mind', source: 'update', at: 'T' }]),
    [],
  );
  t.same(refusalsOf([opened, allocated, { from: 3000, to: 9000, reason: 'ALL_LINES_SHORT', source: 'slick', at: 'T' }]), []);
  t.same(refusalsOf([opened, allocated, { from: 7400, to: 7500, reason: 'DELIVERED', source: 'grab', at: 'T' }]), []);
  t.same(refusalsOf([opened, { from: 1000, to: 9000, reason: null, source: 'pay', at: 'T' }]), [], 'no reason, nothing to say');
  t.same(
    refusalsOf([{ from: 9000, to: 9000, reason: 'COD_AREA_NOT_SERVED', source: 'pay', at: 'T' }]),
    [],
    'a note on a cancelled order is not a second refusal',
  );
  t.same(refusalsOf([]), []);
});

t.test('every known code has its words and its fix, in both languages', async (t) => {
  for (const code of REFUSAL_CODES) {
    const keys = refusalKeys(code);
    for (const lang of ['en', 'th'] as const) {
      for (const key of [keys.what, keys.fix]) {
        const text = detailText(lang, key);
        t.ok(text.length > 20, `${code} ${key} (${lang}) says something`);
        t.notMatch(text, /[A-Z]{3,}_[A-Z]/, `${code} ${key} (${lang}) in words, not codes`);
      }
    }
    t.not(detailText('th', keys.fix), detailText('en', keys.fix), `${code}: the Thai is Thai`);
  }
});
