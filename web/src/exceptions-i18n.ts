/**
 * The words of exceptions — the board's alerts (low stock included), the decisions on a COD exception or a release
 * Slick has not taken, and the list of those releases — in English and Thai. The same rules as i18n.ts: `en` is the
 * list of keys, `th` must have exactly the same ones (a type error otherwise), `{name}` is filled from the values
 * passed, and `.one` / `.other` keys are the singular and plural of one message.
 */
import { useMemo } from 'preact/hooks';
import { fill, type Lang, useI18n, type Vars } from './i18n.js';

const en = {
  'decision.acknowledge': 'Acknowledge',
  'decision.resolve': 'Resolve',
  'decision.retry': 'Send again',
  'decision.park': 'Park',
  'decision.title.acknowledge': 'Acknowledge order {id}',
  'decision.title.resolve': 'Resolve order {id}',
  'decision.title.retry': 'Send the release of order {id} again',
  'decision.title.park': 'Park the release of order {id}',
  'decision.intro.acknowledge':
    'Say who is on it. The order stays on the list, and is still reported each day, until its cash is reconciled or someone resolves it.',
  'decision.intro.resolve':
    'Say how it was settled: cash received at the store, the partner corrected it, written off. It will no longer be reported each day.',
  'decision.intro.retry': 'Send this release to Slick again once the cause is fixed (an item Slick did not know, a wrong address).',
  'decision.intro.park':
    'Set this release aside on purpose. It stays on the list marked parked, with your reason, until Slick takes it or someone sends it again.',
  'decision.note': 'Note',
  'decision.noteHint': 'Everyone who opens the order will see it, with your name.',
  'decision.problem.empty': 'Write a short note: the next person needs to know why.',
  'decision.problem.tooLong': 'At most 200 characters.',
  'decision.submit.acknowledge': 'Acknowledge',
  'decision.submit.resolve': 'Resolve',
  'decision.submit.retry': 'Send again',
  'decision.submit.park': 'Park',
  'decision.sending': 'Sending…',
  'decision.back': 'Back',
  'decision.done.acknowledge': 'Order {id} acknowledged. The list shows it in a moment.',
  'decision.done.resolve': 'Order {id} resolved. The list shows it in a moment.',
  'decision.done.retry': 'The release of order {id} is being sent to Slick again.',
  'decision.done.park': 'The release of order {id} is parked.',
  'decision.acknowledgedBy': 'Acknowledged by {by}: {note}',
  'decision.resolvedBy': 'Resolved by {by}: {note}',
  'decision.parkedBy': 'Parked by {by}: {note}',
  'alerts.title': 'Needs attention',
  'alerts.none': 'Nothing needs attention.',
  'alerts.refused.one': '{n} release Slick refused: send it again once fixed, or park it',
  'alerts.refused.other': '{n} releases Slick refused: send them again once fixed, or park them',
  'alerts.cod.one': '{n} COD order to check: cash missing or not the order total',
  'alerts.cod.other': '{n} COD orders to check: cash missing or not the order total',
  'alerts.waiting.one': '{n} release waiting for Slick for {age}',
  'alerts.waiting.other': '{n} releases waiting for Slick, the oldest for {age}',
  'alerts.stuck': '{status} for {age}: order {id}',
  'alerts.lowStock.one': '{n} item short on the shelf for the orders to pick',
  'alerts.lowStock.other': '{n} items short on the shelf for the orders to pick',
  'alerts.lowStock.item': '{item}: {onHand} on the shelf, {allocated} to pick',
  'alerts.lowStock.order': 'Order {id}',
  'alerts.lowStock.more.one': 'and {n} more item',
  'alerts.lowStock.more.other': 'and {n} more items',
  'alerts.open': 'Open',
  'alerts.releases': 'Releases waiting for Slick',
  'releases.title': 'Releases waiting for Slick',
  'releases.intro':
    'Released orders Slick has not taken yet. The connector keeps sending each one by itself, except those Slick refused: fix the cause and send them again, or park them with the reason.',
  'releases.loading': 'Loading releases…',
  'releases.none': 'Slick has every release of this store.',
  'releases.col.order': 'Order',
  'releases.col.released': 'Released',
  'releases.col.state': 'State',
  'releases.col.actions': 'Actions',
  'releases.state.refused': 'Refused by Slick (HTTP {status}): set aside',
  'releases.state.sending': 'Being sent: {outcome}',
  'releases.state.notCalled': 'Not sent yet',
  'releases.ago': '{age} ago',
  'releases.calls.one': '{n} call',
  'releases.calls.other': '{n} calls',
};

export type ExceptionMessageKey = keyof typeof en;

const th: Record<ExceptionMessageKey, string> = {
  'decision.acknowledge': 'รับทราบ',
  'decision.resolve': 'ปิดเรื่อง',
  'decision.retry': 'ส่งใหม่',
  'decision.park': 'พักไว้',
  'decision.title.acknowledge': 'รับทราบคำสั่งซื้อ {id}',
  'decision.title.resolve': 'ปิดเรื่องคำสั่งซื้อ {id}',
  'decision.title.retry': 'ส่งใบปล่อยสินค้าของคำสั่งซื้อ {id} ใหม่',
  'decision.title.park': 'พักใบปล่อยสินค้าของคำสั่งซื้อ {id}',
  'decision.intro.acknowledge': 'ระบุว่าใครกำลังดูแลเรื่องนี้ คำสั่งซื้อยังอยู่ในรายการและยังถูกรายงานทุกวัน จนกว่าเงินจะกระทบยอดได้หรือมีคนปิดเรื่อง',
  'decision.intro.resolve': 'ระบุว่าจบเรื่องอย่างไร เช่น รับเงินที่ร้านแล้ว ผู้ให้บริการขนส่งแก้ไขแล้ว หรือตัดเป็นค่าใช้จ่าย จะไม่ถูกรายงานซ้ำทุกวันอีก',
  'decision.intro.retry': 'ส่งใบปล่อยสินค้านี้ให้ Slick อีกครั้ง เมื่อแก้สาเหตุแล้ว (สินค้าที่ Slick ไม่รู้จัก ที่อยู่ผิด)',
  'decision.intro.park': 'พักใบปล่อยสินค้านี้ไว้โดยตั้งใจ จะยังอยู่ในรายการพร้อมเหตุผลของคุณ จนกว่า Slick จะรับ หรือมีคนส่งใหม่',
  'decision.note': 'หมายเหตุ',
  'decision.noteHint': 'ทุกคนที่เปิดคำสั่งซื้อนี้จะเห็นหมายเหตุพร้อมชื่อของคุณ',
  'decision.problem.empty': 'กรุณาเขียนหมายเหตุสั้น ๆ เพื่อให้คนถัดไปรู้เหตุผล',
  'decision.problem.tooLong': 'ไม่เกิน 200 ตัวอักษร',
  'decision.submit.acknowledge': 'รับทราบ',
  'decision.submit.resolve': 'ปิดเรื่อง',
  'decision.submit.retry': 'ส่งใหม่',
  'decision.submit.park': 'พักไว้',
  'decision.sending': 'กำลังส่ง…',
  'decision.back': 'ย้อนกลับ',
  'decision.done.acknowledge': 'รับทราบคำสั่งซื้อ {id} แล้ว รายการจะอัปเดตในไม่กี่วินาที',
  'decision.done.resolve': 'ปิดเรื่องคำสั่งซื้อ {id} แล้ว รายการจะอัปเดตในไม่กี่วินาที',
  'decision.done.retry': 'กำลังส่งใบปล่อยสินค้าของคำสั่งซื้อ {id} ให้ Slick อีกครั้ง',
  'decision.done.park': 'พักใบปล่อยสินค้าของคำสั่งซื้อ {id} แล้ว',
  'decision.acknowledgedBy': 'รับทราบโดย {by}: {note}',
  'decision.resolvedBy': 'ปิดเรื่องโดย {by}: {note}',
  'decision.parkedBy': 'พักไว้โดย {by}: {note}',
  'alerts.title': 'ต้องดำเนินการ',
  'alerts.none': 'ไม่มีเรื่องที่ต้องดำเนินการ',
  'alerts.refused.one': 'Slick ปฏิเสธใบปล่อยสินค้า {n} รายการ: แก้ไขแล้วส่งใหม่ หรือพักไว้',
  'alerts.refused.other': 'Slick ปฏิเสธใบปล่อยสินค้า {n} รายการ: แก้ไขแล้วส่งใหม่ หรือพักไว้',
  'alerts.cod.one': 'คำสั่งซื้อเก็บเงินปลายทาง {n} รายการต้องตรวจสอบ: ไม่มีเงิน หรือยอดไม่ตรง',
  'alerts.cod.other': 'คำสั่งซื้อเก็บเงินปลายทาง {n} รายการต้องตรวจสอบ: ไม่มีเงิน หรือยอดไม่ตรง',
  'alerts.waiting.one': 'ใบปล่อยสินค้า {n} รายการรอ Slick มา {age}',
  'alerts.waiting.other': 'ใบปล่อยสินค้า {n} รายการรอ Slick รายการที่นานที่สุด {age}',
  'alerts.stuck': '{status} มา {age}: คำสั่งซื้อ {id}',
  'alerts.lowStock.one': 'สินค้า {n} รายการมีบนชั้นไม่พอให้หยิบตามคำสั่งซื้อ',
  'alerts.lowStock.other': 'สินค้า {n} รายการมีบนชั้นไม่พอให้หยิบตามคำสั่งซื้อ',
  'alerts.lowStock.item': '{item}: บนชั้น {onHand} ชิ้น ต้องหยิบ {allocated} ชิ้น',
  'alerts.lowStock.order': 'คำสั่งซื้อ {id}',
  'alerts.lowStock.more.one': 'และอีก {n} รายการ',
  'alerts.lowStock.more.other': 'และอีก {n} รายการ',
  'alerts.open': 'เปิด',
  'alerts.releases': 'ใบปล่อยสินค้าที่รอ Slick',
  'releases.title': 'ใบปล่อยสินค้าที่รอ Slick',
  'releases.intro': 'คำสั่งซื้อที่ปล่อยแล้วแต่ Slick ยังไม่รับ ระบบจะส่งซ้ำให้เองทุกรายการ ยกเว้นรายการที่ Slick ปฏิเสธ: แก้สาเหตุแล้วส่งใหม่ หรือพักไว้พร้อมเหตุผล',
  'releases.loading': 'กำลังโหลดใบปล่อยสินค้า…',
  'releases.none': 'Slick รับใบปล่อยสินค้าของสาขานี้ครบแล้ว',
  'releases.col.order': 'คำสั่งซื้อ',
  'releases.col.released': 'ปล่อยเมื่อ',
  'releases.col.state': 'สถานะ',
  'releases.col.actions': 'ดำเนินการ',
  'releases.state.refused': 'Slick ปฏิเสธ (HTTP {status}): พักการส่งไว้',
  'releases.state.sending': 'กำลังส่ง: {outcome}',
  'releases.state.notCalled': 'ยังไม่ได้ส่ง',
  'releases.ago': '{age} ที่แล้ว',
  'releases.calls.one': 'ส่ง {n} ครั้ง',
  'releases.calls.other': 'ส่ง {n} ครั้ง',
};

/** Keys that come in a `.one` / `.other` pair, named without the suffix. */
export type ExceptionPluralKey = ExceptionMessageKey extends infer K ? (K extends `${infer Base}.one` ? Base : never) : never;

export interface ExceptionI18n {
  t: (key: ExceptionMessageKey, vars?: Vars) => string;
  tn: (key: ExceptionPluralKey, n: number, vars?: Vars) => string;
}

export function exceptionI18n(lang: Lang): ExceptionI18n {
  const dictionary = lang === 'th' ? th : en;
  const t = (key: ExceptionMessageKey, vars?: Vars) => fill(dictionary[key], vars);
  const rules = new Intl.PluralRules(lang === 'th' ? 'th-TH' : 'en-GB');
  return {
    t,
    tn: (key, n, vars) => t(`${key}.${rules.select(n) === 'one' ? 'one' : 'other'}` as ExceptionMessageKey, { n, ...vars }),
  };
}

/** The exception words in the language the app shows. */
export function useExceptionI18n(): ExceptionI18n {
  const { lang } = useI18n();
  return useMemo(() => exceptionI18n(lang), [lang]);
}
