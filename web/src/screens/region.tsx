/**
 * All stores (coordinators and admins; GET /region/pipeline): each store's open orders and oldest open order,
 * its orders by stage and the last hour, worst first as the service sorts them. A store opens its board.
 */
import { useEffect, useState } from 'preact/hooks';
import type { RegionPipelineAnswer, StorePipeline } from '../api-types.js';
import { useApp } from '../app-context.js';
import { Icon } from '../components/icon.js';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.js';
import { age, statusLabel } from '../format.js';
import { useI18n } from '../i18n.js';
import { clockOffsetMs } from '../logic/age.js';
import { GROUPS, groupOf } from '../logic/status.js';
import { href, navigate } from '../router.js';

const REFRESH_MS = 60_000;

export function RegionScreen() {
  const { api, setStore, setClockOffset } = useApp();
  const i18n = useI18n();
  const { t } = i18n;
  const [region, setRegion] = useState<RegionPipelineAnswer>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    document.title = `${t('region.title')} – ${t('app.name')}`;
  }, [t]);

  useEffect(() => {
    const controller = new AbortController();
    const read = () =>
      api
        .get<RegionPipelineAnswer>('/region/pipeline', undefined, controller.signal)
        .then((answer) => {
          setClockOffset(clockOffsetMs(answer.asOf, Date.now()));
          setRegion(answer);
          setError(undefined);
        })
        .catch((failure: unknown) => {
          if (!controller.signal.aborted) setError(failure);
        });
    void read();
    const timer = setInterval(() => void read(), REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [api, attempt, setClockOffset]);

  const open = (storeId: string) => {
    setStore(storeId);
    navigate(href.board());
  };

  return (
    <section class="screen region" aria-labelledby="region-title" data-testid="region">
      <div class="screen-head">
        <h1 id="region-title">{t('region.title')}</h1>
        <p class="screen-sub">{t('region.intro')}</p>
      </div>
      {!region && error === undefined && <Loading label={t('region.loading')} />}
      {error !== undefined && <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      {region && (
        <>
          <p class="region-totals">{t('region.totals', { stores: region.totals.stores, open: region.totals.openOrders })}</p>
          {region.stores.length === 0 ? (
            <InfoNotice>{t('region.none')}</InfoNotice>
          ) : (
            <ul class="store-grid">
              {region.stores.map((entry) => (
                <li key={entry.storeId}>
                  <StoreTile entry={entry} onOpen={open} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function StoreTile({ entry, onOpen }: { entry: StorePipeline; onOpen(storeId: string): void }) {
  const i18n = useI18n();
  const { t, tn } = i18n;
  const byGroup = new Map(GROUPS.map((group) => [group, 0]));
  for (const status of entry.statuses) byGroup.set(groupOf(status.status), (byGroup.get(groupOf(status.status)) ?? 0) + status.orders);
  const failed = entry.statuses.find((status) => status.status === 7400)?.orders ?? 0;
  return (
    <a
      class={`store-tile${failed > 0 ? ' tone-attention' : ''}`}
      href={href.board()}
      data-testid={`store-${entry.storeId}`}
      onClick={(event) => {
        event.preventDefault();
        onOpen(entry.storeId);
      }}
    >
      <span class="store-tile-head">
        <strong class="store-tile-id">{entry.storeId}</strong>
        <span class="store-tile-open">
          {t('region.open')}: <strong>{entry.openOrders}</strong>
        </span>
      </span>
      {entry.oldestOpen && (
        <span class="store-tile-line">
          {t('region.oldestOpen')}: {entry.oldestOpen.orderId} · {statusLabel(i18n, entry.oldestOpen.status)} ·{' '}
          {t('age.ago', { age: age(i18n, entry.oldestOpen.ageSeconds) })}
        </span>
      )}
      {failed > 0 && (
        <span class="store-tile-line tone-tag tone-attention">
          <Icon name="warning" />
          {statusLabel(i18n, 7400)}: {tn('count.orders', failed)}
        </span>
      )}
      <span class="store-tile-groups">
        {GROUPS.map((group) => (
          <span key={group} class={`mini group-${group}`}>
            {t(`group.${group}`)}: {byGroup.get(group) ?? 0}
          </span>
        ))}
      </span>
      <span class="store-tile-line">
        {t('region.lastHour', { created: entry.lastHour.created, released: entry.lastHour.released, cancelled: entry.lastHour.cancelled })}
      </span>
    </a>
  );
}
