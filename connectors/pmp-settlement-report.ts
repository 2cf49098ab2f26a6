/**
 * PMP's daily settlement report: the CSV file PMP sends finance, one row per COD order whose cash PMP collected and
 * settles (docs/contract.md §12, *PMP's settlement report*). Pure: bytes in, rows and every problem out; what an
 * order's store is comes from the caller (ops/settlement-import.ts looks it up).
 *
 *   SettlementDate,OrderID,TrackingID,CollectedAmount,CollectedAt
 *   2026-11-21,QC0042-000123,PMP-998877,90.62,2026-11-21T16:45:00+07:00
 *
 * - UTF-8, with or without a byte order mark; RFC 4180 quoting (connectors/csv.ts); CRLF or LF.
 * - The first line is the header: the five columns in any order, names matched without regard to case or the spaces
 *   around them; other columns are ignored. Spaces around a value are not part of it. Empty lines are skipped.
 * - SettlementDate: a date, YYYY-MM-DD. OrderID: the retailer's (1–50 of A–Z a–z 0–9 _ -). TrackingID: PMP's, not
 *   empty. CollectedAmount: money as a plain decimal string, at most 14 integer and 4 fraction digits, ≥ 0, no sign,
 *   thousands separator or currency ("90.62", "1250.0000"). CollectedAt: ISO-8601 with its offset
 *   ("2026-11-21T16:45:00+07:00" or "…Z"); a time without an offset is refused, since it is ambiguous.
 * - An order appears once per file.
 *
 * Every problem is reported with its line (1 is the header), field and code; none is skipped.
 */
import { createHash } from 'node:crypto';
import type { PaymentSettlement } from '../avro/records.js';
import { isMoney, normaliseMoney } from '../processors/domain/money.js';
import { SETTLING_PARTNER } from '../processors/domain/settlement.js';
import { isOrderId } from '../processors/domain/validation-rules.js';
import { csvField, parseCsv } from './csv.js';

/** The report's columns, in the order PMP writes them. */
export const SETTLEMENT_COLUMNS = ['SettlementDate', 'OrderID', 'TrackingID', 'CollectedAmount', 'CollectedAt'] as const;
export type SettlementColumn = (typeof SETTLEMENT_COLUMNS)[number];

/** Why a row (or the file) is refused. */
export const SettlementProblemCode = {
  InvalidEncoding: 'INVALID_ENCODING',
  EmptyFile: 'EMPTY_FILE',
  MissingColumn: 'MISSING_COLUMN',
  DuplicateColumn: 'DUPLICATE_COLUMN',
  UnterminatedQuote: 'UNTERMINATED_QUOTE',
  StrayQuote: 'STRAY_QUOTE',
  WrongFieldCount: 'WRONG_FIELD_COUNT',
  InvalidSettlementDate: 'INVALID_SETTLEMENT_DATE',
  InvalidOrderId: 'INVALID_ORDER_ID',
  MissingTrackingId: 'MISSING_TRACKING_ID',
  InvalidAmount: 'INVALID_AMOUNT',
  InvalidCollectedAt: 'INVALID_COLLECTED_AT',
  DuplicateOrder: 'DUPLICATE_ORDER',
  UnknownOrder: 'UNKNOWN_ORDER',
  TrackingIdMismatch: 'TRACKING_ID_MISMATCH',
} as const;
export type SettlementProblemCode = (typeof SettlementProblemCode)[keyof typeof SettlementProblemCode];

export interface SettlementProblem {
  /** Line in the file, from 1 (the header). */
  readonly line: number;
  /** The column concerned; null for the line as a whole. */
  readonly field: SettlementColumn | null;
  readonly code: SettlementProblemCode;
  readonly message: string;
}

/** A row that passed every check of the format, its values normalised. */
export interface SettlementRow {
  readonly line: number;
  readonly SettlementDate: string;
  readonly OrderID: string;
  readonly TrackingID: string;
  /** Exactly 4 fraction digits. */
  readonly CollectedAmount: string;
  /** ISO-8601 UTC. */
  readonly CollectedAt: string;
}

const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const TIMESTAMP = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,9})?)?(?:Z|[+-]([0-9]{2}):([0-9]{2}))$/;

/** A real calendar date (2026-02-30 is not). */
function isDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** An ISO-8601 instant with its offset, as UTC ISO; undefined when it is not one. */
function instant(text: string): string | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match || !isDate(match[1]!)) return undefined;
  const [hour, minute, second, offsetHours, offsetMinutes] = [match[2], match[3], match[4], match[5], match[6]].map((part) =>
    part === undefined ? 0 : Number(part),
  );
  if (hour! > 23 || minute! > 59 || second! > 59 || offsetHours! > 14 || offsetMinutes! > 59) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/** The bytes as text, or the line of the first byte sequence that is not UTF-8. */
function decode(bytes: Buffer): { text: string } | { badLine: number } {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  try {
    return { text: strict.decode(bytes) };
  } catch {
    let line = 1;
    let from = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, from);
      const chunk = bytes.subarray(from, end < 0 ? bytes.length : end);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(chunk);
      } catch {
        return { badLine: line };
      }
      if (end < 0) return { badLine: line };
      from = end + 1;
      line++;
    }
  }
}

const describe = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

/** Reads a report: its rows, and every problem with the file and its rows. A row with a problem is not in `rows`. */
export function readSettlementReport(bytes: Buffer): { rows: SettlementRow[]; problems: SettlementProblem[] } {
  const decoded = decode(bytes);
  if ('badLine' in decoded)
    return {
      rows: [],
      problems: [
        {
          line: decoded.badLine,
          field: null,
          code: SettlementProblemCode.InvalidEncoding,
          message: 'the line is not UTF-8: save the file as UTF-8 (with or without a byte order mark)',
        },
      ],
    };
  const [header, ...records] = parseCsv(decoded.text);
  const problems: SettlementProblem[] = [];
  if (!header)
    return {
      rows: [],
      problems: [{ line: 1, field: null, code: SettlementProblemCode.EmptyFile, message: 'the file is empty: a header line is needed' }],
    };
  const columns = new Map<SettlementColumn, number>();
  const canonical = new Map(SETTLEMENT_COLUMNS.map((column) => [column.toLowerCase(), column]));
  header.fields.forEach((name, index) => {
    const column = canonical.get(name.trim().toLowerCase());
    if (!column) return;
    if (columns.has(column))
      problems.push({
        line: header.line,
        field: column,
        code: SettlementProblemCode.DuplicateColumn,
        message: `${column} is named twice in the header`,
      });
    else columns.set(column, index);
  });
  for (const column of SETTLEMENT_COLUMNS)
    if (!columns.has(column))
      problems.push({
        line: header.line,
        field: column,
        code: SettlementProblemCode.MissingColumn,
        message: `the header has no ${column} column (it needs ${SETTLEMENT_COLUMNS.join(', ')})`,
      });
  if (header.problem) problems.push({ line: header.line, field: null, code: header.problem.code, message: header.problem.message });
  if (problems.length > 0) return { rows: [], problems };

  const rows: SettlementRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (const record of records) {
    if (record.problem) {
      problems.push({ line: record.line, field: null, code: record.problem.code, message: record.problem.message });
      continue;
    }
    if (record.fields.length !== header.fields.length) {
      problems.push({
        line: record.line,
        field: null,
        code: SettlementProblemCode.WrongFieldCount,
        message: `${record.fields.length} fields where the header has ${header.fields.length}`,
      });
      continue;
    }
    const value = (column: SettlementColumn) => record.fields[columns.get(column)!]!.trim();
    const failed = (field: SettlementColumn, code: SettlementProblemCode, message: string) => {
      problems.push({ line: record.line, field, code, message });
      return undefined;
    };
    const date = value('SettlementDate');
    const orderId = value('OrderID');
    const trackingId = value('TrackingID');
    const amount = value('CollectedAmount');
    const at = value('CollectedAt');
    const checks = [
      isDate(date) || failed('SettlementDate', SettlementProblemCode.InvalidSettlementDate, `${describe(date)} is not a date YYYY-MM-DD`),
      isOrderId(orderId) ||
        failed('OrderID', SettlementProblemCode.InvalidOrderId, `${describe(orderId)} is not an OrderID (1–50 of A–Z a–z 0–9 _ -)`),
      trackingId !== '' || failed('TrackingID', SettlementProblemCode.MissingTrackingId, 'the tracking id is empty'),
      (isMoney(amount) && !amount.startsWith('-')) ||
        failed(
          'CollectedAmount',
          SettlementProblemCode.InvalidAmount,
          `${describe(amount)} is not an amount ≥ 0 (digits, a point and at most 4 decimals; no sign, thousands separator or currency)`,
        ),
      instant(at) !== undefined ||
        failed(
          'CollectedAt',
          SettlementProblemCode.InvalidCollectedAt,
          `${describe(at)} is not an ISO-8601 time with its offset (2026-11-21T16:45:00+07:00)`,
        ),
    ];
    if (checks.some((ok) => ok !== true)) continue;
    const first = firstLineOf.get(orderId);
    if (first !== undefined) {
      failed('OrderID', SettlementProblemCode.DuplicateOrder, `order ${orderId} is already on line ${first}`);
      continue;
    }
    firstLineOf.set(orderId, record.line);
    rows.push({
      line: record.line,
      SettlementDate: date,
      OrderID: orderId,
      TrackingID: trackingId,
      CollectedAmount: normaliseMoney(amount),
      CollectedAt: instant(at)!,
    });
  }
  return { rows, problems };
}

/** What the analysts' tables know of an order a row names. */
export interface KnownOrder {
  readonly store: string;
  /** The carrier's tracking id Slick's shipped event gave; null when not known yet. */
  readonly trackingId: string | null;
}

/** The problems of rows whose order is unknown, or whose tracking id is another parcel's. */
export function checkAgainstOrders(rows: readonly SettlementRow[], known: ReadonlyMap<string, KnownOrder>): SettlementProblem[] {
  const problems: SettlementProblem[] = [];
  for (const row of rows) {
    const order = known.get(row.OrderID);
    if (!order)
      problems.push({
        line: row.line,
        field: 'OrderID',
        code: SettlementProblemCode.UnknownOrder,
        message: `no order ${row.OrderID} in the analysts' orders table (a wrong id, or the sink has not written it yet)`,
      });
    else if (order.trackingId !== null && order.trackingId !== row.TrackingID)
      problems.push({
        line: row.line,
        field: 'TrackingID',
        code: SettlementProblemCode.TrackingIdMismatch,
        message: `order ${row.OrderID} was shipped as ${order.trackingId}, not ${row.TrackingID}`,
      });
  }
  return problems;
}

/**
 * The row's id: a hash of what it says (not of where it is in the file), so the same row imported again, from this
 * file or another, is the same record, and a corrected row is a new one.
 */
export function settlementId(row: SettlementRow): string {
  const content = [SETTLING_PARTNER, row.SettlementDate, row.OrderID, row.TrackingID, row.CollectedAmount, row.CollectedAt].join('\n');
  return `${SETTLING_PARTNER}-${createHash('sha256').update(content).digest('hex').slice(0, 24)}`;
}

/** The `payment.settlement.v1` record of a row, for the order's store. */
export const settlementRecord = (row: SettlementRow, store: string, sourceFile: string): PaymentSettlement => ({
  SettlementID: settlementId(row),
  Partner: SETTLING_PARTNER,
  SettlementDate: row.SettlementDate,
  OrderID: row.OrderID,
  ShipFromLocationID: store,
  TrackingID: row.TrackingID,
  SettledAmount: row.CollectedAmount,
  CollectedAt: row.CollectedAt,
  SourceFile: sourceFile,
  SourceLine: row.line,
});

/** A report as PMP writes it (the simulator's, and the tests'): the header, then a row per entry, CRLF. */
export function writeSettlementReport(entries: ReadonlyArray<Record<SettlementColumn, string>>): string {
  const lines = [
    SETTLEMENT_COLUMNS.join(','),
    ...entries.map((entry) => SETTLEMENT_COLUMNS.map((column) => csvField(entry[column])).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
