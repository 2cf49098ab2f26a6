/**
 * Bad HTTP requests for every route of the query service, made from the route's own schemas (body, querystring,
 * params, headers, as Fastify holds them) and a seed: wrong types, missing required fields, unknown enum values,
 * huge strings and arrays (of good items and of bad ones), deep nesting, patterns broken, money with 5 decimals,
 * negative and too large numbers, impossible dates, unknown fields, several fields at once; and what no schema
 * says but every route must refuse: truncated or invalid JSON, a body that is no object, invalid UTF-8 (body,
 * query, path), the wrong content type, a body over the limit, a path parameter over the router's limit, headers
 * over Node's. Same spirit as bad-records.ts, for the topics.
 *
 * Each request names its kind, the field(s) it breaks and the answer it must get: 400 whose details name every
 * broken field, or 413 / 414 / 415 / 431. A route added later is fuzzed as soon as it declares its schemas; the
 * generator is pure (no I/O) and lazy (a body over the limit is made when it is taken, not before).
 *
 * The values a broken request keeps valid are made from the schema too (a candidate that meets the field's
 * bounds, pattern, format and enum), or taken from `examples` by field name (a real order's ID for `orderId`).
 * Wrong types are chosen so that no validator the service uses coerces them back (an object for a string, a
 * fraction for an integer), whatever its options.
 */
import { seeded } from './bad-records.js';

export type Location = 'body' | 'querystring' | 'params' | 'headers';

export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly $ref?: string;
}

/** One route as Fastify holds it (its onRoute options). */
export interface RouteInput {
  readonly method: string;
  readonly url: string;
  readonly schema?: Readonly<Partial<Record<Location, JsonSchema>>>;
  /** The route's own body limit, when it sets one. */
  readonly bodyLimit?: number;
  /** Open to callers without a token (`config.public`). */
  readonly open?: boolean;
}

/** The HTTP layer's limits: Fastify's body limit and longest path parameter, Node's header size. */
export interface Limits {
  readonly bodyLimit: number;
  readonly maxParamLength: number;
  readonly maxHeaderBytes: number;
}

export interface Broken {
  readonly location: Location;
  /** The field's path, dot-joined as the 400's details name it (`lines.0.quantity`); `(root)` for the whole body. */
  readonly field: string;
}

export interface Expected {
  readonly status: number;
  /** For a 400: the fields its details must name (each, or a field inside it). */
  readonly fields: readonly Broken[];
  /** Answered by the HTTP layer before the route's hooks (URL syntax, header size): a caller without a token gets it too. */
  readonly beforeAuth: boolean;
}

export const KINDS = [
  'wrong-type',
  'missing-required',
  'unknown-enum',
  'huge-string',
  'huge-array',
  'huge-array-of-bad-items',
  'deep-nesting',
  'pattern-mismatch',
  'money-5-decimals',
  'negative-number',
  'above-maximum',
  'impossible-date',
  'unknown-field',
  'several',
  'invalid-json',
  'not-an-object',
  'invalid-utf8',
  'wrong-content-type',
  'oversize-body',
  'param-too-long',
  'oversize-headers',
] as const;
export type Kind = (typeof KINDS)[number];

export interface BadRequest {
  /** `METHOD url` of the route, as declared. */
  readonly route: string;
  readonly kind: Kind;
  readonly breaks: readonly Broken[];
  readonly method: string;
  /** Path and query string, exactly as sent (percent-encoded; invalid encodings left as they are). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Sent without a content-length (chunked): the limit is found while reading. */
  readonly chunked?: boolean;
  readonly expected: Expected;
}

export interface BadRequestOptions {
  readonly perRoute: number;
  readonly seed: number;
  readonly limits: Limits;
  /** Valid values by field name (the last part of its path; an array's items go by the array's name). */
  readonly examples?: Readonly<Record<string, readonly string[]>>;
  /** Schemas routes refer to with `$ref` (Fastify's shared schemas, by `$id`). */
  readonly shared?: Readonly<Record<string, JsonSchema>>;
}

// ------------------------------------------------------------------------------------------ schema reading

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = ReadonlyArray<string | number>;
type Random = () => number;

const typesOf = (schema: JsonSchema): readonly string[] =>
  schema.type === undefined
    ? schema.properties
      ? ['object']
      : schema.items
        ? ['array']
        : []
    : typeof schema.type === 'string'
      ? [schema.type]
      : schema.type;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A schema with its `$ref` followed (to a shared schema, by `$id#`); an unknown ref reads as "anything". */
function resolved(schema: JsonSchema | undefined, shared: Readonly<Record<string, JsonSchema>>): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  const [id = '', pointer = ''] = schema.$ref.split('#');
  let target: unknown = shared[id] ?? shared[`${id}#`];
  for (const part of pointer.split('/').filter(Boolean))
    target = isObject(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObject(target) ? (target as JsonSchema) : undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const realDay = (year: number, month: number, day: number) =>
  month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();

function formatOk(format: string | undefined, value: string): boolean {
  if (format === 'date') {
    const match = DATE.exec(value);
    return !!match && realDay(Number(match[1]), Number(match[2]), Number(match[3]));
  }
  if (format === 'date-time') {
    const match = DATE_TIME.exec(value);
    return !!match && realDay(Number(match[1]), Number(match[2]), Number(match[3])) && Number(match[4]) < 24 && Number(match[5]) < 60;
  }
  return true; // a format this file does not know constrains nothing it relies on
}

const patternOf = (pattern: string) => new RegExp(pattern, 'u');
/** Characters as JSON Schema counts them (code points). */
const lengthOf = (value: string) => [...value].length;

function stringOk(schema: JsonSchema, value: string): boolean {
  if (schema.enum && !schema.enum.includes(value)) return false;
  if (schema.const !== undefined && schema.const !== value) return false;
  if (schema.minLength !== undefined && lengthOf(value) < schema.minLength) return false;
  if (schema.maxLength !== undefined && lengthOf(value) > schema.maxLength) return false;
  if (schema.pattern !== undefined && !patternOf(schema.pattern).test(value)) return false;
  return formatOk(schema.format, value);
}

/** Strings tried, in order, for a field with no example: one of them meets most fields' rules. */
const STRING_CANDIDATES = [
  'QC0001',
  'SKU-100',
  'fuzz',
  '12.5000',
  '10.00',
  '0.0700',
  '10330',
  '2026-01-15',
  '2026-01-15T10:00:00Z',
  '1',
  '5000',
  'Collected',
  'th',
  'true',
  'x',
  'Fuzz_1-a',
];

/** Values that make a field with this pattern read as money: 4 decimals at most. */
const isMoneyPattern = (pattern: string | undefined) =>
  pattern !== undefined && ['12.5', '12.3456'].every((ok) => patternOf(pattern).test(ok)) && !patternOf(pattern).test('12.34567');

// ------------------------------------------------------------------------------------------- valid values

interface Context {
  readonly next: Random;
  readonly examples: Readonly<Record<string, readonly string[]>>;
  readonly shared: Readonly<Record<string, JsonSchema>>;
}

const pick = <T>(next: Random, values: readonly T[]): T => values[Math.floor(next() * values.length)]!;

/** Fisher–Yates: the same order for the same seed, whatever the engine's sort. */
function shuffled<T>(next: Random, values: readonly T[]): T[] {
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function validString(schema: JsonSchema, name: string, context: Context): string | undefined {
  const given = context.examples[name]?.filter((value) => stringOk(schema, value)) ?? [];
  if (given.length > 0) return pick(context.next, given);
  const own = [schema.const, schema.default, ...(schema.enum ?? []), ...(schema.examples ?? [])].filter(
    (value): value is string => typeof value === 'string' && stringOk(schema, value),
  );
  if (own.length > 0) return own[0];
  return STRING_CANDIDATES.find((value) => stringOk(schema, value));
}

function validNumber(schema: JsonSchema, integer: boolean): number {
  if (typeof schema.default === 'number') return schema.default;
  const low = schema.minimum ?? 1;
  const value = Math.max(low, Math.min(schema.maximum ?? Math.max(low, 1), Math.max(low, 1)));
  return integer ? Math.ceil(value) : value;
}

/** A value the schema accepts, or undefined when this file cannot make one (the field is then left out, or wrong). */
function validValue(raw: JsonSchema | undefined, name: string, context: Context, depth = 0): Json | undefined {
  const schema = resolved(raw, context.shared);
  if (!schema || depth > 12) return undefined;
  const types = typesOf(schema);
  if (types.includes('object')) return validObject(schema, context, depth);
  if (types.includes('array')) {
    const item = validValue(schema.items, name, context, depth + 1);
    if (item === undefined) return schema.minItems ? undefined : [];
    return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => clone(item));
  }
  if (types.includes('string')) return validString(schema, name, context);
  if (types.includes('integer')) return validNumber(schema, true);
  if (types.includes('number')) return validNumber(schema, false);
  if (types.includes('boolean')) return typeof schema.default === 'boolean' ? schema.default : true;
  if (types.includes('null')) return null;
  return undefined;
}

function validObject(schema: JsonSchema, context: Context, depth: number): Record<string, Json> {
  const required = new Set([...(schema.required ?? []), ...([...(schema.anyOf ?? []), ...(schema.oneOf ?? [])][0]?.required ?? [])]);
  const object: Record<string, Json> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (!required.has(name) && context.next() < 0.5) continue;
    const value = validValue(property, name, context, depth + 1);
    if (value !== undefined) object[name] = value;
  }
  return object;
}

// --------------------------------------------------------------------------------------- what to break

/** One field a request can break: where it is and its schema. */
interface Target {
  readonly location: Location;
  readonly path: Path;
  readonly schema: JsonSchema;
  /** Required by its parent (and without a default): leaving it out is an error. */
  readonly required: boolean;
}

const fieldOf = (path: Path) => (path.length === 0 ? '(root)' : path.join('.'));
const nameOf = (path: Path): string => {
  const last = path.at(-1);
  return typeof last === 'number' ? nameOf(path.slice(0, -1)) : (last ?? '');
};

/** Every field of `schema`, through the base value (array items at index 0). */
function targetsOf(location: Location, schema: JsonSchema, context: Context, path: Path = [], depth = 0): Target[] {
  const targets: Target[] = [];
  const resolvedSchema = resolved(schema, context.shared);
  if (!resolvedSchema || depth > 12) return targets;
  for (const [name, raw] of Object.entries(resolvedSchema.properties ?? {})) {
    const property = resolved(raw, context.shared);
    if (!property) continue;
    const here = [...path, name];
    const required = (resolvedSchema.required ?? []).includes(name) && property.default === undefined;
    targets.push({ location, path: here, schema: property, required });
    const types = typesOf(property);
    if (types.includes('object')) targets.push(...targetsOf(location, property, context, here, depth + 1));
    const items = resolved(property.items, context.shared);
    if (types.includes('array') && items && typesOf(items).includes('object'))
      targets.push(...targetsOf(location, items, context, [...here, 0], depth + 1));
    else if (types.includes('array') && items && location === 'body')
      targets.push({ location, path: [...here, 0], schema: items, required: false });
  }
  return targets;
}

/** A value of a JSON type the field does not take, that no validator coerces into one it does. */
function wrongType(schema: JsonSchema, location: Location, next: Random): Json | string[] | undefined {
  const types = typesOf(schema);
  if (types.length === 0) return undefined;
  if (location === 'querystring' || location === 'params' || location === 'headers') {
    // Everything there is text: a number that is not one, a flag that is not one; a text given twice is a list.
    if (types.includes('integer')) return pick(next, ['twelve', '1.5', '2.5e-1']);
    if (types.includes('number')) return pick(next, ['twelve', '1,5']);
    if (types.includes('boolean')) return pick(next, ['maybe', 'yes-no']);
    if (types.includes('string') && !types.includes('array') && location === 'querystring') return ['one', 'two'];
    return undefined;
  }
  const candidates: Json[] = [{ fuzz: 1 }, [1, 2], 'not-a-number', 1.5];
  const fits = (value: Json) => {
    if (isObject(value)) return types.includes('object');
    if (Array.isArray(value)) return types.includes('array');
    if (typeof value === 'string') return types.includes('string') || types.includes('array'); // a text becomes [text]
    return types.includes('number') || types.includes('string') || types.includes('boolean'); // 1.5 becomes "1.5"
  };
  const wrong = candidates.filter((value) => !fits(value));
  return wrong.length ? pick(next, wrong) : undefined;
}

/** A text the field's pattern refuses, meeting its other bounds where one can. */
function patternBreaker(schema: JsonSchema, next: Random): string | undefined {
  if (schema.pattern === undefined) return undefined;
  const regex = patternOf(schema.pattern);
  const candidates = ['not valid!', 'x y', '--', '-1', '0', '1.2.3', '%', 'ab,', '..', 'zz'];
  const start = Math.floor(next() * candidates.length);
  const ordered = [...candidates.slice(start), ...candidates.slice(0, start)];
  const fitting = ordered.filter(
    (value) =>
      !regex.test(value) &&
      (schema.minLength === undefined || lengthOf(value) >= schema.minLength) &&
      (schema.maxLength === undefined || lengthOf(value) <= schema.maxLength),
  );
  return fitting[0] ?? ordered.find((value) => !regex.test(value));
}

/**
 * A date or time of the field's shape that is no real one, when the field takes dates: mostly ones JavaScript's
 * Date.parse reads without a word as another (Feb 30 as 2 March, Feb 29 of 2026, 24:00 as the next day).
 */
function impossibleDate(schema: JsonSchema, next: Random): string | undefined {
  const days = ['2026-02-30', '2026-04-31', '2026-02-29', '2026-13-01'];
  const times = ['2026-02-30T10:00:00Z', '2026-04-31T10:00:00Z', '2026-02-29T10:00:00Z', '2026-01-15T24:00:00Z', '2026-13-01T10:00:00Z'];
  const shapeOk = (value: string) =>
    (schema.pattern === undefined || patternOf(schema.pattern).test(value)) &&
    (schema.maxLength === undefined || value.length <= schema.maxLength);
  // A field that takes dates: its format says so, or its pattern takes a date and refuses a word.
  const takes = (good: string) =>
    typesOf(schema).includes('string') && stringOk(schema, good) && schema.pattern !== undefined && !stringOk(schema, 'fuzz');
  if (schema.format === 'date' || (schema.format === undefined && takes('2026-01-15'))) {
    const fitting = days.filter(shapeOk);
    if (fitting.length) return pick(next, fitting);
  }
  if (schema.format === 'date-time' || (schema.format === undefined && takes('2026-01-15T10:00:00Z'))) {
    const fitting = times.filter(shapeOk);
    if (fitting.length) return pick(next, fitting);
  }
  return undefined;
}

/** A string over the field's bounds, of at most `most` characters; undefined when no length breaks it. */
function hugeString(schema: JsonSchema, most: number, next: Random): string | undefined {
  if (!typesOf(schema).includes('string')) return undefined;
  const least = schema.maxLength !== undefined ? schema.maxLength + 1 : 200;
  if (least > most) return undefined;
  const value = 'x'.repeat(least + Math.floor(next() * (most - least)));
  return stringOk(schema, value) ? undefined : value;
}

const INVALID_UTF8 = [[0xff], [0xc3, 0x28], [0xe2, 0x28, 0xa1], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf0, 0x90, 0x28, 0xbc], [0xe2, 0x82]];
const percent = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/octet-stream',
  'application/jsonx',
  '',
];
const NOT_OBJECTS = ['[]', '[1,2]', '42', '-0.5', '"text"', '""', 'null', 'true', 'false'];

// ------------------------------------------------------------------------------------------- one route

/** A request's parts while it is being broken. */
interface Draft {
  params: Record<string, string>;
  /** Each value raw (already percent-encoded) or as text (encoded when sent); a list is the parameter repeated. */
  query: Record<string, string | string[] | { raw: string }>;
  headers: Record<string, string>;
  body: Json | undefined;
  /** Replaces the JSON text of a placeholder string value (deep nesting, a huge list, invalid bytes). */
  splices: Array<{ placeholder: string; bytes: () => Buffer }>;
}

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

function setAt(root: Json | undefined, path: Path, value: Json | undefined): Json | undefined {
  if (path.length === 0) return value;
  let node: Json | undefined = root;
  for (const part of path.slice(0, -1)) {
    const child: Json | undefined = isObject(node) || Array.isArray(node) ? (node as Record<string | number, Json>)[part] : undefined;
    if (child === undefined || child === null || typeof child !== 'object') return root; // the base left this out: nothing to break
    node = child;
  }
  const last = path.at(-1)!;
  if (!(isObject(node) || Array.isArray(node))) return root;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete (node as Record<string, Json>)[String(last)];
  } else (node as Record<string | number, Json>)[last] = value;
  return root;
}

const present = (root: Json | undefined, path: Path): boolean => {
  let node: Json | undefined = root;
  for (const part of path) {
    if (!(isObject(node) || Array.isArray(node))) return false;
    node = (node as Record<string | number, Json>)[part];
    if (node === undefined) return false;
  }
  return true;
};
const parentPresent = (root: Json | undefined, path: Path) => present(root, path.slice(0, -1));

/** How a request is made: its kind, the fields it breaks, and the change it makes to a valid draft. */
interface Maker {
  readonly kind: Kind;
  readonly breaks: (draft: Draft) => readonly Broken[];
  /** Breaks the draft; false when it cannot here (the base lacks what it breaks). */
  readonly apply: (draft: Draft, next: Random, n: number) => boolean;
  /** The answer when it is not a 400 naming what `breaks` says. */
  readonly expected?: (draft: Draft) => Omit<Expected, 'fields'> & { fields?: readonly Broken[] };
  /** May be one of the breakages of a `several` request (a schema error of one field, reported with the others). */
  readonly combinable?: boolean;
}

/** Sets a body field, a query parameter or a header to `value`. */
function put(draft: Draft, target: Target, value: Json | string[] | { raw: string } | undefined): boolean {
  if (target.location === 'body') {
    if (!parentPresent(draft.body, target.path)) return false;
    draft.body = setAt(draft.body, target.path, value as Json | undefined);
    return true;
  }
  const name = String(target.path[0]);
  if (target.location === 'querystring') {
    if (value === undefined) delete draft.query[name];
    else if (Array.isArray(value)) draft.query[name] = value.map(String);
    else if (isObject(value) && typeof value.raw === 'string') draft.query[name] = { raw: value.raw };
    else draft.query[name] = String(value);
    return true;
  }
  if (target.location === 'headers') {
    if (value === undefined) delete draft.headers[name];
    else draft.headers[name] = String(value);
    return true;
  }
  draft.params[name] = String(value ?? '');
  return true;
}

/** A placeholder string put where bytes of our own will go. */
const placeholder = (n: number) => `\u0001fuzz-splice-${n}\u0001`;

function fieldMakers(target: Target, context: Context, limits: Limits): Maker[] {
  const { schema, location, path } = target;
  const broken: Broken = { location, field: fieldOf(path) };
  const makers: Maker[] = [];
  const field = (kind: Kind, value: (next: Random, n: number) => Json | string[] | { raw: string } | undefined, combinable = true) =>
    makers.push({
      kind,
      combinable,
      breaks: () => [broken],
      apply: (draft, next, n) => {
        const made = value(next, n);
        return made !== undefined && put(draft, target, made);
      },
    });
  const types = typesOf(schema);
  const textual = location !== 'body';
  // Longest text a location carries: the whole URL and headers must stay under Node's header limit.
  const most = location === 'body' ? 64 * 1024 : location === 'params' ? limits.maxParamLength : Math.floor(limits.maxHeaderBytes / 4);

  if (location !== 'params' && wrongType(schema, location, context.next) !== undefined)
    field('wrong-type', (next) => wrongType(schema, location, next));
  if (target.required && location !== 'params')
    makers.push({
      kind: 'missing-required',
      combinable: true,
      breaks: () => [broken],
      apply: (draft) => (location === 'body' ? present(draft.body, path) && put(draft, target, undefined) : put(draft, target, undefined)),
    });
  if (schema.enum && types.includes('string')) field('unknown-enum', (next) => `FUZZ_${Math.floor(next() * 1e6)}`);
  if (hugeString(schema, most, context.next) !== undefined)
    field('huge-string', (next) => hugeString(schema, most, next), location !== 'params');
  if (schema.pattern !== undefined && types.includes('string')) field('pattern-mismatch', (next) => patternBreaker(schema, next));
  if (isMoneyPattern(schema.pattern) && types.includes('string'))
    field('money-5-decimals', (next) => `${Math.floor(next() * 10_000)}.${String(10_000 + Math.floor(next() * 89_999)).slice(1)}7`);
  const numeric = types.includes('integer') || types.includes('number');
  if (numeric && schema.minimum !== undefined && schema.minimum >= 0)
    field('negative-number', (next) => {
      const value = -1 - Math.floor(next() * 1000);
      return textual ? String(value) : value;
    });
  if (numeric && schema.maximum !== undefined)
    field('above-maximum', (next) => {
      const value = schema.maximum! + 1 + Math.floor(next() * 1000);
      return textual ? String(value) : value;
    });
  if (impossibleDate(schema, context.next) !== undefined) field('impossible-date', (next) => impossibleDate(schema, next), false);

  const items = resolved(schema.items, context.shared);
  if (types.includes('array') && schema.maxItems !== undefined && (location === 'body' || location === 'querystring')) {
    const item = items && validValue(items, nameOf(path), context);
    if (item !== undefined)
      field(
        'huge-array',
        (next) => {
          const count = schema.maxItems! + 1 + Math.floor(next() * Math.min(schema.maxItems! + 1, 2_000));
          return location === 'body' ? Array.from({ length: count }, () => clone(item)) : Array.from({ length: count }, () => String(item));
        },
        false,
      );
  }
  if (location === 'body' && types.includes('array') && items) {
    // As many wrong items as the body limit lets in: the answer must stay small and quick all the same.
    const bad = JSON.stringify(wrongType(items, 'body', () => 0.99) ?? 0);
    makers.push({
      kind: 'huge-array-of-bad-items',
      breaks: () => [broken],
      apply: (draft, _next, n) => {
        const mark = placeholder(n);
        if (!put(draft, target, mark)) return false;
        draft.splices.push({
          placeholder: mark,
          bytes: () => {
            const room = limits.bodyLimit - 64 * 1024;
            const count = Math.max((schema.maxItems ?? 0) + 1, Math.floor(room / (bad.length + 1)));
            return Buffer.from(`[${Array.from({ length: count }, () => bad).join(',')}]`);
          },
        });
        return true;
      },
    });
  }
  if (location === 'body')
    makers.push({
      kind: 'deep-nesting',
      breaks: () => [broken],
      apply: (draft, next, n) => {
        const mark = placeholder(n);
        if (!put(draft, target, mark)) return false;
        const depth = 1_000 + Math.floor(next() * 50_000);
        const arrays = next() < 0.5;
        draft.splices.push({
          placeholder: mark,
          bytes: () => Buffer.from(arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
        });
        return true;
      },
    });
  if (location === 'body' && types.includes('object') && schema.additionalProperties === false)
    makers.push({
      kind: 'unknown-field',
      combinable: true,
      breaks: () => [{ location, field: fieldOf([...path, 'fuzzUnknown']) }],
      apply: (draft) => present(draft.body, path) && put(draft, { ...target, path: [...path, 'fuzzUnknown'] }, 'surprise'),
    });
  return makers;
}

/** Breakages of the request as a whole: its body's bytes, its content type and size, its path, its headers. */
function requestMakers(
  route: RouteInput,
  limits: Limits,
  bodySchema: JsonSchema | undefined,
  params: readonly string[],
  queryFields: readonly string[],
): Maker[] {
  const makers: Maker[] = [];
  // A query parameter that is not UTF-8 once decoded: one of the route's, or one it does not read at all.
  let queryField = 'fuzz';
  makers.push({
    kind: 'invalid-utf8',
    breaks: () => [{ location: 'querystring', field: queryField }],
    apply: (draft, next) => {
      queryField = queryFields.length > 0 && next() < 0.8 ? pick(next, queryFields) : 'fuzz';
      draft.query[queryField] = { raw: `x${pick(next, INVALID_UTF8).map(percent).join('')}` };
      return true;
    },
  });
  const takesBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  const bodyLimit = route.bodyLimit ?? limits.bodyLimit;
  const root: Broken = { location: 'body', field: '(root)' };
  if (bodySchema) {
    makers.push({
      kind: 'invalid-json',
      breaks: () => [],
      apply: (draft, next) => {
        const text = JSON.stringify(draft.body ?? {});
        const broken = [
          () => text.slice(0, Math.floor(next() * text.length)), // truncated, perhaps to nothing
          () => `${text}}`,
          () => text.replace(/"/g, "'"),
          () => text.replace(/}$/, ',}'),
          () => `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"n":NaN}`,
          () => `/* fuzz */${text}`,
        ];
        draft.body = undefined;
        const bytes = Buffer.from(pick(next, broken)());
        draft.splices.push({ placeholder: '', bytes: () => bytes });
        return true;
      },
    });
    makers.push({
      kind: 'not-an-object',
      breaks: () => [root],
      apply: (draft, next) => {
        const text = pick(next, NOT_OBJECTS);
        draft.body = undefined;
        draft.splices.push({ placeholder: '', bytes: () => Buffer.from(text) });
        return true;
      },
    });
    makers.push({
      kind: 'deep-nesting',
      breaks: () => [root],
      apply: (draft, next) => {
        const depth = 1_000 + Math.floor(next() * 50_000);
        draft.body = undefined;
        draft.splices.push({ placeholder: '', bytes: () => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`) });
        return true;
      },
    });
    makers.push({
      kind: 'invalid-utf8',
      breaks: () => [],
      apply: (draft, next) => {
        const text = JSON.stringify(draft.body ?? {});
        const at = text.indexOf('"') + 1 || 1;
        const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(pick(next, INVALID_UTF8)), Buffer.from(text.slice(at))]);
        draft.body = undefined;
        draft.splices.push({ placeholder: '', bytes: () => bytes });
        return true;
      },
    });
  }
  if (bodySchema?.additionalProperties === false)
    makers.push({
      kind: 'unknown-field',
      breaks: () => [{ location: 'body', field: 'fuzzUnknown' }],
      apply: (draft) => isObject(draft.body) && !!(draft.body.fuzzUnknown = 'surprise'),
    });
  if (takesBody) {
    makers.push({
      kind: 'wrong-content-type',
      breaks: () => [],
      apply: (draft, next) => {
        if (draft.body === undefined) draft.body = {};
        const type = pick(next, WRONG_CONTENT_TYPES);
        if (type) draft.headers['content-type'] = type;
        else draft.headers['content-type'] = '\u0000none'; // sent without one
        return true;
      },
      expected: () => ({ status: 415, beforeAuth: false }),
    });
    makers.push({
      kind: 'oversize-body',
      breaks: () => [],
      apply: (draft, next, n) => {
        const size = bodyLimit + 1 + Math.floor(next() * 64 * 1024);
        draft.body = undefined;
        draft.splices.push({ placeholder: n % 2 ? 'chunked' : '', bytes: () => Buffer.from(`{"fuzz":"${'x'.repeat(size)}"}`) });
        return true;
      },
      expected: () => ({ status: 413, beforeAuth: false }),
    });
  }
  for (const name of params) {
    makers.push({
      kind: 'param-too-long',
      breaks: () => [{ location: 'params', field: name }],
      apply: (draft, next) => {
        draft.params[name] = 'p'.repeat(limits.maxParamLength + 1 + Math.floor(next() * 4_000));
        return true;
      },
      expected: () => ({ status: 414, beforeAuth: true, fields: [] }),
    });
    makers.push({
      kind: 'invalid-utf8',
      breaks: () => [{ location: 'params', field: name }],
      apply: (draft, next) => {
        draft.params[name] = `\u0000raw:fuzz${pick(next, INVALID_UTF8).map(percent).join('')}`;
        return true;
      },
      expected: () => ({ status: 400, beforeAuth: true, fields: [] }),
    });
  }
  makers.push({
    kind: 'oversize-headers',
    breaks: () => [],
    apply: (draft, next) => {
      draft.body = undefined; // no body: the connection is closed on the 431
      draft.headers['x-fuzz-padding'] = 'p'.repeat(limits.maxHeaderBytes + 1 + Math.floor(next() * limits.maxHeaderBytes));
      return true;
    },
    expected: () => ({ status: 431, beforeAuth: true }),
  });
  return makers;
}

/** `several`: two or three combinable breaks of one location at once (Fastify reports the first failing location only). */
function severalMaker(fieldMakersByTarget: ReadonlyArray<{ target: Target; makers: readonly Maker[] }>): Maker | undefined {
  const byLocation = new Map<Location, Array<{ target: Target; makers: readonly Maker[] }>>();
  for (const entry of fieldMakersByTarget) {
    const combinable = entry.makers.filter((maker) => maker.combinable);
    if (combinable.length === 0) continue;
    byLocation.set(entry.target.location, [...(byLocation.get(entry.target.location) ?? []), { ...entry, makers: combinable }]);
  }
  const locations = [...byLocation.entries()].filter(([, entries]) => entries.length >= 2);
  if (locations.length === 0) return undefined;
  let chosen: Maker[] = [];
  return {
    kind: 'several',
    breaks: (draft) => chosen.flatMap((maker) => maker.breaks(draft)),
    apply: (draft, next, n) => {
      const [, entries] = pick(next, locations);
      const candidates = shuffled(next, entries);
      const count = 2 + Math.floor(next() * 2);
      const taken: Array<{ target: Target; makers: readonly Maker[] }> = [];
      for (const entry of candidates) {
        if (taken.length >= count) break;
        const overlaps = taken.some(({ target }) => {
          const a = fieldOf(target.path);
          const b = fieldOf(entry.target.path);
          return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
        });
        if (!overlaps) taken.push(entry);
      }
      chosen = [];
      for (const entry of taken) {
        const maker = pick(next, entry.makers);
        if (maker.apply(draft, next, n)) chosen.push(maker);
      }
      return chosen.length >= 2;
    },
  };
}

/** A small stable hash: each route's requests depend on the seed and its own name only. */
const hashOf = (text: string) => [...text].reduce((hash, char) => (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0, 7);

const PARAM = /:([A-Za-z0-9_]+)/g;

/** The route's requests, one after another; `perRoute` of them, or none when it has nothing to break. */
export function* routeRequests(route: RouteInput, options: BadRequestOptions): Generator<BadRequest> {
  const next = seeded((options.seed ^ hashOf(`${route.method} ${route.url}`)) >>> 0);
  const context: Context = { next, examples: options.examples ?? {}, shared: options.shared ?? {} };
  const schema = route.schema ?? {};
  const params = [...route.url.matchAll(PARAM)].map((match) => match[1]!);
  const bodySchema = resolved(schema.body, context.shared);

  const targets: Target[] = [];
  for (const location of ['params', 'querystring', 'headers', 'body'] as const) {
    const part = resolved(schema[location], context.shared);
    if (part) targets.push(...targetsOf(location, part, context));
  }
  const byTarget = targets.map((target) => ({ target, makers: fieldMakers(target, context, options.limits) }));
  const several = severalMaker(byTarget);
  const makers: Maker[] = [
    ...byTarget.flatMap((entry) => entry.makers),
    ...(several ? [several, several, several] : []),
    ...requestMakers(
      route,
      options.limits,
      bodySchema,
      params,
      targets.filter((target) => target.location === 'querystring').map((target) => String(target.path[0])),
    ),
  ];
  const fuzzable = makers.filter((maker) => maker.kind !== 'oversize-headers');
  if (fuzzable.length === 0) return;

  /** A valid request of the route, made afresh each time (optional fields come and go). */
  const base = (): Draft => {
    const draft: Draft = { params: {}, query: {}, headers: {}, body: undefined, splices: [] };
    const paramSchema = resolved(schema.params, context.shared);
    for (const name of params) {
      const property = resolved(paramSchema?.properties?.[name], context.shared) ?? { type: 'string' };
      draft.params[name] = validString(property, name, context) ?? 'fuzz';
    }
    const query = resolved(schema.querystring, context.shared);
    if (query) {
      const value = validObject(query, context, 0);
      for (const [name, item] of Object.entries(value))
        draft.query[name] = Array.isArray(item) ? item.map((entry) => String(entry)) : String(item);
    }
    const headers = resolved(schema.headers, context.shared);
    if (headers) {
      const value = validObject(headers, context, 0);
      for (const [name, item] of Object.entries(value)) if (typeof item === 'string') draft.headers[name] = item;
    }
    if (bodySchema) draft.body = validValue(bodySchema, '', context);
    return draft;
  };

  let order: Maker[] = [];
  for (let n = 0, made = 0; made < options.perRoute && n < options.perRoute * 4; n++) {
    // Each round takes every maker once, in an order of its own.
    if (order.length === 0) order = shuffled(next, makers);
    const maker = order.pop()!;
    const draft = base();
    if (!maker.apply(draft, next, n)) continue;
    made++;
    const breaks = maker.breaks(draft);
    const own = maker.expected?.(draft);
    const expected: Expected = own
      ? { status: own.status, beforeAuth: own.beforeAuth, fields: own.fields ?? [] }
      : { status: 400, beforeAuth: false, fields: breaks };
    yield { route: `${route.method} ${route.url}`, kind: maker.kind, breaks, ...encoded(route, draft), expected };
  }
}

/** The draft as bytes on the wire. */
function encoded(route: RouteInput, draft: Draft): Pick<BadRequest, 'method' | 'path' | 'headers' | 'body' | 'chunked'> {
  const path = route.url.replace(PARAM, (_match, name: string) => {
    const value = draft.params[name] ?? '';
    return value.startsWith('\u0000raw:') ? value.slice(5) : encodeURIComponent(value);
  });
  const query = Object.entries(draft.query)
    .flatMap(([name, value]) =>
      Array.isArray(value)
        ? value.map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(item)}`)
        : [`${encodeURIComponent(name)}=${typeof value === 'string' ? encodeURIComponent(value) : value.raw}`],
    )
    .join('&');
  const headers: Record<string, string> = { ...draft.headers };
  let body: Buffer | undefined;
  let chunked = false;
  const whole = draft.splices.find((splice) => splice.placeholder === '' || splice.placeholder === 'chunked');
  if (whole) {
    body = whole.bytes();
    chunked = whole.placeholder === 'chunked';
  } else if (draft.body !== undefined) {
    let text = Buffer.from(JSON.stringify(draft.body));
    for (const splice of draft.splices) {
      const mark = Buffer.from(JSON.stringify(splice.placeholder));
      const at = text.indexOf(mark);
      if (at >= 0) text = Buffer.concat([text.subarray(0, at), splice.bytes(), text.subarray(at + mark.length)]);
    }
    body = text;
  }
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  if (headers['content-type'] === '\u0000none') delete headers['content-type'];
  return {
    method: route.method,
    path: query ? `${path}?${query}` : path,
    headers,
    ...(body ? { body } : {}),
    ...(chunked ? { chunked } : {}),
  };
}

/**
 * `perRoute` bad requests for each route that takes input, the routes taken in turn (the first request of each,
 * then the second…), so that every route is under fire throughout a campaign.
 */
export function* badRequests(routes: readonly RouteInput[], options: BadRequestOptions): Generator<BadRequest> {
  const streams = routes.map((route) => routeRequests(route, options));
  let live = streams;
  while (live.length > 0) {
    const still: typeof streams = [];
    for (const stream of live) {
      const step = stream.next();
      if (step.done) continue;
      yield step.value;
      still.push(stream);
    }
    live = still;
  }
}
