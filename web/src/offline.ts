/**
 * The offline view in the app: whether the service is in reach (`useOffline`), the board snapshot kept on the
 * tablet (saved by the board, read back for its own user and store only, deleted on sign-out), and the time of
 * the board on screen while it is not live, for the banner.
 */
import { useEffect, useState } from 'preact/hooks';
import { type BoardSnapshot, parseSnapshot, SNAPSHOT_KEY, snapshotUse, type Viewer } from './logic/offline.js';
import { reachability } from './reachability.js';

export function useOffline(): { offline: boolean } {
  const [offline, setOffline] = useState(() => reachability.offline);
  useEffect(() => {
    setOffline(reachability.offline);
    return reachability.subscribe(() => setOffline(reachability.offline));
  }, []);
  return { offline };
}

const storage = {
  get(): string | null {
    try {
      return localStorage.getItem(SNAPSHOT_KEY);
    } catch {
      return null;
    }
  },
  set(text: string | null): void {
    try {
      if (text === null) localStorage.removeItem(SNAPSHOT_KEY);
      else localStorage.setItem(SNAPSHOT_KEY, text);
    } catch {
      // storage full or refused: there is no offline copy, the live board is unaffected
    }
  },
};

export function saveBoardSnapshot(snapshot: BoardSnapshot): void {
  storage.set(JSON.stringify(snapshot));
}

/** The tablet's snapshot when it may be shown to `viewer` for `store`; one it may never be shown to is deleted. */
export function readBoardSnapshot(viewer: Viewer, store: string, nowMs = Date.now()): BoardSnapshot | undefined {
  const text = storage.get();
  if (text === null) return undefined;
  const snapshot = parseSnapshot(text);
  const use = snapshot ? snapshotUse(snapshot, viewer, store, nowMs) : 'discard';
  if (use === 'discard') storage.set(null);
  return use === 'show' ? snapshot : undefined;
}

/** On sign-out: nothing of this person's stays on the tablet. */
export const clearBoardSnapshot = (): void => storage.set(null);

// The board on screen while it is not live: when it was last current, for the banner in the header.
let boardAsOf: number | undefined;
const boardListeners = new Set<() => void>();

export function showBoardAsOf(asOf: number | undefined): void {
  if (asOf === boardAsOf) return;
  boardAsOf = asOf;
  for (const listener of boardListeners) listener();
}

export function useBoardAsOf(): number | undefined {
  const [asOf, setAsOf] = useState(boardAsOf);
  useEffect(() => {
    const update = () => setAsOf(boardAsOf);
    update();
    boardListeners.add(update);
    return () => void boardListeners.delete(update);
  }, []);
  return asOf;
}
