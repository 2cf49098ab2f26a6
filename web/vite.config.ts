/**
 * The store operations web app: `npx vite build --config web/vite.config.ts` from the repository root writes
 * dist/web, which the query service serves at `/`. `npx vite --config web/vite.config.ts` runs it in
 * development against a service on 127.0.0.1:8080 (OMNIA_API to point elsewhere).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  // Preact's automatic JSX runtime, compiled by Vite's own oxc transform.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Everything as files: the service's Content-Security-Policy allows no inline script or style.
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    proxy: { '/api': { target: process.env.OMNIA_API ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
