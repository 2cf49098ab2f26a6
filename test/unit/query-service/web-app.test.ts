/**
 * The web app as the query service serves it, from a built directory made here: the service worker and the
 * manifest at the root, revalidated on every load, under a policy that lets the worker run; hashed assets kept;
 * a missing build file a 404 (never index.html, which the worker would precache in its place).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { WEB_APP_CSP } from '../../../query-service/web-app.js';
import { testService } from './helpers.js';

function builtApp(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'omnia-web-'));
  const dir = join(root, 'web');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return dir;
}

const INDEX = '<!doctype html><title>app</title><link rel="manifest" href="/manifest.webmanifest">';

t.test('sw.js and the manifest: at the root, no-cache, the app policy with worker-src and manifest-src', async (t) => {
  const { app } = testService({
    webApp: builtApp({
      'index.html': INDEX,
      'sw.js': 'self.addEventListener("fetch", () => {});',
      'manifest.webmanifest': '{"name":"Omnia Store"}',
      'assets/index-abc123.js': 'console.log(1)',
    }),
  });

  const worker = await app.inject({ url: '/sw.js' });
  t.equal(worker.statusCode, 200);
  t.match(worker.headers['content-type'], /javascript/, 'served as a script (a worker of another type is refused)');
  t.equal(worker.headers['cache-control'], 'no-cache', 'checked on every load, so a new build replaces the worker');
  t.equal(worker.headers['content-security-policy'], WEB_APP_CSP);
  t.notOk(worker.headers['service-worker-allowed'], 'no wider scope asked: the worker sits at / and controls /');

  const manifest = await app.inject({ url: '/manifest.webmanifest' });
  t.equal(manifest.statusCode, 200);
  t.match(manifest.headers['content-type'], /^application\/manifest\+json/);
  t.equal(manifest.headers['cache-control'], 'no-cache');

  const page = await app.inject({ url: '/' });
  t.equal(page.headers['cache-control'], 'no-cache');
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, /(^|; )worker-src 'self'(;|$)/, 'the page may register a worker of its own origin');
  t.match(csp, /(^|; )manifest-src 'self'(;|$)/);
  t.match(csp, /(^|; )connect-src 'self'(;|$)/, 'the worker precaches from this origin only');
  t.notMatch(csp, /unsafe|\*/);

  const asset = await app.inject({ url: '/assets/index-abc123.js' });
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable', 'hashed assets are kept');
});

t.test('a missing build file is a 404; an app path is the page', async (t) => {
  const { app } = testService({ webApp: builtApp({ 'index.html': INDEX }) });
  for (const url of ['/sw.js', '/manifest.webmanifest', '/assets/index-old.js', '/assets/whatever', '/workbox-1234.js']) {
    const response = await app.inject({ url });
    t.equal(response.statusCode, 404, `${url}: 404`);
    t.notMatch(response.body, /<!doctype/i, `${url}: not the page`);
  }
  for (const url of ['/orders/QC0001-00000001', '/board', '/?x=1']) {
    const response = await app.inject({ url });
    t.equal(response.statusCode, 200, `${url}: the page`);
    t.match(response.headers['content-type'], /^text\/html/);
    t.equal(response.headers['content-security-policy'], WEB_APP_CSP);
  }
  t.equal((await app.inject({ url: '/api/v1/nowhere' })).statusCode, 401, 'the API stays the API');
});
