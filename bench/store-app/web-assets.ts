/**
 * The store app's weight: the JavaScript and CSS a first load fetches (what dist/web/index.html names: its
 * module scripts, module preloads and stylesheets) and every asset in dist/web/assets, raw and gzipped with
 * node:zlib (default level 6, as a reverse proxy compresses on the fly), and what the query service itself
 * sends for the first load when asked with `accept-encoding: gzip, br`.
 */
import http from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const WEB = path.resolve('dist/web');
const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;

interface Weight {
  files: number;
  rawKb: number;
  gzipKb: number;
}

const weigh = async (files: readonly string[]): Promise<Weight> => {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = await readFile(path.join(WEB, file));
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  return { files: files.length, rawKb: kb(raw), gzipKb: kb(gzip) };
};

/** Paths (from the site root) of the scripts, preloads and stylesheets index.html loads. */
export function firstLoadAssets(html: string): { js: string[]; css: string[] } {
  const js: string[] = [];
  const css: string[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/g) ?? []) {
    const src = /\b(?:src|href)="([^"]+)"/.exec(tag)?.[1];
    if (!src || /^[a-z]+:/i.test(src)) continue;
    const rel = /\brel="([^"]+)"/.exec(tag)?.[1];
    if (tag.startsWith('<script') || rel === 'modulepreload') js.push(src.replace(/^\//, ''));
    else if (rel === 'stylesheet') css.push(src.replace(/^\//, ''));
  }
  return { js, css };
}

export async function webWeight(): Promise<Record<string, unknown>> {
  const html = await readFile(path.join(WEB, 'index.html'), 'utf8').catch(() => undefined);
  if (html === undefined) return { error: 'dist/web/index.html is missing: run npm run build' };
  const first = firstLoadAssets(html);
  const assets = await readdir(path.join(WEB, 'assets'));
  return {
    firstLoad: { js: await weigh(first.js), css: await weigh(first.css), jsFiles: first.js, cssFiles: first.css },
    allAssets: {
      js: await weigh(assets.filter((file) => file.endsWith('.js')).map((file) => `assets/${file}`)),
      css: await weigh(assets.filter((file) => file.endsWith('.css')).map((file) => `assets/${file}`)),
    },
  };
}

/** What the service sends for each first-load asset to a browser that accepts gzip and br: encoding and bytes. */
export async function servedWeight(host: string, port: number): Promise<Record<string, unknown>> {
  const get = (pathname: string) =>
    new Promise<{ status: number; encoding: string; bytes: number; body: Buffer }>((resolve, reject) => {
      const request = http.get({ host, port, path: pathname, headers: { 'accept-encoding': 'gzip, br' }, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            encoding: String(response.headers['content-encoding'] ?? 'identity'),
            bytes: body.length,
            body,
          });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
    });
  const index = await get('/');
  if (index.status !== 200) return { indexStatus: index.status };
  const first = firstLoadAssets(index.body.toString('utf8'));
  const served: Record<string, { status: number; encoding: string; kb: number }> = {};
  for (const file of [...first.js, ...first.css]) {
    const answer = await get(`/${file}`);
    served[file] = { status: answer.status, encoding: answer.encoding, kb: kb(answer.bytes) };
  }
  return { index: { encoding: index.encoding, kb: kb(index.bytes) }, assets: served };
}
