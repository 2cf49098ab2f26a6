import t from 'tap';
import { exceptionI18n } from '../../../web/src/exceptions-i18n.js';
import { boardAlerts } from '../../../web/src/logic/exceptions.js';
import { itemLabel, LOW_STOCK_ITEMS_SHOWN, lowStockAlert, type LowStockShown } from '../../../web/src/logic/low-stock.js';

const item = (
  itemId: string,
  onHand: number,
  allocated: number,
  lastOrderId: string | null = null,
  description: string | null = null,
): LowStockShown => ({
  itemId,
  description,
  onHand,
  allocated,
  shortUnits: allocated - onHand,
  lastOrderId,
});

t.test('the low-stock alert: the items most short first, the first few named, the rest counted', async (t) => {
  t.equal(lowStockAlert({ total: 0, items: [] }), undefined, 'nothing short: no alert');
  const alert = lowStockAlert({
    total: 5,
    items: [item('SKU-1', 4, 5, 'O-1'), item('SKU-3', 0, 6, 'O-3'), item('SKU-2', 1, 3), item('SKU-0', 2, 4, 'O-0')],
  });
  t.equal(LOW_STOCK_ITEMS_SHOWN, 3, 'the board names three');
  t.same(
    alert && { ...alert, items: alert.items.map((shown) => shown.itemId) },
    {
      kind: 'low-stock',
      count: 5,
      items: ['SKU-3', 'SKU-0', 'SKU-2'],
      more: 2,
    },
    'SKU-3 short by 6 first; SKU-0 before SKU-2 (both short by 2); five in all, two more than named',
  );
  const all = lowStockAlert({ total: 1, items: [item('SKU-9', 0, 1)] });
  t.same(
    [all?.count, all?.more, all?.items[0]?.lastOrderId],
    [1, 0, null],
    'one item short only by a count: named without an order, nothing more',
  );
});

t.test('an item is named by its description and id, or its id alone', async (t) => {
  t.equal(itemLabel(item('SKU-100', 2, 6, null, 'Iced coffee 250 ml')), 'Iced coffee 250 ml (SKU-100)');
  t.equal(itemLabel(item('SKU-100', 2, 6, null, '')), 'SKU-100', 'an empty description is none');
  t.equal(itemLabel(item('SKU-100', 2, 6)), 'SKU-100');
});

t.test('on the board: after the COD orders to check, before releases waiting and stuck statuses', async (t) => {
  const alerts = boardAlerts({
    oldest: { 1000: { orderId: 'O-new', ageSeconds: 24 * 3600 } },
    releases: [{ orderId: 'R-1', refused: true, parked: null, ageSeconds: 60 }],
    exceptions: [{ orderId: 'E-1', open: true, acknowledged: null }],
    lowStock: { total: 1, items: [item('SKU-1', 0, 2, 'O-7')] },
  });
  t.same(
    alerts.map((alert) => alert.kind),
    ['refused', 'cod', 'low-stock', 'stuck'],
    'most urgent first',
  );
  t.same(
    boardAlerts({ oldest: {}, releases: [], exceptions: [], lowStock: { total: 0, items: [] } }),
    [],
    'a store short of nothing: no alert',
  );
  t.same(boardAlerts({ oldest: {}, releases: [], exceptions: [] }), [], 'low stock not read (yet, or an older service): no alert');
});

t.test('the words, in English and Thai', async (t) => {
  const en = exceptionI18n('en');
  const th = exceptionI18n('th');
  t.equal(en.tn('alerts.lowStock', 1), '1 item short on the shelf for the orders to pick');
  t.equal(en.tn('alerts.lowStock', 3), '3 items short on the shelf for the orders to pick');
  t.equal(en.tn('alerts.lowStock.more', 2), 'and 2 more items');
  t.equal(
    en.t('alerts.lowStock.item', { item: 'Iced coffee 250 ml (SKU-100)', onHand: 2, allocated: 6 }),
    'Iced coffee 250 ml (SKU-100): 2 on the shelf, 6 to pick',
  );
  t.equal(th.tn('alerts.lowStock', 3), 'สินค้า 3 รายการมีบนชั้นไม่พอให้หยิบตามคำสั่งซื้อ');
  t.equal(th.t('alerts.lowStock.item', { item: 'SKU-100', onHand: 2, allocated: 6 }), 'SKU-100: บนชั้น 2 ชิ้น ต้องหยิบ 6 ชิ้น');
  t.equal(th.tn('alerts.lowStock.more', 1), 'และอีก 1 รายการ');
});
