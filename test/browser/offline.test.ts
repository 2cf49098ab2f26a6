/**
 * The offline view in a real headless Chromium, on the embedded default. The page talks to the service through a
 * TCP relay the test can cut, so "the service is gone" is real (connections refused) while the tablet still has
 * network; "no network" is the browser's own offline mode. Either way a reload opens the app from the service
 * worker and shows the last board loaded, read-only, under the banner; and the app comes back by itself.
 */
import net from 'node:net';
import t from 'tap';
import type { Browser, Page, Request } from 'playwright-core';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { devToken } from '../../query-service/auth.js';
import { chromiumPath, describeViolations, launchBrowser, missing, tabletPage, wcagViolations } from './browser.js';
import { freePort } from '../free-port.js';

const HOLD_SECONDS = 3600;
const SNAPSHOT_KEY = 'omnia.offline-board';

// Without a browser: skipped with what to install, except under CI, where launching fails the test.
const skip = chromiumPath() || process.env.CI ? false : missing;

/** A TCP relay to `port`: `cut()` drops every connection and refuses new ones until `restore()`. */
async function relay(port: number) {
  const open = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, '127.0.0.1');
    open.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const socket of [client, upstream]) socket.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut() {
      cut = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Calls to the service the page makes while `during` runs: the live feed's, and all of them. */
async function callsDuring(page: Page, during: () => Promise<void>): Promise<{ events: number; api: number }> {
  const seen: string[] = [];
  const listener = (request: Request) => void seen.push(new URL(request.url()).pathname);
  page.on('request', listener);
  try {
    await during();
  } finally {
    page.off('request', listener);
  }
  return { events: seen.filter((path) => path === '/api/v1/events').length, api: seen.filter((path) => path.startsWith('/api/')).length };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

t.test('offline: the last board read-only after a reload without network or service; back live by itself', { skip }, async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: { PORT: String(await freePort()), OMNIA_RELEASE_HOLD_SECONDS: String(HOLD_SECONDS) },
  });
  t.teardown(() => embedded.stop());
  const service = await relay(Number(new URL(embedded.query.url).port));
  t.teardown(() => service.close());
  const browser: Browser = await launchBrowser();
  t.teardown(() => browser.close());

  // Orders of QC0001 (even n with two stores), held at 2000: the "new" column, each with its bulk-cancel checkbox.
  let n = 0;
  const order = () => demoOrder((n += 2), new Date(), { stores: 2, customers: 50, seed: 9, invalidShare: 0 });
  const [a1, a2] = [order(), order()];
  for (const created of [a1, a2]) await embedded.pipeOrder(created);
  await embedded.flush();

  const token = (sub: string) =>
    devToken(embedded.query.devAuth!, { sub, roles: ['store_staff'], stores: ['QC0001'], expiresInSeconds: 3600 });
  const { page, errors } = await tabletPage(browser);
  const context = page.context();
  const card = (id: string) => page.getByTestId('board-column-new').getByTestId(`order-card-${id}`);
  const banner = page.getByTestId('offline-banner');
  const indicator = (state: string) => page.locator(`[data-testid="live-indicator"][data-state="${state}"]`);
  const saved = () => page.evaluate((key) => localStorage.getItem(key), SNAPSHOT_KEY);

  // A clerk loads the board; the service worker takes control and the board is kept on the tablet.
  await page.goto(`${service.url}/#token=${token('clerk-a')}`);
  await card(a2.OrderID).waitFor();
  await indicator('live').waitFor();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
  t.pass('the service worker controls the page');
  await page.waitForFunction(([key, id]) => localStorage.getItem(key!)?.includes(id!) === true, [SNAPSHOT_KEY, a2.OrderID] as const);
  t.notMatch(await saved(), /Sukhumvit|token|eyJ/, 'the copy holds the board: no address, no token');
  t.equal(await page.getByTestId(`select-order-${a1.OrderID}`).count(), 1, 'online: the order can be selected for cancelling');

  // 1. No network. The open board turns read-only at once; a reload still opens the app and the same board.
  await context.setOffline(true);
  await banner.waitFor();
  await page.reload();
  await card(a1.OrderID).waitFor();
  await card(a2.OrderID).waitFor();
  t.pass('reloaded without network: the last board, from the tablet');
  t.match(await banner.innerText(), /^ออฟไลน์ — แสดงกระดานคำสั่งซื้อ ณ เวลา \d{1,2}:\d{2} ใช้งานคำสั่งต่าง ๆ ไม่ได้/, 'the banner, in Thai');
  await indicator('offline').waitFor();
  t.equal(await page.locator('[data-testid^="select-order-"]').count(), 0, 'nothing to select: no bulk cancel');
  t.equal(await page.getByTestId('bulk-cancel').count(), 0);
  t.same(describeViolations(await wcagViolations(page)), '', 'offline board: no WCAG 2.1 AA violation');
  await page.getByTestId('lang-switch').click();
  t.match(await banner.innerText(), /^Offline — showing the board as of \d{1,2}:\d{2}, actions unavailable\./, 'and in English');
  t.same(describeViolations(await wcagViolations(page)), '', 'offline board, English: no WCAG 2.1 AA violation');
  // No retry storm while there is no network: the feed waits longer each time.
  const offlineCalls = await callsDuring(page, () => sleep(8_000));
  t.ok(offlineCalls.events <= 6, `the live feed tried ${offlineCalls.events} times in 8 s`);
  t.ok(offlineCalls.api <= 6, `${offlineCalls.api} calls to the API in 8 s`);

  // 2. Network back: the banner goes and the board is live again, with what happened meanwhile.
  const a3 = order();
  await embedded.pipeOrder(a3);
  await embedded.flush();
  await context.setOffline(false);
  await banner.waitFor({ state: 'detached', timeout: 30_000 });
  await indicator('live').waitFor({ timeout: 30_000 });
  await card(a3.OrderID).waitFor();
  await page.getByTestId(`select-order-${a1.OrderID}`).waitFor();
  t.pass('back online by itself: live, the order piped meanwhile shown, actions back');

  // 3. The service gone while the tablet keeps its network: noticed without a reload, and a reload still works.
  await page.waitForFunction(([key, id]) => localStorage.getItem(key!)?.includes(id!) === true, [SNAPSHOT_KEY, a3.OrderID] as const);
  service.cut();
  await banner.waitFor({ timeout: 30_000 });
  t.pass('the service gone: the banner, without a reload');
  await page.reload();
  await card(a3.OrderID).waitFor();
  t.match(await banner.innerText(), /showing the board as of \d{1,2}:\d{2}/);
  t.equal(await page.locator('[data-testid^="select-order-"]').count(), 0, 'read-only');
  const cutCalls = await callsDuring(page, () => sleep(8_000));
  t.ok(cutCalls.events <= 6, `the live feed tried ${cutCalls.events} times in 8 s`);
  t.ok(cutCalls.api <= 6, `${cutCalls.api} calls to the API in 8 s`);
  const a4 = order();
  await embedded.pipeOrder(a4);
  await embedded.flush();
  service.restore();
  await banner.waitFor({ state: 'detached', timeout: 45_000 });
  await indicator('live').waitFor({ timeout: 30_000 });
  await card(a4.OrderID).waitFor();
  t.pass('the service back: live again by itself');

  // 4. Another person signed in on the same tablet never sees the first one's board, even of the same store.
  await context.setOffline(true);
  await page.goto('about:blank');
  await page.goto(`${service.url}/#token=${token('clerk-b')}`);
  await page.getByTestId('board-no-copy').waitFor();
  t.equal(await page.locator('[data-testid^="order-card-"]').count(), 0, "clerk-a's board is not shown to clerk-b");
  t.equal(await saved(), null, 'and it is deleted');
  await context.setOffline(false);
  await card(a1.OrderID).waitFor({ timeout: 30_000 });
  await page.waitForFunction((key) => localStorage.getItem(key) !== null, SNAPSHOT_KEY);

  // 5. Signing out leaves nothing of the board on the tablet.
  await page.getByRole('button', { name: /Sign out|ออกจากระบบ/ }).click();
  t.equal(await saved(), null, 'signed out: the copy is gone');

  t.same(
    errors.filter((error) => !/net::ERR_|Failed to fetch|ERR_NAME_NOT_RESOLVED/.test(error)),
    [],
    'no script error, nothing the CSP refused (failed requests while offline aside)',
  );
});
