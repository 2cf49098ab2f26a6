/**
 * The app: sign-in, or the signed-in shell (header, menu, the current screen) around one live connection for
 * the chosen store.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiError } from './api.js';
import type { RegionPipelineAnswer, StatusEventData } from './api-types.js';
import { AppContext, type AppContextValue, useApp } from './app-context.js';
import { dateTime, roleLabel } from './format.js';
import { I18nContext, type Lang, makeI18n, storedLang, storeLang, useI18n } from './i18n.js';
import { LiveConnection, type LiveState } from './live.js';
import { canCancel, defaultLanguage, mainRole, seesAllStores, tokenFromFragment, worksOnBundlesOnly } from './logic/claims.js';
import { LangSwitch } from './components/lang-switch.js';
import { OfflineBanner } from './components/offline-banner.js';
import { clearBoardSnapshot, useOffline } from './offline.js';
import { useOfflineI18n } from './offline-i18n.js';
import { reachability } from './reachability.js';
import { ErrorNotice, Loading } from './components/notice.js';
import { href, navigate, type Route, useRoute } from './router.js';
import { BoardScreen } from './screens/board.js';
import { CodScreen } from './screens/cod.js';
import { ChunkPending, lazyScreens } from './lazy-screens.js';
import { LazyReports } from './screens/lazy-reports.js';
import { ReleasesScreen } from './screens/releases.js';
import { OrderScreen } from './screens/order-detail.js';
import { RegionScreen } from './screens/region.js';
import { SearchScreen } from './screens/search.js';
import { SignInScreen } from './screens/sign-in.js';
import { clearSession, restoreSession, savedStore, saveSession, saveStore, type Session, type SignInNotice } from './session.js';

interface Auth {
  session?: Session;
  notice?: SignInNotice;
}

function initialAuth(): Auth {
  const restored = restoreSession();
  if (!restored) return {};
  return 'session' in restored ? { session: restored.session } : { notice: restored.notice };
}

const noticeOf = (code: string): SignInNotice => (code === 'TOKEN_EXPIRED' ? 'expired' : code === 'FORBIDDEN' ? 'no-role' : 'rejected');

export function App() {
  const [auth, setAuth] = useState<Auth>(initialAuth);
  const [lang, setLang] = useState<Lang>(() => storedLang() ?? defaultLanguage(auth.session?.claims));
  const i18n = useMemo(() => makeI18n(lang), [lang]);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const switchLang = useCallback(() => {
    const next: Lang = lang === 'th' ? 'en' : 'th';
    storeLang(next);
    setLang(next);
  }, [lang]);

  const signIn = useCallback((session: Session) => {
    saveSession(session);
    setAuth({ session });
    if (!storedLang()) setLang(defaultLanguage(session.claims));
    navigate(worksOnBundlesOnly(session.claims) ? href.bundles() : href.board());
  }, []);

  // A sign-in link opened in a tab where the app already runs: the fragment changes without a reload.
  useEffect(() => {
    const onHash = () => {
      const restored = tokenFromFragment(location.hash) === undefined ? undefined : restoreSession();
      if (!restored) return;
      if ('session' in restored) {
        setAuth({ session: restored.session });
        if (!storedLang()) setLang(defaultLanguage(restored.session.claims));
      } else {
        clearSession();
        setAuth({ notice: restored.notice });
      }
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const signOut = useCallback((notice: SignInNotice) => {
    clearSession();
    clearBoardSnapshot();
    setAuth({ notice });
  }, []);

  return (
    <I18nContext.Provider value={i18n}>
      {auth.session ? (
        <Shell key={auth.session.token} session={auth.session} onSignOut={signOut} onSwitchLang={switchLang} />
      ) : (
        <SignInScreen notice={auth.notice} onSignIn={signIn} onSwitchLang={switchLang} />
      )}
    </I18nContext.Provider>
  );
}

interface ShellProps {
  session: Session;
  onSignOut(notice: SignInNotice): void;
  onSwitchLang(): void;
}

const CLOCK_TICK_MS = 15_000;

function Shell({ session, onSignOut, onSwitchLang }: ShellProps) {
  const i18n = useI18n();
  const { t } = i18n;
  const claims = session.claims;
  const all = seesAllStores(claims);
  const bundlesOnly = worksOnBundlesOnly(claims);
  const route = useRoute();

  // A bundle manager has no store's orders to show: the order screens lead to the bundles.
  useEffect(() => {
    if (
      bundlesOnly &&
      (route.name === 'board' || route.name === 'search' || route.name === 'cod' || route.name === 'releases' || route.name === 'region')
    )
      navigate(href.bundles());
  }, [bundlesOnly, route.name]);

  const signOutRef = useRef(onSignOut);
  signOutRef.current = onSignOut;
  const api = useMemo(() => new Api(session.token, (code) => signOutRef.current(noticeOf(code))), [session.token]);

  // The stores to choose from: a store role's own, or every store with orders for coordinators and admins.
  const [regionStores, setRegionStores] = useState<string[] | undefined>(all ? undefined : claims.stores);
  const [store, setStoreState] = useState<string | undefined>(() => {
    const saved = savedStore();
    if (saved && (all || claims.stores.includes(saved))) return saved;
    return all ? undefined : claims.stores[0];
  });
  useEffect(() => {
    if (!all) return;
    const controller = new AbortController();
    api
      .get<RegionPipelineAnswer>('/region/pipeline', undefined, controller.signal)
      .then((answer) => {
        const ids = answer.stores.map((entry) => entry.storeId);
        setRegionStores(ids);
        setStoreState((current) => current ?? ids[0]);
      })
      .catch(() => setRegionStores((current) => current ?? []));
    return () => controller.abort();
  }, [api, all]);
  const setStore = useCallback((next: string) => {
    saveStore(next);
    setStoreState(next);
  }, []);

  // One live connection for the chosen store.
  const [liveState, setLiveState] = useState<{ state: LiveState; epoch: number }>({ state: 'connecting', epoch: 0 });
  const listeners = useRef(new Set<(event: StatusEventData) => void>());
  useEffect(() => {
    if (!store) return;
    const connection = new LiveConnection(api.url('/events', { store }), api.bearer, {
      onEvent: (event) => listeners.current.forEach((listener) => listener(event)),
      onState: (state, epoch) => {
        setLiveState({ state, epoch });
        // The feed is an answer from the service too; its drop is a reason to ask whether the service is there.
        if (state === 'live') reachability.report(true);
        else if (state === 'reconnecting') reachability.check();
      },
      onUnauthorized: (code) => signOutRef.current(noticeOf(code)),
    });
    connection.start();
    return () => connection.stop();
  }, [api, store]);
  const subscribe = useCallback((listener: (event: StatusEventData) => void) => {
    listeners.current.add(listener);
    return () => listeners.current.delete(listener);
  }, []);

  // The clock for ages, on the server's time.
  const [clockOffset, setClockOffset] = useState(0);
  const [tick, setTick] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setTick(Date.now()), CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }, []);

  const [announcement, setAnnouncement] = useState('');
  const announce = useCallback((message: string) => {
    setAnnouncement('');
    requestAnimationFrame(() => setAnnouncement(message));
  }, []);

  const context: AppContextValue = useMemo(
    () => ({
      session,
      api,
      store,
      setStore,
      stores: regionStores,
      seesAllStores: all,
      canCancel: canCancel(claims),
      live: { ...liveState, subscribe },
      now: tick + clockOffset,
      setClockOffset,
      announce,
    }),
    [session, api, store, setStore, regionStores, all, claims, liveState, subscribe, tick, clockOffset, announce],
  );

  // A new screen: its heading takes the focus, so a screen reader starts there and Tab continues from it.
  const mainRef = useRef<HTMLElement>(null);
  const routeKey =
    route.name === 'order' ? `order:${route.orderId}` : route.name === 'bundle' ? `bundle:${route.bundleId ?? ''}` : route.name;
  const firstRoute = useRef(true);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    const main = mainRef.current;
    // A screen that put the focus somewhere itself (the search field, for the scanner) keeps it.
    if (main && document.activeElement !== main && main.contains(document.activeElement)) return;
    const heading = main?.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    }
  }, [routeKey]);

  const skipToMain = (event: Event) => {
    event.preventDefault();
    mainRef.current?.focus();
  };

  return (
    <AppContext.Provider value={context}>
      <header class="topbar">
        <a class="skip-link" href={location.hash || href.board()} onClick={skipToMain}>
          {t('app.skip')}
        </a>
        <div class="topbar-row">
          <p class="brand">
            <span class="brand-mark" aria-hidden="true" />
            {t('app.name')}
          </p>
          <StorePicker />
          <LiveIndicator />
        </div>
        <div class="topbar-row topbar-user">
          <p class="who">
            <span class="sr-only">{t('who.label')}: </span>
            <span class="who-name">{claims.sub || '—'}</span>
            <span class="who-role">{roleLabel(i18n, mainRole(claims))}</span>
            {claims.exp !== undefined && (
              <span class="who-until">{t('who.until', { time: dateTime(i18n, new Date(claims.exp * 1000).toISOString()) })}</span>
            )}
          </p>
          <LangSwitch onSwitch={onSwitchLang} />
          <button type="button" class="button button-quiet" onClick={() => onSignOut('signed-out')}>
            {t('who.signOut')}
          </button>
        </div>
        <OfflineBanner />
      </header>
      <Menu route={route} />
      <main id="main" ref={mainRef} tabIndex={-1} class="main">
        <Screen route={route} />
      </main>
      <div class="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
    </AppContext.Provider>
  );
}

function Screen({ route }: { route: Route }) {
  const { seesAllStores: all } = useApp();
  switch (route.name) {
    case 'board':
      return <BoardScreen />;
    case 'search':
      return <SearchScreen query={route.query} />;
    case 'order':
      return <OrderScreen key={route.orderId} orderId={route.orderId} store={route.store} />;
    case 'cod':
      return <CodScreen />;
    case 'releases':
      return <ReleasesScreen />;
    case 'region':
      return all ? <RegionScreen /> : <BoardScreen />;
    case 'bundles':
    case 'bundle':
      return <LazyBundles route={route} />;
    case 'reports':
      return <LazyReports query={route.query} />;
  }
}

const useBundleScreens = lazyScreens(() => import('./screens/bundles.js'));

/** The bundle screens are their own chunk, fetched the first time one is opened: most tablets never need them. */
function LazyBundles({ route }: { route: Extract<Route, { name: 'bundles' | 'bundle' }> }) {
  const chunk = useBundleScreens();
  const screens = chunk.screens;
  if (!screens) return <ChunkPending chunk={chunk} />;
  return route.name === 'bundles' ? (
    <screens.BundlesScreen query={route.query} />
  ) : (
    <screens.BundleScreen key={route.bundleId ?? ''} bundleId={route.bundleId} />
  );
}

function Menu({ route }: { route: Route }) {
  const { t } = useI18n();
  const { seesAllStores: all, session } = useApp();
  const bundles = { name: 'bundles' as const, label: t('nav.bundles'), to: href.bundles() };
  const items: { name: Route['name']; label: string; to: string }[] = worksOnBundlesOnly(session.claims)
    ? [bundles]
    : [
        { name: 'board', label: t('nav.board'), to: href.board() },
        { name: 'search', label: t('nav.search'), to: href.search() },
        { name: 'cod', label: t('nav.cod'), to: href.cod() },
        ...(all ? [{ name: 'region' as const, label: t('nav.region'), to: href.region() }] : []),
        bundles,
        { name: 'reports', label: t('nav.reports'), to: href.reports() },
      ];
  const current =
    route.name === 'order' ? 'search' : route.name === 'bundle' ? 'bundles' : route.name === 'releases' ? 'board' : route.name;
  return (
    <nav class="menu" aria-label={t('nav.label')}>
      <ul>
        {items.map((item) => (
          <li key={item.name}>
            <a href={item.to} class="menu-link" aria-current={item.name === current ? 'page' : undefined}>
              {item.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function StorePicker() {
  const { t } = useI18n();
  const { store, setStore, stores, seesAllStores: all } = useApp();
  const options = stores ?? [];
  if (!all && options.length <= 1) {
    return (
      <p class="store-name">
        {t('store.label')} <strong>{store ?? '—'}</strong>
      </p>
    );
  }
  const list = store && !options.includes(store) ? [store, ...options] : options;
  return (
    <div class="store-picker">
      <label for="store-picker">{t('store.label')}</label>
      <select id="store-picker" data-testid="store-picker" value={store ?? ''} onChange={(e) => setStore(e.currentTarget.value)}>
        {!store && (
          <option value="" disabled>
            {stores === undefined ? t('store.loading') : t('store.choose')}
          </option>
        )}
        {list.map((id) => (
          <option key={id} value={id}>
            {id}
          </option>
        ))}
      </select>
    </div>
  );
}

function LiveIndicator() {
  const { t } = useI18n();
  const { live, store } = useApp();
  const { offline } = useOffline();
  const ot = useOfflineI18n();
  if (!store) return null;
  const state = offline ? 'offline' : live.state === 'live' ? 'live' : 'reconnecting';
  const label = offline
    ? ot('offline.live')
    : live.state === 'live'
      ? t('live.live')
      : live.state === 'connecting'
        ? t('live.connecting')
        : t('live.reconnecting');
  return (
    <p class={`live live-${state}`} data-testid="live-indicator" data-state={state} role="status">
      <span class="live-dot" aria-hidden="true" />
      <span class="sr-only">{t('live.label')}: </span>
      {label}
    </p>
  );
}
