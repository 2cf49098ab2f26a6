// PMP's settlement report as a file: RFC 4180 quoting with the line each record starts on, UTF-8 with or without a
// byte order mark, every bad row reported with its line, field and code, exact money, and an id per row that depends
// on what the row says only.
import t from 'tap';
import { parseCsv } from '../../../connectors/csv.js';
import {
  checkAgainstOrders,
  readSettlementReport,
  settlementId,
  settlementRecord,
  writeSettlementReport,
} from '../../../connectors/pmp-settlement-report.js';

const HEADER = 'SettlementDate,OrderID,TrackingID,CollectedAmount,CollectedAt';
const report = (...lines: string[]) => Buffer.from([HEADER, ...lines].join('\r\n') + '\r\n', 'utf8');

t.test('CSV: quoted commas, doubled quotes and line breaks; each record keeps the line it starts on', async (t) => {
  const records = parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",z\n\nlast,"" ');
  t.same(
    records.map((record) => [record.line, record.fields, record.problem?.code]),
    [
      [1, ['a', 'b'], undefined],
      [2, ['x, y', 'say "hi"'], undefined],
      [3, ['two\nlines', 'z'], undefined],
      [6, ['last', ' '], 'STRAY_QUOTE'],
    ],
    'the empty line 5 is no record; text after a closing quote is a problem',
  );
  t.same(
    parseCsv('a,b"c\n"open,d\ne,f').map((record) => [record.line, record.problem?.code]),
    [
      [1, 'STRAY_QUOTE'],
      [2, 'UNTERMINATED_QUOTE'],
    ],
    'a quote inside an unquoted field; a quote never closed swallows the rest',
  );
});

t.test('a good report: values normalised, with or without a byte order mark, columns in any order', async (t) => {
  const body = report(
    '2026-11-21,QC0042-000123,PMP-998877,90.62,2026-11-21T16:45:00+07:00',
    '"2026-11-21","QC0043-000007","PMP-112233"," 1250.0000 ",2026-11-21T10:00:00Z',
  );
  const expected = [
    {
      line: 2,
      SettlementDate: '2026-11-21',
      OrderID: 'QC0042-000123',
      TrackingID: 'PMP-998877',
      CollectedAmount: '90.6200',
      CollectedAt: '2026-11-21T09:45:00.000Z',
    },
    {
      line: 3,
      SettlementDate: '2026-11-21',
      OrderID: 'QC0043-000007',
      TrackingID: 'PMP-112233',
      CollectedAmount: '1250.0000',
      CollectedAt: '2026-11-21T10:00:00.000Z',
    },
  ];
  t.same(readSettlementReport(body), { rows: expected, problems: [] });
  t.same(readSettlementReport(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body])), { rows: expected, problems: [] }, 'BOM');
  const reordered = Buffer.from(
    ' collectedat ,OrderID,Note,CollectedAmount,TrackingID,SETTLEMENTDATE\n2026-11-21T16:45:00+07:00,QC0042-000123,"late, rider ill",90.62,PMP-998877,2026-11-21\n',
  );
  t.same(readSettlementReport(reordered).rows, [expected[0]], 'names matched without case or spaces; other columns ignored');
  t.equal(
    readSettlementReport(report('2026-11-21,QC0042-000123,PMP-1,999999999999.9999,2026-11-21T10:00:00Z')).rows[0]?.CollectedAmount,
    '999999999999.9999',
    'money is read as its digits, never through a float',
  );
});

t.test('every bad row is reported with its line, field and a specific code; none is dropped silently', async (t) => {
  const { rows, problems } = readSettlementReport(
    report(
      '2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T10:00:00Z',
      '2026-02-30,QC0042-000002,PMP-2,90.62,2026-11-21T10:00:00Z',
      '2026-11-21,QC 42,PMP-3,90.62,2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000004,,90.62,2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000005,PMP-5,"1,250.00",2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000006,PMP-6,90.62345,2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000007,PMP-7,-1.00,2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000008,PMP-8,฿90.62,2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000009,PMP-9,90.62,2026-11-21 10:00:00',
      '2026-11-21,QC0042-000010,PMP-10,90.62,2026-11-21T10:00:00',
      '2026-11-21,QC0042-000011,PMP-11,90.62',
      '2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T10:00:00Z',
      '2026-11-21,"QC0042-000013,PMP-13,90.62,2026-11-21T10:00:00Z',
    ),
  );
  t.same(
    rows.map((row) => row.OrderID),
    ['QC0042-000001'],
    'only the good row',
  );
  t.same(
    problems.map((problem) => [problem.line, problem.field, problem.code]),
    [
      [3, 'SettlementDate', 'INVALID_SETTLEMENT_DATE'],
      [4, 'OrderID', 'INVALID_ORDER_ID'],
      [5, 'TrackingID', 'MISSING_TRACKING_ID'],
      [6, 'CollectedAmount', 'INVALID_AMOUNT'],
      [7, 'CollectedAmount', 'INVALID_AMOUNT'],
      [8, 'CollectedAmount', 'INVALID_AMOUNT'],
      [9, 'CollectedAmount', 'INVALID_AMOUNT'],
      [10, 'CollectedAt', 'INVALID_COLLECTED_AT'],
      [11, 'CollectedAt', 'INVALID_COLLECTED_AT'],
      [12, null, 'WRONG_FIELD_COUNT'],
      [13, 'OrderID', 'DUPLICATE_ORDER'],
      [14, null, 'UNTERMINATED_QUOTE'],
    ],
  );
  t.match(problems.find((problem) => problem.code === 'DUPLICATE_ORDER')?.message, /already on line 2/);
  const twoBad = readSettlementReport(report('2026-13-01,,PMP-1,x,yesterday')).problems;
  t.same(
    twoBad.map((problem) => problem.field),
    ['SettlementDate', 'OrderID', 'CollectedAmount', 'CollectedAt'],
    'every bad field of a row, not just the first',
  );
});

t.test('problems with the file itself', async (t) => {
  const codes = (bytes: Buffer) => readSettlementReport(bytes).problems.map((problem) => [problem.line, problem.field, problem.code]);
  t.same(codes(Buffer.from('')), [[1, null, 'EMPTY_FILE']]);
  t.same(codes(Buffer.from('SettlementDate,OrderID,OrderID,CollectedAmount\n')), [
    [1, 'OrderID', 'DUPLICATE_COLUMN'],
    [1, 'TrackingID', 'MISSING_COLUMN'],
    [1, 'CollectedAt', 'MISSING_COLUMN'],
  ]);
  const latin1 = Buffer.concat([
    report('2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T10:00:00Z'),
    Buffer.from('2026-11-21,QC0042-000002,PMP-\xe9,1,2026-11-21T10:00:00Z\r\n', 'latin1'),
  ]);
  t.same(codes(latin1), [[3, null, 'INVALID_ENCODING']], 'the first line that is not UTF-8');
  t.same(readSettlementReport(report()), { rows: [], problems: [] }, 'a header alone: a day with nothing to settle');
});

t.test('the rows against the orders table: unknown order, another parcel’s tracking id', async (t) => {
  const { rows } = readSettlementReport(
    report(
      '2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000002,PMP-2,90.62,2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000003,PMP-3,90.62,2026-11-21T10:00:00Z',
      '2026-11-21,QC0042-000004,PMP-4,90.62,2026-11-21T10:00:00Z',
    ),
  );
  const known = new Map([
    ['QC0042-000001', { store: 'QC0042', trackingId: 'PMP-1' }],
    ['QC0042-000002', { store: 'QC0042', trackingId: 'PMP-9' }],
    ['QC0042-000004', { store: 'QC0042', trackingId: null }],
  ]);
  t.same(
    checkAgainstOrders(rows, known).map((problem) => [problem.line, problem.field, problem.code]),
    [
      [3, 'TrackingID', 'TRACKING_ID_MISMATCH'],
      [4, 'OrderID', 'UNKNOWN_ORDER'],
    ],
    'a tracking id not known yet is not held against the row',
  );
});

t.test('a row’s id depends on what it says, not on where it is or how it is written', async (t) => {
  const [a] = readSettlementReport(report('2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T17:00:00+07:00')).rows;
  const [same] = readSettlementReport(report('', '2026-11-21,QC0042-000001,PMP-1,90.6200,2026-11-21T10:00:00Z')).rows;
  const [corrected] = readSettlementReport(report('2026-11-21,QC0042-000001,PMP-1,90.61,2026-11-21T10:00:00Z')).rows;
  t.equal(same?.line, 3);
  t.equal(settlementId(a!), settlementId(same!), 'same content on another line, written otherwise: same id');
  t.not(settlementId(a!), settlementId(corrected!), 'a corrected amount: a new id');
  t.match(settlementId(a!), /^PMP-[0-9a-f]{24}$/);
  t.same(settlementRecord(a!, 'QC0042', 'pmp-2026-11-21.csv'), {
    SettlementID: settlementId(a!),
    Partner: 'PMP',
    SettlementDate: '2026-11-21',
    OrderID: 'QC0042-000001',
    ShipFromLocationID: 'QC0042',
    TrackingID: 'PMP-1',
    SettledAmount: '90.6200',
    CollectedAt: '2026-11-21T10:00:00.000Z',
    SourceFile: 'pmp-2026-11-21.csv',
    SourceLine: 2,
  });
});

t.test('a report written as PMP writes it reads back as written', async (t) => {
  const entry = {
    SettlementDate: '2026-11-21',
    OrderID: 'QC0042-000001',
    TrackingID: 'PMP-"1", B',
    CollectedAmount: '90.6200',
    CollectedAt: '2026-11-21T10:00:00.000Z',
  };
  const text = writeSettlementReport([entry]);
  t.equal(text, `${HEADER}\r\n2026-11-21,QC0042-000001,"PMP-""1"", B",90.6200,2026-11-21T10:00:00.000Z\r\n`);
  t.same(readSettlementReport(Buffer.from(text)).rows, [{ line: 2, ...entry }]);
});
