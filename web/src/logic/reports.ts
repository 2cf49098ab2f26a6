/**
 * The reports' logic without the DOM: the range of business days asked (its defaults and its checks, as the
 * service checks them), what a cancellation reason is, and the CSV files the tables download. Money stays the
 * exact 4-decimal string the API sends, in the CSV too.
 */
import { CANCEL_REASONS, REASON_TEXT, type CancelReason } from './cancel.js';
import { isDay } from './dates.js';

/** The longest range of one report, in days (query-service/report-routes.ts, MAX_REPORT_DAYS). */
export const MAX_REPORT_DAYS = 92;
/** Days shown when none are asked: the last week, today included. */
export const DEFAULT_REPORT_DAYS = 7;
/** The stores' time zone: the default business day (OMNIA_BUSINESS_TIMEZONE); the answer names the one used. */
export const BUSINESS_TIME_ZONE = 'Asia/Bangkok';

/** The date (YYYY-MM-DD) at `ms` in `timeZone`. */
export function businessDay(ms: number, timeZone: string = BUSINESS_TIME_ZONE): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(ms);
  const part = (type: string) => parts.find((entry) => entry.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** `day` moved by `n` days (negative: back). */
export function addDays(day: string, n: number): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + n)).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included (0 or less when `to` is before `from`). */
export function daysIn(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** A business day, short, in the app's language: "21 Nov 2026", "21 พ.ย. 2569" (the Thai calendar). */
export function shortDay(day: string, lang: 'th' | 'en'): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const at = Date.UTC(year, month - 1, date);
  if (!isDay(day) || Number.isNaN(at)) return day;
  return new Intl.DateTimeFormat(lang === 'th' ? 'th-TH' : 'en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(at);
}

export interface DayRange {
  from: string;
  to: string;
}

/** The last DEFAULT_REPORT_DAYS business days up to today. */
export function defaultRange(nowMs: number, timeZone: string = BUSINESS_TIME_ZONE): DayRange {
  const to = businessDay(nowMs, timeZone);
  return { from: addDays(to, -(DEFAULT_REPORT_DAYS - 1)), to };
}

export type RangeProblem = 'required' | 'notADay' | 'afterTo' | 'tooLong';

/** What is wrong with the days typed, per field, as the service would refuse them; empty when nothing is. */
export function rangeProblems(from: string, to: string): Partial<Record<keyof DayRange, RangeProblem>> {
  const problems: Partial<Record<keyof DayRange, RangeProblem>> = {};
  if (from === '') problems.from = 'required';
  else if (!isDay(from)) problems.from = 'notADay';
  if (to === '') problems.to = 'required';
  else if (!isDay(to)) problems.to = 'notADay';
  if (problems.from || problems.to) return problems;
  const days = daysIn(from, to);
  if (days < 1) problems.from = 'afterTo';
  else if (days > MAX_REPORT_DAYS) problems.to = 'tooLong';
  return problems;
}

/** The report a route asks for: its days when they are a good range, else the default; and its store. */
export function reportQuery(query: URLSearchParams, nowMs: number): DayRange & { store: string | undefined } {
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  const range = Object.keys(rangeProblems(from, to)).length === 0 ? { from, to } : defaultRange(nowMs);
  return { ...range, store: query.get('store') || undefined };
}

// ---------------------------------------------------------------------------------------------- reasons

/** Codes the pipeline cancels with; the screen has words for them. */
export const PIPELINE_REASONS = [
  'COD_AMOUNT_OUT_OF_RANGE',
  'COD_AREA_NOT_SERVED',
  'COD_CUSTOMER_INELIGIBLE',
  'DISCOUNT_EXCEEDS_SUBTOTAL',
  'ALL_LINES_SHORT',
] as const;
export type PipelineReason = (typeof PIPELINE_REASONS)[number];

export type ReasonKind =
  | { kind: 'none' }
  | { kind: 'preset'; reason: Exclude<CancelReason, 'other'> }
  | { kind: 'code'; code: PipelineReason }
  | { kind: 'text'; text: string };

/** A cancellation reason as recorded: none, one of the app's presets (sent in English), a pipeline code, or free text. */
export function reasonKind(reason: string | null): ReasonKind {
  if (reason === null || reason.trim() === '') return { kind: 'none' };
  const preset = CANCEL_REASONS.find((key) => key !== 'other' && REASON_TEXT[key] === reason);
  if (preset && preset !== 'other') return { kind: 'preset', reason: preset };
  const code = PIPELINE_REASONS.find((known) => known === reason);
  if (code) return { kind: 'code', code };
  return { kind: 'text', text: reason };
}

// -------------------------------------------------------------------------------------------------- CSV

/** Excel reads a file as UTF-8 (Thai included) only when it starts with this byte order mark. */
export const CSV_BOM = '\uFEFF';

export type CsvValue = string | number | null | undefined;

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/** A text starting with one of these is a formula to a spreadsheet: typed reasons must not run as one. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One field: numbers and decimal strings as they are (money keeps its four decimals), empty for none; text
 * starting like a formula gets a leading apostrophe; a field with a comma, quote, line break or outer space is
 * quoted, quotes doubled (RFC 4180).
 */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = value;
  if (!PLAIN_NUMBER.test(text) && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole file: the byte order mark, the header, then the rows, lines ended by CRLF. */
export function csvText(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(','));
  return `${CSV_BOM}${lines.join('\r\n')}\r\n`;
}

/** A file name from its parts: "omnia-orders-per-day-QC0001-2026-11-15-2026-11-21.csv"; unsafe characters become "-". */
export function csvFileName(parts: readonly (string | undefined)[]): string {
  const name = parts
    .filter((part): part is string => part !== undefined && part !== '')
    .map((part) => part.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('-');
  return `${name || 'report'}.csv`;
}

/** The stores a section's rows are about; totals are shown only when there are more than one. */
export const storesIn = (rows: readonly { storeId: string }[]): number => new Set(rows.map((row) => row.storeId)).size;
