// GET /audit on a real Postgres: admins read every store's actions and the bundles', store managers their own stores
// only (404 for another), every other role 403; a window of time, an actor, a limit; one 400 listing every failing field.
import t, { type Test } from 'tap';
import { auditRoutes } from '../../query-service/audit-routes.js';
import { devToken } from '../../query-service/auth.js';
import { bearer, hs256, T0, testService } from '../unit/query-service/helpers.js';
import { migratedDatabase } from './harness.js';

const HOUR = 3_600_000;

interface Answer {
  from: string;
  to: string;
  storeId: string | null;
  truncated: boolean;
  actions: Array<{ auditId: string; actor: string | null; action: string; target: { kind: string; id: string }; storeId: string | null }>;
  error?: { code: string; details?: Array<{ field: string }> };
}

async function setup(t: Test) {
  const database = await migratedDatabase(t);
  if (!database) return undefined;
  const row = (id: string, actor: string | null, action: string, kind: string, target: string, store: string | null, hoursAgo: number) =>
    database.client.query(
      `INSERT INTO action_audit (audit_id, command_id, actor, action, target_kind, target_id, ship_from_location_id, requested_at, details)
       VALUES ($1, $1, $2, $3, $4, $5, $6, $7, '{}')`,
      [id, actor, action, kind, target, store, new Date(T0 - hoursAgo * HOUR).toISOString()],
    );
  await row('c-1', 'clerk-a', 'CANCEL', 'order', 'QC0001-1', 'QC0001', 1);
  await row('c-2', 'manager-a', 'CONFIRM_CASH', 'order', 'QC0001-2', 'QC0001', 2);
  await row('c-3', 'clerk-b', 'MODIFY', 'order', 'QC0002-1', 'QC0002', 3);
  await row('c-4', 'promo-anna', 'DEFINE_BUNDLE', 'bundle', 'B-1', null, 4);
  await row('c-5', 'clerk-a', 'CANCEL', 'order', 'QC0001-3', 'QC0001', 30); // before the default window
  const { app } = testService({ rateLimit: { perSecond: 1000, burst: 1000 }, routes: [auditRoutes(database.db, { now: () => T0 })] });
  t.teardown(() => app.close());
  const as = (sub: string, roles: string[], stores: string[] = []) => {
    const headers = bearer(devToken(hs256, { sub, roles, stores }, T0));
    return async (query = '') => {
      const response = await app.inject({ url: `/api/v1/audit${query}`, headers });
      return { status: response.statusCode, body: response.json() as Answer };
    };
  };
  return { as };
}

const ids = (body: Answer) => body.actions.map((action) => action.auditId);

t.test('who reads the trail, and which part of it', async (t) => {
  const ready = await setup(t);
  if (!ready) return;
  const admin = ready.as('root', ['admin']);
  const manager = ready.as('manager-a', ['store_manager'], ['QC0001']);

  const all = await admin();
  t.equal(all.status, 200);
  t.same(ids(all.body), ['c-1', 'c-2', 'c-3', 'c-4'], 'an admin: every store and the bundles, newest first, the last 24 hours');
  t.same(all.body.actions[0], {
    ...all.body.actions[0],
    actor: 'clerk-a',
    action: 'CANCEL',
    target: { kind: 'order', id: 'QC0001-1' },
    storeId: 'QC0001',
  });
  t.same(ids((await admin('?store=QC0002')).body), ['c-3'], 'narrowed to a store');
  t.same(ids((await admin('?actor=clerk-a&from=2026-11-19T00:00:00Z')).body), ['c-1', 'c-5'], 'by actor, over a longer window');
  const limited = await admin('?limit=2');
  t.same([ids(limited.body), limited.body.truncated], [['c-1', 'c-2'], true], 'a limit says when it cut');

  t.same(ids((await manager()).body), ['c-1', 'c-2'], 'a store manager: their own store only, no bundles');
  const elsewhere = await manager('?store=QC0002');
  t.same([elsewhere.status, elsewhere.body.error?.code], [404, 'STORE_NOT_FOUND'], 'another store is not found');

  for (const [who, roles] of [
    ['store staff', ['store_staff']],
    ['a coordinator', ['regional_coordinator']],
    ['a bundle manager', ['bundle_manager']],
  ] as const) {
    const refused = await ready.as('someone', [...roles], ['QC0001'])();
    t.same([refused.status, refused.body.error?.code], [403, 'FORBIDDEN'], `${who}: 403`);
  }
});

t.test('bad input: one 400 listing every failing field', async (t) => {
  const ready = await setup(t);
  if (!ready) return;
  const admin = ready.as('root', ['admin']);
  const bad = await admin('?from=yesterday&limit=0&region=north');
  t.equal(bad.status, 400);
  t.equal(bad.body.error?.code, 'VALIDATION_FAILED');
  t.same(new Set(bad.body.error?.details?.map((detail) => detail.field)), new Set(['from', 'limit', 'region']));
  const backwards = await admin('?from=2026-11-21T10:00:00Z&to=2026-11-21T09:00:00Z');
  t.same([backwards.status, backwards.body.error?.details?.[0]?.field], [400, 'from'], 'from after to');
  const long = await admin('?from=2026-01-01T00:00:00Z&to=2026-11-21T00:00:00Z');
  t.same([long.status, long.body.error?.details?.[0]?.field], [400, 'from'], 'more than 92 days');
});
