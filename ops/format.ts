/** How the operator commands write for people: aligned tables, counts, ages, one-line excerpts. */

export type Align = 'left' | 'right';

/**
 * Rows under a header, each column as wide as its widest cell, two spaces between columns. `right` aligns the
 * columns named (numbers). Trailing spaces are trimmed.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, right: readonly number[] = []): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((width, column) => {
        const cell = cells[column] ?? '';
        return right.includes(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** 12345 → "12,345"; bigints too. */
export function count(value: number | bigint): string {
  const text = typeof value === 'bigint' ? value.toString() : String(Math.round(value));
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  return (negative ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A span of seconds as people say it: "0.4 s", "12 s", "3 min", "2 h 5 min", "3 d". */
export function span(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) {
    const minutes = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
  }
  return `${Math.floor(s / 86_400)} d`;
}

/** How long before `now` the time `at` (both epoch ms) was: "3 min ago"; "just now" under a second in the future. */
export function ago(at: number, now: number): string {
  const seconds = (now - at) / 1000;
  if (seconds < -1) return `in ${span(-seconds)}`;
  return `${span(seconds)} ago`;
}

/** An ISO time without its milliseconds: 2026-05-01T03:12:09Z. */
export const isoSeconds = (at: number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** "1 dead letter", "3 dead letters". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

/** One line of at most `max` characters: newlines and runs of spaces become one space, a cut ends with "…". */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/** Partitions as ranges: [0, 1, 2, 5] → "0-2, 5". */
export function ranges(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(', ');
}

/** C0 controls other than tab, newline and carriage return (and vertical tab, form feed), and DEL: binary, not text. */
function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return (code < 0x20 && (code < 0x09 || code > 0x0d)) || code === 0x7f;
}

/**
 * A record value for people: its text when it is UTF-8 without control characters (JSON compacted), else its
 * size and first bytes in hex.
 */
export function describeBytes(value: Buffer | null, max: number): string {
  if (value === null) return '(null: a tombstone)';
  const text = value.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(value) && ![...text].some(isControl);
  if (!printable) {
    const hex = value.subarray(0, 24).toString('hex').replace(/(..)/g, '$1 ').trim();
    return `${count(value.length)} bytes, not text: ${hex}${value.length > 24 ? ' …' : ''}`;
  }
  try {
    return clip(JSON.stringify(JSON.parse(text)), max);
  } catch {
    return clip(text, max);
  }
}

/** JSON for machines: bigints as strings, Maps and Sets as arrays of their entries. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Map) return Object.fromEntries(item as Map<string, unknown>);
      if (item instanceof Set) return [...(item as Set<unknown>)];
      return item;
    },
    2,
  );
}
