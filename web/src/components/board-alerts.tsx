/**
 * The board's "Needs attention" strip: releases Slick refused, COD orders to check, releases waiting too long,
 * and statuses whose oldest order is stuck (logic/exceptions.ts decides which, and in what order). The lists are
 * read from the tables (GET /releases/awaiting-slick, GET /stores/:id/reconciliation) each minute; the oldest
 * orders come from the board itself. Each alert opens the place to act on it.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ReleasesAwaiting, StoreReconciliation } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useExceptionI18n } from '../exceptions-i18n.js';
import { age, statusLabel } from '../format.js';
import { useI18n } from '../i18n.js';
import { ageSeconds } from '../logic/age.js';
import { type BoardAlert, boardAlerts } from '../logic/exceptions.js';
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
    return boardAlerts({ oldest: ages, releases, exceptions });
  }, [oldest, now, releases, exceptions]);

  // Parked releases raise no alert but stay a tap away.
  if (alerts.length === 0 && releases.length === 0) return null;
  const text = (alert: BoardAlert): string => {
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
  const target = (alert: BoardAlert): string =>
    alert.kind === 'cod' ? href.cod() : alert.kind === 'stuck' ? href.order(alert.orderId, store) : href.releases();
  return (
    <section class="panel board-alerts" aria-labelledby="board-alerts-title" data-testid="board-alerts">
      <h2 id="board-alerts-title">
        <Icon name="warning" /> {t('alerts.title')}
      </h2>
      {alerts.length === 0 && <p>{t('alerts.none')}</p>}
      <ul>
        {alerts.map((alert) => (
          <li
            key={`${alert.kind}-${alert.orderId}`}
            class={alert.kind === 'stuck' || alert.kind === 'waiting' ? 'tone-waiting' : 'tone-attention'}
          >
            <a href={target(alert)} data-testid={`alert-${alert.kind}`}>
              {text(alert)}
            </a>
          </li>
        ))}
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
