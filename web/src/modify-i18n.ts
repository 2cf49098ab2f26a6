/**
 * The words of the "Change order" dialog that differ from the cancel dialog's, in English and Thai: a refusal
 * of a change says the order can no longer be *changed*, where src/i18n.ts's `error.*` texts speak of
 * cancelling. The same rules as i18n.ts: `en` is the list of keys and `th` must have exactly the same ones.
 */
import { useMemo } from 'preact/hooks';
import { fill, type Lang, useI18n, type Vars } from './i18n.js';

const en = {
  'modify.error.ORDER_LOCKED':
    'This order has already gone to the warehouse, so its items and address can no longer be changed here. If something must change, call your regional coordinator.',
  'modify.addressHint.current':
    'The address the order goes to now. Correct what is different; the postal code is required. The address shown here replaces the old one as a whole.',
  'modify.addressHint.unknown':
    'The current address cannot be read right now. Fill in a new address only if it changes: it replaces the old one as a whole, and the postal code is required.',
  'modify.taxUnknown':
    'The items’ tax rates cannot be read right now, so the quantities cannot be changed. Close this window and try again in a moment; the address can still be changed.',
  'modify.phoneMasked': 'Part of the number is hidden. Leave it as it is to keep it, or type the whole new number.',
  'modify.error.PHONE_MASKED':
    'The phone number still has hidden digits (*). Put it back exactly as it was shown to keep the current number, or type the whole new number.',
};

export type ModifyMessageKey = keyof typeof en;

const th: Readonly<Record<ModifyMessageKey, string>> = {
  'modify.error.ORDER_LOCKED': 'คำสั่งซื้อนี้ส่งให้คลังสินค้าแล้ว จึงแก้ไขสินค้าและที่อยู่จัดส่งที่นี่ไม่ได้อีก หากจำเป็นต้องเปลี่ยน กรุณาโทรหาผู้ประสานงานภาค',
  'modify.addressHint.current': 'ที่อยู่จัดส่งปัจจุบันของคำสั่งซื้อ แก้เฉพาะส่วนที่เปลี่ยน ต้องมีรหัสไปรษณีย์ ที่อยู่ที่แสดงนี้จะใช้แทนที่อยู่เดิมทั้งหมด',
  'modify.addressHint.unknown': 'ขณะนี้อ่านที่อยู่ปัจจุบันไม่ได้ กรอกที่อยู่ใหม่เฉพาะเมื่อที่อยู่เปลี่ยน ที่อยู่ใหม่จะใช้แทนที่อยู่เดิมทั้งหมด และต้องมีรหัสไปรษณีย์',
  'modify.taxUnknown': 'ขณะนี้อ่านอัตราภาษีของสินค้าไม่ได้ จึงเปลี่ยนจำนวนไม่ได้ กรุณาปิดหน้าต่างนี้แล้วลองใหม่ในอีกสักครู่ ส่วนที่อยู่จัดส่งยังแก้ไขได้',
  'modify.phoneMasked': 'เบอร์โทรศัพท์ถูกซ่อนบางส่วน หากไม่เปลี่ยน ให้คงไว้ตามที่แสดง หรือพิมพ์เบอร์ใหม่ให้ครบทุกหลัก',
  'modify.error.PHONE_MASKED': 'เบอร์โทรศัพท์ยังมีตัวเลขที่ถูกซ่อน (*) อยู่ หากต้องการใช้เบอร์เดิม ให้ใส่กลับตามที่แสดงไว้ทุกตัว หรือพิมพ์เบอร์ใหม่ให้ครบทุกหลัก',
};

const dictionaries: Readonly<Record<Lang, Readonly<Record<ModifyMessageKey, string>>>> = { en, th };

/** A refusal of a change with words of its own, or undefined (then the app's `error.*` text applies). */
export const modifyErrorKey = (code: string): ModifyMessageKey | undefined => {
  const key = `modify.error.${code}`;
  return Object.prototype.hasOwnProperty.call(en, key) ? (key as ModifyMessageKey) : undefined;
};

export function useModifyI18n(): (key: ModifyMessageKey, vars?: Vars) => string {
  const { lang } = useI18n();
  return useMemo(() => (key: ModifyMessageKey, vars?: Vars) => fill(dictionaries[lang][key], vars), [lang]);
}
