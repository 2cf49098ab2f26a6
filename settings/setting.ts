import { readFileSync } from 'node:fs';

/**
 * What a setting is: its environment variable, what it means, its default, how a raw value is checked, and
 * whether it is a secret (redacted wherever settings are printed). Every setting of every process is one entry
 * of `registry.ts`; a component reads its section with `loadSettings`, which refuses a bad value by name.
 */
export interface Setting<T> {
  readonly env: string;
  readonly doc: string;
  readonly default: T;
  parse(raw: string): T;
  /** Shown as "(set, redacted)" by `omnia config`, never echoed in an error. */
  readonly secret?: boolean;
  /** The default in words, where it is derived from another setting (e.g. `<OMNIA_APPLICATION_ID>-sink`). */
  readonly defaultText?: string;
}

/** A component's settings: its config object's keys, each with its setting. */
export type SettingsTable<C> = { readonly [K in keyof C]: Setting<C[K]> };

/** The config object a table describes. */
export type ConfigOf<T> = { -readonly [K in keyof T]: T[K] extends Setting<infer V> ? V : never };

export const positiveInt = (name: string) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
};

export const nonNegativeInt = (name: string) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, got "${raw}"`);
  return value;
};

export const positiveNumber = (name: string) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
};

export const fraction = (name: string) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`${name} must be a number within [0, 1], got "${raw}"`);
  return value;
};

export const oneOf =
  <T extends string>(name: string, allowed: readonly T[]) =>
  (raw: string): T => {
    if (!allowed.includes(raw as T)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return raw as T;
  };

export const flag = (name: string) => (raw: string) => {
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
};

/** Fewest different characters a secret may have: a word typed again and again is not random. */
const SECRET_MIN_DISTINCT = 8;

/**
 * An HMAC key or shared secret: at least `minBytes` bytes (UTF-8) and not a character or two repeated. A weak one
 * refuses to start, naming the setting and how to make a good one; the value itself is never shown.
 */
export const secret =
  (name: string, minBytes = 32) =>
  (raw: string): string | undefined => {
    if (raw === '') return undefined;
    const how = `generate one with: openssl rand -base64 48`;
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (bytes < minBytes)
      throw new Error(`${name} is too weak: it is ${bytes} bytes long, at least ${minBytes} random bytes are needed; ${how}`);
    if (new Set(raw).size < SECRET_MIN_DISTINCT)
      throw new Error(`${name} is too weak: it repeats a few characters (fewer than ${SECRET_MIN_DISTINCT} different ones); ${how}`);
    return raw;
  };

export const text = (raw: string) => raw;
export const optionalText = (raw: string): string | undefined => raw || undefined;

/** Reads a settings table: an override, else the environment variable parsed, else the default. */
export function loadSettings<C extends object>(
  table: SettingsTable<C>,
  overrides: Partial<C> = {},
  env: NodeJS.ProcessEnv = process.env,
): C {
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(table) as Array<[string, Setting<unknown>]>) {
    if (key in overrides) config[key] = (overrides as Record<string, unknown>)[key];
    else {
      const raw = env[setting.env];
      config[key] = raw === undefined || raw === '' ? setting.default : setting.parse(raw);
    }
  }
  return config as C;
}

export const httpUrl = (name: string) => (raw: string) => {
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  return raw;
};

/** PEM text as is (`\n` escapes allowed, for one-line variables); anything else is the path of a PEM file. */
export const pemOrPath =
  (name: string) =>
  (raw: string): string | undefined => {
    if (!raw) return undefined;
    if (raw.includes('-----BEGIN')) return raw.replace(/\\n/g, '\n');
    try {
      return readFileSync(raw, 'utf8');
    } catch (error) {
      throw new Error(`${name} is neither a PEM key nor a readable file: ${(error as Error).message}`, { cause: error });
    }
  };
