/** Walks over avsc types beside a value: to say why a value does not fit, and to read JSON leniently. */
import type { Type } from 'avsc';

/** The parts of avsc types the walk below reads (the published typings leave most of them out). */
interface AnyType {
  typeName: string;
  name?: string;
  fields?: Array<{ name: string; type: AnyType }>;
  itemsType?: AnyType;
  valuesType?: AnyType;
  types?: AnyType[];
  symbols?: string[];
  isValid(value: unknown): boolean;
}

/**
 * Says where and why `value` is not a value of `type`, as `OrderLines[0].Quantity: expected int, got 2.5`: at most
 * `limit` problems, first ones first. Only run once a value has failed, so the happy path never pays for it.
 * A missing field with a default is fine (the default applies, as when Avro reads older data).
 */
export function describeInvalid(type: Type, value: unknown, limit = 5): string[] {
  const problems: string[] = [];
  walk(type as unknown as AnyType, value, '', problems, limit);
  if (problems.length === 0) problems.push('does not match the schema');
  return problems;
}

function walk(type: AnyType, value: unknown, at: string, problems: string[], limit: number): void {
  if (problems.length >= limit) return;
  const here = at || '(record)';
  switch (type.typeName) {
    case 'record':
    case 'error': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        problems.push(`${here}: expected a ${shortName(type)} object, got ${show(value)}`);
        return;
      }
      for (const field of type.fields ?? []) {
        const child = (value as Record<string, unknown>)[field.name];
        const path = at ? `${at}.${field.name}` : field.name;
        if (child === undefined) {
          if (!hasDefault(field)) problems.push(`${path}: missing (required ${label(field.type)})`);
        } else walk(field.type, child, path, problems, limit);
        if (problems.length >= limit) return;
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) problems.push(`${here}: expected an array, got ${show(value)}`);
      else value.forEach((item, i) => walk(type.itemsType!, item, `${at}[${i}]`, problems, limit));
      return;
    case 'map':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) problems.push(`${here}: expected a map, got ${show(value)}`);
      else for (const [key, item] of Object.entries(value)) walk(type.valuesType!, item, `${at}[${JSON.stringify(key)}]`, problems, limit);
      return;
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = type.types ?? [];
      if (branches.some((branch) => branch.isValid(value))) return;
      const nonNull = branches.filter((branch) => branch.typeName !== 'null');
      // An optional field holding a wrong value: report what is wrong inside the one real branch.
      if (value !== null && nonNull.length === 1) walk(nonNull[0]!, value, at, problems, limit);
      else problems.push(`${here}: expected ${label(type)}, got ${show(value)}`);
      return;
    }
    default:
      if (!type.isValid(value)) problems.push(`${here}: expected ${label(type)}, got ${show(value)}`);
  }
}

function hasDefault(field: object): boolean {
  return Object.prototype.hasOwnProperty.call(field, 'defaultValue');
}

function shortName(type: AnyType): string {
  const name = type.name ?? type.typeName;
  return name.slice(name.lastIndexOf('.') + 1);
}

function label(type: AnyType): string {
  switch (type.typeName) {
    case 'record':
    case 'error':
      return `${shortName(type)} object`;
    case 'enum':
      return `one of ${(type.symbols ?? []).join(', ')}`;
    case 'array':
      return `array of ${label(type.itemsType!)}`;
    case 'map':
      return `map of ${label(type.valuesType!)}`;
    case 'union:unwrapped':
    case 'union:wrapped':
      return (type.types ?? []).map(label).join(' or ');
    default:
      return type.typeName;
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * JSON leniency: a `null` in a field that is not nullable but has a default (an array defaulting to [], a boolean
 * defaulting to false) reads as absent, so the default applies. JSON producers often write null for "none".
 * Returns the value itself when there is nothing to change.
 */
export function nullsAsDefaults(type: Type, value: unknown): unknown {
  return lenient(type as unknown as AnyType, value);
}

function lenient(type: AnyType, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  switch (type.typeName) {
    case 'record':
    case 'error': {
      if (Array.isArray(value)) return value;
      let copy: Record<string, unknown> | undefined;
      for (const field of type.fields ?? []) {
        const child = (value as Record<string, unknown>)[field.name];
        let next = child;
        if (child === null && hasDefault(field) && !field.type.isValid(null)) next = undefined;
        else if (child !== undefined) next = lenient(field.type, child);
        if (next !== child) {
          copy ??= { ...(value as Record<string, unknown>) };
          if (next === undefined) delete copy[field.name];
          else copy[field.name] = next;
        }
      }
      return copy ?? value;
    }
    case 'array': {
      if (!Array.isArray(value)) return value;
      const items = value.map((item) => lenient(type.itemsType!, item));
      return items.some((item, i) => item !== value[i]) ? items : value;
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const nonNull = (type.types ?? []).filter((branch) => branch.typeName !== 'null');
      return nonNull.length === 1 ? lenient(nonNull[0]!, value) : value;
    }
    default:
      return value;
  }
}
