// The customer messages: every event in Thai and English, word for word; money exactly as recorded; the reasons a
// customer may read; dates in the business time zone.
import t from 'tap';
import { dueNotifications, NOTIFICATION_EVENTS, type DueNotification } from '../../../connectors/notifications/events.js';
import { baht, cancelReason, formatAmount, formatWhen, renderMessage } from '../../../connectors/notifications/templates.js';
import { stateThrough, T0 } from './notification-fixtures.js';

const LINK = 'https://track.omnia.example/track/abc.def';
const TZ = 'Asia/Bangkok';

t.test('money: grouped, never rounded, never a float', async (t) => {
  const cases: Array<[string, string]> = [
    ['0', '0.00'],
    ['0.0000', '0.00'],
    ['0.0001', '0.0001'],
    ['5', '5.00'],
    ['90.6200', '90.62'],
    ['1234.5000', '1,234.50'],
    ['1234.5650', '1,234.565'],
    ['222.4150', '222.415'],
    ['1000000.0000', '1,000,000.00'],
    ['999999999999.9999', '999,999,999,999.9999'],
    ['0.1000', '0.10'],
    ['-5.2500', '-5.25'],
    ['-0.0000', '0.00'],
    ['007.5', '7.50'],
  ];
  for (const [amount, shown] of cases) t.equal(formatAmount(amount), shown, `${amount} → ${shown}`);
  t.equal(baht('4999.9999'), '฿4,999.9999', 'baht sign');
  t.equal(formatAmount('abc'), 'abc', 'not an amount: as it is');
});

t.test('dates: local to the business time zone, Thai in the Buddhist era', async (t) => {
  t.equal(formatWhen('2026-11-21T11:00:00Z', 'th', TZ), '21 พ.ย. 2569 18:00');
  t.equal(formatWhen('2026-11-21T11:00:00Z', 'en', TZ), '21 Nov 2026, 18:00');
  t.equal(formatWhen('2026-11-21T23:30:00Z', 'en', TZ), '22 Nov 2026, 06:30', 'the next local day');
  t.equal(formatWhen('2026-11-21T11:00:00Z', 'en', 'UTC'), '21 Nov 2026, 11:00');
});

/** The one due notification of `event` for a state that went all the way. */
function dueOf(event: DueNotification['event']) {
  const statuses =
    event === 'CANCELLED' ? ([1000, 2000, 3000, 9000] as const) : ([1000, 2000, 3000, 7000, 7100, 7200, 7300, 7400, 7300, 7500] as const);
  const state = stateThrough([...statuses], {
    reason: 'CANCELLED: Out of stock',
    PaymentStatus: 'Collected',
    CollectedAmount: '1234.5650',
    CollectedAt: new Date(T0 + 3_600_000).toISOString(),
  });
  const due = dueNotifications(state).find((entry) => entry.event === event);
  if (!due) throw new Error(`no ${event}`);
  return { due, state };
}

const expected: Record<DueNotification['event'], { th: string; en: string }> = {
  ORDER_CONFIRMED: {
    th: `Omnia: ยืนยันคำสั่งซื้อ QC0042-000123 แล้ว ร้านกำลังจัดเตรียมสินค้า ยอดชำระปลายทาง ฿90.62 ติดตามได้ที่ ${LINK}`,
    en: `Omnia: your order QC0042-000123 is confirmed and the store is preparing it. Cash on delivery: ฿90.62. Track it: ${LINK}`,
  },
  SHIPPED: {
    th: `Omnia: คำสั่งซื้อ QC0042-000123 จัดส่งแล้วกับ Grab หมายเลขพัสดุ GRB-554433 คาดว่าจะได้รับ 21 พ.ย. 2569 18:00 ติดตามได้ที่ ${LINK}`,
    en: `Omnia: order QC0042-000123 has shipped with Grab, tracking number GRB-554433. Expected 21 Nov 2026, 18:00. Track it: ${LINK}`,
  },
  OUT_FOR_DELIVERY: {
    th: `Omnia: Grab กำลังนำส่งคำสั่งซื้อ QC0042-000123 วันนี้ กรุณาเตรียมเงินสด ฿90.62 ติดตามได้ที่ ${LINK}`,
    en: `Omnia: order QC0042-000123 is out for delivery with Grab today. Please have ฿90.62 ready in cash. Track it: ${LINK}`,
  },
  DELIVERY_FAILED: {
    th: `Omnia: Grab ส่งคำสั่งซื้อ QC0042-000123 ไม่สำเร็จ จะนำส่งอีกครั้งในรอบถัดไป หากต้องการนัดเวลาใหม่ โปรดติดต่อ Grab แจ้งหมายเลขพัสดุ GRB-554433 ติดตามได้ที่ ${LINK}`,
    en: `Omnia: Grab could not deliver order QC0042-000123. They will try again on the next round; to arrange another time, contact Grab with tracking number GRB-554433. Track it: ${LINK}`,
  },
  DELIVERED: {
    th: `Omnia: คำสั่งซื้อ QC0042-000123 จัดส่งถึงแล้ว ขอบคุณที่ใช้บริการ ติดตามได้ที่ ${LINK}`,
    en: `Omnia: order QC0042-000123 has been delivered. Thank you for shopping with us. Track it: ${LINK}`,
  },
  CANCELLED: {
    th: 'Omnia: คำสั่งซื้อ QC0042-000123 ถูกยกเลิกแล้ว: สินค้าหมด ไม่มีค่าใช้จ่ายใดๆ',
    en: 'Omnia: order QC0042-000123 was cancelled: an item is out of stock. Nothing is due.',
  },
  COD_RECEIPT: {
    th: 'Omnia: ได้รับเงินสด ฿1,234.565 สำหรับคำสั่งซื้อ QC0042-000123 เมื่อ 21 พ.ย. 2569 17:15 ขอบคุณที่ใช้บริการ',
    en: 'Omnia: we received ฿1,234.565 in cash for order QC0042-000123 on 21 Nov 2026, 17:15. Thank you.',
  },
};

t.test('every event in Thai and English, word for word', async (t) => {
  for (const event of NOTIFICATION_EVENTS) {
    const { due, state } = dueOf(event);
    const link = event === 'CANCELLED' || event === 'COD_RECEIPT' ? null : LINK;
    for (const language of ['th', 'en'] as const)
      t.equal(renderMessage(due, state, { language, timeZone: TZ, link }), expected[event][language], `${event} ${language}`);
  }
});

t.test('what a message leaves out when the order does not have it', async (t) => {
  const state = stateThrough([1000, 2000, 3000, 7000], { TrackingID: null, EstimatedDelivery: null, Carrier: 'KERRY' });
  const shipped = dueNotifications(state).find((due) => due.event === 'SHIPPED')!;
  t.equal(
    renderMessage(shipped, state, { language: 'en', timeZone: TZ, link: null }),
    'Omnia: order QC0042-000123 has shipped with KERRY.',
  );
  t.equal(renderMessage(shipped, state, { language: 'th', timeZone: TZ, link: null }), 'Omnia: คำสั่งซื้อ QC0042-000123 จัดส่งแล้วกับ KERRY');
  const pmp = stateThrough([1000, 2000, 3000, 7000], { Carrier: 'PMP' });
  t.match(
    renderMessage(shipped, pmp, { language: 'en', timeZone: TZ, link: null }),
    /with Thailand Post \(PMP\), tracking number GRB-554433/,
  );
  const prepaid = stateThrough([1000, 2000, 3000], { Order: { ...pmp.Order, PaymentMethod: 'CARD' } });
  const confirmed = dueNotifications(prepaid)[0]!;
  t.equal(
    renderMessage(confirmed, prepaid, { language: 'en', timeZone: TZ, link: null }),
    'Omnia: your order QC0042-000123 is confirmed and the store is preparing it.',
    'no cash line for an order not paid on delivery',
  );
});

t.test('cancellation reasons the customer may read; a clerk’s own words stay in the store', async (t) => {
  t.equal(cancelReason('CANCELLED: Customer asked to cancel', 'en'), 'at your request');
  t.equal(cancelReason('CANCELLED: Customer asked to cancel', 'th'), 'ตามคำขอของคุณ');
  t.equal(cancelReason('CANCELLED: Duplicate order', 'en'), 'it was a duplicate order');
  t.equal(cancelReason('ALL_LINES_SHORT', 'en'), 'the items are out of stock');
  t.equal(cancelReason('COD_AMOUNT_OUT_OF_RANGE', 'th'), 'ยอดสั่งซื้อนี้ไม่สามารถชำระเงินปลายทางได้');
  t.equal(cancelReason('COD_AREA_NOT_SERVED', 'en'), 'cash on delivery is not available at the delivery address');
  t.equal(cancelReason('COD_CUSTOMER_INELIGIBLE', 'en'), 'cash on delivery is not available for this account');
  t.equal(cancelReason('DISCOUNT_EXCEEDS_SUBTOTAL', 'en'), 'the order could not be priced');
  t.equal(
    cancelReason('CANCELLED: Somchai at the counter said the customer was rude', 'en'),
    'the store cancelled it',
    'free text is not forwarded',
  );
  t.equal(cancelReason('CANCELLED', 'th'), 'ร้านค้ายกเลิกคำสั่งซื้อ');
  t.equal(cancelReason(null, 'en'), 'the store cancelled it');
});
