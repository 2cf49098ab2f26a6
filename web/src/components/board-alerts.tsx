/**
 * The board's "Needs attention" strip: releases Slick refused, COD orders to check, items short on the shelf,
 * releases waiting too long, and statuses whose oldest order is stuck (logic/exceptions.ts decides which, and in what
 * order). The lists are read from the tables (GET /releases/awaiting-slick, GET /stores/:id/reconciliation,
 * GET /stores/:id/low-stock) each minute; the oldest orders come from the board itself. Each alert opens the place to
 * act on it; low stock names its first items, each with the order that found the shelf short.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ReleasesAwaiting, StoreLowStockAnswer, StoreReconciliation } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useExceptionI18n } from '../exceptions-i18n.js';
import { age, statusLabel } from '../format.js';
import { useI18n } from '../i18n.js';
import { ageSeconds } from '../logic/age.js';
import { type BoardAlert, boardAlerts } from '../logic/exceptions.js';
import { itemLabel, type LowStockAlert, LOW_STOCK_ITEMS_SHOWN } from '../logic/low-stock.js';
import { href } from '../router.js';
import { Icon } from './icon.js';

const REFRESH_MS = 60_000;

interface Props {
  store: string;
  oldest: Readonly<Record<number, { orderId: string; createdAt: string } | null>>;
  now: number;
  /** Offline: the lists are not read (the strip shows what it had). */
  paused: boolean;
}

export function BoardAlerts({ store, oldest, now, paused }: Props) {
  const { api } = useApp();
  const i18n = useI18n();
  const { t, tn } = useExceptionI18n();
  const [releases, setReleases] = useState<ReleasesAwaiting['releases']>([]);
  const [exceptions, setExceptions] = useState<StoreReconciliation['exceptions']>([]);
  const [lowStock, setLowStock] = useState<StoreLowStockAnswer>();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (paused) return;
    const controller = new AbortController();
    // Each list on its own: one that fails (an older service, the tables down) leaves the other's alerts.
    api
      .get<ReleasesAwaiting>('/releases/awaiting-slick', { store }, controller.signal)
      .then((answer) => setReleases(answer.releases))
      .catch(() => undefined);
    api
      .get<StoreReconciliation>(`/stores/${encodeURIComponent(store)}/reconciliation`, {}, controller.signal)
      .then((answer) => setExceptions(answer.exceptions))
      .catch(() => undefined);
    // The first few items are named; `total` counts the rest.
    api
      .get<StoreLowStockAnswer>(
        `/stores/${encodeURIComponent(store)}/low-stock`,
        { limit: String(LOW_STOCK_ITEMS_SHOWN) },
        controller.signal,
      )
      .then(setLowStock)
      .catch(() => undefined);
    const timer = setTimeout(() => setTick((n) => n + 1), REFRESH_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, store, tick, paused]);

  const alerts = useMemo(() => {
    const ages: Record<number, { orderId: string; ageSeconds: number } | null> = {};
    for (const [status, entry] of Object.entries(oldest)) {
      const seconds = entry ? ageSeconds(entry.createdAt, now) : undefined;
      ages[Number(status)] = entry && seconds !== undefined ? { orderId: entry.orderId, ageSeconds: seconds } : null;
    }
    return boardAlerts({ oldest: ages, releases, exceptions, ...(lowStock ? { lowStock } : {}) });
  }, [oldest, now, releases, exceptions, lowStock]);

  // Parked releases raise no alert but stay a tap away.
  if (alerts.length === 0 && releases.length === 0) return null;
  const text = (alert: Exclude<BoardAlert, LowStockAlert>): string => {
    switch (alert.kind) {
      case 'refused':
        return tn('alerts.refused', alert.count);
      case 'cod':
        return tn('alerts.cod', alert.count);
      case 'waiting':
        return tn('alerts.waiting', alert.count, { age: age(i18n, alert.ageSeconds) });
      case 'stuck':
        return t('alerts.stuck', { status: statusLabel(i18n, alert.status), age: age(i18n, alert.ageSeconds), id: alert.orderId });
    }
  };
  const target = (alert: Exclude<BoardAlert, LowStockAlert>): string =>
    alert.kind === 'cod' ? href.cod() : alert.kind === 'stuck' ? href.order(alert.orderId, store) : href.releases();
  return (
    <section class="panel board-alerts" aria-labelledby="board-alerts-title" data-testid="board-alerts">
      <h2 id="board-alerts-title">
        <Icon name="warning" /> {t('alerts.title')}
      </h2>
      {alerts.length === 0 && <p>{t('alerts.none')}</p>}
      <ul>
        {alerts.map((alert) =>
          alert.kind === 'low-stock' ? (
            <LowStockLine key="low-stock" alert={alert} store={store} />
          ) : (
            <li
              key={`${alert.kind}-${alert.orderId}`}
              class={alert.kind === 'stuck' || alert.kind === 'waiting' ? 'tone-waiting' : 'tone-attention'}
            >
              <a href={target(alert)} data-testid={`alert-${alert.kind}`}>
                {text(alert)}
              </a>
            </li>
          ),
        )}
      </ul>
      {releases.length > 0 && (
        <p>
          <a href={href.releases()} data-testid="releases-link">
            {t('alerts.releases')} ({releases.length})
          </a>
        </p>
      )}
    </section>
  );
}

/** Low stock: how many items, the first few by name with what is on the shelf and what is to pick, and the rest counted. */
function LowStockLine({ alert, store }: { alert: LowStockAlert; store: string }) {
  const { t, tn } = useExceptionI18n();
  return (
    <li class="tone-attention low-stock" data-testid="alert-low-stock">
      <p>{tn('alerts.lowStock', alert.count)}</p>
      <ul>
        {alert.items.map((item) => (
          <li key={item.itemId} data-testid={`low-stock-item-${item.itemId}`}>
            <span>{t('alerts.lowStock.item', { item: itemLabel(item), onHand: item.onHand, allocated: item.allocated })}</span>
            {item.lastOrderId && <a href={href.order(item.lastOrderId, store)}>{t('alerts.lowStock.order', { id: item.lastOrderId })}</a>}
          </li>
        ))}
        {alert.more > 0 && <li>{tn('alerts.lowStock.more', alert.more)}</li>}
      </ul>
    </li>
  );
}
