import t from 'tap';
import { DEFAULT_COD_CONFIG, isInServiceArea, validateCod } from '../../../processors/domain/cod.js';
import type { ValidationError } from '../../../processors/domain/types.js';
import { customer } from './fixtures.js';

const codes = (errors: ValidationError[]) => errors.map((error) => error.Code);
const address = { PostalCode: '10110' };

t.test('an order in range, in the area, for an eligible customer passes', async (t) => {
  t.same(validateCod({ OrderTotal: '90.6200', DeliveryAddress: address, Customer: customer() }), []);
  t.same(validateCod({ OrderTotal: '90.6200', DeliveryAddress: address }), [], 'no known customer');
});

t.test('defaults are 1.0000 to 5000.0000, both inclusive', async (t) => {
  t.same(DEFAULT_COD_CONFIG, { codMin: '1.0000', codMax: '5000.0000', codServiceArea: [] });
  for (const total of ['1.0000', '1', '5000.0000']) t.same(validateCod({ OrderTotal: total, DeliveryAddress: address }), [], total);
  for (const total of ['0.9999', '5000.0001', '0', '-1']) {
    const errors = validateCod({ OrderTotal: total, DeliveryAddress: address });
    t.same(codes(errors), ['COD_AMOUNT_OUT_OF_RANGE'], total);
    t.equal(errors[0]?.Field, 'OrderTotal');
  }
  t.match(validateCod({ OrderTotal: '5000.0001', DeliveryAddress: address })[0]?.Message, /5000\.0001.*1\.0000–5000\.0000/);
  t.same(codes(validateCod({ OrderTotal: 'abc', DeliveryAddress: address })), ['COD_AMOUNT_OUT_OF_RANGE']);
});

t.test('configured bounds replace the defaults', async (t) => {
  const config = { codMin: '100', codMax: '200', codServiceArea: [] };
  t.same(codes(validateCod({ OrderTotal: '99.9999', DeliveryAddress: address }, config)), ['COD_AMOUNT_OUT_OF_RANGE']);
  t.same(validateCod({ OrderTotal: '200', DeliveryAddress: address }, config), []);
});

t.test('service area: postal-code prefixes; empty serves all', async (t) => {
  t.ok(isInServiceArea('10110', []));
  t.ok(isInServiceArea(undefined, []), 'an empty area serves even a missing code');
  t.ok(isInServiceArea('10110', ['20', '101']));
  t.ok(isInServiceArea('10 110', ['101']), 'compared as digits');
  t.notOk(isInServiceArea('20110', ['101']));
  t.notOk(isInServiceArea('', ['101']));
  t.notOk(isInServiceArea(null, ['101']));
  const errors = validateCod(
    { OrderTotal: '50', DeliveryAddress: { PostalCode: '50200' } },
    { ...DEFAULT_COD_CONFIG, codServiceArea: ['10', '11'] },
  );
  t.same(codes(errors), ['COD_AREA_NOT_SERVED']);
  t.equal(errors[0]?.Field, 'DeliveryAddress.PostalCode');
  t.match(errors[0]?.Message, /"50200"/);
});

t.test('a known customer must be CodEligible', async (t) => {
  const errors = validateCod({ OrderTotal: '50', DeliveryAddress: address, Customer: customer({ CodEligible: false }) });
  t.same(codes(errors), ['COD_CUSTOMER_INELIGIBLE']);
  t.match(errors[0]?.Message, /"C-1001"/);
});

t.test('a known customer’s CodLimit bounds the OrderTotal, inclusive; null is no limit; junk fails closed', async (t) => {
  t.same(validateCod({ OrderTotal: '3000.0000', DeliveryAddress: address, Customer: customer() }), []);
  const over = validateCod({ OrderTotal: '3000.0001', DeliveryAddress: address, Customer: customer() });
  t.same(codes(over), ['COD_CUSTOMER_INELIGIBLE']);
  t.match(over[0]?.Message, /3000\.0001.*3000\.0000/);
  t.same(validateCod({ OrderTotal: '4999', DeliveryAddress: address, Customer: customer({ CodLimit: null }) }), []);
  t.same(codes(validateCod({ OrderTotal: '10', DeliveryAddress: address, Customer: customer({ CodLimit: 'lots' }) })), [
    'COD_CUSTOMER_INELIGIBLE',
  ]);
});

t.test('every COD check failing at once reports each', async (t) => {
  const errors = validateCod(
    { OrderTotal: '6000', DeliveryAddress: { PostalCode: '50200' }, Customer: customer({ CodEligible: false, CodLimit: '100' }) },
    { ...DEFAULT_COD_CONFIG, codServiceArea: ['10'] },
  );
  t.same(codes(errors), ['COD_AMOUNT_OUT_OF_RANGE', 'COD_AREA_NOT_SERVED', 'COD_CUSTOMER_INELIGIBLE', 'COD_CUSTOMER_INELIGIBLE']);
  t.ok(errors.every((error) => error.Rule === '—' && error.Message.length > 0));
});
