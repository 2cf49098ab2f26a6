/**
 * What a sign-in token says about its holder, read from the JWT payload to choose the screens and the
 * language. Only read, never trusted: the service checks the signature and enforces every claim itself.
 */

export const KNOWN_ROLES = ['store_staff', 'store_manager', 'regional_coordinator', 'admin', 'bundle_manager'] as const;
export type KnownRole = (typeof KNOWN_ROLES)[number];

export interface Claims {
  sub: string;
  roles: string[];
  stores: string[];
  /** Seconds since the epoch; undefined when the token has none. */
  exp: number | undefined;
}

function base64UrlDecode(text: string): string {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : typeof value === 'string' ? [value] : [];

/** The claims of a compact JWS, or undefined when `token` is not one (three base64url parts, a JSON object payload). */
export function decodeClaims(token: string): Claims | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part)) || !parts[1]) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(base64UrlDecode(parts[1]));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const record = payload as Record<string, unknown>;
  return {
    sub: typeof record.sub === 'string' ? record.sub : '',
    roles: strings(record.roles),
    stores: strings(record.stores),
    exp: typeof record.exp === 'number' ? record.exp : undefined,
  };
}

export const isExpired = (claims: Claims, nowMs: number): boolean => claims.exp !== undefined && claims.exp * 1000 <= nowMs;

/** Roles that work on their own stores only. */
const STORE_ROLES: readonly string[] = ['store_staff', 'store_manager'];
/** Roles that see every store and choose one. */
const REGION_ROLES: readonly string[] = ['regional_coordinator', 'admin'];
/** Roles the service lets cancel an order (a regional coordinator reads only). */
const CANCEL_ROLES: readonly string[] = ['store_staff', 'store_manager', 'admin'];

export const seesAllStores = (claims: Claims): boolean => claims.roles.some((role) => REGION_ROLES.includes(role));
export const isStoreRole = (claims: Claims): boolean => !seesAllStores(claims) && claims.roles.some((role) => STORE_ROLES.includes(role));
export const canCancel = (claims: Claims): boolean => claims.roles.some((role) => CANCEL_ROLES.includes(role));
/** Roles the service lets change bundles; every role reads them. */
export const canWriteBundles = (claims: Pick<Claims, 'roles'>): boolean =>
  claims.roles.some((role) => role === 'bundle_manager' || role === 'admin');
/** A bundle manager with no order role: the app opens on the bundles, not on an order board it has no store for. */
export const worksOnBundlesOnly = (claims: Pick<Claims, 'roles'>): boolean =>
  claims.roles.includes('bundle_manager') && !claims.roles.some((role) => CANCEL_ROLES.includes(role) || REGION_ROLES.includes(role));

/** The role to show: the broadest one held, known roles before any other. */
export function mainRole(claims: Claims): string | undefined {
  const order = ['admin', 'regional_coordinator', 'store_manager', 'store_staff', 'bundle_manager'];
  return order.find((role) => claims.roles.includes(role)) ?? claims.roles[0];
}

/** Thai for people who work in a store, English for everyone else, until they choose. */
export const defaultLanguage = (claims: Claims | undefined): 'th' | 'en' =>
  !claims || isStoreRole(claims) || claims.roles.length === 0 ? 'th' : 'en';

/** The token in a sign-in link's fragment (`#token=…`, possibly among other fragment parameters). */
export function tokenFromFragment(hash: string): string | undefined {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (fragment.startsWith('/')) return undefined;
  for (const pair of fragment.split('&')) {
    const [key, ...rest] = pair.split('=');
    if (key === 'token') {
      const value = rest.join('=');
      try {
        return decodeURIComponent(value) || undefined;
      } catch {
        return value || undefined;
      }
    }
  }
  return undefined;
}
