/**
 * Search by payment status and what the order detail tells a clerk, in a real headless Chromium, on the embedded
 * default: the search filtered by a payment status lists exactly the orders with it; an order on its way shows
 * its estimated delivery beside the carrier and tracking number, and its bundle group's list price against the
 * bundle price; an order the COD rules refused says why, in words, and what to do about it.
 *
 * The delivery partners refuse every hand-over (as in cod-and-bundles.test.ts), so the shipped orders stay on
 * their way with their cash not collected and their payment status does not move during the test.
 * Every screen on the way is checked against WCAG 2.1 AA with axe.
 */
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import type { OrderCreate, OrderLine } from '../../processors/domain/types.js';
import { devToken } from '../../query-service/auth.js';
import { detailText } from '../../web/src/detail-i18n.js';
import { freePort } from '../free-port.js';
import { chromiumPath, describeViolations, LANDSCAPE, launchBrowser, missing, tabletPage, wcagViolations } from './browser.js';

// Without a browser: skipped with what to install, except under CI, where launching fails the test.
const skip = chromiumPath() || process.env.CI ? false : missing;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface OrderJson {
  orderId: string;
  status: number;
  paymentStatus: string | null;
  carrier: string | null;
  trackingId: string | null;
  estimatedDelivery?: string | null;
  lines: { bundleGroupId: string | null }[];
}

const STORE = 'QC0001';

/** A line of the demo catalog (bin/demo-feed.ts), at its catalog price. */
const line = (lineId: string, itemId: string, quantity: number, unitPrice: string): OrderLine => ({
  LineID: lineId,
  ItemID: itemId,
  ShipFromLocationID: STORE,
  Quantity: quantity,
  UnitPrice: unitPrice,
  TaxRate: '0.0700',
  ShortDescription: null,
  ImageURL: null,
  Discounts: [],
  InformationalTaxes: [],
  BundleID: null,
});

/** The n-th demo order of the store, with these lines and this customer (demo customers: C-1025 may not pay COD). */
const orderOf = (n: number, customerId: string, lines: OrderLine[]): OrderCreate => ({
  ...demoOrder(n, new Date(), { stores: 1, customers: 50, seed: 77, invalidShare: 0 }),
  CustomerID: customerId,
  OrderLines: lines,
});

t.test('search by payment status; ETA, bundle prices and a refusal with its fix on the detail', { skip }, async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: {
      PORT: String(await freePort()),
      // The test polls orders while the browser works.
      OMNIA_RATE_LIMIT_PER_SECOND: '1000',
      OMNIA_RATE_LIMIT_BURST: '1000',
    },
  });
  t.teardown(() => embedded.stop());
  const browser: Browser = await launchBrowser();
  t.teardown(() => browser.close());
  embedded.partners.grab.setFaults({ failureRate: 1 });
  embedded.partners.pmp.setFaults({ failureRate: 1 });

  // A coffee and a croissant form the breakfast bundle (FIXED 55.0000): list 35.50 + 29.00 = 64.50, bundle 55.00.
  const breakfast = orderOf(1, 'C-1001', [line('1', 'SKU-100', 1, '35.5000'), line('2', 'SKU-101', 1, '29.0000')]);
  const water = orderOf(2, 'C-1003', [line('1', 'SKU-102', 2, '7.0000')]);
  // 200 sandwiches: 9,000 baht, over the COD maximum of 5,000.
  const tooLarge = orderOf(3, 'C-1004', [line('1', 'SKU-104', 200, '45.0000')]);
  // C-1025 has no COD (bin/demo-feed.ts: every 25th customer).
  const ineligible = orderOf(4, 'C-1025', [line('1', 'SKU-103', 1, '20.0000')]);
  for (const order of [breakfast, water, tooLarge, ineligible]) await embedded.pipeOrder(order);

  const adminToken = devToken(embedded.query.devAuth!, { sub: 'admin-1', roles: ['admin'], stores: [], expiresInSeconds: 3600 });
  const lookup = async (orderId: string): Promise<OrderJson> => {
    const response = await fetch(`${embedded.query.url}/api/v1/orders/${orderId}`, { headers: { authorization: `Bearer ${adminToken}` } });
    return ((await response.json()) as { order: OrderJson }).order;
  };
  // The accepted orders shipped by Slick (7000, carrier and ETA), the refused ones cancelled.
  const deadline = Date.now() + 30_000;
  let shipped: OrderJson;
  for (;;) {
    const [first, second, third, fourth] = await Promise.all(
      [breakfast, water, tooLarge, ineligible].map((order) => lookup(order.OrderID)),
    );
    if (
      first!.status === 7000 &&
      first!.estimatedDelivery &&
      second!.status === 7000 &&
      third!.status === 9000 &&
      fourth!.status === 9000
    ) {
      shipped = first!;
      break;
    }
    if (Date.now() > deadline)
      throw new Error(`not shipped in time: ${[first, second, third, fourth].map((o) => `${o!.orderId} ${o!.status}`).join(', ')}`);
    await sleep(50);
  }
  t.match(await lookup(tooLarge.OrderID), { paymentStatus: 'Failed' }, 'the refused orders: payment Failed');
  t.match(await lookup(breakfast.OrderID), { paymentStatus: '5000' }, 'the shipped ones: COD accepted');
  await embedded.flush(); // the search reads the analysts' tables

  const { page, errors } = await tabletPage(browser, LANDSCAPE);
  const clerk = devToken(embedded.query.devAuth!, { sub: 'clerk-s', roles: ['store_staff'], stores: [STORE], expiresInSeconds: 3600 });
  await page.goto(`${embedded.query.url}/#token=${clerk}`);
  await page.getByTestId('board').waitFor();

  await t.test('the search filtered by payment status lists exactly the orders with it', async (t) => {
    await page.goto(`${embedded.query.url}/#/search`);
    const select = page.getByTestId('filter-payment-status');
    await select.waitFor();
    t.same(
      await select.locator('option').evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value)),
      ['', '5000', 'Collected', 'Reconciled', 'Failed', 'Reversed'],
      'any, then every payment status an order can hold',
    );
    const results = async (paymentStatus: string): Promise<string[]> => {
      await select.selectOption(paymentStatus);
      const answered = page.waitForResponse(
        (response) => response.url().includes('/api/v1/orders?') && response.url().includes(`paymentStatus=${paymentStatus}`),
      );
      await page.getByTestId('search-submit').click();
      t.equal((await answered).status(), 200, `paymentStatus=${paymentStatus} answered`);
      await page.locator('[data-testid="search-results"][aria-busy="false"]').waitFor();
      return (await page.locator('[data-testid^="result-"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-testid')))).map(
        (id) => id!.replace(/^result-/, ''),
      );
    };
    t.same((await results('Failed')).sort(), [tooLarge.OrderID, ineligible.OrderID].sort(), 'payment failed: the two refused orders');
    t.equal(
      await select.evaluate((element) => (element as HTMLSelectElement).selectedOptions[0]?.textContent),
      'ชำระเงินไม่สำเร็จ',
      'the payment status named in Thai',
    );
    t.same(describeViolations(await wcagViolations(page)), '', 'search by payment status: no WCAG 2.1 AA violation');
    t.same((await results('5000')).sort(), [breakfast.OrderID, water.OrderID].sort(), 'COD accepted: the two shipped orders');
    t.same(await results('Reconciled'), [], 'reconciled: none yet');
    // The filter lives in the address: a reload shows the same list.
    await page.goto(`${embedded.query.url}/#/search?paymentStatus=Failed`);
    await page.reload();
    await page.getByTestId(`result-${ineligible.OrderID}`).waitFor();
    t.equal(await page.getByTestId('filter-payment-status').inputValue(), 'Failed', 'the select shows the filter of the address');
    t.equal(await page.locator('[data-testid^="result-"]').count(), 2);
  });

  await t.test('an order on its way: the ETA beside carrier and tracking; its bundle group at list and bundle price', async (t) => {
    await page.goto(`${embedded.query.url}/#/orders/${breakfast.OrderID}`);
    await page.locator('[data-testid="order-detail"][data-state="ready"]').waitFor();
    const summary = await page.locator('.detail-summary').innerText();
    t.match(summary, shipped.carrier!, 'the carrier');
    t.match(summary, shipped.trackingId!, 'the tracking number');
    const eta = page.getByTestId('order-eta');
    t.equal(await eta.getAttribute('datetime'), shipped.estimatedDelivery, 'the ETA the order view gives');
    t.equal(
      await eta.innerText(),
      await page.evaluate(
        (iso) => new Intl.DateTimeFormat('th-TH', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)),
        shipped.estimatedDelivery!,
      ),
      'written as the other dates of the screen',
    );
    t.match(summary, detailText('th', 'detail.eta'), 'and named');

    const group = shipped.lines.find((orderLine) => orderLine.bundleGroupId !== null)?.bundleGroupId;
    t.equal(group, 'B-BREAKFAST#1', 'the coffee and the croissant were priced as the breakfast bundle');
    const listPrice = page.getByTestId(`bundle-list-price-${group}`);
    const bundlePrice = page.getByTestId(`bundle-price-${group}`);
    t.equal(await listPrice.innerText(), '฿64.50', 'list price: each item at its own price');
    t.equal(await bundlePrice.innerText(), '฿55.00', 'bundle price');
    t.match(await page.getByTestId(`bundle-${group}`).innerText(), /฿9\.50/, 'and what the customer saves');
    await page.getByTestId('exact-toggle').check();
    t.same([await listPrice.innerText(), await bundlePrice.innerText()], ['฿64.5000', '฿55.0000'], 'the exact four decimals on demand');
    t.equal(await page.getByTestId('order-refusal').count(), 0, 'an accepted order has nothing refused');
    t.same(describeViolations(await wcagViolations(page)), '', 'order detail with a bundle and an ETA: no WCAG 2.1 AA violation');
  });

  await t.test('a refused order says why and what to do, in Thai and in English', async (t) => {
    const open = async (target: Page, orderId: string) => {
      await target.goto(`${embedded.query.url}/#/orders/${orderId}`);
      await target.locator('[data-testid="order-detail"][data-state="ready"]').waitFor();
    };
    await open(page, tooLarge.OrderID);
    const refusal = page.getByTestId('refusal-COD_AMOUNT_OUT_OF_RANGE');
    await refusal.waitFor();
    t.equal(
      await refusal.getByTestId('refusal-what').innerText(),
      `${detailText('th', 'refusal.what')}: ${detailText('th', 'refusal.COD_AMOUNT_OUT_OF_RANGE.what')}`,
    );
    t.equal(
      await refusal.getByTestId('refusal-fix').innerText(),
      `${detailText('th', 'refusal.fix')}: ${detailText('th', 'refusal.COD_AMOUNT_OUT_OF_RANGE.fix')}`,
    );
    t.match(await page.getByTestId('order-refusal').innerText(), detailText('th', 'refusal.title'));
    t.same(describeViolations(await wcagViolations(page)), '', 'a refused order: no WCAG 2.1 AA violation');

    await open(page, ineligible.OrderID);
    await page.getByTestId('refusal-COD_CUSTOMER_INELIGIBLE').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    const words = await page.getByTestId('order-refusal').innerText();
    t.match(words, detailText('en', 'refusal.COD_CUSTOMER_INELIGIBLE.what'), `what happened, in English: ${words}`);
    t.match(words, detailText('en', 'refusal.COD_CUSTOMER_INELIGIBLE.fix'), 'and what to do');
    t.notMatch(words, /COD_/, 'in words, not codes');
    t.same(describeViolations(await wcagViolations(page)), '', 'a refused order, in English: no WCAG 2.1 AA violation');
    await page.getByTestId('lang-switch').click();
  });

  t.same(
    errors.filter((error) => !/ERR_NAME_NOT_RESOLVED/.test(error)),
    [],
    'no script error, nothing the CSP refused',
  );
});
