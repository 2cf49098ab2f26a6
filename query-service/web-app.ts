/**
 * The store operations web app (web/, built by `npm run build` into dist/web), served at `/` by the query
 * service it talks to: same origin, so the API needs no CORS and the app's policy can say `'self'` for
 * everything. Hashed assets are cached for a year; index.html, the service worker (sw.js, scope `/`) and the
 * manifest are revalidated on every load, so a deploy shows and its worker replaces the old one. A path the app
 * owns (not /api, not /docs) that is no file answers index.html, so a reload on `/orders/X` works; a missing
 * script, style or manifest is a 404, never that page, so the worker cannot precache HTML in its place.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` puts the app: dist/web, seen from dist/query-service/ or (sources run directly) query-service/. */
const here = dirname(fileURLToPath(import.meta.url));
export const WEB_APP_DIR = basename(dirname(here)) === 'dist' ? join(here, '..', 'web') : join(here, '..', 'dist', 'web');

/** The app's own policy: its scripts, styles and API from this origin; product images from https. */
export const WEB_APP_CSP =
  "default-src 'self'; img-src 'self' data: https:; connect-src 'self'; style-src 'self'; script-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const isAppPath = (url: string): boolean =>
  !url.startsWith('/api/') && url !== '/api' && !url.startsWith('/docs') && !url.startsWith('/health') && url !== '/metrics';

/** A request for a file of the build (an old hashed chunk, sw.js before a build has one): no page stands in for it. */
const isBuildFile = (url: string): boolean =>
  url.startsWith('/assets/') || /\.(?:js|mjs|css|map|json|webmanifest|svg|png|ico|woff2?)$/i.test(url.split(/[?#]/, 1)[0]!);

/** Serves the app when it is built; otherwise `/` explains how to build it. Returns the not-found fallback. */
export function installWebApp(
  app: FastifyInstance,
  root = WEB_APP_DIR,
): ((request: FastifyRequest, reply: FastifyReply) => boolean) | undefined {
  const built = existsSync(join(root, 'index.html'));
  app.register(async (web) => {
    web.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), public: true };
      route.schema = { ...(route.schema ?? {}), hide: true };
    });
    web.addHook('onRequest', async (_request, reply) => {
      reply.raw.setHeader('content-security-policy', WEB_APP_CSP);
    });
    if (!built) {
      web.get('/', async (_request, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The web app is not built. Run `npm run build` (it builds web/ into dist/web), then restart.\n'),
      );
      return;
    }
    await web.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      cacheControl: false,
      // Only the hashed assets may be kept: sw.js and manifest.webmanifest are checked on every load, as index.html is.
      setHeaders: (reply, path) =>
        void reply.header('cache-control', path.includes(join('web', 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
  });
  if (!built) return undefined;
  // The fallback answers from the root instance, where the static plugin's reply.sendFile is not visible; the
  // page is a few hundred bytes, read once.
  const index = readFileSync(join(root, 'index.html'));
  return (request, reply) => {
    if (request.method !== 'GET' || !isAppPath(request.url) || isBuildFile(request.url)) return false;
    reply.raw.setHeader('content-security-policy', WEB_APP_CSP);
    void reply.code(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
    return true;
  };
}
