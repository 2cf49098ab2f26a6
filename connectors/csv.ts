/**
 * Comma-separated values as RFC 4180 writes them: fields separated by commas, records by CRLF or LF (a lone CR
 * too), a field in double quotes may hold commas, line breaks and quotes doubled (`"say ""hi"""`). Each record
 * keeps the line it starts on, so a problem can be reported where a person finds it in an editor. A line with
 * nothing on it is no record. Pure: text in, records out.
 */

export type CsvProblemCode = 'UNTERMINATED_QUOTE' | 'STRAY_QUOTE';

export interface CsvRecord {
  /** Line the record starts on, from 1. */
  readonly line: number;
  readonly fields: readonly string[];
  /** What is wrong with its quoting, if anything; the fields are then as read, quotes kept literally. */
  readonly problem?: { readonly code: CsvProblemCode; readonly message: string };
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let closed = false; // after the closing quote of a quoted field
  let problem: CsvRecord['problem'];
  const stray = (what: string) => {
    problem ??= {
      code: 'STRAY_QUOTE',
      message: `${what} in field ${fields.length + 1}: quote a field whole ("…") and double a quote inside it`,
    };
  };
  const endRecord = () => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0] === '' && !closed && !problem;
    if (!blank) records.push({ line: start, fields, ...(problem ? { problem } : {}) });
    fields = [];
    field = '';
    closed = false;
    problem = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          closed = true;
        }
      } else {
        if (char === '\n' || (char === '\r' && text[i + 1] !== '\n')) line++;
        field += char;
      }
      continue;
    }
    if (char === ',') {
      fields.push(field);
      field = '';
      closed = false;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else if (char === '"' && field === '' && !closed) {
      quoted = true;
    } else {
      if (closed) stray('text after a closing quote');
      else if (char === '"') stray('a quote inside an unquoted field');
      field += char;
    }
  }
  if (quoted) problem = { code: 'UNTERMINATED_QUOTE', message: `a quoted field of the record on line ${start} is never closed` };
  if (field !== '' || fields.length > 0 || closed || problem) endRecord();
  return records;
}

/** A field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break. */
export const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
