/**
 * Hash routes: #/board, #/search?…, #/orders/:id?store=…, #/cod, #/releases, #/region, #/bundles?…, #/bundles/new,
 * #/bundles/edit/:id, #/reports?from=&to=&store=. Hash routing keeps every screen on one URL path, so a sign-in link (#token=…) and a reload
 * work wherever the app is served from.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';

export type Route =
  | { name: 'board' }
  | { name: 'search'; query: URLSearchParams }
  | { name: 'order'; orderId: string; store: string | undefined }
  | { name: 'cod' }
  | { name: 'releases' }
  | { name: 'region' }
  | { name: 'bundles'; query: URLSearchParams }
  /** `bundleId` undefined: a new bundle. */
  | { name: 'bundle'; bundleId: string | undefined }
  | { name: 'reports'; query: URLSearchParams };

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [path = '', search = ''] = text.split('?', 2);
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case 'search':
      return { name: 'search', query };
    case 'orders':
      if (parts[1]) return { name: 'order', orderId: decodeURIComponent(parts[1]), store: query.get('store') ?? undefined };
      return { name: 'search', query };
    case 'cod':
      return { name: 'cod' };
    case 'releases':
      return { name: 'releases' };
    case 'region':
      return { name: 'region' };
    case 'bundles':
      if (parts[1] === 'new') return { name: 'bundle', bundleId: undefined };
      if (parts[1] === 'edit' && parts[2]) return { name: 'bundle', bundleId: decodeURIComponent(parts[2]) };
      return { name: 'bundles', query };
    case 'reports':
      return { name: 'reports', query };
    default:
      return { name: 'board' };
  }
}

export const href = {
  board: () => '#/board',
  search: (query?: Record<string, string | undefined>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
    const text = params.toString();
    return `#/search${text ? `?${text}` : ''}`;
  },
  order: (orderId: string, store?: string) =>
    `#/orders/${encodeURIComponent(orderId)}${store ? `?store=${encodeURIComponent(store)}` : ''}`,
  cod: () => '#/cod',
  releases: () => '#/releases',
  region: () => '#/region',
  bundles: (query?: Record<string, string | undefined>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
    const text = params.toString();
    return `#/bundles${text ? `?${text}` : ''}`;
  },
  bundle: (bundleId?: string) => (bundleId === undefined ? '#/bundles/new' : `#/bundles/edit/${encodeURIComponent(bundleId)}`),
  reports: (query?: Record<string, string | undefined>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
    const text = params.toString();
    return `#/reports${text ? `?${text}` : ''}`;
  },
};

export const navigate = (to: string): void => {
  if (location.hash !== to) location.hash = to;
};

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return useMemo(() => parseRoute(hash), [hash]);
}
