/**
 * The messages, in Thai and English: one template per event, filled from the order's state. Pure.
 *
 * - Money is written exactly as recorded, never rounded and never through a float: two decimals at least, the
 *   third and fourth only when they are not zero ("1234.5000" → "฿1,234.50", "222.4150" → "฿222.415"), so a
 *   receipt states the very cash on record.
 * - Times are local to the business time zone; Thai dates in the Thai (Buddhist era) calendar, as Thai readers
 *   expect ("6 ธ.ค. 2569 14:30"), English ones as "6 Dec 2026, 14:30".
 * - A cancellation says why only in words the customer can read: the store's preset reasons and the pipeline's
 *   codes are translated; a reason a clerk typed freely stays in the store (it may name staff) and the message says
 *   only that the store cancelled it.
 * - Every message but the receipt carries the tracking link (the delivered one too: it works for `linkDays` after).
 */
import type { OrderState } from '../../processors/order-state.js';
import type { DueNotification } from './events.js';

export const LANGUAGES = ['th', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const isLanguage = (value: unknown): value is Language => value === 'th' || value === 'en';

/** "1234.5650" → "1,234.565": grouped, at least two decimals, no rounding. The text as given when it is not money. */
export function formatAmount(value: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) return value;
  const whole = match[2]!.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = (match[3] ?? '').replace(/0+$/, '').padEnd(2, '0');
  const zero = /^[0,]*$/.test(whole) && /^0*$/.test(fraction);
  return `${match[1] && !zero ? '-' : ''}${whole}.${fraction}`;
}

export const baht = (value: string): string => `฿${formatAmount(value)}`;

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** A local date and time for a message: "6 ธ.ค. 2569 14:30" / "6 Dec 2026, 14:30". */
export function formatWhen(iso: string, language: Language, timeZone: string): string {
  const key = `${language}|${timeZone}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(language === 'th' ? 'th-TH' : 'en-GB', {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    dateFormats.set(key, format);
  }
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : format.format(at);
}

const CARRIERS: Readonly<Record<string, Readonly<Record<Language, string>>>> = {
  GRAB: { th: 'Grab', en: 'Grab' },
  PMP: { th: 'ไปรษณีย์ไทย (PMP)', en: 'Thailand Post (PMP)' },
};

export const carrierName = (carrier: string | null, language: Language): string =>
  carrier ? (CARRIERS[carrier]?.[language] ?? carrier) : language === 'th' ? 'ผู้ให้บริการขนส่ง' : 'the carrier';

/** Reasons a customer may read: the store app's presets (sent in English) and the pipeline's codes. */
const REASONS: Readonly<Record<string, Readonly<Record<Language, string>>>> = {
  'Customer asked to cancel': { th: 'ตามคำขอของคุณ', en: 'at your request' },
  'Out of stock': { th: 'สินค้าหมด', en: 'an item is out of stock' },
  'Duplicate order': { th: 'เป็นคำสั่งซื้อซ้ำ', en: 'it was a duplicate order' },
  ALL_LINES_SHORT: { th: 'สินค้าหมด', en: 'the items are out of stock' },
  COD_AMOUNT_OUT_OF_RANGE: {
    th: 'ยอดสั่งซื้อนี้ไม่สามารถชำระเงินปลายทางได้',
    en: 'cash on delivery is not available for this order total',
  },
  COD_AREA_NOT_SERVED: {
    th: 'พื้นที่จัดส่งนี้ยังไม่รองรับการชำระเงินปลายทาง',
    en: 'cash on delivery is not available at the delivery address',
  },
  COD_CUSTOMER_INELIGIBLE: {
    th: 'บัญชีนี้ไม่สามารถชำระเงินปลายทางได้',
    en: 'cash on delivery is not available for this account',
  },
  DISCOUNT_EXCEEDS_SUBTOTAL: { th: 'ไม่สามารถคิดราคาคำสั่งซื้อได้', en: 'the order could not be priced' },
};

const STORE_CANCELLED: Readonly<Record<Language, string>> = { th: 'ร้านค้ายกเลิกคำสั่งซื้อ', en: 'the store cancelled it' };

/** The reason of a 9000 as the customer reads it: `CANCELLED: Out of stock` → "an item is out of stock". */
export function cancelReason(reason: string | null, language: Language): string {
  const text = (reason ?? '').replace(/^CANCELLED:\s*/, '').trim();
  return REASONS[text]?.[language] ?? STORE_CANCELLED[language];
}

export interface MessageContext {
  readonly language: Language;
  readonly timeZone: string;
  /** The order's tracking link (null: none is sent). */
  readonly link: string | null;
}

const trackEn = (link: string | null) => (link ? ` Track it: ${link}` : '');
const trackTh = (link: string | null) => (link ? ` ติดตามได้ที่ ${link}` : '');

/** The text of one message, as the customer receives it. */
export function renderMessage(due: DueNotification, state: OrderState, context: MessageContext): string {
  const { language: lang, timeZone, link } = context;
  const id = due.orderId;
  const th = lang === 'th';
  const carrier = carrierName(state.Carrier ?? null, lang);
  const tracking = state.TrackingID ?? null;
  const eta = state.EstimatedDelivery ? formatWhen(state.EstimatedDelivery, lang, timeZone) : null;
  const cod = state.Order.PaymentMethod === 'COD' ? (state.Totals?.OrderTotal ?? null) : null;
  switch (due.event) {
    case 'ORDER_CONFIRMED':
      return th
        ? `Omnia: ยืนยันคำสั่งซื้อ ${id} แล้ว ร้านกำลังจัดเตรียมสินค้า${cod ? ` ยอดชำระปลายทาง ${baht(cod)}` : ''}${trackTh(link)}`
        : `Omnia: your order ${id} is confirmed and the store is preparing it.${cod ? ` Cash on delivery: ${baht(cod)}.` : ''}${trackEn(link)}`;
    case 'SHIPPED':
      return th
        ? `Omnia: คำสั่งซื้อ ${id} จัดส่งแล้วกับ ${carrier}${tracking ? ` หมายเลขพัสดุ ${tracking}` : ''}${eta ? ` คาดว่าจะได้รับ ${eta}` : ''}${trackTh(link)}`
        : `Omnia: order ${id} has shipped with ${carrier}${tracking ? `, tracking number ${tracking}` : ''}.${eta ? ` Expected ${eta}.` : ''}${trackEn(link)}`;
    case 'OUT_FOR_DELIVERY':
      return th
        ? `Omnia: ${carrier} กำลังนำส่งคำสั่งซื้อ ${id} วันนี้${cod ? ` กรุณาเตรียมเงินสด ${baht(cod)}` : ''}${trackTh(link)}`
        : `Omnia: order ${id} is out for delivery with ${carrier} today.${cod ? ` Please have ${baht(cod)} ready in cash.` : ''}${trackEn(link)}`;
    case 'DELIVERY_FAILED':
      return th
        ? `Omnia: ${carrier} ส่งคำสั่งซื้อ ${id} ไม่สำเร็จ จะนำส่งอีกครั้งในรอบถัดไป หากต้องการนัดเวลาใหม่ โปรดติดต่อ ${carrier}${tracking ? ` แจ้งหมายเลขพัสดุ ${tracking}` : ''}${trackTh(link)}`
        : `Omnia: ${carrier} could not deliver order ${id}. They will try again on the next round; to arrange another time, contact ${carrier}${tracking ? ` with tracking number ${tracking}` : ''}.${trackEn(link)}`;
    case 'DELIVERED':
      return th
        ? `Omnia: คำสั่งซื้อ ${id} จัดส่งถึงแล้ว ขอบคุณที่ใช้บริการ${trackTh(link)}`
        : `Omnia: order ${id} has been delivered. Thank you for shopping with us.${trackEn(link)}`;
    case 'CANCELLED':
      return th
        ? `Omnia: คำสั่งซื้อ ${id} ถูกยกเลิกแล้ว: ${cancelReason(due.reason, lang)} ไม่มีค่าใช้จ่ายใดๆ`
        : `Omnia: order ${id} was cancelled: ${cancelReason(due.reason, lang)}. Nothing is due.`;
    case 'COD_RECEIPT': {
      const amount = baht(state.CollectedAmount ?? '0');
      const when = formatWhen(due.at, lang, timeZone);
      return th
        ? `Omnia: ได้รับเงินสด ${amount} สำหรับคำสั่งซื้อ ${id} เมื่อ ${when} ขอบคุณที่ใช้บริการ`
        : `Omnia: we received ${amount} in cash for order ${id} on ${when}. Thank you.`;
    }
  }
}
