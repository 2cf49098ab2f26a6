import t from 'tap';
import { MAX_REPORT_DAYS as SERVICE_MAX_REPORT_DAYS } from '../../../query-service/report-routes.js';
import {
  addDays,
  businessDay,
  CSV_BOM,
  csvCell,
  csvFileName,
  csvText,
  daysIn,
  defaultRange,
  MAX_REPORT_DAYS,
  rangeProblems,
  reasonKind,
  reportQuery,
  shortDay,
  storesIn,
} from '../../../web/src/logic/reports.js';

t.test('CSV fields: quoted when they must be, doubled quotes, money kept exact, formulas defused', async (t) => {
  t.equal(csvCell('QC0001'), 'QC0001');
  t.equal(csvCell('12.3400'), '12.3400', 'money stays the exact 4-decimal string');
  t.equal(csvCell('-100.1234'), '-100.1234', 'a negative amount is a number, not a formula');
  t.equal(csvCell(7), '7');
  t.equal(csvCell(20.5), '20.5');
  t.equal(csvCell(null), '');
  t.equal(csvCell(undefined), '');
  t.equal(csvCell(Number.NaN), '');
  t.equal(csvCell('a, b'), '"a, b"', 'a comma');
  t.equal(csvCell('say "no"'), '"say ""no"""', 'quotes doubled');
  t.equal(csvCell('two\nlines'), '"two\nlines"', 'a line break');
  t.equal(csvCell('cr\rhere'), '"cr\rhere"');
  t.equal(csvCell(' padded'), '" padded"', 'outer spaces kept by quoting');
  t.equal(csvCell('ลูกค้าขอยกเลิก'), 'ลูกค้าขอยกเลิก', 'Thai as it is');
  t.equal(csvCell('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"', 'a formula typed as a reason is text');
  t.equal(csvCell('+66 81'), "'+66 81");
  t.equal(csvCell('@sum'), "'@sum");
  t.equal(csvCell('-x'), "'-x");
});

t.test('a CSV file: BOM first (Excel reads UTF-8 Thai), CRLF lines, header then rows', async (t) => {
  const text = csvText(
    ['วันที่', 'Store', 'Value'],
    [
      ['2026-11-21', 'QC0001', '30.0003'],
      ['2026-11-22', 'ทุกสาขา', '6.0002'],
    ],
  );
  t.ok(text.startsWith(CSV_BOM), 'starts with U+FEFF');
  t.equal(CSV_BOM, '\uFEFF');
  t.equal(text, '\uFEFFวันที่,Store,Value\r\n2026-11-21,QC0001,30.0003\r\n2026-11-22,ทุกสาขา,6.0002\r\n');
  const bytes = new TextEncoder().encode(text);
  t.same([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'as UTF-8 bytes: EF BB BF');
  t.equal(csvText(['a'], []), '\uFEFFa\r\n', 'a header alone');
});

t.test('file names: safe characters only', async (t) => {
  t.equal(
    csvFileName(['omnia', 'orders-per-day', 'QC0001', '2026-11-15', '2026-11-21']),
    'omnia-orders-per-day-QC0001-2026-11-15-2026-11-21.csv',
  );
  t.equal(csvFileName(['omnia', 'bundle', 'B/1 x', undefined, '']), 'omnia-bundle-B-1-x.csv');
  t.equal(csvFileName([]), 'report.csv');
});

t.test('the default range: the last 7 business days in Bangkok, today included', async (t) => {
  // 2026-11-21T17:30Z is already 22 November 00:30 in Bangkok.
  t.equal(businessDay(Date.parse('2026-11-21T17:30:00Z')), '2026-11-22');
  t.equal(businessDay(Date.parse('2026-11-21T16:59:59Z')), '2026-11-21');
  t.equal(businessDay(Date.parse('2026-11-21T17:30:00Z'), 'UTC'), '2026-11-21');
  t.same(defaultRange(Date.parse('2026-11-21T17:30:00Z')), { from: '2026-11-16', to: '2026-11-22' });
  t.same(defaultRange(Date.parse('2026-03-02T01:00:00Z')), { from: '2026-02-24', to: '2026-03-02' }, 'across a month end');
  t.equal(daysIn('2026-11-16', '2026-11-22'), 7);
  t.equal(addDays('2028-02-28', 1), '2028-02-29');
  t.equal(addDays('2026-01-01', -1), '2025-12-31');
});

t.test('range checks: as the service refuses them, per field', async (t) => {
  t.equal(MAX_REPORT_DAYS, SERVICE_MAX_REPORT_DAYS, "the service's cap");
  t.same(rangeProblems('2026-11-21', '2026-11-22'), {});
  t.same(rangeProblems('2026-11-22', '2026-11-22'), {}, 'one day');
  t.same(rangeProblems('', ''), { from: 'required', to: 'required' });
  t.same(rangeProblems('2026-02-30', '2026-13-01'), { from: 'notADay', to: 'notADay' });
  t.same(rangeProblems('2026-11-22', '2026-11-21'), { from: 'afterTo' });
  t.same(rangeProblems('2026-01-01', '2026-04-02'), {}, `${MAX_REPORT_DAYS} days`);
  t.same(rangeProblems('2026-01-01', '2026-04-03'), { to: 'tooLong' }, `${MAX_REPORT_DAYS + 1} days`);
});

t.test("a route's query: its range when good, else the default; the store", async (t) => {
  const now = Date.parse('2026-11-21T05:00:00Z');
  t.same(reportQuery(new URLSearchParams('from=2026-11-01&to=2026-11-03&store=QC0002'), now), {
    from: '2026-11-01',
    to: '2026-11-03',
    store: 'QC0002',
  });
  t.same(reportQuery(new URLSearchParams(''), now), { from: '2026-11-15', to: '2026-11-21', store: undefined });
  t.same(reportQuery(new URLSearchParams('from=2026-11-03&to=2026-11-01&store='), now), {
    from: '2026-11-15',
    to: '2026-11-21',
    store: undefined,
  });
});

t.test('cancellation reasons: none, the app’s presets, pipeline codes, free text', async (t) => {
  t.same(reasonKind(null), { kind: 'none' });
  t.same(reasonKind('  '), { kind: 'none' });
  t.same(reasonKind('Customer asked to cancel'), { kind: 'preset', reason: 'customer_asked' });
  t.same(reasonKind('Duplicate order'), { kind: 'preset', reason: 'duplicate' });
  t.same(reasonKind('COD_AMOUNT_OUT_OF_RANGE'), { kind: 'code', code: 'COD_AMOUNT_OUT_OF_RANGE' });
  t.same(reasonKind('ALL_LINES_SHORT'), { kind: 'code', code: 'ALL_LINES_SHORT' });
  t.same(reasonKind('rider never came'), { kind: 'text', text: 'rider never came' });
});

t.test('days shown short, in the language of the app', async (t) => {
  t.equal(shortDay('2026-11-21', 'en'), '21 Nov 2026');
  t.match(shortDay('2026-11-21', 'th'), /2569/, 'the Thai calendar');
  t.equal(shortDay('2026-02-30', 'en'), '2026-02-30', 'not a day: as it is');
  t.equal(storesIn([{ storeId: 'A' }, { storeId: 'B' }, { storeId: 'A' }]), 2);
});
