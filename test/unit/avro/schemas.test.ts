// The conventions every schema file keeps: one named record per file, docs everywhere, money and timestamps as
// strings, optional fields as ["null", T] with default null, and no floating point anywhere.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { avroType, NAMESPACE, RECORD_TYPES, schemaDefinition, schemaDir } from '../../../avro/schema-loader.js';
import { TOPIC_CATALOGUE, TOPIC_RECORD_TYPES, Topics } from '../../../avro/topic-catalogue.js';
import { Topics as TopologyTopics } from '../../../topology/topics.js';

interface FieldSchema {
  name: string;
  type: unknown;
  doc?: string;
  default?: unknown;
}
interface NamedSchema {
  type: string;
  name: string;
  doc?: string;
  fields?: FieldSchema[];
  items?: unknown;
  values?: unknown;
}

/** Every record schema reachable from a schema (named types inlined by schemaDefinition). */
function records(schema: unknown, found: NamedSchema[] = []): NamedSchema[] {
  if (Array.isArray(schema)) for (const branch of schema) records(branch, found);
  else if (schema && typeof schema === 'object') {
    const node = schema as NamedSchema;
    if (node.type === 'record') {
      found.push(node);
      for (const field of node.fields ?? []) records(field.type, found);
    } else if (node.type === 'array') records(node.items, found);
    else if (node.type === 'map') records(node.values, found);
    else if (node.type === 'enum' && !node.doc) found.push(node); // reported as an undocumented type below
  }
  return found;
}

const files = readdirSync(schemaDir()).filter((file) => file.endsWith('.avsc'));

t.test('one file per named record, in the namespace, named after the file', async (t) => {
  for (const file of files) {
    const schema = JSON.parse(readFileSync(path.join(schemaDir(), file), 'utf8')) as NamedSchema & { namespace?: string };
    t.equal(schema.type, 'record', `${file} is a record`);
    t.equal(schema.namespace, NAMESPACE, `${file} is in ${NAMESPACE}`);
    t.equal(`${schema.name}.avsc`, file, `${file} defines ${schema.name}`);
  }
  for (const name of RECORD_TYPES) t.ok(files.includes(`${name}.avsc`), `${name} has its file`);
  for (const [topic, name] of Object.entries(TOPIC_RECORD_TYPES)) t.ok(RECORD_TYPES.includes(name), `${topic} maps to a known record`);
});

t.test('the topic catalogue names each topic once, with its record', async (t) => {
  const names = Object.values(Topics);
  t.equal(new Set(names).size, names.length, 'no topic name twice');
  t.same(Object.keys(TOPIC_RECORD_TYPES).sort(), [...names].sort(), 'every topic has its record type, and only those');
  t.same(TopologyTopics, Topics, 'topology/topics.ts re-exports the catalogue');
  for (const [key, entry] of Object.entries(TOPIC_CATALOGUE)) t.equal(TOPIC_RECORD_TYPES[entry.topic], entry.record, key);
});

t.test('the shared nested records are named types of their own', async (t) => {
  for (const name of ['OrderLine', 'DeliveryAddress', 'Discount', 'Tax', 'Charge', 'ReleaseLine']) {
    t.equal(avroType(name).name, `${NAMESPACE}.${name}`, name);
  }
});

t.test('every record and field has a doc; no float or double; PascalCase field names', async (t) => {
  for (const name of RECORD_TYPES) {
    const text = JSON.stringify(schemaDefinition(name));
    t.notMatch(text, /"(float|double)"/, `${name} has no floating point`);
    for (const record of records(schemaDefinition(name))) {
      t.ok(record.doc && record.doc.length > 3, `${record.name} has a doc`);
      for (const field of record.fields ?? []) {
        t.ok(field.doc && field.doc.length > 3, `${record.name}.${field.name} has a doc`);
        t.match(field.name, /^[A-Z][A-Za-z0-9]*$/, `${record.name}.${field.name} is PascalCase`);
      }
    }
  }
});

t.test('optional fields are ["null", T] with default null', async (t) => {
  for (const name of RECORD_TYPES) {
    for (const record of records(schemaDefinition(name))) {
      for (const field of record.fields ?? []) {
        if (!Array.isArray(field.type)) continue;
        t.equal(field.type[0], 'null', `${record.name}.${field.name}: null comes first`);
        t.equal(field.type.length, 2, `${record.name}.${field.name}: null and one type`);
        t.equal(field.default, null, `${record.name}.${field.name}: default null`);
      }
    }
  }
});

t.test('money and timestamps are strings, and money docs say why', async (t) => {
  let moneyFields = 0;
  for (const name of RECORD_TYPES) {
    for (const record of records(schemaDefinition(name))) {
      for (const field of record.fields ?? []) {
        const type = Array.isArray(field.type) ? field.type[1] : field.type;
        const money = /Money:/.test(field.doc ?? '');
        if (money) {
          moneyFields++;
          t.equal(type, 'string', `${record.name}.${field.name} (money) is a string`);
          t.match(
            field.doc,
            /never float\/double, because it is exact and the JSON view equals the Avro view/,
            `${record.name}.${field.name} says why`,
          );
        }
        if (/^(At|CreatedAt|UpdatedAt|ActiveFrom|ActiveTo|EstimatedDelivery|ReleaseDueAt)$/.test(field.name)) {
          t.equal(type, 'string', `${record.name}.${field.name} (timestamp) is a string`);
          t.match(field.doc, /ISO-8601 UTC/, `${record.name}.${field.name} says ISO-8601 UTC`);
        }
      }
    }
  }
  t.ok(moneyFields >= 30, `money fields are marked in their docs (${moneyFields})`);
  for (const [record, field] of [
    ['OrderLine', 'UnitPrice'],
    ['Charge', 'Amount'],
    ['Release', 'OrderTotal'],
    ['OrderTotals', 'TotalTaxes'],
    ['DeliveryStatus', 'CollectedAmount'],
    ['Customer', 'CodLimit'],
    ['PaymentEvent', 'Amount'],
  ] as const) {
    const found = records(schemaDefinition(record === 'OrderTotals' ? 'OrderState' : record)).find((r) => r.name.endsWith(`.${record}`));
    t.match(found?.fields?.find((f) => f.name === field)?.doc, /Money:/, `${record}.${field} is documented as money`);
  }
});
