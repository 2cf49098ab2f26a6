/**
 * The offline view's rules, with no DOM: which failures mean the service is out of reach, how often to ask
 * whether it is back, and the board snapshot the tablet keeps for a reload without network — whose it is, how
 * old it may be, and when it may be shown.
 *
 * The snapshot is the app's, not the service worker's: the API's answers depend on the bearer token, and the
 * Cache API keys by URL alone, so a cached answer could be shown to the next person signed in on the tablet.
 * The snapshot names its user and store and is shown to that user, for that store, only.
 */
import type { BoardAction, BoardCard, BoardState, Oldest } from './board.js';
import { reconnectDelay } from './sse.js';

/**
 * True for a failure that says nothing came from the service: no answer at all (status 0), or a 502 / 503 / 504
 * without the service's own error body (a proxy or load balancer answering for it). The service's own 503s
 * (ORDER_SOURCE_UNAVAILABLE, COMMAND_NOT_SENT…) mean it is there.
 */
export const isUnreachable = (status: number, serviceAnswered: boolean): boolean =>
  status === 0 || (!serviceAnswered && (status === 502 || status === 503 || status === 504));

/** While the service is out of reach, it is asked again after 1–2 s, then ever longer, at most every 30 s. */
export const PROBE_BASE_MS = 2_000;
export const PROBE_MAX_MS = 30_000;
export const probeDelay = (attempt: number, random: number): number => reconnectDelay(attempt, PROBE_BASE_MS, PROBE_MAX_MS, random);

/** Where the tablet keeps the snapshot (localStorage: it must outlive the tab, the token does not). */
export const SNAPSHOT_KEY = 'omnia.offline-board';
/** An older snapshot is not shown, and is deleted: a board from another shift misleads more than it helps. */
export const SNAPSHOT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface BoardSnapshot {
  v: 1;
  /** The token subject who loaded the board. */
  user: string;
  storeId: string;
  /** When the board was last known to be current (ms since the epoch, the tablet's clock). */
  asOf: number;
  cards: BoardCard[];
  /** Orders per status code (JSON keeps the codes as strings; they are read back as numbers). */
  counts: Record<number, number>;
  oldest: Record<number, Oldest | null>;
}

export const snapshotOf = (state: BoardState, user: string, asOf: number): BoardSnapshot => ({
  v: 1,
  user,
  storeId: state.storeId,
  asOf,
  cards: Object.values(state.cards).map((card) => ({ ...card, cancelRequested: false })),
  counts: { ...state.counts },
  oldest: { ...state.oldest },
});

/** The board's action that puts the snapshot's board back (the pipeline counts and oldest orders as they were). */
export function restoreAction(snapshot: BoardSnapshot): Extract<BoardAction, { type: 'snapshot' }> {
  const statuses = Object.entries(snapshot.counts).map(([code, orders]) => {
    const oldest = snapshot.oldest[Number(code)] ?? null;
    return {
      status: Number(code),
      statusName: null,
      orders,
      oldest: oldest && { orderId: oldest.orderId, storeId: snapshot.storeId, createdAt: oldest.createdAt, ageSeconds: 0 },
    };
  });
  return { type: 'snapshot', storeId: snapshot.storeId, cards: snapshot.cards, pipeline: { statuses } };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNullableString = (value: unknown): boolean => value === null || typeof value === 'string';

function isCard(value: unknown): value is BoardCard {
  if (!isRecord(value)) return false;
  return (
    isString(value.orderId) &&
    isString(value.storeId) &&
    typeof value.status === 'number' &&
    isString(value.createdAt) &&
    isString(value.updatedAt) &&
    ['customerId', 'custRef', 'orderTotal', 'paymentMethod', 'paymentStatus'].every((field) => isNullableString(value[field]))
  );
}

const isOldest = (value: unknown): boolean => value === null || (isRecord(value) && isString(value.orderId) && isString(value.createdAt));

/** The snapshot in `text`, or undefined when it is none of this version (then it is deleted). */
export function parseSnapshot(text: string | null | undefined): BoardSnapshot | undefined {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.v !== 1 || !isString(value.user) || !isString(value.storeId) || typeof value.asOf !== 'number')
    return undefined;
  if (!Array.isArray(value.cards) || !value.cards.every(isCard) || !isRecord(value.counts) || !isRecord(value.oldest)) return undefined;
  if (!Object.values(value.counts).every((n) => typeof n === 'number') || !Object.values(value.oldest).every(isOldest)) return undefined;
  return value as unknown as BoardSnapshot;
}

/** Who is signed in, as far as the snapshot is concerned. */
export interface Viewer {
  sub: string;
  stores: readonly string[];
  seesAllStores: boolean;
}

/**
 * What to do with the tablet's snapshot when `viewer` looks at `store` offline:
 *   - show:    theirs, of this store, recent;
 *   - keep:    theirs and recent, of another store they may see (a coordinator who switched stores);
 *   - discard: another person's, too old, or of a store they may no longer see: it is deleted, never shown.
 */
export function snapshotUse(snapshot: BoardSnapshot, viewer: Viewer, store: string, nowMs: number): 'show' | 'keep' | 'discard' {
  if (!viewer.sub || snapshot.user !== viewer.sub) return 'discard';
  if (nowMs - snapshot.asOf > SNAPSHOT_MAX_AGE_MS) return 'discard';
  if (!viewer.seesAllStores && !viewer.stores.includes(snapshot.storeId)) return 'discard';
  return snapshot.storeId === store ? 'show' : 'keep';
}
