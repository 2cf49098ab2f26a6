/**
 * The bundle form's item search in a real headless Chromium, on the embedded default: a bundle manager types part
 * of an item's name, picks it from the catalog's suggestions (with the keyboard in one row, by touch in another,
 * Thai in that one), types an item number by hand in a third, saves, and the bundle lists those items. The form
 * is checked against WCAG 2.1 AA with axe while the suggestions are open, in English and in Thai.
 */
import t from 'tap';
import type { Browser } from 'playwright-core';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import type { Product } from '../../processors/domain/types.js';
import { devToken } from '../../query-service/auth.js';
import { Topics } from '../../topology/topics.js';
import { freePort } from '../free-port.js';
import { chromiumPath, describeViolations, launchBrowser, missing, PORTRAIT, tabletPage, wcagViolations } from './browser.js';

// Without a browser: skipped with what to install, except under CI, where launching fails the test.
const skip = chromiumPath() || process.env.CI ? false : missing;

/** Thai items next to the demo feed's English ones. */
const THAI_PRODUCTS: Product[] = [
  { ItemID: 'TH-301', ShortDescription: 'ข้าวมันไก่ต้ม', ImageURL: null, UnitPrice: '50.0000', TaxRate: '0.0700' },
  { ItemID: 'TH-302', ShortDescription: 'ชาไทยเย็น 500 มล.', ImageURL: null, UnitPrice: '25.0000', TaxRate: '0.0700' },
];

t.test('a bundle manager finds items in the catalog by name, picks them and saves the bundle', { skip }, async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: { PORT: String(await freePort()) },
  });
  t.teardown(() => embedded.stop());
  for (const product of THAI_PRODUCTS) await embedded.pipe(Topics.catalog, product.ItemID, product);
  const browser: Browser = await launchBrowser();
  t.teardown(() => browser.close());

  const token = devToken(embedded.query.devAuth!, { sub: 'promo-1', roles: ['bundle_manager'], expiresInSeconds: 3600 });
  const { page, errors } = await tabletPage(browser, PORTRAIT, 'en-US');
  await page.goto(`${embedded.query.url}/#token=${token}`);
  await page.getByTestId('bundles').waitFor();
  await page.getByTestId('bundle-new').click();
  await page.getByTestId('bundle-form').waitFor();
  await page.getByTestId('bundle-id').fill('B-CATALOG');

  const field = (row: number) => page.getByTestId(`component-item-${row}`);
  const options = (row: number) => page.locator(`#component-item-${row}-list [role="option"]`);
  const typeInto = async (row: number, text: string) => {
    await field(row).click();
    await field(row).pressSequentially(text, { delay: 40 });
  };
  /** Waits until the arrows are on option `index` of row 1, as the field says (aria-activedescendant) and the option does. */
  const onOption = async (index: number) => {
    await page.locator(`#component-item-0[aria-activedescendant="component-item-0-option-${index}"]`).waitFor();
    await page.locator(`#component-item-0-option-${index}[aria-selected="true"]`).waitFor();
  };

  await t.test('row 1 by the keyboard: part of a name, the arrows, Enter', async (t) => {
    await typeInto(0, 'ml');
    await options(0).first().waitFor();
    t.same(
      await options(0).evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-item'))),
      ['SKU-100', 'SKU-102', 'SKU-103', 'SKU-107'],
      'every item whose name has a word starting with "ml", by item number',
    );
    t.equal(await field(0).getAttribute('role'), 'combobox');
    t.equal(await field(0).getAttribute('aria-expanded'), 'true');
    t.equal(await field(0).getAttribute('aria-controls'), 'component-item-0-list');
    t.match(await options(0).nth(1).innerText(), /SKU-102\s+Drinking water 600 ml\s+฿7\.00/, 'number, name and price');
    for (const box of await Promise.all((await options(0).all()).map((option) => option.boundingBox())))
      t.ok(box && box.height >= 44, `a suggestion is a touch target of ${box?.height} px`);
    t.same(describeViolations(await wcagViolations(page)), '', 'the form with the suggestions open: no WCAG 2.1 AA violation');

    t.equal(await field(0).getAttribute('aria-activedescendant'), null, 'no option chosen before the arrows');
    await page.keyboard.press('ArrowDown');
    await onOption(0);
    await page.keyboard.press('ArrowDown');
    await onOption(1);
    t.pass('the field names the option the arrows are on');
    await page.keyboard.press('ArrowUp');
    await onOption(0);
    await page.keyboard.press('ArrowUp');
    await onOption(3);
    t.pass('round to the last');
    await page.keyboard.press('ArrowDown');
    await onOption(0);
    await page.keyboard.press('ArrowDown');
    await onOption(1);
    await page.keyboard.press('Enter');
    await page.locator('#component-item-0[aria-expanded="false"]').waitFor();
    t.equal(await field(0).inputValue(), 'SKU-102', 'Enter put the item number in the field');
    t.equal(await page.getByTestId('bundle-problems').count(), 0, 'Enter picked: the form was not submitted');
    t.match(await page.locator('#component-item-0-note').innerText(), /Drinking water 600 ml, ฿7\.00 each/, 'the item named under it');
    t.match(await field(0).getAttribute('aria-describedby'), /component-item-0-note/);

    // By item number: every SKU-10…; Escape closes the suggestions and keeps what was typed.
    await field(0).fill('');
    await field(0).pressSequentially('sku-10', { delay: 40 });
    await page.locator('#component-item-0-option-7').waitFor();
    t.equal(await options(0).count(), 8, 'the eight demo items, the case of the number aside');
    await page.keyboard.press('Escape');
    await page.locator('#component-item-0[aria-expanded="false"]').waitFor();
    t.equal(await page.locator('.item-search-popup').count(), 0, 'closed');
    t.equal(await field(0).inputValue(), 'sku-10', 'as typed');
    await field(0).fill('SKU-102');
  });

  await t.test('row 2 by touch, in Thai', async (t) => {
    await typeInto(1, 'ชาไทย');
    await options(1).first().waitFor();
    t.same(await options(1).evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-item'))), ['TH-302']);
    t.match(await options(1).first().innerText(), /ชาไทยเย็น 500 มล\./);
    t.same(describeViolations(await wcagViolations(page)), '', 'Thai suggestions open: no WCAG 2.1 AA violation');
    await options(1).first().tap();
    await page.locator('#component-item-1[aria-expanded="false"]').waitFor();
    t.equal(await field(1).inputValue(), 'TH-302', 'the tap put the item number in the field');
    await page.getByTestId('component-qty-1').fill('2');
  });

  await t.test('row 3 typed by hand: kept as typed, named once the catalog answers', async (t) => {
    await page.getByTestId('component-add').click();
    await field(2).fill('SKU-105');
    await page.getByTestId('pricing-value').fill('29');
    const note = page.locator('#component-item-2-note');
    await note.waitFor();
    t.match(await note.innerText(), /Potato chips 50 g/);
    t.equal(await field(2).inputValue(), 'SKU-105');
    t.equal(await page.locator('.item-search-popup').count(), 0, 'no suggestions once the field is left');
  });

  await t.test('saved: the bundle lists the items picked', async (t) => {
    await page.getByTestId('bundle-save').click();
    const row = page.getByTestId('bundle-row-B-CATALOG');
    await row.waitFor();
    const text = await row.innerText();
    for (const item of ['1 × SKU-102', '2 × TH-302', '1 × SKU-105']) t.match(text, item, `lists ${item}`);
    const answer = await fetch(`${embedded.query.url}/api/v1/bundles/B-CATALOG`, { headers: { authorization: `Bearer ${token}` } });
    t.same(((await answer.json()) as { bundle: { components: unknown } }).bundle.components, [
      { itemId: 'SKU-102', quantity: 1 },
      { itemId: 'TH-302', quantity: 2 },
      { itemId: 'SKU-105', quantity: 1 },
    ]);
    t.same(describeViolations(await wcagViolations(page)), '', 'the list: no WCAG 2.1 AA violation');
  });

  await t.test('in Thai: the field, the list and the note in Thai words, no WCAG 2.1 AA violation', async (t) => {
    await page.getByTestId('bundle-new').click();
    await page.getByTestId('bundle-form').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.locator('label[for="component-item-0"]', { hasText: 'สินค้า (ชื่อหรือรหัส) แถวที่ 1' }).waitFor();
    await typeInto(0, 'ข้าว');
    await options(0).first().waitFor();
    t.equal(await page.locator('#component-item-0-list').getAttribute('aria-label'), 'สินค้าในแคตตาล็อกสำหรับแถวที่ 1');
    t.match(await options(0).first().innerText(), /TH-301\s+ข้าวมันไก่ต้ม\s+฿50\.00/);
    t.same(describeViolations(await wcagViolations(page)), '', 'Thai screen, suggestions open: no WCAG 2.1 AA violation');
    await page.keyboard.press('ArrowDown');
    await onOption(0);
    await page.keyboard.press('Enter');
    await page.locator('#component-item-0-note', { hasText: 'ข้าวมันไก่ต้ม ราคาชิ้นละ ฿50.00' }).waitFor();
    t.equal(await field(0).inputValue(), 'TH-301');
    await typeInto(1, 'ไม่มีสินค้านี้');
    await page.locator('.item-search-empty', { hasText: 'ไม่พบสินค้าที่ตรงกับ' }).waitFor();
    t.equal(await field(1).getAttribute('aria-expanded'), 'false', 'nothing found: no list to expand');
    t.same(describeViolations(await wcagViolations(page)), '', 'nothing found: no WCAG 2.1 AA violation');
    t.same(errors, [], 'no script error, nothing the CSP refused');
  });
});
