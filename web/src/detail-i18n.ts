/**
 * The order detail's words for the estimated delivery, a bundle group's prices and why an order was refused (each
 * refusal code: what happened and what the clerk does about it), in English and Thai. The same rules as
 * src/i18n.ts: `en` is the list of keys and `th` must have exactly the same ones.
 */
import { useMemo } from 'preact/hooks';
import { fill, type Lang, useI18n, type Vars } from './i18n.js';
import type { RefusalCode } from './logic/refusal.js';

const en = {
  'detail.eta': 'Estimated delivery',
  'detail.bundle.listPrice': 'List price (each item at its own price)',
  'detail.bundle.bundlePrice': 'Bundle price',
  'detail.bundle.saving': 'Customer saves',
  'refusal.title': 'Why this order was cancelled',
  'refusal.lead':
    'The system checked this order and could not accept it, so it cancelled the order by itself. The order never went to the warehouse: there is nothing to pick.',
  'refusal.what': 'What happened',
  'refusal.fix': 'What to do',
  'refusal.COD_AMOUNT_OUT_OF_RANGE.what':
    'The order total is more than cash on delivery allows for one order (or the order costs nothing).',
  'refusal.COD_AMOUNT_OUT_OF_RANGE.fix':
    'Tell the customer. They can order again with fewer items, or split the items into smaller orders that each stay within the cash-on-delivery limit.',
  'refusal.COD_AREA_NOT_SERVED.what':
    'Cash on delivery is not offered at the delivery address: its postal code is outside the area where cash is collected.',
  'refusal.COD_AREA_NOT_SERVED.fix':
    'Check the postal code with the customer. If it was wrong, they can order again with the correct address. If it is right, this address cannot get cash on delivery.',
  'refusal.COD_CUSTOMER_INELIGIBLE.what':
    'This customer cannot pay cash on delivery for this order: their account does not allow it, or the total is above their own limit.',
  'refusal.COD_CUSTOMER_INELIGIBLE.fix':
    'Tell the customer. They can order again for a smaller amount, or contact customer service about their account.',
  'refusal.DISCOUNT_EXCEEDS_SUBTOTAL.what':
    'The discounts on this order were larger than the price of its items, so it could not be priced.',
  'refusal.DISCOUNT_EXCEEDS_SUBTOTAL.fix':
    'Check the coupons or promotions the customer used. They can order again without the extra discount. If a promotion looks wrong, call your regional coordinator.',
  'refusal.other.what': 'The order did not pass a check (code {code}).',
  'refusal.other.fix': 'Call your regional coordinator and give them the order number and this code.',
} satisfies Record<`refusal.${RefusalCode}.${'what' | 'fix'}`, string> & Record<string, string>;

export type DetailMessageKey = keyof typeof en;

const th: Readonly<Record<DetailMessageKey, string>> = {
  'detail.eta': 'คาดว่าจะส่งถึง',
  'detail.bundle.listPrice': 'ราคาปกติ (ราคาสินค้าแยกชิ้น)',
  'detail.bundle.bundlePrice': 'ราคาชุด',
  'detail.bundle.saving': 'ลูกค้าประหยัด',
  'refusal.title': 'เหตุที่คำสั่งซื้อนี้ถูกยกเลิก',
  'refusal.lead': 'ระบบตรวจคำสั่งซื้อนี้แล้วรับไม่ได้ จึงยกเลิกให้โดยอัตโนมัติ คำสั่งซื้อนี้ไม่ได้ส่งไปคลังสินค้า จึงไม่ต้องจัดสินค้า',
  'refusal.what': 'เกิดอะไรขึ้น',
  'refusal.fix': 'ต้องทำอะไร',
  'refusal.COD_AMOUNT_OUT_OF_RANGE.what': 'ยอดรวมของคำสั่งซื้อเกินวงเงินที่เก็บเงินปลายทางได้ต่อหนึ่งคำสั่งซื้อ (หรือยอดรวมเป็นศูนย์)',
  'refusal.COD_AMOUNT_OUT_OF_RANGE.fix': 'แจ้งลูกค้า ลูกค้าสั่งใหม่ได้โดยลดจำนวนสินค้า หรือแบ่งเป็นหลายคำสั่งซื้อที่ยอดแต่ละคำสั่งไม่เกินวงเงินเก็บเงินปลายทาง',
  'refusal.COD_AREA_NOT_SERVED.what': 'ที่อยู่จัดส่งนี้ใช้บริการเก็บเงินปลายทางไม่ได้ เพราะรหัสไปรษณีย์อยู่นอกพื้นที่ที่เก็บเงินปลายทาง',
  'refusal.COD_AREA_NOT_SERVED.fix': 'ตรวจรหัสไปรษณีย์กับลูกค้า หากผิด ลูกค้าสั่งใหม่ได้ด้วยที่อยู่ที่ถูกต้อง หากถูกต้องแล้ว ที่อยู่นี้ใช้บริการเก็บเงินปลายทางไม่ได้',
  'refusal.COD_CUSTOMER_INELIGIBLE.what': 'ลูกค้ารายนี้ชำระแบบเก็บเงินปลายทางสำหรับคำสั่งซื้อนี้ไม่ได้ เพราะบัญชีของลูกค้าไม่อนุญาต หรือยอดรวมเกินวงเงินของลูกค้า',
  'refusal.COD_CUSTOMER_INELIGIBLE.fix': 'แจ้งลูกค้า ลูกค้าสั่งใหม่ได้ในยอดที่น้อยลง หรือติดต่อฝ่ายบริการลูกค้าเรื่องบัญชีของตน',
  'refusal.DISCOUNT_EXCEEDS_SUBTOTAL.what': 'ส่วนลดของคำสั่งซื้อนี้มากกว่าราคาสินค้า ระบบจึงคิดราคาไม่ได้',
  'refusal.DISCOUNT_EXCEEDS_SUBTOTAL.fix': 'ตรวจคูปองหรือโปรโมชันที่ลูกค้าใช้ ลูกค้าสั่งใหม่ได้โดยไม่ใช้ส่วนลดที่เกิน หากโปรโมชันดูผิดปกติ กรุณาโทรหาผู้ประสานงานภาค',
  'refusal.other.what': 'คำสั่งซื้อนี้ไม่ผ่านการตรวจสอบ (รหัส {code})',
  'refusal.other.fix': 'กรุณาโทรหาผู้ประสานงานภาค แจ้งเลขคำสั่งซื้อและรหัสนี้',
};

const dictionaries: Readonly<Record<Lang, Readonly<Record<DetailMessageKey, string>>>> = { en, th };

/** A refusal's two texts: what happened and what to do; a code without words of its own names the code. */
export const refusalKeys = (known: RefusalCode | undefined): { what: DetailMessageKey; fix: DetailMessageKey } =>
  known === undefined
    ? { what: 'refusal.other.what', fix: 'refusal.other.fix' }
    : { what: `refusal.${known}.what`, fix: `refusal.${known}.fix` };

export function useDetailI18n(): (key: DetailMessageKey, vars?: Vars) => string {
  const { lang } = useI18n();
  return useMemo(() => (key: DetailMessageKey, vars?: Vars) => fill(dictionaries[lang][key], vars), [lang]);
}

/** For tests: the text of a key in a language. */
export const detailText = (lang: Lang, key: DetailMessageKey, vars?: Vars): string => fill(dictionaries[lang][key], vars);
