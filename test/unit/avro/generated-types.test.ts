// avro/generated/records.ts is generated from avro/schemas/*.avsc (scripts/generate-record-types.mjs): regenerated
// here in memory and compared with the checked-in file, so a schema change without a regeneration fails.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { pathToFileURL } from 'node:url';
import type * as Generator from '../../../scripts/generate-record-types.mjs';
import { RECORD_TYPES } from '../../../avro/schema-loader.js';

// From the repository's scripts/, by path: the tests run compiled from dist/test/, and scripts/ is not compiled.
const { GENERATE_COMMAND, generateRecordTypes, OUTPUT_FILE, SCHEMA_DIR } = (await import(
  pathToFileURL(path.resolve('scripts/generate-record-types.mjs')).href
)) as typeof Generator;

/** The first line where two texts differ, for the failure message. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i])
      return `line ${i + 1}: checked in ${JSON.stringify(a[i] ?? '(end of file)')}, generated ${JSON.stringify(e[i] ?? '(end of file)')}`;
  }
  return 'no line differs';
}

t.test('avro/generated/records.ts is what the schemas generate', async (t) => {
  const expected = generateRecordTypes();
  let actual: string;
  try {
    actual = readFileSync(OUTPUT_FILE, 'utf8');
  } catch {
    t.fail(`avro/generated/records.ts is missing: run \`${GENERATE_COMMAND}\``);
    return;
  }
  if (actual === expected) t.pass('up to date');
  else
    t.fail(`avro/generated/records.ts is stale (${firstDifference(actual, expected)}): run \`${GENERATE_COMMAND}\` and commit the result`);
});

t.test('the generated file says it is generated and how to regenerate it', async (t) => {
  const text = generateRecordTypes();
  t.match(text.split('\n')[0], /^\/\/ Generated from avro\/schemas\/\*\.avsc by `npm run generate:types`/);
  for (const name of RECORD_TYPES) t.match(text, new RegExp(`^export interface ${name} \\{$`, 'm'), `${name} is declared`);
});

t.test('the generated types are the JSON view the serdes decode to', async (t) => {
  const text = generateRecordTypes();
  const field = (record: string, name: string): string | undefined => {
    const body = new RegExp(`^export interface ${record} \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(text)?.[1] ?? '';
    return new RegExp(`^  ${name}: (.*);$`, 'm').exec(body)?.[1];
  };
  t.equal(field('OrderCreate', 'IsForceAllocation'), 'boolean', 'a field with a default is present: decoding fills it');
  t.equal(field('OrderCreate', 'OrderLines'), 'OrderLine[]');
  t.equal(field('OrderCreate', 'CustRef'), 'string | null', '["null", T] is T | null (unwrapped unions)');
  t.equal(field('OrderUpdate', 'OrderLines'), 'OrderLine[] | null');
  t.equal(field('OrderUpdate', 'Action'), 'OrderUpdateAction');
  t.match(text, /^export type OrderUpdateAction = 'CANCEL' \| 'MODIFY';$/m, 'an enum is a union of string literals');
  t.equal(field('Release', 'OrderTotal'), 'Money', 'money is a decimal string');
  t.equal(field('DeliveryStatus', 'CollectedAmount'), 'Money | null');
  t.match(text, /^export type Money = string;$/m);
  t.equal(field('InventoryCounter', 'OnHand'), 'number', 'long is a number');
  t.equal(field('StatusChange', 'At'), 'Timestamp');
  t.notMatch(text, /\bnumber\b.*Amount|Amount.*\bnumber\b/, 'no amount is a number');
});

t.test('a schema change changes the generated text', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'omnia-schemas-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(SCHEMA_DIR, dir, { recursive: true });
  const file = path.join(dir, 'Product.avsc');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { fields: object[] };
  schema.fields.push({ name: 'Brand', type: ['null', 'string'], default: null, doc: 'Brand name, when known.' });
  writeFileSync(file, JSON.stringify(schema));
  const changed = generateRecordTypes(dir);
  t.not(changed, generateRecordTypes(), 'the generated text differs');
  t.match(changed, /\/\*\* Brand name, when known\. \*\/\n {2}Brand: string \| null;/);
});
