/**
 * "Change order" in a real headless Chromium, on the embedded default: a clerk changes a quantity of an order held
 * before release (OMNIA_RELEASE_HOLD_SECONDS), and the order comes back priced again, the change in its history.
 */
import t from 'tap';
import type { Browser } from 'playwright-core';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { devToken } from '../../query-service/auth.js';
import { freePort } from '../free-port.js';
import { chromiumPath, describeViolations, LANDSCAPE, launchBrowser, missing, tabletPage, wcagViolations } from './browser.js';

const HOLD_SECONDS = 3600;

// Without a browser: skipped with what to install, except under CI, where launching fails the test.
const skip = chromiumPath() || process.env.CI ? false : missing;

t.test('change order: a quantity changed, the order priced again, MODIFIED by the clerk in its history', { skip }, async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: { PORT: String(await freePort()), OMNIA_RELEASE_HOLD_SECONDS: String(HOLD_SECONDS) },
  });
  t.teardown(() => embedded.stop());
  const browser: Browser = await launchBrowser();
  t.teardown(() => browser.close());

  // demoOrder(0, …) with two stores is QC0001's.
  const order = demoOrder(0, new Date(), { stores: 2, customers: 50, seed: 5, invalidShare: 0 });
  await embedded.pipeOrder(order);
  await embedded.flush();

  const token = devToken(embedded.query.devAuth!, { sub: 'clerk-m', roles: ['store_staff'], stores: ['QC0001'], expiresInSeconds: 3600 });
  const { page, errors } = await tabletPage(browser, LANDSCAPE);
  await page.goto(`${embedded.query.url}/#token=${token}`);
  await page.getByTestId('board').waitFor();
  await page.goto(`${embedded.query.url}/#/orders/${order.OrderID}`);
  await page.locator('[data-testid="order-detail"][data-state="ready"]').waitFor();
  const totals = page.getByTestId('order-totals');
  await totals.waitFor();
  const before = await totals.innerText();
  const beforeText = await totals.textContent();

  await page.getByTestId('modify-order').click();
  await page.getByTestId('modify-dialog').waitFor();
  const line = order.OrderLines[0]!;
  const quantity = page.getByTestId(`modify-qty-${line.LineID}`);
  t.equal(await quantity.inputValue(), String(line.Quantity), 'the quantity starts as ordered');
  await quantity.fill(String(line.Quantity + 2));
  await page.getByTestId('modify-reason').fill('Customer asked for two more');
  t.same(describeViolations(await wcagViolations(page)), '', 'change dialog: no WCAG 2.1 AA violation');
  await page.getByTestId('modify-submit').click();
  await page.getByTestId('modify-dialog').waitFor({ state: 'detached' });

  // The detail reloads the order once the pipeline has priced it again (at once here, in-process).
  await page.waitForFunction((previous) => document.querySelector('[data-testid="order-totals"]')?.textContent !== previous, beforeText, {
    timeout: 30_000,
  });
  t.not(await totals.innerText(), before, `the totals changed: ${(await totals.innerText()).replace(/\s+/g, ' ')}`);
  t.equal(
    await page.getByTestId(`line-${line.LineID}`).locator('td.num').first().innerText(),
    String(line.Quantity + 2),
    'the line shows the new quantity',
  );
  const timeline = page.getByTestId('order-timeline');
  await page.waitForFunction(() => /MODIFIED/.test(document.querySelector('[data-testid="order-timeline"]')?.textContent ?? ''));
  t.match(await timeline.innerText(), /MODIFIED: Customer asked for two more/, 'the timeline shows the change');
  t.match(await timeline.innerText(), /clerk-m/, 'and who made it');
  t.same(
    errors.filter((error) => !/ERR_NAME_NOT_RESOLVED/.test(error)),
    [],
    'no script error, nothing the CSP refused',
  );
});
