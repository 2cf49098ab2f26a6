/**
 * The store board's state and how a live status change moves it: the cards loaded, the order count of every
 * status and the oldest order of each (both from GET /stores/:id/pipeline), kept current by the status events
 * between reloads.
 *
 *   - A change of a known card moves it to its new status; one that is not newer than the card is ignored.
 *   - A change of an order not on the board still moves the counts; the app fetches the order and adds its card.
 *   - When the oldest order of a status leaves it, the next oldest is taken from the cards when the board holds
 *     all of that status's orders; otherwise it is unknown until the pipeline is read again (`stale`).
 */
import type { OrderSummary, OrderView, StatusEventData, StorePipeline } from '../api-types.js';
import { GROUPS, GROUP_STATUSES, groupOf, type GroupId } from './status.js';

export interface BoardCard {
  orderId: string;
  storeId: string;
  status: number;
  customerId: string | null;
  custRef: string | null;
  orderTotal: string | null;
  paymentMethod: string | null;
  paymentStatus: string | null;
  createdAt: string;
  updatedAt: string;
  /** A cancellation was accepted and its outcome has not arrived yet. */
  cancelRequested: boolean;
}

export interface Oldest {
  orderId: string;
  createdAt: string;
}

export interface BoardState {
  storeId: string;
  cards: Readonly<Record<string, BoardCard>>;
  /** Orders per status code. */
  counts: Readonly<Record<number, number>>;
  /** The oldest order per status; null when unknown or there is none. */
  oldest: Readonly<Record<number, Oldest | null>>;
  /** Some status's oldest order is unknown: read the pipeline again. */
  stale: boolean;
}

export type PipelineCounts = Pick<StorePipeline, 'statuses'>;

export type BoardAction =
  | { type: 'snapshot'; storeId: string; cards: readonly BoardCard[]; pipeline: PipelineCounts }
  | { type: 'pipeline'; pipeline: PipelineCounts }
  | { type: 'status'; event: StatusEventData }
  | { type: 'card'; card: BoardCard }
  | { type: 'cancel-requested'; orderIds: readonly string[] };

/** A search row has no custRef or payment method: a card keeps those it had (applyCard), or gets them once the order is fetched. */
export const cardOfSummary = (order: OrderSummary): BoardCard => ({
  orderId: order.orderId,
  storeId: order.shipFromLocationId,
  status: order.status,
  customerId: order.customerId,
  custRef: null,
  orderTotal: order.orderTotal,
  paymentMethod: null,
  paymentStatus: order.paymentStatus,
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
  cancelRequested: false,
});

export const cardOfOrder = (order: OrderView): BoardCard => ({
  orderId: order.orderId,
  storeId: order.shipFromLocationId,
  status: order.status,
  customerId: order.customerId,
  custRef: order.custRef,
  orderTotal: order.totals?.orderTotal ?? null,
  paymentMethod: order.paymentMethod,
  paymentStatus: order.paymentStatus,
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
  cancelRequested: false,
});

const time = (iso: string): number => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
};

/** Older first; equal times by order id. */
export const olderFirst = (a: Oldest, b: Oldest): number =>
  time(a.createdAt) - time(b.createdAt) || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0);

/** Newest first, as the search lists them. */
export const newerFirst = (a: Oldest, b: Oldest): number => -olderFirst(a, b);

function oldestOf(items: readonly Oldest[]): Oldest | null {
  let found: Oldest | null = null;
  for (const item of items) if (!found || olderFirst(item, found) < 0) found = item;
  return found && { orderId: found.orderId, createdAt: found.createdAt };
}

export const emptyBoard = (storeId: string): BoardState => ({ storeId, cards: {}, counts: {}, oldest: {}, stale: false });

function fromPipeline(pipeline: PipelineCounts): Pick<BoardState, 'counts' | 'oldest'> {
  const counts: Record<number, number> = {};
  const oldest: Record<number, Oldest | null> = {};
  for (const entry of pipeline.statuses) {
    counts[entry.status] = entry.orders;
    oldest[entry.status] = entry.oldest ? { orderId: entry.oldest.orderId, createdAt: entry.oldest.createdAt } : null;
  }
  return { counts, oldest };
}

/** True when `event` is about this board's store and its order has no card yet: fetch it. */
export const needsFetch = (state: BoardState, event: StatusEventData): boolean =>
  event.shipFromLocationId === state.storeId && state.cards[event.orderId] === undefined;

function applyStatus(state: BoardState, event: StatusEventData): BoardState {
  if (event.shipFromLocationId !== state.storeId) return state;
  const id = event.orderId;
  const card = state.cards[id];
  if (card && (card.status === event.toStatus || time(event.at) < time(card.updatedAt))) return state;

  const from = card ? card.status : event.fromStatus;
  const to = event.toStatus;
  const counts: Record<number, number> = { ...state.counts };
  if (from !== null && (counts[from] ?? 0) > 0) counts[from] = (counts[from] ?? 0) - 1;
  counts[to] = (counts[to] ?? 0) + 1;

  const cards = card ? { ...state.cards, [id]: { ...card, status: to, updatedAt: event.at, cancelRequested: false } } : state.cards;
  const oldest: Record<number, Oldest | null> = { ...state.oldest };
  let stale = state.stale;
  if (from !== null && from !== to) {
    const left = counts[from] ?? 0;
    if (left === 0) oldest[from] = null;
    else if (oldest[from]?.orderId === id) {
      const remaining = Object.values(cards).filter((other) => other.status === from);
      if (remaining.length >= left) oldest[from] = oldestOf(remaining);
      else {
        oldest[from] = null;
        stale = true;
      }
    }
  }
  if (card) {
    const current = oldest[to];
    if (!current || olderFirst(card, current) < 0) oldest[to] = { orderId: card.orderId, createdAt: card.createdAt };
  }
  return { ...state, cards, counts, oldest, stale };
}

function applyCard(state: BoardState, incoming: BoardCard): BoardState {
  if (incoming.storeId !== state.storeId) return state;
  const existing = state.cards[incoming.orderId];
  // The newer of the two wins; a fetched order carries fields the search does not, so it wins a tie.
  if (existing && time(existing.updatedAt) > time(incoming.updatedAt)) return state;
  const card: BoardCard = {
    ...incoming,
    custRef: incoming.custRef ?? existing?.custRef ?? null,
    paymentMethod: incoming.paymentMethod ?? existing?.paymentMethod ?? null,
    cancelRequested: existing !== undefined && existing.status === incoming.status ? existing.cancelRequested : false,
  };
  const oldest = { ...state.oldest };
  const current = oldest[card.status];
  if ((state.counts[card.status] ?? 0) > 0 && (!current || olderFirst(card, current) < 0))
    oldest[card.status] = { orderId: card.orderId, createdAt: card.createdAt };
  return { ...state, cards: { ...state.cards, [card.orderId]: card }, oldest };
}

export function boardReducer(state: BoardState, action: BoardAction): BoardState {
  switch (action.type) {
    case 'snapshot': {
      const cards: Record<string, BoardCard> = {};
      for (const card of action.cards) if (card.storeId === action.storeId) cards[card.orderId] = card;
      return { storeId: action.storeId, cards, ...fromPipeline(action.pipeline), stale: false };
    }
    case 'pipeline':
      return { ...state, ...fromPipeline(action.pipeline), stale: false };
    case 'status':
      return applyStatus(state, action.event);
    case 'card':
      return applyCard(state, action.card);
    case 'cancel-requested': {
      const cards = { ...state.cards };
      for (const id of action.orderIds) {
        const card = cards[id];
        if (card) cards[id] = { ...card, cancelRequested: true };
      }
      return { ...state, cards };
    }
  }
}

export interface Column {
  group: GroupId;
  /** Newest first. */
  cards: BoardCard[];
  /** Orders in the group's statuses, from the pipeline counts kept current. */
  count: number;
  /** The group's oldest order, when known. */
  oldest: Oldest | null;
}

export function columns(state: BoardState): Column[] {
  const byGroup = new Map<GroupId, BoardCard[]>(GROUPS.map((group) => [group, []]));
  for (const card of Object.values(state.cards)) byGroup.get(groupOf(card.status))!.push(card);
  return GROUPS.map((group) => {
    const cards = byGroup.get(group)!.sort(newerFirst);
    const statuses = GROUP_STATUSES[group];
    let count = 0;
    const candidates: Oldest[] = [];
    for (const status of statuses) {
      const n = state.counts[status] ?? 0;
      count += n;
      if (n === 0) continue;
      const known = state.oldest[status];
      if (known) candidates.push(known);
      else candidates.push(...cards.filter((card) => card.status === status));
    }
    // A status the pipeline does not list yet (an unknown code) still counts in its range's column.
    for (const [code, n] of Object.entries(state.counts)) {
      const status = Number(code);
      if (!statuses.includes(status) && groupOf(status) === group) count += n;
    }
    return { group, cards, count, oldest: oldestOf(candidates) };
  });
}
