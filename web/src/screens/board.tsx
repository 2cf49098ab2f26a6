/**
 * The store board (home): the store's orders in five columns by stage, with counts and the oldest order's age,
 * kept live by the status feed. Loaded from the pipeline counts and one search per column (newest first); then
 * each status event moves its card (an order not on the board is looked up) and the counts, with no reload.
 * A reconnection reloads, since the feed does not replay what was missed. Orders not yet released can be
 * selected and cancelled together.
 *
 * Offline (no network, or no answer from the service) the board stays as it was last current, read-only, and
 * the header's banner says since when; after a reload it comes from the snapshot the tablet keeps for the signed-in
 * user (src/offline.ts). Back online it loads again by itself.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { OrderLookupAnswer, SearchPage, StatusEventData, StorePipelineAnswer } from '../api-types.js';
import { useApp } from '../app-context.js';
import { BoardAlerts } from '../components/board-alerts.js';
import { CancelDialog, type CancelOutcome } from '../components/cancel-dialog.js';
import { Icon } from '../components/icon.js';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.js';
import { OrderCard } from '../components/order-card.js';
import { age, errorText, statusLabel } from '../format.js';
import { useI18n } from '../i18n.js';
import { ageSeconds, clockOffsetMs } from '../logic/age.js';
import { boardReducer, cardOfOrder, cardOfSummary, columns, emptyBoard, needsFetch, type Column } from '../logic/board.js';
import { isUnreachable, restoreAction, snapshotOf } from '../logic/offline.js';
import { useOfflineI18n } from '../offline-i18n.js';
import { readBoardSnapshot, saveBoardSnapshot, showBoardAsOf, useOffline } from '../offline.js';
import { reachability } from '../reachability.js';
import { CANCELLED, DELIVERY_FAILED, GROUP_STATUSES, GROUPS, isCancellable, type GroupId } from '../logic/status.js';
import { href } from '../router.js';

/** Cards loaded per column: the open stages in full up to this, the finished ones the most recent few. */
const COLUMN_LIMIT: Readonly<Record<GroupId, number>> = { new: 100, released: 100, 'on-the-way': 100, delivered: 30, cancelled: 30 };
/** The counts are read again this often, and soon after the oldest order of a status became unknown. */
const PIPELINE_REFRESH_MS = 60_000;
const STALE_REFRESH_MS = 2_000;
/** Orders looked up at once for cards that arrived over the feed. */
const LOOKUP_CONCURRENCY = 2;
/** While live, the tablet's copy of the board is written at most this often (and when the feed drops). */
const SNAPSHOT_EVERY_MS = 3_000;

/** A load that failed because nothing came from the service (api.ts names such failures NETWORK or SERVER). */
const unreachable = (error: unknown): boolean =>
  error instanceof ApiError && isUnreachable(error.status, error.code !== 'NETWORK' && error.code !== 'SERVER');

export function BoardScreen() {
  const { store, stores, seesAllStores } = useApp();
  const { t } = useI18n();
  useEffect(() => {
    document.title = `${t('board.title')} – ${t('app.name')}`;
  }, [t]);
  if (!store) {
    const none = seesAllStores && stores !== undefined && stores.length === 0;
    return (
      <section class="screen" data-testid="board">
        <h1>{t('board.title')}</h1>
        {stores === undefined && seesAllStores ? (
          <Loading label={t('store.loading')} />
        ) : (
          <InfoNotice>{none ? t('board.noStores') : t('board.chooseStore')}</InfoNotice>
        )}
      </section>
    );
  }
  return <Board key={store} store={store} />;
}

function Board({ store }: { store: string }) {
  const { api, live, now, setClockOffset, canCancel, announce, session, seesAllStores } = useApp();
  const i18n = useI18n();
  const { t, tn } = i18n;
  const ot = useOfflineI18n();
  const { offline } = useOffline();
  const [state, dispatch] = useReducer(boardReducer, store, emptyBoard);
  // 'no-copy': offline, and no snapshot of this store for this user on the tablet.
  const [phase, setPhase] = useState<'loading' | 'ready' | 'failed' | 'no-copy'>('loading');
  /** When the board on screen was last known current; `saved`: it is the tablet's snapshot, not loaded now. */
  const [shown, setShown] = useState<{ asOf: number; saved: boolean }>();
  const [loadError, setLoadError] = useState<unknown>();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [cancelling, setCancelling] = useState<string[] | null>(null);
  const [outcome, setOutcome] = useState<CancelOutcome | null>(null);

  const stateRef = useRef(state);
  stateRef.current = state;
  const phaseRef = useRef(phase);
  phaseRef.current = phase;
  const shownRef = useRef(shown);
  shownRef.current = shown;
  const user = session.claims.sub;

  /** The board as it is now, kept on the tablet for a reload without network. */
  const saveSnapshot = useCallback(
    (asOf: number) => {
      if (user) saveBoardSnapshot(snapshotOf(stateRef.current, user, asOf));
      setShown({ asOf, saved: false });
    },
    [user],
  );
  /** Events that arrived while a snapshot was loading: applied on top of it. */
  const pending = useRef<StatusEventData[] | null>(null);

  const load = useCallback(
    async (signal: AbortSignal) => {
      pending.current = [];
      try {
        const [pipeline, ...pages] = await Promise.all([
          api.get<StorePipelineAnswer>(`/stores/${encodeURIComponent(store)}/pipeline`, undefined, signal),
          ...GROUPS.map((group) =>
            api.get<SearchPage>('/orders', { store, status: GROUP_STATUSES[group].join(','), limit: String(COLUMN_LIMIT[group]) }, signal),
          ),
        ]);
        setClockOffset(clockOffsetMs(pipeline.asOf, Date.now()));
        dispatch({ type: 'snapshot', storeId: store, cards: pages.flatMap((page) => page.orders.map(cardOfSummary)), pipeline });
        for (const event of pending.current ?? []) dispatch({ type: 'status', event });
        setPhase('ready');
        setLoadError(undefined);
        // After the render, so that the copy is of the board just loaded.
        setTimeout(() => saveSnapshot(Date.now()), 0);
      } catch (error) {
        if (signal.aborted) return;
        // The API has reported it: the offline view (below) shows instead of an error.
        if (unreachable(error) && reachability.offline) return;
        setLoadError(error);
        setPhase((current) => (current === 'ready' ? 'ready' : 'failed'));
      } finally {
        if (!signal.aborted) pending.current = null;
      }
    },
    [api, store, setClockOffset, saveSnapshot],
  );

  /** Offline: the board on screen stays if it was loaded live; otherwise the tablet's snapshot, if it is this user's. */
  const showSaved = useCallback(() => {
    if (phaseRef.current === 'ready' && shownRef.current && !shownRef.current.saved) return;
    const snapshot = readBoardSnapshot({ sub: user, stores: session.claims.stores, seesAllStores }, store);
    setLoadError(undefined);
    if (!snapshot) {
      setPhase('no-copy');
      return;
    }
    dispatch(restoreAction(snapshot));
    setShown({ asOf: snapshot.asOf, saved: true });
    setPhase('ready');
  }, [user, session.claims.stores, seesAllStores, store]);

  // Load now, again after every (re)connection of the feed, and when the service is back; offline, what was saved.
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (offline) {
      showSaved();
      return;
    }
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load, live.epoch, attempt, offline, showSaved]);

  // While live, the copy follows the board (at most every few seconds); when the feed drops, it is written once
  // more: the board was current up to then.
  const current = phase === 'ready' && shown !== undefined && !shown.saved && !offline && live.state === 'live';
  const currentRef = useRef(current);
  const saveTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    const was = currentRef.current;
    currentRef.current = current;
    if (was && !current && phaseRef.current === 'ready') saveSnapshot(Date.now());
  }, [current, saveSnapshot]);
  useEffect(() => {
    if (!current || saveTimer.current !== undefined) return;
    saveTimer.current = setTimeout(() => {
      saveTimer.current = undefined;
      if (currentRef.current) saveSnapshot(Date.now());
    }, SNAPSHOT_EVERY_MS);
  }, [state, current, saveSnapshot]);
  useEffect(() => () => clearTimeout(saveTimer.current), []);

  // The banner in the header says since when the board on screen is not live.
  useEffect(() => {
    showBoardAsOf(offline && phase === 'ready' ? shown?.asOf : undefined);
  }, [offline, phase, shown]);
  useEffect(() => () => showBoardAsOf(undefined), []);

  // Counts again every minute, and soon when the oldest order of a status is no longer known.
  const refreshPipeline = useCallback(
    (signal?: AbortSignal) =>
      api
        .get<StorePipelineAnswer>(`/stores/${encodeURIComponent(store)}/pipeline`, undefined, signal)
        .then((pipeline) => {
          setClockOffset(clockOffsetMs(pipeline.asOf, Date.now()));
          dispatch({ type: 'pipeline', pipeline });
        })
        .catch(() => undefined),
    [api, store, setClockOffset],
  );
  useEffect(() => {
    if (offline) return;
    const timer = setInterval(() => void refreshPipeline(), PIPELINE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [refreshPipeline, offline]);
  useEffect(() => {
    if (!state.stale || offline) return;
    const timer = setTimeout(() => void refreshPipeline(), STALE_REFRESH_MS);
    return () => clearTimeout(timer);
  }, [state.stale, refreshPipeline, offline]);

  // Orders that appeared over the feed: looked up a few at a time.
  const lookups = useRef({ queue: [] as string[], running: 0, known: new Set<string>() });
  const pump = useCallback(() => {
    const work = lookups.current;
    while (work.running < LOOKUP_CONCURRENCY && work.queue.length > 0) {
      const orderId = work.queue.shift()!;
      work.running++;
      api
        .get<OrderLookupAnswer>(`/orders/${encodeURIComponent(orderId)}`, { store })
        .then((answer) => dispatch({ type: 'card', card: cardOfOrder(answer.order) }))
        .catch(() => undefined)
        .finally(() => {
          work.running--;
          work.known.delete(orderId);
          pump();
        });
    }
  }, [api, store]);

  useEffect(
    () =>
      live.subscribe((event) => {
        if (event.shipFromLocationId !== store) return;
        pending.current?.push(event);
        if (needsFetch(stateRef.current, event) && !lookups.current.known.has(event.orderId)) {
          lookups.current.known.add(event.orderId);
          lookups.current.queue.push(event.orderId);
          pump();
        }
        dispatch({ type: 'status', event });
        // Read out what a clerk acts on (a new order, a failed delivery, a cancellation), not every step.
        if (event.fromStatus === null || event.toStatus === DELIVERY_FAILED || event.toStatus === CANCELLED)
          announce(t('live.moved', { id: event.orderId, status: statusLabel(i18n, event.toStatus) }));
      }),
    [live, store, pump, announce, t, i18n],
  );

  const cols = useMemo(() => columns(state), [state]);

  // Only orders still cancellable stay selected.
  const selectedIds = useMemo(
    () =>
      [...selected].filter(
        (id) => state.cards[id] !== undefined && isCancellable(state.cards[id].status) && !state.cards[id].cancelRequested,
      ),
    [selected, state.cards],
  );
  const toggle = useCallback((orderId: string, on: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(orderId);
      else next.delete(orderId);
      return next;
    });
  }, []);

  const onCancelled = (result: CancelOutcome) => {
    dispatch({ type: 'cancel-requested', orderIds: result.accepted });
    setCancelling(null);
    setSelected(new Set());
    setOutcome(result);
  };

  return (
    <section class="screen board-screen" data-testid="board" aria-labelledby="board-title">
      <div class="screen-head">
        <h1 id="board-title">{t('board.heading', { store })}</h1>
      </div>

      {phase === 'loading' && <Loading label={t('board.loading')} />}
      {phase === 'no-copy' && (
        <div data-testid="board-no-copy">
          <InfoNotice>
            <p>{ot('offline.noSnapshot', { store })}</p>
          </InfoNotice>
        </div>
      )}
      {loadError !== undefined && (
        <ErrorNotice error={loadError} lead={t('board.loadFailed')} onRetry={() => setAttempt((n) => n + 1)} testId="board-error" />
      )}
      {outcome && <BulkOutcome outcome={outcome} onDismiss={() => setOutcome(null)} />}

      <BoardAlerts store={store} oldest={state.oldest} now={now} paused={offline} />
      {phase !== 'failed' && phase !== 'no-copy' && (
        <>
          <nav class="board-summary" aria-label={t('board.summary')}>
            <ul>
              {cols.map((col) => (
                <li key={col.group}>
                  <a
                    class={`summary-chip group-${col.group}`}
                    href={href.board()}
                    onClick={(event) => {
                      event.preventDefault();
                      const target = document.getElementById(`column-${col.group}`);
                      target?.scrollIntoView({ behavior: 'smooth', inline: 'start', block: 'nearest' });
                      target?.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
                    }}
                  >
                    <span>{t(`group.${col.group}`)}</span>
                    <strong>{Math.max(col.count, col.cards.length)}</strong>
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="columns">
            {cols.map((col) => (
              <BoardColumn
                key={col.group}
                column={col}
                now={now}
                busy={phase === 'loading'}
                canSelect={canCancel && !offline && !shown?.saved}
                selected={selected}
                onToggle={toggle}
              />
            ))}
          </div>
        </>
      )}

      {canCancel && selectedIds.length > 0 && (
        <div class="selection-bar" role="region" aria-label={t('bulk.actionsLabel')}>
          <p aria-live="polite">{tn('bulk.selected', selectedIds.length)}</p>
          <button type="button" class="button" onClick={() => setSelected(new Set())}>
            {t('bulk.clear')}
          </button>
          <button
            type="button"
            class="button button-danger"
            data-testid="bulk-cancel"
            disabled={offline}
            title={offline ? ot('offline.unavailable') : undefined}
            onClick={() => setCancelling(selectedIds)}
          >
            {t('bulk.cancel')}
          </button>
        </div>
      )}

      {cancelling && <CancelDialog orderIds={cancelling} onClose={() => setCancelling(null)} onDone={onCancelled} />}
    </section>
  );
}

interface ColumnProps {
  column: Column;
  now: number;
  busy: boolean;
  canSelect: boolean;
  selected: ReadonlySet<string>;
  onToggle(orderId: string, on: boolean): void;
}

function BoardColumn({ column, now, busy, canSelect, selected, onToggle }: ColumnProps) {
  const i18n = useI18n();
  const { t } = i18n;
  const { group, cards, oldest } = column;
  const count = Math.max(column.count, cards.length);
  const oldestAge = oldest ? ageSeconds(oldest.createdAt, now) : undefined;
  const titleId = `column-${group}-title`;
  return (
    <section
      class={`column group-${group}`}
      id={`column-${group}`}
      data-testid={`board-column-${group}`}
      aria-labelledby={titleId}
      aria-busy={busy}
    >
      <header class="column-head">
        <h2 id={titleId} tabIndex={-1}>
          <span class="column-title">{t(`group.${group}`)}</span>{' '}
          <span class="column-count" data-testid={`column-count-${group}`}>
            {count}
          </span>
        </h2>
        <p class="column-hint">{t(`group.${group}.hint`)}</p>
        {oldestAge !== undefined && count > 0 && group !== 'delivered' && group !== 'cancelled' && (
          <p class="column-oldest">
            <Icon name="clock" />
            {t('column.oldest', { age: age(i18n, oldestAge) })}
          </p>
        )}
      </header>
      {cards.length === 0 ? (
        !busy && <p class="column-empty">{group === 'new' ? t('column.empty.new') : t('column.empty')}</p>
      ) : (
        <ul class="cards" aria-label={t(`group.${group}`)}>
          {cards.map((card) => (
            <li key={card.orderId}>
              <OrderCard
                card={card}
                now={now}
                selectable={canSelect && isCancellable(card.status) && !card.cancelRequested}
                selected={selected.has(card.orderId)}
                onToggle={onToggle}
              />
            </li>
          ))}
        </ul>
      )}
      {count > cards.length && (
        <p class="column-more">
          {t('column.more', { shown: cards.length, n: count })}{' '}
          <a href={href.search({ status: GROUP_STATUSES[group].join(','), run: '1' })}>{t('column.moreLink')}</a>
        </p>
      )}
    </section>
  );
}

function BulkOutcome({ outcome, onDismiss }: { outcome: CancelOutcome; onDismiss(): void }) {
  const i18n = useI18n();
  const { t, tn } = i18n;
  const failed = outcome.rejected.length > 0;
  return (
    <div class={`notice ${failed ? 'notice-error' : 'notice-success'}`} role={failed ? 'alert' : 'status'} data-testid="bulk-outcome">
      <span class="notice-icon">
        <Icon name={failed ? 'warning' : 'check'} />
      </span>
      <div class="notice-text">
        {outcome.accepted.length > 0 && <p>{tn('bulk.accepted', outcome.accepted.length)}</p>}
        {failed && (
          <>
            <p>{tn('bulk.rejected', outcome.rejected.length)}</p>
            <ul class="outcome-list">
              {outcome.rejected.map((result) => (
                <li key={result.orderId} data-code={result.code}>
                  <strong>{result.orderId}</strong>: {errorText(i18n, new ApiError(409, result.code ?? 'UNKNOWN', result.message ?? ''))}
                </li>
              ))}
            </ul>
          </>
        )}
        <button type="button" class="button" onClick={onDismiss}>
          {t('common.close')}
        </button>
      </div>
    </div>
  );
}
