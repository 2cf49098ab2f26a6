/**
 * A real headless Chromium for the web app's tests: Debian's `chromium` package (installed by .ci/run), driven by
 * playwright-core; nothing downloads a browser. Without one, the tests say so and fail under CI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';

const CANDIDATES = [process.env.OMNIA_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (path): path is string => typeof path === 'string' && path !== '',
);

/** The browser's path, or undefined (then `missing` says what to do). */
export const chromiumPath = (): string | undefined => CANDIDATES.find((path) => existsSync(path));

export const missing = 'no Chromium: install Debian’s package (apt-get update && apt-get install -y chromium) or set OMNIA_CHROMIUM';

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(missing);
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface Viewport {
  width: number;
  height: number;
}
export const LANDSCAPE: Viewport = { width: 1280, height: 800 };
export const PORTRAIT: Viewport = { width: 800, height: 1280 };

export interface TabletPage {
  page: Page;
  /** Errors the page reported: uncaught exceptions and console errors (a script or style its CSP refused shows here). */
  errors: string[];
}

/** A tablet-sized page with the app's own CSP in force (axe is evaluated through the DevTools protocol, which the CSP does not govern). */
export async function tabletPage(browser: Browser, viewport: Viewport = LANDSCAPE, locale = 'th-TH'): Promise<TabletPage> {
  const context = await browser.newContext({ viewport, locale, hasTouch: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { page, errors };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/** axe-core's WCAG 2.1 A and AA rules over the page as it is now. */
export async function wcagViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => ({ target: node.target, failureSummary: node.failureSummary })),
    }));
  });
}

/** One line per violation, for a failing assertion's message. */
export const describeViolations = (violations: AxeViolation[]): string =>
  violations
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    )
    .join('\n');
