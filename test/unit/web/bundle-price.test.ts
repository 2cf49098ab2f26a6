import t from 'tap';
import { groupPrice } from '../../../web/src/logic/bundle-price.js';

t.test("a bundle group's list price, bundle price and saving, exact to the 4th decimal", async (t) => {
  // Contract §5: 2 × 35.5000 coffee and 1 × 45.0000 croissant, one coffee-set instance (FIXED 69.0000).
  t.same(
    groupPrice([
      { lineAmount: '71.0000', lineDiscount: '5.0714' },
      { lineAmount: '45.0000', lineDiscount: '6.4286' },
    ]),
    { listPrice: '116.0000', bundlePrice: '104.5000', saving: '11.5000' },
  );
  // PERCENT_OFF 15 on 80.5000: the discount has all four decimals.
  t.same(
    groupPrice([
      { lineAmount: '35.5000', lineDiscount: '5.3250' },
      { lineAmount: '45.0000', lineDiscount: '6.7500' },
    ]),
    { listPrice: '80.5000', bundlePrice: '68.4250', saving: '12.0750' },
  );
  t.same(
    groupPrice([
      { lineAmount: '0.1000', lineDiscount: '0.0000' },
      { lineAmount: '0.2000', lineDiscount: '0.0000' },
    ]),
    { listPrice: '0.3000', bundlePrice: '0.3000', saving: '0.0000' },
    'no float: 0.1 + 0.2 is 0.3, and a bundle priced above its list value saves nothing',
  );
  t.same(
    groupPrice([
      { lineAmount: '99999999999999.9999', lineDiscount: '0.0001' },
      { lineAmount: '99999999999999.9999', lineDiscount: '0.0000' },
    ]),
    { listPrice: '199999999999999.9998', bundlePrice: '199999999999999.9997', saving: '0.0001' },
    'past what a double holds exactly',
  );
});

t.test("a line's own discount larger than its amount: the group may cost less than nothing, said as it is", async (t) => {
  t.same(groupPrice([{ lineAmount: '10.0000', lineDiscount: '12.0500' }]), {
    listPrice: '10.0000',
    bundlePrice: '-2.0500',
    saving: '12.0500',
  });
  t.same(groupPrice([{ lineAmount: '0.0000', lineDiscount: '0.0000' }])?.bundlePrice, '0.0000', 'never "-0.0000"');
});

t.test('nothing rather than a wrong sum', async (t) => {
  t.equal(groupPrice([]), undefined, 'no lines');
  t.equal(groupPrice([{ lineAmount: '10.00', lineDiscount: '0.0000' }]), undefined, 'not the API’s 4 decimals');
  t.equal(groupPrice([{ lineAmount: '10.0000', lineDiscount: '1e2' }]), undefined);
});
