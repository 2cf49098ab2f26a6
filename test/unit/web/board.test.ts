import t from 'tap';
import type { StatusEventData } from '../../../web/src/api-types.js';
import { boardReducer, type BoardCard, type BoardState, columns, emptyBoard, needsFetch } from '../../../web/src/logic/board.js';

const card = (orderId: string, status: number, createdAt: string, extra: Partial<BoardCard> = {}): BoardCard => ({
  orderId,
  storeId: 'S001',
  status,
  customerId: 'C-1',
  custRef: null,
  orderTotal: '100.0000',
  paymentMethod: null,
  paymentStatus: null,
  createdAt,
  updatedAt: createdAt,
  cancelRequested: false,
  ...extra,
});

const event = (orderId: string, fromStatus: number | null, toStatus: number, at = '2026-11-21T10:00:00.000Z'): StatusEventData => ({
  orderId,
  shipFromLocationId: 'S001',
  fromStatus,
  toStatus,
  reason: 'test',
  source: 'test',
  at,
  actor: null,
});

const oldest = (orderId: string, createdAt: string) => ({ orderId, storeId: 'S001', createdAt, ageSeconds: 0 });

/** Two new orders (both loaded), five released (two loaded), nothing else. */
function board(): BoardState {
  return boardReducer(emptyBoard('S001'), {
    type: 'snapshot',
    storeId: 'S001',
    cards: [
      card('N1', 1000, '2026-11-21T08:00:00.000Z'),
      card('N2', 2000, '2026-11-21T09:00:00.000Z'),
      card('R1', 3000, '2026-11-21T07:00:00.000Z'),
      card('R2', 3500, '2026-11-21T07:30:00.000Z'),
      card('X1', 1000, '2026-11-21T07:30:00.000Z', { storeId: 'S999' }),
    ],
    pipeline: {
      statuses: [
        { status: 1000, statusName: 'Open', orders: 1, oldest: oldest('N1', '2026-11-21T08:00:00.000Z') },
        { status: 2000, statusName: 'Allocated', orders: 1, oldest: oldest('N2', '2026-11-21T09:00:00.000Z') },
        { status: 3000, statusName: 'Released', orders: 4, oldest: oldest('R0', '2026-11-20T07:00:00.000Z') },
        { status: 3500, statusName: 'Picking', orders: 1, oldest: oldest('R2', '2026-11-21T07:30:00.000Z') },
      ],
    },
  });
}

const column = (state: BoardState, group: string) => columns(state).find((c) => c.group === group)!;

t.test('a snapshot: columns, counts and the oldest order of each', async (t) => {
  const state = board();
  t.notOk(state.cards.X1, "another store's order is not on this board");
  t.same(
    columns(state).map((c) => [c.group, c.count, c.cards.map((x) => x.orderId), c.oldest?.orderId ?? null]),
    [
      ['new', 2, ['N2', 'N1'], 'N1'],
      ['released', 5, ['R2', 'R1'], 'R0'],
      ['on-the-way', 0, [], null],
      ['delivered', 0, [], null],
      ['cancelled', 0, [], null],
    ],
  );
});

t.test('a status change moves the card and the counts', async (t) => {
  const state = boardReducer(board(), { type: 'status', event: event('N1', 1000, 9000) });
  t.equal(state.cards.N1!.status, 9000);
  t.equal(state.cards.N1!.updatedAt, '2026-11-21T10:00:00.000Z');
  t.equal(column(state, 'new').count, 1);
  t.equal(column(state, 'cancelled').count, 1);
  t.same(
    column(state, 'cancelled').cards.map((c) => c.orderId),
    ['N1'],
  );
  t.equal(column(state, 'new').oldest?.orderId, 'N2', 'the next oldest, from the cards: all of 1000 were loaded (none left)');
  t.equal(column(state, 'cancelled').oldest?.orderId, 'N1');
  t.notOk(state.stale);
});

t.test('the same change twice, or one older than the card, changes nothing', async (t) => {
  const once = boardReducer(board(), { type: 'status', event: event('N1', 1000, 2000) });
  t.equal(boardReducer(once, { type: 'status', event: event('N1', 1000, 2000) }), once);
  t.equal(boardReducer(once, { type: 'status', event: event('N1', null, 1000, '2026-11-21T07:00:00.000Z') }), once);
  t.equal(column(once, 'new').count, 2, 'moved within the column');
});

t.test('the oldest of a partly loaded status leaves: unknown until the pipeline is read', async (t) => {
  let state = board();
  state = boardReducer(state, { type: 'card', card: card('R0', 3000, '2026-11-20T07:00:00.000Z') });
  state = boardReducer(state, { type: 'status', event: event('R0', 3000, 3500) });
  t.ok(state.stale, 'three of 3000 are left, one is loaded');
  t.equal(state.oldest[3000], null);
  t.equal(column(state, 'released').oldest?.orderId, 'R0', 'still the oldest of the column, now in 3500');
  state = boardReducer(state, {
    type: 'pipeline',
    pipeline: { statuses: [{ status: 3000, statusName: 'Released', orders: 3, oldest: oldest('R9', '2026-11-20T09:00:00.000Z') }] },
  });
  t.notOk(state.stale);
  t.equal(state.oldest[3000]?.orderId, 'R9');
});

t.test('an order not on the board: counts move now, its card comes from the lookup', async (t) => {
  let state = board();
  const change = event('N3', null, 1000);
  t.ok(needsFetch(state, change));
  t.notOk(needsFetch(state, { ...change, shipFromLocationId: 'S002' }), 'not for another store');
  t.notOk(needsFetch(state, event('N1', 1000, 2000)));
  state = boardReducer(state, { type: 'status', event: change });
  t.equal(column(state, 'new').count, 3);
  t.equal(column(state, 'new').cards.length, 2);
  state = boardReducer(state, { type: 'card', card: card('N3', 1000, '2026-11-21T10:00:00.000Z') });
  t.same(
    column(state, 'new').cards.map((c) => c.orderId),
    ['N3', 'N2', 'N1'],
    'newest first',
  );
  t.equal(column(state, 'new').count, 3, 'the card does not count twice');
  const moved = boardReducer(state, { type: 'status', event: event('R1', 1000, 7400) });
  t.equal(column(moved, 'released').count, 4, 'the card knew its status better than the event');
  t.equal(column(moved, 'on-the-way').count, 1);
});

t.test('events of another store are ignored; a fetched card keeps what it knew', async (t) => {
  const state = board();
  t.equal(boardReducer(state, { type: 'status', event: { ...event('N1', 1000, 9000), shipFromLocationId: 'S002' } }), state);
  const withRef = boardReducer(state, {
    type: 'card',
    card: card('N1', 1000, '2026-11-21T08:00:00.000Z', { custRef: 'REF-1', paymentMethod: 'COD' }),
  });
  t.equal(withRef.cards.N1!.custRef, 'REF-1');
  const again = boardReducer(withRef, { type: 'card', card: card('N1', 1000, '2026-11-21T08:00:00.000Z') });
  t.equal(again.cards.N1!.custRef, 'REF-1', 'a search row without custRef does not erase it');
  const older = boardReducer(withRef, {
    type: 'card',
    card: card('N1', 1000, '2026-11-21T08:00:00.000Z', { updatedAt: '2026-11-21T07:00:00.000Z' }),
  });
  t.equal(older, withRef, 'an older copy is ignored');
});

t.test('a cancellation in flight is marked until the order moves', async (t) => {
  let state = boardReducer(board(), { type: 'cancel-requested', orderIds: ['N1', 'nope'] });
  t.ok(state.cards.N1!.cancelRequested);
  t.notOk(state.cards.N2!.cancelRequested);
  state = boardReducer(state, { type: 'status', event: event('N1', 1000, 9000) });
  t.notOk(state.cards.N1!.cancelRequested);
});
