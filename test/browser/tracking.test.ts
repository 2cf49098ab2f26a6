/**
 * The customer's tracking page in a real headless Chromium, on a phone: the link of the SMS an order's shipping sent
 * (embedded default, SMS simulator) opens the page without any sign-in; it fits a 360 px screen with no sideways
 * scrolling, its language toggle is a 44 px touch target, it passes axe-core's WCAG 2.1 A/AA rules in Thai and in
 * English, and the page of an expired link too; no script error and nothing refused by the page's policy.
 */
import t from 'tap';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { signTrackingToken } from '../../query-service/tracking-token.js';
import { freePort } from '../free-port.js';
import { chromiumPath, describeViolations, launchBrowser, missing, wcagViolations } from './browser.js';

const skip = chromiumPath() || process.env.CI ? false : missing;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PHONE = { width: 360, height: 740 };

async function phonePage(browser: Browser, locale: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { context, page, errors };
}

/** What a phone user would have to scroll sideways, or what sticks out of a card, in CSS pixels (0 when all fits). */
const overflow = (page: Page) =>
  page.evaluate(() =>
    Math.max(
      document.documentElement.scrollWidth - window.innerWidth,
      ...[...document.querySelectorAll('section')].map((card) => card.scrollWidth - card.clientWidth),
    ),
  );

t.test('the tracking page on a phone: Thai and English, WCAG 2.1 AA', { skip }, async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: { PORT: String(await freePort()), OMNIA_NOTIFY_QUIET_HOURS: 'none' },
  });
  t.teardown(() => embedded.stop());
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const { sms } = embedded.notifications;

  // A few orders until one is delivered by Grab (the longest timeline) and its customer got the SHIPPED message.
  let link: string | undefined;
  for (let n = 0; n < 12 && !link; n++) {
    const base = demoOrder(n, new Date(), { stores: 2, customers: 20, seed: 5, invalidShare: 0 });
    await embedded.pipeOrder({ ...base, OrderID: `WEB-${String(n).padStart(6, '0')}`, CustomerID: 'C-1001' });
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
      const delivered = sms.messages.find((m) => m.key === `WEB-${String(n).padStart(6, '0')}:DELIVERED`);
      if (!delivered) continue;
      const shipped = sms.messages.find((m) => m.key === `WEB-${String(n).padStart(6, '0')}:SHIPPED`);
      if (sms.messages.some((m) => m.key === `WEB-${String(n).padStart(6, '0')}:OUT_FOR_DELIVERY:1`))
        link = /(https?:\/\/\S+\/track\/\S+)$/.exec(shipped!.text)?.[1];
      break;
    }
  }
  t.ok(link, `the SHIPPED SMS carries the link (${link})`);

  await t.test('Thai, from the phone’s language; then English by its toggle', async (t) => {
    const { context, page, errors } = await phonePage(browser, 'th-TH');
    t.teardown(() => context.close());
    const response = await page.goto(link!);
    t.equal(response?.status(), 200, 'opens without signing in');
    t.equal(await page.locator('html').getAttribute('lang'), 'th');
    t.equal(await page.locator('h1').textContent(), 'ติดตามคำสั่งซื้อ');
    t.equal(await page.locator('.status').textContent(), 'จัดส่งถึงแล้ว', 'delivered');
    t.equal(await page.locator('ol li').count(), 11, 'the whole timeline, newest first');
    t.equal(await overflow(page), 0, 'no sideways scrolling at 360 px');
    const toggle = page.getByRole('link', { name: 'English' });
    const box = await toggle.boundingBox();
    t.ok(box && box.width >= 44 && box.height >= 44, `the language toggle is a 44 px target (${box?.width}×${box?.height})`);
    const thai = await wcagViolations(page);
    t.same(thai, [], describeViolations(thai) || 'axe: no WCAG 2.1 A/AA violation (Thai)');

    await toggle.tap();
    await page.waitForURL(/\?lang=en$/);
    t.equal(await page.locator('html').getAttribute('lang'), 'en');
    t.equal(await page.locator('h1').textContent(), 'Track your order');
    t.equal(await page.locator('.status').textContent(), 'Delivered');
    t.match(await page.locator('dl').textContent(), /Grab/);
    t.equal(await overflow(page), 0, 'no sideways scrolling in English either');
    const english = await wcagViolations(page);
    t.same(english, [], describeViolations(english) || 'axe: no WCAG 2.1 A/AA violation (English)');
    t.same(errors, [], 'no script error, nothing refused by the page’s policy');
  });

  await t.test('an expired link: a friendly page that passes axe too', async (t) => {
    const { context, page, errors } = await phonePage(browser, 'en-US');
    t.teardown(() => context.close());
    const token = signTrackingToken(embedded.notifications.tracking.secret, {
      orderId: 'WEB-000000',
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const response = await page.goto(`${embedded.query.url}/track/${token}`);
    t.equal(response?.status(), 410);
    t.equal(await page.locator('h1').textContent(), 'This link has expired');
    t.equal(await overflow(page), 0);
    const violations = await wcagViolations(page);
    t.same(violations, [], describeViolations(violations) || 'axe: no WCAG 2.1 A/AA violation');
    t.same(
      errors.filter((error) => !/status of 410/.test(error)),
      [],
      'no errors (but the 410 of the document itself, which Chromium reports)',
    );
  });
});
