/** What every screen needs from the shell: the session, the API, the chosen store, the live feed and the clock. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api.js';
import type { StatusEventData } from './api-types.js';
import type { LiveState } from './live.js';
import type { Session } from './session.js';

export interface Live {
  state: LiveState;
  /** Bumped on every successful (re)connection: reload what may have been missed. */
  epoch: number;
  subscribe(listener: (event: StatusEventData) => void): () => void;
}

export interface AppContextValue {
  session: Session;
  api: Api;
  /** The store the screens show; undefined until one is chosen. */
  store: string | undefined;
  setStore(store: string): void;
  /** Stores to choose from (undefined while loading; one store: nothing to choose). */
  stores: string[] | undefined;
  seesAllStores: boolean;
  canCancel: boolean;
  live: Live;
  /** The time, on the server's clock, refreshed every 15 s for ages. */
  now: number;
  /** Sets the server-minus-tablet clock difference from an answer's `asOf`. */
  setClockOffset(ms: number): void;
  /** Reads a message out to screen readers (polite). */
  announce(message: string): void;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the signed-in app');
  return value;
}
