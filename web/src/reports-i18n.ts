/**
 * The words of the reports screen and of a bundle's sales, in English and Thai, kept apart from src/i18n.ts
 * because they load with those screens. The same rules as i18n.ts: `en` is the list of keys, `th` must have
 * exactly the same ones (a type error otherwise), and `{name}` is filled from the values passed.
 */
import { useMemo } from 'preact/hooks';
import { fill, type Lang, useI18n, type Vars } from './i18n.js';

const en = {
  'reports.title': 'Reports',
  'reports.intro':
    'What the stores did over a range of days: orders, cancellations, time in each status, cash on delivery and bundle sales. Days are business days in the stores’ time. Each table downloads as a CSV file that Excel opens.',
  'reports.filters': 'Choose the report',
  'reports.from': 'From',
  'reports.to': 'To',
  'reports.rangeHint': 'Up to {max} days, both days included.',
  'reports.store': 'Store',
  'reports.allStores': 'All stores',
  'reports.allMyStores': 'All my stores',
  'reports.show': 'Show report',
  'reports.lastWeek': 'Last 7 days',
  'reports.problem.required': 'Choose a date.',
  'reports.problem.notADay': 'This is not a real date.',
  'reports.problem.afterTo': 'The “from” date must be on or before the “to” date.',
  'reports.problem.tooLong': 'Choose at most {max} days.',
  'reports.loading': 'Loading the report…',
  'reports.exact': 'Show exact amounts (4 decimals)',
  'reports.scope.store': 'Store {store}, {from} to {to} ({zone} time)',
  'reports.scope.all': 'All the stores you see, {from} to {to} ({zone} time)',
  'reports.empty': 'Nothing in this range.',
  'reports.download': 'Download CSV',
  'reports.downloaded': '{file} downloaded.',
  'reports.total': 'All stores',
  'reports.noReason': 'No reason given',
  'reports.orders.title': 'Orders per day',
  'reports.orders.hint':
    'Orders created each day. Cancelled and delivered count those orders as they stand now; the value leaves out the cancelled ones.',
  'reports.cancellations.title': 'Cancellations and their reasons',
  'reports.cancellations.hint': 'Orders cancelled in the range, by the reason given.',
  'reports.status.title': 'Time in each status',
  'reports.status.hint':
    'How long orders stayed in a status before moving on, for stays that began in the range. Delivered and cancelled are final, so they are not listed.',
  'reports.cod.title': 'Cash on delivery: collected against expected',
  'reports.cod.hint':
    'COD orders by the day they were delivered: the cash expected (the order total; nothing for a cancelled order) and the cash collected.',
  'reports.bundles.title': 'Bundle sales',
  'reports.bundles.hint': 'Bundles sold in orders created each day that went to the warehouse and were not cancelled.',
  'reports.col.day': 'Day',
  'reports.col.store': 'Store',
  'reports.col.orders': 'Orders',
  'reports.col.cancelled': 'Cancelled',
  'reports.col.delivered': 'Delivered',
  'reports.col.value': 'Value',
  'reports.col.reason': 'Reason',
  'reports.col.cancellations': 'Cancelled orders',
  'reports.col.status': 'Status',
  'reports.col.statusCode': 'Status code',
  'reports.col.stays': 'Orders in',
  'reports.col.completed': 'Moved on',
  'reports.col.avg': 'Average',
  'reports.col.p50': 'Median',
  'reports.col.p95': '95% within',
  'reports.col.max': 'Longest',
  'reports.col.inSeconds': '{label} (seconds)',
  'reports.col.deliveredOrders': 'Delivered',
  'reports.col.expected': 'Expected',
  'reports.col.collectedOrders': 'Paid',
  'reports.col.collected': 'Collected',
  'reports.col.difference': 'Difference',
  'reports.col.missing': 'No cash yet',
  'reports.col.bundle': 'Bundle',
  'reports.col.groups': 'Sets sold',
  'reports.col.units': 'Units',
  'reports.col.list': 'List price',
  'reports.col.discount': 'Discount',
  'reports.col.net': 'Net',
  'reason.COD_AMOUNT_OUT_OF_RANGE': 'Order total outside the cash-on-delivery limits',
  'reason.COD_AREA_NOT_SERVED': 'No cash on delivery in the delivery area',
  'reason.COD_CUSTOMER_INELIGIBLE': 'Customer may not pay cash on delivery',
  'reason.DISCOUNT_EXCEEDS_SUBTOTAL': 'Discount larger than the order',
  'reason.ALL_LINES_SHORT': 'Nothing left to send (every line short)',
  'bundleSales.title': 'Sales of this bundle',
  'bundleSales.range': 'Days of the sales',
  'bundleSales.hint': 'Per store and day, in orders that went to the warehouse and were not cancelled.',
  'bundleSales.total': 'Total',
} as const;

export type ReportMessageKey = keyof typeof en;

const th: Record<ReportMessageKey, string> = {
  'reports.title': 'รายงาน',
  'reports.intro':
    'สรุปงานของสาขาในช่วงวันที่เลือก: คำสั่งซื้อ การยกเลิก เวลาในแต่ละสถานะ เงินสดเก็บปลายทาง และยอดขายชุดสินค้า วันที่เป็นวันทำการตามเวลาของสาขา ดาวน์โหลดแต่ละตารางเป็นไฟล์ CSV เพื่อเปิดใน Excel ได้',
  'reports.filters': 'เลือกรายงาน',
  'reports.from': 'ตั้งแต่วันที่',
  'reports.to': 'ถึงวันที่',
  'reports.rangeHint': 'ไม่เกิน {max} วัน นับรวมวันแรกและวันสุดท้าย',
  'reports.store': 'สาขา',
  'reports.allStores': 'ทุกสาขา',
  'reports.allMyStores': 'ทุกสาขาของฉัน',
  'reports.show': 'แสดงรายงาน',
  'reports.lastWeek': '7 วันล่าสุด',
  'reports.problem.required': 'กรุณาเลือกวันที่',
  'reports.problem.notADay': 'วันที่นี้ไม่มีจริง',
  'reports.problem.afterTo': 'วันที่เริ่มต้องไม่หลังวันที่สิ้นสุด',
  'reports.problem.tooLong': 'เลือกได้ไม่เกิน {max} วัน',
  'reports.loading': 'กำลังโหลดรายงาน…',
  'reports.exact': 'แสดงจำนวนเงินเต็ม (ทศนิยม 4 ตำแหน่ง)',
  'reports.scope.store': 'สาขา {store} วันที่ {from} ถึง {to} (เวลา {zone})',
  'reports.scope.all': 'ทุกสาขาที่คุณดูได้ วันที่ {from} ถึง {to} (เวลา {zone})',
  'reports.empty': 'ไม่มีข้อมูลในช่วงวันที่นี้',
  'reports.download': 'ดาวน์โหลด CSV',
  'reports.downloaded': 'ดาวน์โหลด {file} แล้ว',
  'reports.total': 'ทุกสาขา',
  'reports.noReason': 'ไม่ได้ระบุเหตุผล',
  'reports.orders.title': 'คำสั่งซื้อรายวัน',
  'reports.orders.hint': 'คำสั่งซื้อที่สร้างในแต่ละวัน จำนวนที่ยกเลิกและส่งถึงแล้วนับจากสถานะปัจจุบันของคำสั่งซื้อเหล่านั้น มูลค่าไม่รวมคำสั่งซื้อที่ยกเลิก',
  'reports.cancellations.title': 'การยกเลิกและเหตุผล',
  'reports.cancellations.hint': 'คำสั่งซื้อที่ถูกยกเลิกในช่วงวันที่นี้ แยกตามเหตุผล',
  'reports.status.title': 'เวลาในแต่ละสถานะ',
  'reports.status.hint': 'คำสั่งซื้ออยู่ในแต่ละสถานะนานเท่าใดก่อนไปสถานะถัดไป นับเฉพาะที่เข้าสถานะในช่วงวันที่นี้ ส่งถึงแล้วและยกเลิกเป็นสถานะสุดท้ายจึงไม่แสดง',
  'reports.cod.title': 'เก็บเงินปลายทาง: เก็บได้เทียบกับที่ควรได้',
  'reports.cod.hint': 'คำสั่งซื้อเก็บเงินปลายทางตามวันที่ส่งถึง เงินที่ควรได้ (ยอดรวมคำสั่งซื้อ ไม่มีสำหรับคำสั่งซื้อที่ยกเลิก) และเงินที่เก็บได้',
  'reports.bundles.title': 'ยอดขายชุดสินค้า',
  'reports.bundles.hint': 'ชุดสินค้าที่ขายได้ในคำสั่งซื้อที่สร้างในแต่ละวัน ที่ส่งให้คลังแล้วและไม่ถูกยกเลิก',
  'reports.col.day': 'วันที่',
  'reports.col.store': 'สาขา',
  'reports.col.orders': 'คำสั่งซื้อ',
  'reports.col.cancelled': 'ยกเลิก',
  'reports.col.delivered': 'ส่งถึงแล้ว',
  'reports.col.value': 'มูลค่า',
  'reports.col.reason': 'เหตุผล',
  'reports.col.cancellations': 'คำสั่งซื้อที่ยกเลิก',
  'reports.col.status': 'สถานะ',
  'reports.col.statusCode': 'รหัสสถานะ',
  'reports.col.stays': 'เข้าสถานะ',
  'reports.col.completed': 'ไปต่อแล้ว',
  'reports.col.avg': 'เฉลี่ย',
  'reports.col.p50': 'มัธยฐาน',
  'reports.col.p95': '95% ภายใน',
  'reports.col.max': 'นานที่สุด',
  'reports.col.inSeconds': '{label} (วินาที)',
  'reports.col.deliveredOrders': 'ส่งถึงแล้ว',
  'reports.col.expected': 'ควรได้',
  'reports.col.collectedOrders': 'จ่ายแล้ว',
  'reports.col.collected': 'เก็บได้',
  'reports.col.difference': 'ส่วนต่าง',
  'reports.col.missing': 'ยังไม่ได้เงิน',
  'reports.col.bundle': 'ชุดสินค้า',
  'reports.col.groups': 'จำนวนชุด',
  'reports.col.units': 'จำนวนชิ้น',
  'reports.col.list': 'ราคาเต็ม',
  'reports.col.discount': 'ส่วนลด',
  'reports.col.net': 'สุทธิ',
  'reason.COD_AMOUNT_OUT_OF_RANGE': 'ยอดรวมอยู่นอกวงเงินเก็บเงินปลายทาง',
  'reason.COD_AREA_NOT_SERVED': 'พื้นที่จัดส่งไม่มีบริการเก็บเงินปลายทาง',
  'reason.COD_CUSTOMER_INELIGIBLE': 'ลูกค้ารายนี้ใช้เก็บเงินปลายทางไม่ได้',
  'reason.DISCOUNT_EXCEEDS_SUBTOTAL': 'ส่วนลดมากกว่ายอดสินค้า',
  'reason.ALL_LINES_SHORT': 'ไม่มีสินค้าเหลือให้ส่ง (ขาดทุกรายการ)',
  'bundleSales.title': 'ยอดขายของชุดสินค้านี้',
  'bundleSales.range': 'ช่วงวันที่ของยอดขาย',
  'bundleSales.hint': 'แยกตามสาขาและวัน ในคำสั่งซื้อที่ส่งให้คลังแล้วและไม่ถูกยกเลิก',
  'bundleSales.total': 'รวม',
};

export interface ReportI18n {
  t: (key: ReportMessageKey, vars?: Vars) => string;
}

export function reportI18n(lang: Lang): ReportI18n {
  const dictionary = lang === 'th' ? th : en;
  return { t: (key, vars) => fill(dictionary[key], vars) };
}

/** The reports' words in the language the app shows. */
export function useReportI18n(): ReportI18n {
  const { lang } = useI18n();
  return useMemo(() => reportI18n(lang), [lang]);
}
