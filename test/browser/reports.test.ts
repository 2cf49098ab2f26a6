/**
 * The reports screen and a bundle's sales in a real headless Chromium, on the embedded default (its business day
 * in Bangkok). The test makes its own orders in two stores: one cancelled by a clerk, one cancelled by the
 * pipeline (a COD total over the limit), two with the breakfast bundle, two delivered (one with its cash, one
 * without). The delivery partners are made unable to report by themselves, so nothing moves after that.
 *
 * What the screen shows is checked against those orders as the service holds them (totals exact, with the four
 * decimals shown on demand), as is each table's CSV download; axe checks WCAG 2.1 AA in landscape (a coordinator,
 * English) and portrait (a clerk, Thai).
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import type { Browser, Download, Page } from 'playwright-core';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import type { DeliverySimulator } from '../../connectors/simulators/delivery-simulator.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { formatMoney, parseMoney, sum } from '../../processors/domain/money.js';
import type { OrderCreate, OrderLine } from '../../processors/domain/types.js';
import { devToken } from '../../query-service/auth.js';
import { formatBaht } from '../../web/src/logic/money.js';
import { addDays, businessDay } from '../../web/src/logic/reports.js';
import { freePort } from '../free-port.js';
import { chromiumPath, describeViolations, LANDSCAPE, launchBrowser, missing, PORTRAIT, tabletPage, wcagViolations } from './browser.js';

const skip = chromiumPath() || process.env.CI ? false : missing;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface OrderJson {
  orderId: string;
  shipFromLocationId: string;
  status: number;
  paymentStatus: string | null;
  carrier: string | null;
  trackingId: string | null;
  totals: { orderTotal: string } | null;
  lines: Array<{ quantity: number; lineAmount: string; lineDiscount: string; bundleGroupId: string | null }>;
}

const add = (values: readonly string[]): string => formatMoney(sum(values.map(parseMoney)));
const minus = (value: string): string => formatMoney(parseMoney(value).negated());
/** HH:MM in Bangkok of an instant. */
const bangkokTime = (ms: number) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Bangkok', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);

t.test('reports in the store app: the orders made here, each table as CSV, WCAG 2.1 AA, landscape and portrait', { skip }, async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    clock,
    log: () => undefined,
    env: {
      PORT: String(await freePort()),
      // Held ten minutes: one order is cancelled by a clerk before the clock is moved past the hold.
      OMNIA_RELEASE_HOLD_SECONDS: '600',
      // No cut-off during the test.
      OMNIA_RECONCILIATION_CUTOFF: bangkokTime(Date.now() + 6 * 3_600_000),
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
  /** The order as the service answers it; anything but a 200 fails with what the service said. */
  const orderOf = async (orderId: string) => {
    const answer = await api('GET', `/orders/${orderId}`);
    if (answer.status !== 200) throw new Error(`GET /orders/${orderId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body.order as OrderJson;
  };

  // The partners refuse every hand-over: no delivery is reported but the ones this test sends.
  const { grab, pmp } = embedded.partners;
  grab.setFaults({ failureRate: 1 });
  pmp.setFaults({ failureRate: 1 });

  const createdAt = new Date(clock());
  const day = businessDay(createdAt.getTime());
  const line = (id: string, itemId: string, quantity: number, unitPrice: string, store: string): OrderLine => ({
    LineID: id,
    ItemID: itemId,
    ShipFromLocationID: store,
    Quantity: quantity,
    UnitPrice: unitPrice,
    TaxRate: '0.0700',
    ShortDescription: null,
    ImageURL: null,
    Discounts: [],
    InformationalTaxes: [],
    BundleID: null,
  });
  const order = (id: string, store: string, lines: OrderLine[]): OrderCreate => ({
    OrderID: id,
    ShipFromLocationID: store,
    IsForceAllocation: true,
    T1MembershipID: null,
    T1Number: null,
    CustRef: `REP-${id}`,
    CustomerID: 'C-1001',
    Currency: 'THB',
    PaymentMethod: 'COD',
    CreatedAt: createdAt.toISOString(),
    DeliveryAddress: {
      Line1: '1 Sukhumvit Rd',
      District: 'Khlong Toei',
      Province: 'Bangkok',
      PostalCode: '10110',
      Phone: '+66 81 234 5678',
    },
    Charges: [{ Type: 'DeliveryFee', Amount: '20.0000' }],
    OrderLines: lines,
  });
  const breakfast = (store: string) => [line('1', 'SKU-100', 1, '35.5000', store), line('2', 'SKU-101', 1, '29.0000', store)];
  const orders = {
    bundled: order('QC0001-REP-1', 'QC0001', [...breakfast('QC0001'), line('3', 'SKU-102', 3, '7.0000', 'QC0001')]),
    paid: order('QC0001-REP-2', 'QC0001', [line('1', 'SKU-105', 2, '22.0000', 'QC0001')]),
    byClerk: order('QC0001-REP-3', 'QC0001', [line('1', 'SKU-106', 1, '15.0000', 'QC0001')]),
    // 150 sandwiches: over the COD limit (5,000), cancelled by the pipeline with its code.
    overLimit: order('QC0001-REP-4', 'QC0001', [line('1', 'SKU-104', 150, '45.0000', 'QC0001')]),
    other: order('QC0002-REP-1', 'QC0002', breakfast('QC0002')),
  };
  for (const created of Object.values(orders)) await embedded.pipeOrder(created);
  const cancel = await api('POST', `/orders/${orders.byClerk.OrderID}/cancel`, { reason: 'Customer asked to cancel' }, 'rep-cancel-1');
  t.equal(cancel.status, 202, 'a clerk’s cancellation before release');

  // Past the hold: the rest is released and shipped (7000, with its carrier), and stays there.
  offsetMs = 601_000;
  await embedded.tick();
  const live = [orders.bundled, orders.paid, orders.other].map((created) => created.OrderID);
  const deadline = Date.now() + 30_000;
  for (;;) {
    // A lookup that fails while the pipeline works is asked again; the last answer is what a timeout reports.
    const now = await Promise.all(live.map((orderId) => orderOf(orderId).catch((error: Error) => error)));
    if (now.every((shipped) => !(shipped instanceof Error) && shipped.status === 7000 && shipped.carrier !== null)) break;
    if (Date.now() > deadline)
      throw new Error(`not shipped in time: ${now.map((o) => (o instanceof Error ? o.message : `${o.orderId} ${o.status}`)).join(', ')}`);
    await sleep(50);
  }
  const partnerOf = (shipped: OrderJson): DeliverySimulator => (shipped.carrier === 'GRAB' ? grab : pmp);
  const deliver = async (orderId: string, cash: boolean) => {
    const shipped = await orderOf(orderId);
    await partnerOf(shipped).deliver({
      OrderID: orderId,
      ShipFromLocationID: shipped.shipFromLocationId,
      TrackingID: shipped.trackingId!,
      CodAmount: cash ? shipped.totals!.orderTotal : null,
    });
  };
  await deliver(orders.bundled.OrderID, false);
  await deliver(orders.paid.OrderID, true);
  // The callbacks are answered once on the topic; the order shows them when the pipeline has processed them.
  const delivered = async (orderId: string, paymentStatus: string | null) => {
    const until = Date.now() + 30_000;
    for (;;) {
      const now = await orderOf(orderId).catch((error: Error) => error);
      if (!(now instanceof Error) && now.status === 7500 && (paymentStatus === null || now.paymentStatus === paymentStatus)) return now;
      if (Date.now() > until)
        throw new Error(
          `${orderId} not delivered in time: ${now instanceof Error ? now.message : `${now.status} ${now.paymentStatus}`}; ` +
            `callbacks ${JSON.stringify({ grab: grab.counters().callbacks, pmp: pmp.counters().callbacks })}`,
        );
      await sleep(50);
    }
  };
  t.match(await delivered(orders.paid.OrderID, 'Collected'), { status: 7500, paymentStatus: 'Collected' });
  t.match(await delivered(orders.bundled.OrderID, null), { status: 7500 });
  const deliveredDay = businessDay(Date.now());
  await embedded.flush();

  // What the screen must show, from the orders as the service holds them.
  const held = Object.fromEntries(
    await Promise.all(Object.entries(orders).map(async ([name, created]) => [name, await orderOf(created.OrderID)] as const)),
  ) as Record<keyof typeof orders, OrderJson>;
  t.match(held.byClerk, { status: 9000 }, 'cancelled by the clerk');
  t.match(held.overLimit, { status: 9000 }, 'cancelled by the pipeline');
  const total = (name: keyof typeof orders) => held[name].totals!.orderTotal;
  const bundleOf = (name: keyof typeof orders) => {
    const lines = held[name].lines.filter((l) => l.bundleGroupId !== null);
    return {
      units: lines.reduce((n, l) => n + l.quantity, 0),
      list: add(lines.map((l) => l.lineAmount)),
      discount: add(lines.map((l) => l.lineDiscount)),
      net: formatMoney(sum(lines.map((l) => parseMoney(l.lineAmount).minus(parseMoney(l.lineDiscount))))),
    };
  };
  t.equal(bundleOf('bundled').units, 2, 'the breakfast bundle formed');
  const qc0001Value = add([total('bundled'), total('paid')]);
  const regionValue = add([qc0001Value, total('other')]);
  const exact = (value: string) => formatBaht(value, true);

  const readyReport = async (page: Page) => page.locator('[data-testid="reports"][data-state="ready"]').waitFor();
  const cells = (page: Page, table: string, key: string) =>
    page.locator(`[data-testid="report-${table}"] tr[data-key="${key}"]`).locator('th, td').allInnerTexts();
  const downloaded = async (page: Page, click: () => Promise<void>) => {
    const [download]: [Download, void] = await Promise.all([page.waitForEvent('download'), click()]);
    return { name: download.suggestedFilename(), text: await readFile((await download.path())!, 'utf8') };
  };
  const range = `from=${day}&to=${addDays(day, 1)}`;

  await t.test('a coordinator, landscape, English: every store and the region’s totals', async (t) => {
    const { page, errors } = await tabletPage(browser, LANDSCAPE, 'en-US');
    await page.goto(`${embedded.query.url}/#token=${token('coordinator-1', ['regional_coordinator'])}`);
    await page.locator('nav.menu').waitFor();
    await page.getByRole('link', { name: 'Reports' }).click();
    await readyReport(page);
    t.match(page.url(), /#\/reports$/, 'from the menu');
    await page.goto(`${embedded.query.url}/#/reports?${range}`);
    await readyReport(page);
    t.equal(await page.getByTestId('report-from').inputValue(), day);

    await page.getByTestId('report-exact').check();
    t.same((await cells(page, 'orders', `${day} QC0001`)).slice(1), ['QC0001', '4', '2', '2', exact(qc0001Value)]);
    t.same((await cells(page, 'orders', `${day} QC0002`)).slice(1), ['QC0002', '1', '0', '0', exact(total('other'))]);
    t.same((await cells(page, 'orders', `${day} *`)).slice(1), ['All stores', '5', '2', '2', exact(regionValue)], 'the region’s total row');
    await page.getByTestId('report-exact').uncheck();
    t.match((await cells(page, 'orders', `${day} QC0001`))[5], /^฿[\d,]+\.\d{2}$/, 'two decimals unless the exact amounts are asked for');

    t.same((await cells(page, 'cancellations', 'QC0001 Customer asked to cancel')).slice(1), [
      'Customer asked to cancel',
      '1',
      formatBaht(total('byClerk')),
    ]);
    t.same((await cells(page, 'cancellations', 'QC0001 COD_AMOUNT_OUT_OF_RANGE')).slice(1), [
      'Order total outside the cash-on-delivery limits',
      '1',
      formatBaht(total('overLimit')),
    ]);

    t.same(
      (await cells(page, 'cod', `${deliveredDay} QC0001`)).slice(1),
      ['QC0001', '2', formatBaht(qc0001Value), '1', formatBaht(total('paid')), formatBaht(minus(total('bundled'))), '1'],
      'two delivered, one paid, the other’s cash missing',
    );

    const qc0001Bundle = bundleOf('bundled');
    t.same((await cells(page, 'bundles', `${day} B-BREAKFAST QC0001`)).slice(1), [
      'B-BREAKFAST',
      'QC0001',
      '1',
      '1',
      '2',
      formatBaht(qc0001Bundle.list),
      formatBaht(qc0001Bundle.discount),
      formatBaht(qc0001Bundle.net),
    ]);
    t.ok((await page.locator('[data-testid="report-status"] tbody tr').count()) > 0, 'time in each status has rows');
    t.same(describeViolations(await wcagViolations(page)), '', 'reports, landscape: no WCAG 2.1 AA violation');

    // Every button is a touch target.
    for (const button of await page.locator('[data-testid="reports"] button').all()) {
      const box = await button.boundingBox();
      t.ok(box && box.height >= 44 && box.width >= 44, `touch target ${await button.innerText()} (${box?.width}×${box?.height})`);
    }

    // The CSV: the rows shown, money exact, a BOM for Excel.
    const csv = await downloaded(page, () => page.getByTestId('csv-orders').click());
    t.equal(csv.name, `omnia-orders-per-day-all-stores-${day}-${addDays(day, 1)}.csv`);
    t.ok(csv.text.startsWith('\uFEFFDay,Store,Orders,Cancelled,Delivered,Value\r\n'), 'BOM and header');
    t.ok(csv.text.includes(`\r\n${day},QC0001,4,2,2,${qc0001Value}\r\n`), `QC0001's row, exact: ${qc0001Value}`);
    t.ok(csv.text.includes(`\r\n${day},QC0002,1,0,0,${total('other')}\r\n`), "QC0002's row");
    t.ok(csv.text.includes(`\r\n${day},All stores,5,2,2,${regionValue}\r\n`), 'the total row');

    // From the keyboard: the cancellations' CSV.
    await page.getByTestId('csv-cancellations').focus();
    const reasons = await downloaded(page, () => page.keyboard.press('Enter'));
    t.ok(reasons.text.includes(`QC0001,Customer asked to cancel,1,${total('byClerk')}`), 'the clerk’s reason and the exact value');
    t.ok(reasons.text.includes(`QC0001,Order total outside the cash-on-delivery limits,1,${total('overLimit')}`), "the pipeline's reason");

    // One store chosen.
    await page.getByTestId('report-store').selectOption('QC0002');
    await page.getByTestId('report-show').click();
    await page.waitForURL(/store=QC0002/);
    // The all-stores table has a QC0002 row too: wait for the one-store table itself, not for a row both have.
    await page
      .waitForFunction(
        (key) => {
          const rows = document.querySelectorAll('[data-testid="report-orders"] tbody tr');
          return rows.length === 1 && rows[0]?.getAttribute('data-key') === key;
        },
        `${day} QC0002`,
        { timeout: 15_000 },
      )
      .catch(() => undefined); // the assertions below say what was there instead
    await page.locator(`[data-testid="report-orders"] tr[data-key="${day} QC0002"]`).waitFor();
    t.equal(await page.locator('[data-testid="report-orders"] tbody tr').count(), 1, 'only QC0002');
    t.equal(await page.locator('[data-testid="report-orders"] tfoot').count(), 0, 'no total for one store');

    // A range the service would refuse is said before anything is sent.
    await page.getByTestId('report-from').fill(addDays(day, 2));
    await page.getByTestId('report-show').click();
    t.equal(await page.getByTestId('report-from').getAttribute('aria-invalid'), 'true', 'from after to');
    t.match(await page.locator('#report-from-problem').innerText(), /on or before/);
    t.same(describeViolations(await wcagViolations(page)), '', 'reports with a problem: no WCAG 2.1 AA violation');

    // A bundle's sales on its own screen.
    await page.goto(`${embedded.query.url}/#/bundles/edit/B-BREAKFAST`);
    await page.locator('[data-testid="bundle-sales"][data-state="ready"]').waitFor();
    const other = bundleOf('other');
    t.same((await cells(page, 'bundle-sales', `${day} QC0001`)).slice(1), [
      'QC0001',
      '1',
      '1',
      '2',
      formatBaht(qc0001Bundle.list),
      formatBaht(qc0001Bundle.discount),
      formatBaht(qc0001Bundle.net),
    ]);
    t.same((await cells(page, 'bundle-sales', `${day} QC0002`)).slice(1, 5), ['QC0002', '1', '1', '2']);
    t.same(await cells(page, 'bundle-sales', '* *'), [
      'Total',
      '',
      '2',
      '2',
      '4',
      formatBaht(add([qc0001Bundle.list, other.list])),
      formatBaht(add([qc0001Bundle.discount, other.discount])),
      formatBaht(add([qc0001Bundle.net, other.net])),
    ]);
    const sales = await downloaded(page, () => page.getByTestId('csv-bundle-sales').click());
    t.ok(sales.text.includes(`\r\n${day},QC0001,1,1,2,${qc0001Bundle.list},${qc0001Bundle.discount},${qc0001Bundle.net}\r\n`));
    t.same(describeViolations(await wcagViolations(page)), '', 'bundle form with its sales: no WCAG 2.1 AA violation');
    // Allowed: product images of the catalog's CDN, which this offline machine cannot reach.
    t.same(
      errors.filter((error) => !/ERR_NAME_NOT_RESOLVED/.test(error)),
      [],
      'no script error, nothing the CSP refused',
    );
  });

  await t.test('a clerk, portrait, Thai: its own store only', async (t) => {
    const { page, errors } = await tabletPage(browser, PORTRAIT, 'th-TH');
    await page.goto(`${embedded.query.url}/#token=${token('clerk-a', ['store_staff'], ['QC0001'])}`);
    await page.getByTestId('board').waitFor();
    await page.goto(`${embedded.query.url}/#/reports?${range}`);
    await readyReport(page);
    t.equal(await page.getByTestId('report-store').count(), 0, 'one store: nothing to choose');
    t.same((await cells(page, 'orders', `${day} QC0001`)).slice(1), ['QC0001', '4', '2', '2', formatBaht(qc0001Value)], 'the same figures');
    t.equal(await page.locator('[data-testid="report-orders"] tbody tr').count(), 1, 'no other store');
    t.equal(await page.locator('[data-testid="report-orders"] tfoot').count(), 0, 'no region total');
    t.same((await cells(page, 'cancellations', 'QC0001 Customer asked to cancel')).slice(1, 3), ['ลูกค้าขอยกเลิก', '1'], 'in Thai');
    const csv = await downloaded(page, () => page.getByTestId('csv-cancellations').click());
    t.ok(csv.text.startsWith('\uFEFFสาขา,เหตุผล,'), 'a Thai header after the BOM');
    t.ok(csv.text.includes(`QC0001,ลูกค้าขอยกเลิก,1,${total('byClerk')}`), 'Thai words, exact money');
    t.same(describeViolations(await wcagViolations(page)), '', 'reports, portrait, Thai: no WCAG 2.1 AA violation');
    t.same(errors, [], 'no script error, nothing the CSP refused');
  });
});
