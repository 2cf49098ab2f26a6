/**
 * `npm run screenshots`: every screen of the store app at 1280×800 and 800×1280 into docs/screens/, taken in
 * Debian's Chromium from the embedded default with its demo feed running (so the board has orders in every
 * column). Store screens as a clerk of QC0001 (Thai, as store staff see them); the region and the reports as a
 * coordinator and the bundles as a promotions manager (English).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { devToken } from '../../query-service/auth.js';
import { freePort } from '../free-port.js';
import { LANDSCAPE, launchBrowser, PORTRAIT, tabletPage, type Viewport } from './browser.js';

const OUT = path.resolve('docs/screens');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const db = await embeddedPostgres();
const embedded = await startEmbedded({
  db,
  log: () => undefined,
  // A short hold keeps some orders "new" while others move on.
  env: { PORT: String(await freePort()), OMNIA_DEMO_ORDERS_PER_SECOND: '4', OMNIA_DEMO_STORES: '3', OMNIA_RELEASE_HOLD_SECONDS: '20' },
});
const browser = await launchBrowser();
try {
  await mkdir(OUT, { recursive: true });
  await sleep(30_000); // orders in every column
  await embedded.flush();
  const token = (sub: string, roles: string[], stores: string[] = []) => devToken(embedded.query.devAuth!, { sub, roles, stores });
  const clerk = token('clerk-QC0001', ['store_staff'], ['QC0001']);
  const coordinator = token('coordinator-bkk', ['regional_coordinator']);
  const promotions = token('promotions-1', ['bundle_manager']);

  const shoot = async (viewport: Viewport, name: string, jwt: string, locale: string, route: string, ready: string) => {
    const { page } = await tabletPage(browser, viewport, locale);
    await page.goto(`${embedded.query.url}/#token=${jwt}`);
    await page.getByTestId('board').or(page.getByTestId('region')).or(page.getByTestId('bundles')).first().waitFor();
    if (route !== '#/board') await page.goto(`${embedded.query.url}/${route}`);
    await page.locator(ready).first().waitFor({ timeout: 15_000 });
    await sleep(500);
    const orientation = viewport.width > viewport.height ? 'landscape' : 'portrait';
    const file = path.join(OUT, `${name}-${orientation}.png`);
    await page.screenshot({ path: file });
    await page.context().close();
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  };

  // An order of QC0001 that is on the board, for the detail screen.
  const search = await fetch(`${embedded.query.url}/api/v1/orders?store=QC0001&limit=5`, { headers: { authorization: `Bearer ${clerk}` } });
  const orderId = ((await search.json()) as { orders: Array<{ orderId: string }> }).orders[0]?.orderId;
  for (const viewport of [LANDSCAPE, PORTRAIT]) {
    await shoot(viewport, 'board', clerk, 'th-TH', '#/board', '[data-testid^="order-card-"]');
    await shoot(viewport, 'search', clerk, 'th-TH', '#/search?store=QC0001', '[data-testid="search-input"]');
    if (orderId)
      await shoot(
        viewport,
        'order-detail',
        clerk,
        'th-TH',
        `#/orders/${orderId}?store=QC0001`,
        '[data-testid="order-detail"][data-state="ready"]',
      );
    await shoot(viewport, 'cod', clerk, 'th-TH', '#/cod', '[data-testid="cod"]');
    await shoot(viewport, 'region', coordinator, 'en-US', '#/region', '[data-testid="region"]');
    await shoot(viewport, 'bundles', promotions, 'en-US', '#/bundles', '[data-testid="bundles"]');
    await shoot(viewport, 'reports', coordinator, 'en-US', '#/reports', '[data-testid="reports"][data-state="ready"]');
  }
} finally {
  await browser.close();
  await embedded.stop();
  await db.close();
}
