/**
 * The delivery phone in an order lookup (phone-mask.ts, order-lookup-routes.ts): masked for store staff and managers,
 * whole for admins, no address at all for coordinators; a lookup forwarded between replicas carries it whole and the
 * replica the caller asked masks it. A change of address sent back with the phone as it was shown keeps the order's
 * phone (order-modify-routes.ts); any other masked phone is refused.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import type { OrderUpdate } from '../../../avro/records.js';
import { openOrder, type OrderState } from '../../../processors/order-state.js';
import type { SqlDatabase } from '../../../postgres/sql.js';
import { buildQueryService } from '../../../query-service/app.js';
import { devToken } from '../../../query-service/auth.js';
import { FORWARDED_HEADER, replicaForwarding } from '../../../query-service/forwarding.js';
import type { LocalOrders } from '../../../query-service/local-orders.js';
import { type OrderLocator, orderLookupRoutes } from '../../../query-service/order-lookup-routes.js';
import { orderModifyRoutes } from '../../../query-service/order-modify-routes.js';
import { type OrderView, viewOfState } from '../../../query-service/order-view.js';
import { PartitionOwners } from '../../../query-service/partition-owners.js';
import { isMaskedPhone, maskPhone } from '../../../query-service/phone-mask.js';
import type { AdminClient } from '../../../topology/kafka/client.js';
import { orderCreate } from '../avro/examples.js';
import { bearer, hs256, T0, testService } from './helpers.js';

const FORWARD_SECRET = 'forward-secret-shared-by-the-replicas-0123456789';
const TOPIC = 'order.create.v1';
const state: OrderState = openOrder(orderCreate, 'hash', '2026-11-21T09:15:01Z').state;
const ORDER = state.Order.OrderID;
const URL = `/api/v1/orders/${ORDER}?store=QC0042`;
const noPostgres = { query: () => Promise.reject(new Error('postgres is down')) } as unknown as SqlDatabase;

const tokens = {
  clerk: devToken(hs256, { sub: 'clerk', roles: ['store_staff'], stores: ['QC0042'] }),
  manager: devToken(hs256, { sub: 'manager', roles: ['store_manager'], stores: ['QC0042'] }),
  admin: devToken(hs256, { sub: 'root', roles: ['admin'] }),
  adminClerk: devToken(hs256, { sub: 'both', roles: ['store_staff', 'admin'], stores: ['QC0042'] }),
  coordinator: devToken(hs256, { sub: 'coord', roles: ['regional_coordinator'] }),
};

t.test('the mask: the first three and last three shown when four stay hidden, the length kept, masking twice the same', async (t) => {
  const cases: Array<[string, string]> = [
    ['0812345678', '081****678'],
    ['021234567', '02****567'],
    ['+15551234567', '+15******567'],
    ['1234567', '****567'],
    ['12345', '****5'],
    ['123', '***'],
    ['', ''],
  ];
  for (const [phone, masked] of cases) {
    t.equal(maskPhone(phone), masked, `${phone || '(empty)'} → ${masked || '(empty)'}`);
    t.equal(maskPhone(masked), masked, 'the mask of a mask is itself');
    t.equal(masked.length, phone.length);
    if (phone.length > 0) t.ok(isMaskedPhone(masked) && !isMaskedPhone(phone));
  }
});

const local = (owns: boolean, held: OrderState = state): LocalOrders => ({
  instance: owns ? 'b' : 'a',
  partitionOf: () => 0,
  state: () => (owns ? 'ready' : 'elsewhere'),
  readyPartitions: () => (owns ? [0] : []),
  get: async (_partition, orderId) => (owns && orderId === ORDER ? held : undefined),
});

async function replica(t: Test, owns: boolean, owner?: () => { instance: string; endpoint: string }, held?: OrderState) {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const endpoint = `127.0.0.1:${port}`;
  const forwarding = replicaForwarding({ secret: FORWARD_SECRET, endpoint });
  const groupOf = (): AdminClient =>
    ({
      groupMembers: async () => [
        { memberId: 'm-1', metadata: Buffer.from(JSON.stringify(owner!())), partitions: [{ topic: TOPIC, partition: 0 }] },
      ],
    }) as unknown as AdminClient;
  const app = buildQueryService({
    auth: hs256,
    rateLimit: { perSecond: 1000, burst: 1000 },
    readiness: () => ({ ready: true }),
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    routes: [
      orderLookupRoutes({
        local: local(owns, held),
        db: noPostgres,
        forwarding,
        ...(owner ? { owners: new PartitionOwners(groupOf(), 'omnia', TOPIC, 0) } : {}),
      }),
    ],
    forwarding,
  });
  await app.listen({ host: '127.0.0.1', port });
  t.teardown(() => app.close());
  return { app, endpoint };
}

const addressOf = (body: string) => (JSON.parse(body) as { order: OrderView }).order.deliveryAddress;

t.test('GET /orders/:id: the phone masked for store roles, whole for admins, no address for coordinators', async (t) => {
  const b = await replica(t, true);
  const ask = async (token: string) => addressOf((await b.app.inject({ url: URL, headers: bearer(token) })).body);
  const whole = { line1: '...', district: '...', province: '...', postalCode: '10110', phone: '0812345678' };
  t.same(await ask(tokens.clerk), { ...whole, phone: '081****678' }, 'store staff: masked, the rest of the address whole');
  t.same(await ask(tokens.manager), { ...whole, phone: '081****678' }, 'a store manager: masked');
  t.same(await ask(tokens.admin), whole, 'an admin: whole');
  t.same(await ask(tokens.adminClerk), whole, 'an admin who is also store staff: whole');
  t.equal(await ask(tokens.coordinator), null, 'a coordinator: no address');

  const noPhone = await replica(t, true, undefined, {
    ...state,
    Order: { ...state.Order, DeliveryAddress: { ...state.Order.DeliveryAddress, Phone: null } },
  });
  t.equal(addressOf((await noPhone.app.inject({ url: URL, headers: bearer(tokens.clerk) })).body)?.phone, null, 'no phone stays none');
});

t.test('forwarded: the owner gives the asking replica the phone whole, and that replica masks it for its caller', async (t) => {
  const b = await replica(t, true);
  const a = await replica(t, false, () => ({ instance: 'b', endpoint: b.endpoint }));
  const relayed = await a.app.inject({ url: URL, headers: bearer(tokens.clerk) });
  t.equal(relayed.statusCode, 200, relayed.body);
  t.equal((relayed.json() as { source: string }).source, 'replica');
  t.equal(addressOf(relayed.body)?.phone, '081****678', 'the clerk sees it masked through A');
  t.notOk(relayed.body.includes('0812345678'), 'the whole number is nowhere in the answer');

  const clerk = { subject: 'clerk', roles: ['store_staff' as const], stores: ['QC0042'], tokenId: 'jti:clerk' };
  const { token } = await replicaForwarding({ secret: FORWARD_SECRET, endpoint: b.endpoint }).sign(clerk, b.endpoint, URL);
  const toOwner = await b.app.inject({ url: URL, headers: { [FORWARDED_HEADER]: token } });
  t.equal(addressOf(toOwner.body)?.phone, '0812345678', 'what the owner sends the replica: whole');
  const coordinator = { subject: 'coord', roles: ['regional_coordinator' as const], stores: [], tokenId: 'jti:coord' };
  const forCoordinator = await replicaForwarding({ secret: FORWARD_SECRET, endpoint: b.endpoint }).sign(coordinator, b.endpoint, URL);
  t.equal(
    addressOf((await b.app.inject({ url: URL, headers: { [FORWARDED_HEADER]: forCoordinator.token } })).body),
    null,
    'but never an address to a caller who may not see one',
  );
});

t.test('modify: the phone sent back as shown masked keeps the order’s phone; another masked phone is refused', async (t) => {
  let order: OrderView = viewOfState(state);
  const locator: OrderLocator = { lookup: async () => ({ source: 'local-state', answeredBy: 'test', order }), close: () => undefined };
  const sent: OrderUpdate[] = [];
  const { app } = testService({
    rateLimit: { perSecond: 1000, burst: 1000 },
    routes: [
      orderModifyRoutes({
        locator,
        publisher: {
          publish: async (record) => {
            sent.push(JSON.parse(record.value.toString('utf8')) as OrderUpdate);
            return { partition: 0 };
          },
        },
        updateTopic: 'order.update.v1',
        encode: (update) => Buffer.from(JSON.stringify(update)),
        now: () => T0,
      }),
    ],
  });
  t.teardown(() => app.close());
  const clerk = devToken(hs256, { sub: 'clerk', roles: ['store_staff'], stores: ['QC0042'] }, T0);
  const modify = async (phone: string, key: string) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${ORDER}/modify`,
      headers: { ...bearer(clerk), 'idempotency-key': key },
      payload: { reason: 'new district', address: { line1: '1 Soi 3', district: 'Bang Rak', postalCode: '10500', phone } },
    });
    return [response.statusCode, (response.json() as { error?: { code: string } }).error?.code];
  };

  t.same(await modify('081****678', 'k-1'), [202, undefined]);
  t.same(
    sent.map((update) => update.DeliveryAddress),
    [{ Line1: '1 Soi 3', District: 'Bang Rak', Province: null, PostalCode: '10500', Phone: '0812345678' }],
    'the order’s own phone goes with the new address',
  );
  t.same(await modify('0899999999', 'k-2'), [202, undefined]);
  t.equal(sent[1]?.DeliveryAddress?.Phone, '0899999999', 'a new number typed whole is sent as typed');
  t.same(await modify('081***5678', 'k-3'), [422, 'PHONE_MASKED'], 'a mask that is not the current phone’s');
  order = { ...order, deliveryAddress: { ...order.deliveryAddress!, phone: null } };
  t.same(await modify('081****678', 'k-4'), [422, 'PHONE_MASKED'], 'nor when the order has no phone');
  order = { ...order, deliveryAddress: { ...order.deliveryAddress!, phone: '081****678' } };
  t.same(await modify('081****678', 'k-5'), [422, 'PHONE_MASKED'], 'a current phone itself masked is never sent as the phone');
  t.equal(sent.length, 2, 'nothing sent for a refusal');
});
