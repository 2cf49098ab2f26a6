/**
 * The store app's cash confirmation and bundle screens in a real headless Chromium, on the embedded default.
 *
 * Cash: the delivery partners are made unable to report by themselves (their fault switch refuses Slick's
 * hand-over, as in test/embedded/cod-confirm.test.ts); the test delivers an order without the COLLECTED callback,
 * a clerk confirms the cash in the order's dialog (Collected), and once the clock passes the daily cut-off the
 * order is Reconciled. A second confirmation that arrives first elsewhere is refused and said so.
 *
 * Bundles: a bundle manager creates a bundle in the form, reads the preview's order total for a basket (exact,
 * four decimals), and an order with exactly that basket, piped as a producer would, is priced to the same total.
 *
 * Every screen and dialog on the way is checked against WCAG 2.1 AA with axe.
 */
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import type { DeliverySimulator } from '../../connectors/simulators/delivery-simulator.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import type { OrderCreate } from '../../processors/domain/types.js';
import { devToken } from '../../query-service/auth.js';
import { freePort } from '../free-port.js';
import { chromiumPath, describeViolations, LANDSCAPE, launchBrowser, missing, PORTRAIT, tabletPage, wcagViolations } from './browser.js';

// Without a browser: skipped with what to install, except under CI, where launching fails the test.
const skip = chromiumPath() || process.env.CI ? false : missing;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** HH:MM (UTC) of an instant. */
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

interface OrderJson {
  orderId: string;
  shipFromLocationId: string;
  status: number;
  paymentStatus: string | null;
  carrier: string | null;
  trackingId: string | null;
  totals: { orderTotal: string } | null;
}

t.test('cash confirmation and bundles in the store app, WCAG 2.1 AA', { skip }, async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  // The cut-off six hours from now: none falls during the test until the clock is moved past it.
  const cutOff = Date.now() + 6 * 3_600_000;
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    clock,
    log: () => undefined,
    env: {
      PORT: String(await freePort()),
      OMNIA_RECONCILIATION_CUTOFF: hhmm(cutOff),
      OMNIA_BUSINESS_TIMEZONE: 'UTC',
      // The test polls orders while the browser works.
      OMNIA_RATE_LIMIT_PER_SECOND: '1000',
      OMNIA_RATE_LIMIT_BURST: '1000',
    },
  });
  t.teardown(() => embedded.stop());
  const browser: Browser = await launchBrowser();
  t.teardown(() => browser.close());

  const token = (sub: string, roles: string[], stores: string[] = []) =>
    devToken(embedded.query.devAuth!, { sub, roles, stores, expiresInSeconds: 3600 });
  const adminToken = token('admin-1', ['admin']);
  const api = async (method: string, path: string, body?: unknown, key?: string) => {
    const response = await fetch(`${embedded.query.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const orderOf = async (orderId: string) => (await api('GET', `/orders/${orderId}`)).body.order as OrderJson;
  const signIn = async (page: Page, jwt: string, ready: string) => {
    await page.goto(`${embedded.query.url}/#token=${jwt}`);
    await page.getByTestId(ready).waitFor();
  };

  await t.test('a clerk confirms the cash the partner did not: Collected, then Reconciled after the cut-off', async (t) => {
    const { grab, pmp } = embedded.partners;
    // The partners refuse every shipment Slick hands over: they never report a delivery, nor the cash, by themselves.
    grab.setFaults({ failureRate: 1 });
    pmp.setFaults({ failureRate: 1 });

    const orders = Array.from({ length: 8 }, (_, n) =>
      demoOrder(n, new Date(clock()), { stores: 1, customers: 50, seed: 31, invalidShare: 0 }),
    );
    for (const order of orders) await embedded.pipeOrder(order);
    // Every order shipped (7000, with its carrier) or cancelled by the COD rules.
    const deadline = Date.now() + 30_000;
    let shipped: OrderJson[];
    for (;;) {
      const all = await Promise.all(orders.map((order) => orderOf(order.OrderID)));
      if (all.every((order) => order.status === 9000 || (order.status === 7000 && order.carrier !== null))) {
        shipped = all.filter((order) => order.status === 7000);
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`not shipped in time: ${all.map((order) => `${order.orderId} ${order.status}`).join(', ')}`);
      await sleep(50);
    }
    t.ok(shipped.length >= 2, `two shipped orders at least (${shipped.length})`);
    const [delivered, other] = shipped as [OrderJson, OrderJson];
    const partnerOf = (order: OrderJson): DeliverySimulator => (order.carrier === 'GRAB' ? grab : pmp);
    // The partner reports the delivery but not the cash.
    for (const order of [delivered, other])
      await partnerOf(order).deliver({
        OrderID: order.orderId,
        ShipFromLocationID: order.shipFromLocationId,
        TrackingID: order.trackingId!,
        CodAmount: null,
      });
    t.match(await orderOf(delivered.orderId), { status: 7500, paymentStatus: '5000' });
    await embedded.flush(); // the COD screen's list searches the tables

    const { page, errors } = await tabletPage(browser, LANDSCAPE);
    await signIn(page, token('clerk-a', ['store_staff'], ['QC0001']), 'board');

    // The order's detail offers the confirmation; the dialog is prefilled with the order total.
    await page.goto(`${embedded.query.url}/#/orders/${delivered.orderId}`);
    await page.locator('[data-testid="order-detail"][data-state="ready"]').waitFor();
    await page.locator('[data-testid="payment-status"][data-status="5000"]').waitFor();
    await page.getByTestId('confirm-cash').click();
    const amount = page.getByTestId('cash-amount');
    const total = delivered.totals!.orderTotal;
    const prefill = await amount.inputValue();
    t.equal(
      prefill.replace(/0+$/, '').replace(/\.$/, ''),
      total.replace(/0+$/, '').replace(/\.$/, ''),
      `prefilled with the total ${total}`,
    );
    t.match(prefill, /^\d+\.\d{2,4}$/, 'two decimals (more only when the total has them)');
    t.same(describeViolations(await wcagViolations(page)), '', 'cash dialog: no WCAG 2.1 AA violation');

    // The form says what is missing before anything is sent.
    await page.getByTestId('confirm-cash-submit').click();
    t.equal(await page.getByTestId('cash-reference').getAttribute('aria-invalid'), 'true', 'a receipt number is required');
    t.same(describeViolations(await wcagViolations(page)), '', 'cash dialog with a problem: no WCAG 2.1 AA violation');
    await page.getByTestId('cash-reference').fill('RCPT-0001');
    await page.getByTestId('cash-note').fill('rider handed the cash in at the store');
    await page.getByTestId('confirm-cash-submit').click();
    await page.locator('[data-testid="payment-status"][data-status="Collected"]').waitFor();
    t.equal(await page.getByTestId('confirm-cash').count(), 0, 'nothing more to confirm');
    t.match(await orderOf(delivered.orderId), { paymentStatus: 'Collected' });
    t.same(describeViolations(await wcagViolations(page)), '', 'order detail after the confirmation: no WCAG 2.1 AA violation');

    // From the COD screen's list: confirmed elsewhere in the meantime, the clerk's confirmation is refused plainly.
    await embedded.flush();
    await page.goto(`${embedded.query.url}/#/cod`);
    await page.getByTestId(`awaiting-${other.orderId}`).waitFor();
    t.equal(await page.getByTestId(`awaiting-${delivered.orderId}`).count(), 0, 'the confirmed order is no longer waiting');
    t.same(describeViolations(await wcagViolations(page)), '', 'COD screen: no WCAG 2.1 AA violation');
    await page.getByTestId(`confirm-cash-${other.orderId}`).click();
    await page.getByTestId('cash-reference').fill('RCPT-0002');
    const elsewhere = await api(
      'POST',
      `/orders/${other.orderId}/cod/confirm`,
      { amount: other.totals!.orderTotal, reference: 'HQ-1' },
      'hq-1',
    );
    t.equal(elsewhere.status, 202, 'confirmed elsewhere first');
    await page.getByTestId('confirm-cash-submit').click();
    const refusal = page.getByTestId('cash-error');
    await refusal.waitFor();
    t.equal(await refusal.getAttribute('data-code'), 'COD_ALREADY_CONFIRMED', 'the refusal carries its code');
    t.ok((await refusal.innerText()).length > 20, `and says what happened: ${await refusal.innerText()}`);
    t.equal(await page.getByTestId('confirm-cash-submit').count(), 0, 'a final refusal leaves only Close');
    t.same(describeViolations(await wcagViolations(page)), '', 'cash dialog with a refusal: no WCAG 2.1 AA violation');
    await page.keyboard.press('Escape');

    // Past the cut-off, the full confirmation reconciles.
    offsetMs = 7 * 3_600_000;
    await embedded.tick();
    await embedded.flush();
    await page.goto(`${embedded.query.url}/#/orders/${delivered.orderId}`);
    await page.reload();
    await page.locator('[data-testid="payment-status"][data-status="Reconciled"]').waitFor();
    t.pass('Reconciled shown after the cut-off');
    // Allowed: the refused confirmation's 409, and product images of the catalog's CDN, which this offline machine cannot reach.
    t.same(
      errors.filter((error) => !/status of 409|ERR_NAME_NOT_RESOLVED/.test(error)),
      [],
      'no script error, nothing the CSP refused',
    );
  });

  await t.test('a bundle manager creates a bundle; the preview total is the total of the order with that basket', async (t) => {
    const { page, errors } = await tabletPage(browser, PORTRAIT, 'en-US');
    await signIn(page, token('promo-1', ['bundle_manager']), 'bundles');
    await page.getByTestId('bundle-row-B-BREAKFAST').waitFor();
    t.same(describeViolations(await wcagViolations(page)), '', 'bundles list: no WCAG 2.1 AA violation');

    await page.getByTestId('bundle-new').click();
    await page.getByTestId('bundle-form').waitFor();
    await page.getByTestId('bundle-id').fill('B-SNACKS');
    await page.getByTestId('component-item-0').fill('SKU-105');
    await page.getByTestId('component-qty-0').fill('2');
    await page.getByTestId('component-item-1').fill('SKU-106');
    await page.getByTestId('pricing-type').selectOption('FIXED');
    await page.getByTestId('pricing-value').fill('49.99');

    // The basket: the bundle's items, a line sold on its own, and the delivery fee the demo orders carry.
    await page.getByTestId('preview-store').fill('QC0001');
    await page.getByTestId('basket-fill').click();
    await page.getByTestId('basket-price-0').fill('22');
    await page.getByTestId('basket-price-1').fill('15');
    await page.getByTestId('basket-add').click();
    await page.getByTestId('basket-item-2').fill('SKU-102');
    await page.getByTestId('basket-qty-2').fill('3');
    await page.getByTestId('basket-price-2').fill('7');
    await page.getByTestId('basket-fee').fill('20');
    const basket = page.getByTestId('preview-basket');
    t.ok(await basket.isVisible(), 'the basket editor');
    const total = page.locator('[data-testid="preview-result"][data-stale="false"] [data-testid="preview-total"]');
    await total.waitFor();
    const exact = (await total.getAttribute('data-exact'))!;
    t.match(exact, /^\d+\.\d{4}$/, `the exact total: ${exact}`);
    t.equal(await page.getByTestId('preview-instances').getAttribute('data-count'), '1', 'one bundle instance formed');
    await page.getByTestId('preview-exact').check();
    t.match(
      await total.innerText(),
      exact.replace(/^(\d+)/, (whole) => Number(whole).toLocaleString('en-US')),
      'four decimals on demand',
    );
    t.same(describeViolations(await wcagViolations(page)), '', 'bundle form with its preview: no WCAG 2.1 AA violation');

    await page.getByTestId('bundle-save').click();
    await page.getByTestId('bundle-row-B-SNACKS').waitFor();
    t.equal(await page.getByTestId('bundle-row-B-SNACKS').getAttribute('data-status'), 'ACTIVE', 'active since always');

    // An order with exactly that basket, as a producer sends it, is priced to the preview's total.
    const base: OrderCreate = demoOrder(101, new Date(clock()), { stores: 1, customers: 50, seed: 41, invalidShare: 0 });
    const line = (id: string, itemId: string, quantity: number, unitPrice: string) => ({
      LineID: id,
      ItemID: itemId,
      ShipFromLocationID: 'QC0001',
      Quantity: quantity,
      UnitPrice: unitPrice,
      TaxRate: '0.0700',
      ShortDescription: null,
      ImageURL: null,
      Discounts: [],
      InformationalTaxes: [],
      BundleID: null,
    });
    const order: OrderCreate = {
      ...base,
      OrderID: 'QC0001-BROWSER-1',
      // The same amounts, written with four decimals as the catalog and the demo feed write them.
      OrderLines: [line('1', 'SKU-105', 2, '22.0000'), line('2', 'SKU-106', 1, '15.0000'), line('3', 'SKU-102', 3, '7.0000')],
    };
    t.same(order.Charges, [{ Type: 'DeliveryFee', Amount: '20.0000' }], 'the demo order’s delivery fee, as in the basket');
    await embedded.pipeOrder(order);
    let answer: { status: number; body: Record<string, unknown> } | undefined;
    for (let tries = 0; tries < 200; tries++) {
      answer = await api('GET', `/orders/${order.OrderID}`);
      if (answer.status === 200 && (answer.body.order as OrderJson).totals) break;
      await sleep(50);
    }
    t.equal(answer?.status, 200, `the order can be read: ${JSON.stringify(answer?.body.error ?? null)}`);
    const priced = answer?.body.order as OrderJson | undefined;
    t.equal(priced?.totals?.orderTotal, exact, 'the order total is the preview’s, to the fourth decimal');

    // A bundle ID that is taken: refused, and said so.
    await page.getByTestId('bundle-new').click();
    await page.getByTestId('bundle-id').fill('B-BREAKFAST');
    await page.getByTestId('component-item-0').fill('SKU-100');
    await page.getByTestId('pricing-value').fill('50');
    await page.getByTestId('bundle-save').click();
    const refusal = page.getByTestId('bundle-error');
    await refusal.waitFor();
    t.equal(await refusal.getAttribute('data-code'), 'BUNDLE_EXISTS');
    t.same(describeViolations(await wcagViolations(page)), '', 'bundle form with a refusal: no WCAG 2.1 AA violation');

    // Deactivate, then activate again, from the list.
    await page.goto(`${embedded.query.url}/#/bundles`);
    await page.getByTestId('bundle-deactivate-B-SNACKS').click();
    await page.locator('[data-testid="bundle-row-B-SNACKS"][data-status="INACTIVE"]').waitFor();
    await page.getByTestId('bundle-activate-B-SNACKS').click();
    await page.locator('[data-testid="bundle-row-B-SNACKS"][data-status="ACTIVE"]').waitFor();
    t.pass('deactivated and activated again');
    t.same(describeViolations(await wcagViolations(page)), '', 'bundles list after the changes: no WCAG 2.1 AA violation');
    t.same(
      errors.filter((error) => !/status of 409/.test(error)),
      [],
      'no script error, nothing the CSP refused (the refused create aside)',
    );

    // A clerk sees the bundles read-only.
    const clerk = await tabletPage(browser, LANDSCAPE);
    await signIn(clerk.page, token('clerk-a', ['store_staff'], ['QC0001']), 'board');
    await clerk.page.goto(`${embedded.query.url}/#/bundles`);
    await clerk.page.getByTestId('bundle-row-B-SNACKS').waitFor();
    t.equal(await clerk.page.getByTestId('bundle-new').count(), 0, 'no New bundle for a clerk');
    t.equal(await clerk.page.getByTestId('bundle-deactivate-B-SNACKS').count(), 0, 'no switches for a clerk');
    t.same(describeViolations(await wcagViolations(clerk.page)), '', 'bundles list in Thai: no WCAG 2.1 AA violation');
  });
});
