import t from 'tap';
import { boardReducer, type BoardCard, columns, emptyBoard } from '../../../web/src/logic/board.js';
import {
  isUnreachable,
  parseSnapshot,
  probeDelay,
  restoreAction,
  SNAPSHOT_MAX_AGE_MS,
  snapshotOf,
  snapshotUse,
  type Viewer,
} from '../../../web/src/logic/offline.js';
import { Reachability } from '../../../web/src/reachability.js';

const NOW = Date.parse('2026-11-21T10:00:00Z');

const card = (orderId: string, status: number, createdAt: string, storeId = 'QC0001'): BoardCard => ({
  orderId,
  storeId,
  status,
  customerId: 'C-1',
  custRef: null,
  orderTotal: '90.6200',
  paymentMethod: 'COD',
  paymentStatus: null,
  createdAt,
  updatedAt: createdAt,
  cancelRequested: false,
});

const loaded = boardReducer(emptyBoard('QC0001'), {
  type: 'snapshot',
  storeId: 'QC0001',
  cards: [card('A1', 1000, '2026-11-21T09:00:00Z'), card('A2', 3000, '2026-11-21T09:10:00Z'), card('A3', 7400, '2026-11-21T08:00:00Z')],
  pipeline: {
    statuses: [
      {
        status: 1000,
        statusName: null,
        orders: 4,
        oldest: { orderId: 'A0', storeId: 'QC0001', createdAt: '2026-11-21T07:00:00Z', ageSeconds: 0 },
      },
      {
        status: 3000,
        statusName: null,
        orders: 1,
        oldest: { orderId: 'A2', storeId: 'QC0001', createdAt: '2026-11-21T09:10:00Z', ageSeconds: 0 },
      },
      { status: 7400, statusName: null, orders: 1, oldest: null },
    ],
  },
});

const clerk: Viewer = { sub: 'clerk-a', stores: ['QC0001'], seesAllStores: false };

t.test('a snapshot stored as JSON and read back is the same board: cards, counts, oldest orders', async (t) => {
  const withPending = boardReducer(loaded, { type: 'cancel-requested', orderIds: ['A1'] });
  const snapshot = parseSnapshot(JSON.stringify(snapshotOf(withPending, 'clerk-a', NOW)));
  t.ok(snapshot);
  t.equal(snapshot!.user, 'clerk-a');
  t.equal(snapshot!.storeId, 'QC0001');
  t.equal(snapshot!.asOf, NOW);
  const restored = boardReducer(emptyBoard('QC0001'), restoreAction(snapshot!));
  t.same(restored, loaded, 'the same state (a cancel in flight is not kept: its outcome is unknown offline)');
  t.same(columns(restored), columns(loaded), 'and the same columns');
});

t.test('what is not a snapshot of this version is none', async (t) => {
  const good = snapshotOf(loaded, 'clerk-a', NOW);
  for (const text of [
    null,
    '',
    'not json',
    '[]',
    JSON.stringify({ ...good, v: 2 }),
    JSON.stringify({ ...good, user: 7 }),
    JSON.stringify({ ...good, cards: [{ orderId: 'X' }] }),
    JSON.stringify({ ...good, counts: { 1000: 'four' } }),
    JSON.stringify({ ...good, oldest: { 1000: { orderId: 'A0' } } }),
  ])
    t.equal(parseSnapshot(text), undefined, String(text).slice(0, 40));
});

t.test('shown only to its own user, for its store, while recent; deleted when it may never be shown', async (t) => {
  const snapshot = snapshotOf(loaded, 'clerk-a', NOW);
  t.equal(snapshotUse(snapshot, clerk, 'QC0001', NOW + 60_000), 'show');
  t.equal(snapshotUse(snapshot, { ...clerk, sub: 'clerk-b' }, 'QC0001', NOW), 'discard', 'another person of the same store: never');
  t.equal(snapshotUse(snapshot, { ...clerk, sub: '' }, 'QC0001', NOW), 'discard', 'a token without a subject: never');
  t.equal(snapshotUse(snapshot, { ...clerk, stores: ['QC0002'] }, 'QC0002', NOW), 'discard', 'a store no longer theirs');
  t.equal(snapshotUse(snapshot, clerk, 'QC0001', NOW + SNAPSHOT_MAX_AGE_MS + 1), 'discard', 'older than a day');
  const coordinator: Viewer = { sub: 'clerk-a', stores: [], seesAllStores: true };
  t.equal(snapshotUse(snapshot, coordinator, 'QC0002', NOW), 'keep', 'the same person looking at another store: kept, not shown');
  t.equal(snapshotUse(snapshot, coordinator, 'QC0001', NOW), 'show');
  const other = boardReducer(loaded, { type: 'card', card: card('B1', 1000, '2026-11-21T09:00:00Z', 'QC0002') });
  t.notOk(boardReducer(emptyBoard('QC0001'), restoreAction(snapshotOf(other, 'clerk-a', NOW))).cards.B1, 'never another store’s card');
});

t.test('unreachable: no answer, or a gateway error without the service’s own body', async (t) => {
  t.ok(isUnreachable(0, false));
  for (const status of [502, 503, 504]) {
    t.ok(isUnreachable(status, false), `${status} from a proxy`);
    t.notOk(isUnreachable(status, true), `${status} from the service (ORDER_SOURCE_UNAVAILABLE…): it is there`);
  }
  for (const status of [200, 400, 401, 404, 409, 429, 500]) t.notOk(isUnreachable(status, false), String(status));
});

t.test('asked again after 1–2 s, then ever later (jittered), at most 30 s apart', async (t) => {
  t.equal(probeDelay(0, 0), 1_000);
  t.equal(probeDelay(0, 1), 2_000);
  t.equal(probeDelay(3, 1), 16_000);
  t.equal(probeDelay(10, 0), 15_000);
  t.equal(probeDelay(10, 1), 30_000);
});

/** A monitor with a clock of its own: `run()` fires the next timer. */
function monitor(answers: boolean[]) {
  let online = true;
  const timers: Array<{ run: () => void; ms: number }> = [];
  const probes: number[] = [];
  const events = new Map<string, () => void>();
  const reachability = new Reachability({
    probe: async () => {
      probes.push(probes.length);
      return answers.shift() ?? false;
    },
    online: () => online,
    random: () => 1,
    setTimeout: (run, ms) => {
      const timer = { run, ms };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (timer) => {
      const index = timers.indexOf(timer as (typeof timers)[number]);
      if (index >= 0) timers.splice(index, 1);
    },
  });
  reachability.start({ addEventListener: (type: string, listener: unknown) => void events.set(type, listener as () => void) });
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return {
    reachability,
    timers,
    probes,
    setOnline: (value: boolean) => {
      online = value;
      events.get(value ? 'online' : 'offline')!();
    },
    async run() {
      const timer = timers.shift()!;
      timer.run();
      await flush();
      return timer.ms;
    },
    flush,
  };
}

t.test('reachability: offline on a failed call, probed with growing waits, back on the first answer', async (t) => {
  const m = monitor([false, false, true]);
  const seen: boolean[] = [];
  m.reachability.subscribe(() => seen.push(m.reachability.offline));
  t.notOk(m.reachability.offline);
  m.reachability.report(false);
  m.reachability.report(false);
  t.ok(m.reachability.offline);
  t.same(seen, [true], 'said once');
  t.equal(await m.run(), 2_000, 'first probe');
  t.equal(await m.run(), 4_000, 'then longer');
  t.equal(await m.run(), 8_000);
  t.notOk(m.reachability.offline, 'the third answered');
  t.same(seen, [true, false]);
  t.equal(m.timers.length, 0, 'no more probes');
  t.equal(m.probes.length, 3);
});

t.test('reachability: without network, no probe at all; back online, asked at once', async (t) => {
  const m = monitor([true]);
  m.setOnline(false);
  t.ok(m.reachability.offline, 'the tablet says offline');
  m.reachability.report(false);
  t.equal(m.timers.length, 0, 'nothing scheduled while the tablet has no network');
  m.setOnline(true);
  await m.flush();
  t.equal(m.probes.length, 1, 'asked at once');
  t.notOk(m.reachability.offline);
});

t.test('reachability: the live feed dropping asks once; an answer changes nothing, none makes it offline', async (t) => {
  const m = monitor([true, false]);
  m.reachability.check();
  await m.flush();
  t.notOk(m.reachability.offline);
  m.reachability.check();
  await m.flush();
  t.ok(m.reachability.offline, 'no answer: offline');
  t.equal(m.timers.length, 1, 'and probing');
  m.reachability.report(true);
  t.notOk(m.reachability.offline, 'any answer from the service ends it');
  t.equal(m.timers.length, 0);
});
