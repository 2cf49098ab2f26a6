/**
 * The store operations web app: `npx vite build --config web/vite.config.ts` from the repository root writes
 * dist/web, which the query service serves at `/`. `npx vite --config web/vite.config.ts` runs it in
 * development against a service on 127.0.0.1:8080 (OMNIA_API to point elsewhere).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.OMNIA_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  // Preact's automatic JSX runtime, compiled by Vite's own oxc transform.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [
    // The service worker keeps the app shell for offline reloads; it caches no API answer (they are per user, and
    // the Cache API keys by URL alone): the board keeps its own snapshot (src/logic/offline.ts). web/README.md.
    VitePWA({
      strategies: 'generateSW',
      // Registered by src/main.tsx with workbox-window, after the page has loaded.
      injectRegister: false,
      registerType: 'autoUpdate',
      filename: 'sw.js',
      manifestFilename: 'manifest.webmanifest',
      manifest: {
        name: 'Omnia Store',
        short_name: 'Omnia',
        description: 'Store orders board, search, cash on delivery and bundles',
        lang: 'th',
        start_url: '/#/board',
        scope: '/',
        display: 'standalone',
        background_color: '#f1f4f7',
        theme_color: '#0b4f6c',
        icons: [{ src: '/favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      },
      workbox: {
        // The manifest and its icon (favicon.svg) are added by the plugin itself.
        globPatterns: ['**/*.{html,js,css}'],
        // Any reload of the app, online or not, starts from the precached page.
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api(\/|$)/, /^\/docs(\/|$)/, /^\/health(\/|$)/, /^\/metrics$/],
        runtimeCaching: [],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        // One file to serve: no workbox-*.js next to sw.js.
        inlineWorkboxRuntime: true,
        sourcemap: false,
      },
    }),
  ],
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
    proxy: {
      '/api': { target: api, changeOrigin: false },
      // The app asks /health/live whether the service is back after losing it.
      '/health': { target: api, changeOrigin: false },
    },
  },
});
