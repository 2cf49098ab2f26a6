#!/usr/bin/env node
// Writes avro/generated/records.ts, the TypeScript types of every record in avro/schemas/*.avsc: the schemas are
// the one source of the record shapes, and the rest of the code imports these types (or derives its own from them).
//
//   npm run generate:types        (or: node scripts/generate-record-types.mjs)
//   node scripts/generate-record-types.mjs --check    exits 1, writing nothing, when the file is out of date
//
// `npm run build` runs it before tsc, and test/unit/avro/generated-types.test.ts fails while the checked-in file
// differs from what this script would write. Plain JavaScript so it runs before anything is compiled.
//
// The types are the JSON view the serdes work with (avro/codecs.ts, avsc with `wrapUnions: 'never'`):
//   - every field is present: decoding fills a missing field's default, so a decoded value always carries it,
//     and encoding writes every field;
//   - ["null", T] is `T | null` (avsc reads an unwrapped union as the bare value or null);
//   - an enum is the union of its symbols as string literals;
//   - int and long are `number` (avsc reads a long as a JS number and refuses one past 2^53);
//   - money stays a string (`Money`): a field whose doc says "Money:" is an exact decimal string, never a float;
//     a string field whose doc says ISO-8601 is a `Timestamp`.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_DIR = path.join(ROOT, 'avro', 'schemas');
export const OUTPUT_FILE = path.join(ROOT, 'avro', 'generated', 'records.ts');
export const GENERATE_COMMAND = 'npm run generate:types';

const PRIMITIVE_TS = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};
/** The money boilerplate every money doc repeats; the `Money` type says it once. */
const MONEY_BOILERPLATE =
  /\s*Money: decimal string, at most 4 fraction digits(?: \([^)]*\))?; a string, never float\/double, because it is exact and the JSON view equals the Avro view\./;

/**
 * The text of avro/generated/records.ts for the schemas in `schemaDir`: a pure function of the files, so the
 * stale-file test can compare it with the checked-in file.
 */
export function generateRecordTypes(schemaDir = SCHEMA_DIR) {
  const files = readdirSync(schemaDir)
    .filter((file) => file.endsWith('.avsc'))
    .sort();
  /** Named types by full name, in the order they are emitted: each file's record, then the types it nests. */
  const named = new Map();
  const order = [];
  for (const file of files) {
    const schema = JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8'));
    if (schema.type !== 'record') throw new Error(`${file}: expected a record schema, got ${JSON.stringify(schema.type)}`);
    collect(schema, schema.namespace ?? '', file, named, order);
  }

  const out = [];
  out.push(
    `// Generated from avro/schemas/*.avsc by \`${GENERATE_COMMAND}\` (scripts/generate-record-types.mjs). Do not edit:`,
    '// change the schema and run the command again. test/unit/avro/generated-types.test.ts fails while this file is stale.',
    '//',
    '// The JSON view of each record, as the serdes decode it (and encode it from): every field present (a missing field',
    '// reads as its default), ["null", T] as `T | null`, enums as string literals, int and long as number, money as an',
    '// exact decimal string.',
    '',
    '/** Decimal string with at most 4 fraction digits, e.g. "35.5000". Never a number: exact, and the JSON view equals the Avro view. */',
    'export type Money = string;',
    '/** ISO-8601 UTC timestamp, e.g. "2026-11-21T09:15:00Z". */',
    'export type Timestamp = string;',
  );
  for (const fullName of order) {
    const { schema, namespace } = named.get(fullName);
    out.push('');
    if (schema.doc) out.push(...docComment(schema.doc, ''));
    if (schema.type === 'enum') {
      out.push(`export type ${schema.name} = ${schema.symbols.map((symbol) => `'${symbol}'`).join(' | ')};`);
      continue;
    }
    out.push(`export interface ${shortName(schema.name)} {`);
    for (const field of schema.fields) {
      const doc = fieldDoc(field);
      if (doc) out.push(...docComment(doc, '  '));
      out.push(`  ${field.name}: ${tsType(field.type, schema.namespace ?? namespace, named, field)};`);
    }
    out.push('}');
  }
  const records = order.filter((name) => named.get(name).schema.type === 'record').map((name) => shortName(name));
  out.push('', '/** Record name → its TypeScript shape (every named record of the schemas). */', 'export interface RecordTypes {');
  for (const name of [...records].sort()) out.push(`  ${name}: ${name};`);
  out.push('}', '');
  return out.join('\n');
}

/** Registers `schema`'s named types (records, enums) and those it defines inline, depth first. */
function collect(schema, namespace, file, named, order) {
  if (Array.isArray(schema)) {
    for (const branch of schema) collect(branch, namespace, file, named, order);
    return;
  }
  if (!schema || typeof schema !== 'object') return;
  switch (schema.type) {
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed': {
      const ns = schema.namespace ?? (schema.name.includes('.') ? schema.name.slice(0, schema.name.lastIndexOf('.')) : namespace);
      const fullName = qualify(schema.name, ns);
      if (named.has(fullName)) throw new Error(`${file}: ${fullName} is defined twice (also in ${named.get(fullName).file})`);
      if (schema.type === 'fixed') throw new Error(`${file}: fixed types are not supported (${fullName})`);
      named.set(fullName, { schema, namespace: ns, file });
      order.push(fullName);
      if (schema.type !== 'enum') for (const field of schema.fields) collect(field.type, ns, file, named, order);
      return;
    }
    case 'array':
      collect(schema.items, namespace, file, named, order);
      return;
    case 'map':
      collect(schema.values, namespace, file, named, order);
      return;
    default:
      if (typeof schema.type === 'object') collect(schema.type, namespace, file, named, order);
  }
}

function tsType(type, namespace, named, field) {
  if (typeof type === 'string') {
    if (Object.hasOwn(PRIMITIVE_TS, type)) {
      if (type === 'string' && field && /\bMoney:/.test(field.doc ?? '')) return 'Money';
      if (type === 'string' && field && /\bISO-8601\b/.test(field.doc ?? '')) return 'Timestamp';
      return PRIMITIVE_TS[type];
    }
    const fullName = qualify(type, namespace);
    if (!named.has(fullName)) throw new Error(`unknown type ${JSON.stringify(type)} (looked for ${fullName})`);
    return shortName(fullName);
  }
  if (Array.isArray(type)) {
    const branches = type.map((branch) => tsType(branch, namespace, named, field));
    // null last reads better: `string | null`.
    return [...branches.filter((branch) => branch !== 'null'), ...branches.filter((branch) => branch === 'null')].join(' | ');
  }
  switch (type.type) {
    case 'record':
    case 'error':
    case 'enum':
      return shortName(qualify(type.name, type.namespace ?? namespace));
    case 'array': {
      const items = tsType(type.items, namespace, named, undefined);
      return /^[A-Za-z0-9_]+$/.test(items) ? `${items}[]` : `Array<${items}>`;
    }
    case 'map':
      return `Record<string, ${tsType(type.values, namespace, named, undefined)}>`;
    default:
      if (typeof type.type === 'string' && Object.hasOwn(PRIMITIVE_TS, type.type)) return tsType(type.type, namespace, named, field);
      throw new Error(`unsupported schema ${JSON.stringify(type)}`);
  }
}

function fieldDoc(field) {
  let doc = (field.doc ?? '').replace(MONEY_BOILERPLATE, '').trim();
  if (field.default !== undefined && field.default !== null && !(Array.isArray(field.default) && field.default.length === 0)) {
    doc = `${doc}${doc ? ' ' : ''}Default ${JSON.stringify(field.default)}.`;
  }
  return doc;
}

function docComment(text, indent) {
  const escaped = text.replace(/\*\//g, '*\\/');
  const width = 116 - indent.length;
  if (escaped.length + 7 <= width) return [`${indent}/** ${escaped} */`];
  const lines = [`${indent}/**`];
  let line = '';
  for (const word of escaped.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width - 3) {
      lines.push(`${indent} * ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`${indent} * ${line}`);
  lines.push(`${indent} */`);
  return lines;
}

const qualify = (name, namespace) => (name.includes('.') || !namespace ? name : `${namespace}.${name}`);
const shortName = (name) => name.slice(name.lastIndexOf('.') + 1);

function main(args) {
  const text = generateRecordTypes();
  let current;
  try {
    current = readFileSync(OUTPUT_FILE, 'utf8');
  } catch {
    current = undefined;
  }
  const relative = path.relative(ROOT, OUTPUT_FILE);
  if (args.includes('--check')) {
    if (current === text) return 0;
    console.error(`${relative} is out of date with avro/schemas/: run \`${GENERATE_COMMAND}\``);
    return 1;
  }
  if (current !== text) {
    mkdirSync(path.dirname(OUTPUT_FILE), { recursive: true });
    writeFileSync(OUTPUT_FILE, text);
    console.log(`wrote ${relative}`);
  } else console.log(`${relative} is up to date`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
