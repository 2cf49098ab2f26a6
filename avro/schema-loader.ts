/**
 * Loads the `.avsc` files of `avro/schemas/` into avsc types.
 *
 * One file per named record, named after it (`OrderLine.avsc` defines `com.omnia.order.OrderLine`). A schema may
 * refer to a type of another file by name ("items": "OrderLine"): the loader reads the referenced files first and
 * registers every named type in one avsc registry, so each file stays small and a shared type (OrderLine,
 * DeliveryAddress) is defined once. Types used by a single record (ReleaseLine, PricedLine) are nested in it.
 *
 * Earlier versions live in `avro/schemas/history/<Name>.v<N>.avsc`, each self-contained (every named type inlined,
 * as the schema was registered then), so that a later change to a shared type cannot rewrite history.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avsc from 'avsc';
import type { Type } from 'avsc';

export const NAMESPACE = 'com.omnia.order';

/** The top-level records: topic values and state-store values. */
export const RECORD_TYPES = [
  'OrderCreate',
  'OrderUpdate',
  'Product',
  'Customer',
  'BundleDefinition',
  'ShipEvent',
  'DeliveryStatus',
  'ValidationResult',
  'StatusChange',
  'PaymentEvent',
  'Release',
  'OrderState',
  'InventoryCounter',
  'InventoryLevel',
  'LowStockEvent',
  'FulfillmentInteraction',
  'ReconciliationReport',
  'ExceptionAction',
  'ExceptionOutcome',
  'NotificationPreference',
  'NotificationOutcome',
  'PaymentSettlement',
  'ReturnCommand',
  'ReturnsState',
] as const;
export type RecordTypeName = (typeof RECORD_TYPES)[number];

/**
 * Options of every type we build. `wrapUnions: 'never'` keeps `["null", T]` as a plain value or null (the JSON view)
 * and makes an ambiguous union in a schema an error at load time instead of a surprise in the data.
 */
const TYPE_OPTIONS = { wrapUnions: 'never' } as const;

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

export interface SchemaVersion {
  version: number;
  type: Type;
}

let directory: string | undefined;
let current: Map<string, Type> | undefined;
const versions = new Map<string, SchemaVersion[]>();

/** `avro/schemas/`, found from the source file (tests) or from its compiled copy under `dist/avro/`. */
export function schemaDir(): string {
  if (directory) return directory;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'schemas'), path.join(here, '..', '..', 'avro', 'schemas')];
  const found = candidates.find((candidate) => existsSync(path.join(candidate, 'OrderCreate.avsc')));
  if (!found) throw new Error(`cannot find the Avro schemas: looked in ${candidates.join(', ')}`);
  directory = found;
  return found;
}

/** `OrderCreate` or `com.omnia.order.OrderCreate` → the full name. */
export function fullName(name: string): string {
  return name.includes('.') ? name : `${NAMESPACE}.${name}`;
}

/** The current avsc type of a named record (top-level or nested, short or full name). */
export function avroType(name: string): Type {
  const types = loadCurrent();
  const type = types.get(fullName(name));
  if (!type) {
    const known = [...types.keys()].map((key) => key.slice(NAMESPACE.length + 1)).sort();
    throw new Error(`unknown Avro record type "${name}"; known: ${known.join(', ')}`);
  }
  return type;
}

/**
 * The self-contained schema of a record (named types inlined at first use, docs and defaults kept): what is
 * registered with a schema registry.
 */
export function schemaDefinition(name: string): object {
  return avroType(name).schema({ exportAttrs: true }) as object;
}

/** Every version of a record, oldest first: the files of `history/`, then the current schema. */
export function schemaVersions(name: string): SchemaVersion[] {
  const key = fullName(name);
  const cached = versions.get(key);
  if (cached) return cached;
  const short = key.slice(key.lastIndexOf('.') + 1);
  const historyDir = path.join(schemaDir(), 'history');
  const pattern = new RegExp(`^${short}\\.v(\\d+)\\.avsc$`);
  const earlier: SchemaVersion[] = (existsSync(historyDir) ? readdirSync(historyDir) : [])
    .flatMap((file) => {
      const match = pattern.exec(file);
      if (!match) return [];
      const schema = readSchema(path.join(historyDir, file));
      return [{ version: Number(match[1]), type: avsc.Type.forSchema(schema as never, { ...TYPE_OPTIONS, registry: {} }) }];
    })
    .sort((a, b) => a.version - b.version);
  const latest = earlier.length ? earlier[earlier.length - 1]!.version : 0;
  const all = [...earlier, { version: latest + 1, type: avroType(key) }];
  versions.set(key, all);
  return all;
}

function loadCurrent(): Map<string, Type> {
  if (current) return current;
  const dir = schemaDir();
  const files = new Map<string, unknown>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.avsc'))) {
    const schema = readSchema(path.join(dir, file));
    const name = fullName(`${(schema as { namespace?: string }).namespace ?? NAMESPACE}.${file.slice(0, -'.avsc'.length)}`);
    const declared = (schema as { name?: unknown }).name;
    if (typeof declared !== 'string' || fullName(declared) !== name) {
      throw new Error(`${file}: the file must define the record its name says (${name}), found ${String(declared)}`);
    }
    files.set(name, schema);
  }

  const registry: Record<string, Type> = {};
  const loading: string[] = [];
  const load = (name: string): void => {
    if (registry[name]) return;
    const schema = files.get(name);
    if (schema === undefined) return; // a type nested in another file; registered when that file loads
    if (loading.includes(name)) throw new Error(`circular references between schema files: ${[...loading, name].join(' → ')}`);
    loading.push(name);
    for (const reference of references(schema, NAMESPACE)) load(reference);
    avsc.Type.forSchema(schema as never, { ...TYPE_OPTIONS, registry });
    loading.pop();
  };
  for (const name of files.keys()) load(name);

  current = new Map(Object.entries(registry).filter(([, type]) => (type as { typeName: string }).typeName === 'record'));
  return current;
}

function readSchema(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not a JSON Avro schema: ${(error as Error).message}`, { cause: error });
  }
}

/** Full names of the named types a schema refers to by name (not the ones it defines inline). */
function references(schema: unknown, namespace: string, found = new Set<string>()): Set<string> {
  if (typeof schema === 'string') {
    if (!PRIMITIVES.has(schema)) found.add(schema.includes('.') ? schema : `${namespace}.${schema}`);
  } else if (Array.isArray(schema)) {
    for (const branch of schema) references(branch, namespace, found);
  } else if (schema && typeof schema === 'object') {
    const node = schema as {
      type?: unknown;
      namespace?: string;
      name?: string;
      fields?: Array<{ type: unknown }>;
      items?: unknown;
      values?: unknown;
    };
    const inner = node.namespace ?? (node.name?.includes('.') ? node.name.slice(0, node.name.lastIndexOf('.')) : namespace);
    if (node.type === 'record' || node.type === 'error') for (const field of node.fields ?? []) references(field.type, inner, found);
    else if (node.type === 'array') references(node.items, namespace, found);
    else if (node.type === 'map') references(node.values, namespace, found);
    else if (typeof node.type !== 'string' || !['enum', 'fixed'].includes(node.type)) references(node.type, namespace, found);
  }
  return found;
}
