/**
 * The lookup's tax rate per line and delivery address on the embedded default: as the customer's order carries
 * them, as a MODIFY changes them, and the address only to the roles that deliver or change the order, its phone
 * masked for the store's staff and whole for an admin. Orders are held before release (OMNIA_RELEASE_HOLD_SECONDS)
 * so that they can be changed.
 */
import t from 'tap';
import { demoOrder } from '../../bin/demo-feed.js';
import { startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import type { OrderView } from '../../query-service/order-view.js';
import type { DeliveryAddress } from '../../avro/records.js';
import { normaliseAddress } from '../../processors/domain/address.js';
import { maskPhone } from '../../query-service/phone-mask.js';
import { freePort } from '../free-port.js';
import { apiClient } from './api-client.js';

interface Body {
  order: OrderView;
  error: { code: string };
}

t.test('order view: each line’s tax rate and the delivery address, changed by a MODIFY; the address by role', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: { PORT: String(await freePort()), OMNIA_RELEASE_HOLD_SECONDS: '3600' },
  });
  t.teardown(() => embedded.stop());

  // A QC0001 order whose first line is tax-free (0 %), the rest at the catalog's 7 %.
  const created = demoOrder(0, new Date(), { stores: 2, customers: 50, seed: 5, invalidShare: 0 });
  const order = {
    ...created,
    OrderLines: created.OrderLines.map((line, index) => (index === 0 ? { ...line, TaxRate: '0' } : line)),
  };
  await embedded.pipeOrder(order);
  const id = order.OrderID;

  const clerk = apiClient<Body>(embedded, { sub: 'clerk-a', roles: ['store_staff'], stores: ['QC0001'] });
  const coordinator = apiClient<Body>(embedded, { sub: 'coord', roles: ['regional_coordinator'] });
  const admin = apiClient<Body>(embedded, { sub: 'root', roles: ['admin'] });

  const seen = (await clerk.get(`/api/v1/orders/${id}`)).body.order;
  t.same(
    seen.lines.map((line) => [line.lineId, line.taxRate]),
    order.OrderLines.map((line, index) => [line.LineID, index === 0 ? '0.0000' : '0.0700']),
    'each line its own rate, with 4 decimals',
  );
  t.equal(seen.lines[0]!.lineTax, '0.0000', 'and the pipeline priced the first line without tax');
  // As the pipeline holds it: normalised by the enrich stage.
  const view = (address: DeliveryAddress) => {
    const held = normaliseAddress(address);
    return { line1: held.Line1, district: held.District, province: held.Province, postalCode: held.PostalCode, phone: held.Phone };
  };
  const masked = (address: ReturnType<typeof view>) => ({ ...address, phone: address.phone === null ? null : maskPhone(address.phone) });
  t.ok(order.DeliveryAddress.Phone, 'the order has a phone to mask');
  t.same(seen.deliveryAddress, masked(view(order.DeliveryAddress)), 'the clerk of the store sees the address, the phone masked');
  t.same((await admin.get(`/api/v1/orders/${id}`)).body.order.deliveryAddress, view(order.DeliveryAddress), 'an admin sees it whole');
  const read = (await coordinator.get(`/api/v1/orders/${id}`)).body.order;
  t.equal(read.deliveryAddress, null, 'a coordinator does not');
  t.same(
    read.lines.map((line) => line.taxRate),
    seen.lines.map((line) => line.taxRate),
  );

  // The view's rates and a new address sent back as they are: the first line stays tax-free.
  const modified = await clerk.post(
    `/api/v1/orders/${id}/modify`,
    {
      reason: 'one more of the first item, new address',
      lines: seen.lines.map((line, index) => ({
        lineId: line.lineId,
        itemId: line.itemId,
        quantity: line.quantity + (index === 0 ? 1 : 0),
        unitPrice: line.unitPrice,
        taxRate: line.taxRate,
      })),
      address: { line1: '99 Rama IV Rd', district: 'Pathum Wan', province: 'Bangkok', postalCode: '10330', phone: '+66 81 000 0000' },
    },
    'modify-view-1',
  );
  t.equal(modified.status, 202, JSON.stringify(modified.body));
  const after = (await clerk.get(`/api/v1/orders/${id}`)).body.order;
  t.equal(after.lines[0]!.quantity, seen.lines[0]!.quantity + 1);
  t.equal(after.lines[0]!.taxRate, '0.0000', 'the rate sent back is the rate kept');
  t.equal(after.lines[0]!.lineTax, '0.0000', 'still priced without tax');
  const changed = view({
    Line1: '99 Rama IV Rd',
    District: 'Pathum Wan',
    Province: 'Bangkok',
    PostalCode: '10330',
    Phone: '+66 81 000 0000',
  });
  t.same(after.deliveryAddress, masked(changed), 'the new address');
  t.equal(after.deliveryAddress?.phone, '081****000');
  t.same((await admin.get(`/api/v1/orders/${id}`)).body.order.deliveryAddress, changed, 'whole for an admin');
});
