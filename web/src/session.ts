/**
 * The signed-in session: the token, kept in sessionStorage (gone when the tab closes), and its claims as read
 * for the screens. A sign-in link (`#token=…`) is taken once on load and wiped from the address bar and history.
 */
import { type Claims, decodeClaims, isExpired, tokenFromFragment } from './logic/claims.js';

export interface Session {
  token: string;
  claims: Claims;
}

/** Why the sign-in screen is showing, when it is not the first visit. */
export type SignInNotice = 'expired' | 'rejected' | 'no-role' | 'signed-out' | 'invalid';

const TOKEN_KEY = 'omnia.token';
const STORE_KEY = 'omnia.store';

const storage = {
  get(key: string): string | null {
    try {
      return sessionStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key: string, value: string | null): void {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, value);
    } catch {
      // storage refused: the session lasts until the page is left
    }
  },
};

export type SessionResult = { session: Session } | { notice: SignInNotice } | undefined;

/** A session from a token, or why there is none. */
export function sessionOf(token: string, nowMs = Date.now()): { session: Session } | { notice: SignInNotice } {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  const claims = decodeClaims(trimmed);
  if (!claims) return { notice: 'invalid' };
  if (isExpired(claims, nowMs)) return { notice: 'expired' };
  return { session: { token: trimmed, claims } };
}

/** On load: a sign-in link's token first (then removed from the address bar), else the tab's saved one. */
export function restoreSession(): SessionResult {
  const fromLink = tokenFromFragment(location.hash);
  if (fromLink !== undefined) {
    history.replaceState(null, '', `${location.pathname}${location.search}#/board`);
    const result = sessionOf(fromLink);
    if ('session' in result) saveSession(result.session);
    return result;
  }
  const saved = storage.get(TOKEN_KEY);
  if (!saved) return undefined;
  const result = sessionOf(saved);
  if ('notice' in result) storage.set(TOKEN_KEY, null);
  return result;
}

export function saveSession(session: Session): void {
  storage.set(TOKEN_KEY, session.token);
}

export function clearSession(): void {
  storage.set(TOKEN_KEY, null);
  storage.set(STORE_KEY, null);
}

/** The store last chosen in this tab (coordinators, admins and people with several stores). */
export const savedStore = (): string | undefined => storage.get(STORE_KEY) ?? undefined;
export const saveStore = (store: string): void => storage.set(STORE_KEY, store);
