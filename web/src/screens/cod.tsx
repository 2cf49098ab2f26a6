/**
 * Cash on delivery: the delivered COD orders whose cash nobody has confirmed yet (GET /orders, statuses 7400 and
 * 7500), each with "Confirm cash collected"; and, for a business day (GET /stores/:id/reconciliation), what the
 * delivery partner should have collected against what it did, and the orders to look into (no cash, short,
 * over), open ones first, each with who acknowledged or resolved it and, for staff of the store, Acknowledge
 * and Resolve.
 */
import { useEffect, useState } from 'preact/hooks';
import type { OrderSummary, SearchPage, StoreReconciliation } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useOffline } from '../offline.js';
import { CashDialog } from '../components/cash-dialog.js';
import { DecisionDialog } from '../components/decision-dialog.js';
import { useExceptionI18n } from '../exceptions-i18n.js';
import { type Decision, exceptionDecisions } from '../logic/exceptions.js';
import { Icon } from '../components/icon.js';
import { Money } from '../components/money.js';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.js';
import { StatusBadge } from '../components/status-badge.js';
import { dateTime, day as formatDay } from '../format.js';
import { useI18n } from '../i18n.js';
import { awaitsCash, CASH_STATUSES, canConfirmCashAt } from '../logic/cod.js';
import { isNonZero } from '../logic/money.js';
import { href } from '../router.js';

export function CodScreen() {
  const { api, store, session, announce } = useApp();
  const i18n = useI18n();
  const { t } = i18n;
  const [dayInput, setDayInput] = useState('');
  const [asked, setAsked] = useState<string | undefined>();
  const [report, setReport] = useState<StoreReconciliation>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [attempt, setAttempt] = useState(0);
  const x = useExceptionI18n();
  const [deciding, setDeciding] = useState<{ orderId: string; decision: Decision }>();
  /** Decisions sent: the list is read again once the tables have them. */
  const [decided, setDecided] = useState(0);
  const { offline } = useOffline();
  // Offline the decisions could not be sent: the buttons go, as the other actions' do.
  const canDecide = store !== undefined && canConfirmCashAt(session.claims, store) && !offline;

  useEffect(() => {
    document.title = `${t('cod.title')} – ${t('app.name')}`;
  }, [t]);

  useEffect(() => {
    if (decided === 0) return;
    const timers = AWAITING_RELOAD_MS.map((ms) => setTimeout(() => setAttempt((n) => n + 1), ms));
    return () => timers.forEach(clearTimeout);
  }, [decided]);

  useEffect(() => {
    if (!store) return;
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    api
      .get<StoreReconciliation>(`/stores/${encodeURIComponent(store)}/reconciliation`, { day: asked }, controller.signal)
      .then((answer) => {
        setReport(answer);
        if (answer.day) setDayInput(answer.day);
      })
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [api, store, asked, attempt]);

  if (!store) {
    return (
      <section class="screen">
        <h1>{t('cod.title')}</h1>
        <InfoNotice>{t('board.chooseStore')}</InfoNotice>
      </section>
    );
  }

  const exceptions = [...(report?.exceptions ?? [])].sort((a, b) => Number(b.open) - Number(a.open));
  return (
    <section class="screen cod" aria-labelledby="cod-title" data-testid="cod">
      <div class="screen-head">
        <h1 id="cod-title">{t('cod.heading', { store })}</h1>
      </div>
      <form
        class="panel inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          setAsked(dayInput || undefined);
        }}
      >
        <div class="field">
          <label for="cod-day">{t('cod.day')}</label>
          <input id="cod-day" type="date" value={dayInput} onInput={(e) => setDayInput(e.currentTarget.value)} />
        </div>
        <button type="submit" class="button button-primary">
          {t('cod.show')}
        </button>
        <button
          type="button"
          class="button"
          onClick={() => {
            setDayInput('');
            setAsked(undefined);
            setAttempt((n) => n + 1);
          }}
        >
          {t('cod.latest')}
        </button>
      </form>

      <AwaitingCash store={store} />

      {loading && <Loading label={t('cod.loading')} />}
      {error !== undefined && <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      {!loading && report && report.runs.length === 0 && <InfoNotice>{asked ? t('cod.noneForDay') : t('cod.none')}</InfoNotice>}

      {deciding && (
        <DecisionDialog
          orderId={deciding.orderId}
          decision={deciding.decision}
          onClose={() => setDeciding(undefined)}
          onDone={() => {
            announce(x.t(`decision.done.${deciding.decision}`, { id: deciding.orderId }));
            setDeciding(undefined);
            setDecided((n) => n + 1);
          }}
        />
      )}

      {report && report.runs.length > 0 && (
        <>
          {report.day && <h2 class="cod-day">{formatDay(i18n, report.day)}</h2>}
          <div class="run-list">
            {report.runs.map((run) => {
              const difference = subtract(run.collectedTotal, run.expectedTotal);
              return (
                <section key={run.cutOffAt} class="panel run" aria-label={t('cod.run', { time: dateTime(i18n, run.cutOffAt) })}>
                  <p class="run-title">{t('cod.run', { time: dateTime(i18n, run.cutOffAt) })}</p>
                  <dl class="stat-grid">
                    <div class="stat">
                      <dt>{t('cod.expected')}</dt>
                      <dd>
                        <Money value={run.expectedTotal} />
                      </dd>
                    </div>
                    <div class="stat">
                      <dt>{t('cod.collected')}</dt>
                      <dd>
                        <Money value={run.collectedTotal} />
                      </dd>
                    </div>
                    <div class={`stat ${difference && isNonZero(difference) ? 'stat-attention' : 'stat-done'}`}>
                      <dt>{t('cod.difference')}</dt>
                      <dd>
                        <Icon name={difference && isNonZero(difference) ? 'warning' : 'check'} />{' '}
                        {difference ? <Money value={difference} /> : t('common.none')}
                      </dd>
                    </div>
                    <div class="stat">
                      <dt>{t('cod.reconciled')}</dt>
                      <dd>{run.reconciledOrders}</dd>
                    </div>
                    <div class="stat">
                      <dt>{t('cod.reconciledAmount')}</dt>
                      <dd>
                        <Money value={run.reconciledAmount} />
                      </dd>
                    </div>
                  </dl>
                </section>
              );
            })}
          </div>

          <section class="panel" aria-labelledby="exceptions-title">
            <h2 id="exceptions-title">{t('cod.exceptions')}</h2>
            {exceptions.length === 0 ? (
              <InfoNotice tone="success">{t('cod.noExceptions')}</InfoNotice>
            ) : (
              <div class="table-wrap">
                <table class="results-table">
                  <thead>
                    <tr>
                      <th scope="col">{t('cod.col.order')}</th>
                      <th scope="col">{t('cod.col.problem')}</th>
                      <th scope="col" class="num">
                        {t('cod.col.expected')}
                      </th>
                      <th scope="col" class="num">
                        {t('cod.col.collected')}
                      </th>
                      <th scope="col" class="num">
                        {t('cod.col.difference')}
                      </th>
                      <th scope="col">{t('cod.col.state')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {exceptions.map((exception) => (
                      <tr key={`${exception.orderId}-${exception.cutOffAt}`}>
                        <th scope="row">
                          <a class="row-link" href={href.order(exception.orderId, store)}>
                            {exception.orderId}
                          </a>
                        </th>
                        <td>
                          {t(`cod.kind.${exception.kind}`)}
                          {exception.kind === 'MISSING' && <span class="line-meta">{t('cod.kind.MISSING.hint')}</span>}
                        </td>
                        <td class="num">
                          <Money value={exception.expectedAmount} />
                        </td>
                        <td class="num">{exception.collectedAmount ? <Money value={exception.collectedAmount} /> : t('common.none')}</td>
                        <td class="num">
                          <Money value={exception.difference} />
                        </td>
                        <td data-testid={`exception-state-${exception.orderId}`}>
                          <span class={`tone-tag ${exception.open ? 'tone-attention' : 'tone-done'}`}>
                            <Icon name={exception.open ? 'warning' : 'check'} />
                            {exception.open ? t('cod.open') : t('cod.resolved')}
                          </span>
                          {exception.resolved && (
                            <span class="line-meta">
                              {x.t('decision.resolvedBy', { by: exception.resolved.by, note: exception.resolved.note })}
                            </span>
                          )}
                          {exception.open && exception.acknowledged && (
                            <span class="line-meta">
                              {x.t('decision.acknowledgedBy', { by: exception.acknowledged.by, note: exception.acknowledged.note })}
                            </span>
                          )}
                          {canDecide && exceptionDecisions(exception).length > 0 && (
                            <span class="row-actions">
                              {exceptionDecisions(exception).map((decision) => (
                                <button
                                  key={decision}
                                  type="button"
                                  class="button"
                                  data-testid={`${decision}-${exception.orderId}`}
                                  onClick={() => setDeciding({ orderId: exception.orderId, decision })}
                                >
                                  {x.t(`decision.${decision}`)}
                                </button>
                              ))}
                            </span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </section>
  );
}

const AWAITING_LIMIT = 50;
/** The list is read from the tables, which follow the pipeline within a second or two. */
const AWAITING_RELOAD_MS = [1_500, 5_000];

/** Delivered (or failed-delivery) COD orders of the store whose cash is not confirmed, newest first. */
function AwaitingCash({ store }: { store: string }) {
  const { api, session, announce } = useApp();
  const { t } = useI18n();
  const [orders, setOrders] = useState<OrderSummary[]>();
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [confirming, setConfirming] = useState<OrderSummary>();
  const [sent, setSent] = useState<readonly string[]>([]);
  const canConfirm = canConfirmCashAt(session.claims, store);
  const { offline } = useOffline();

  useEffect(() => {
    const controller = new AbortController();
    api
      .get<SearchPage>('/orders', { store, status: CASH_STATUSES.join(','), limit: String(AWAITING_LIMIT) }, controller.signal)
      .then((page) => {
        setOrders(page.orders.filter(awaitsCash));
        setMore(page.nextCursor !== null);
        setError(undefined);
      })
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      });
    return () => controller.abort();
  }, [api, store, attempt]);

  useEffect(() => {
    if (sent.length === 0) return;
    const timers = AWAITING_RELOAD_MS.map((ms) => setTimeout(() => setAttempt((n) => n + 1), ms));
    return () => timers.forEach(clearTimeout);
  }, [sent]);

  const shown = (orders ?? []).filter((order) => !sent.includes(order.orderId));
  return (
    <section class="panel" aria-labelledby="awaiting-title" data-testid="cod-awaiting">
      <h2 id="awaiting-title">{t('cod.awaiting')}</h2>
      <p class="field-hint">{t('cod.awaitingHint')}</p>
      {error !== undefined && <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      {orders === undefined && error === undefined && <Loading label={t('common.loading')} />}
      {sent.length > 0 && (
        <InfoNotice>
          <p>{t('cash.accepted')}</p>
        </InfoNotice>
      )}
      {orders !== undefined && shown.length === 0 && <p class="empty">{t('cod.awaitingNone')}</p>}
      {shown.length > 0 && (
        <div class="table-wrap">
          <table class="results-table">
            <thead>
              <tr>
                <th scope="col">{t('cod.col.order')}</th>
                <th scope="col">{t('cod.col.status')}</th>
                <th scope="col" class="num">
                  {t('cod.col.total')}
                </th>
                {canConfirm && <th scope="col">{t('cod.col.action')}</th>}
              </tr>
            </thead>
            <tbody>
              {shown.map((order) => (
                <tr key={order.orderId} data-testid={`awaiting-${order.orderId}`}>
                  <th scope="row">
                    <a class="row-link" href={href.order(order.orderId, store)}>
                      {order.orderId}
                    </a>
                  </th>
                  <td>
                    <StatusBadge status={order.status} />
                  </td>
                  <td class="num">{order.orderTotal ? <Money value={order.orderTotal} /> : t('common.none')}</td>
                  {canConfirm && (
                    <td>
                      <button
                        type="button"
                        class="button"
                        data-testid={`confirm-cash-${order.orderId}`}
                        disabled={offline}
                        aria-label={t('cash.actionFor', { id: order.orderId })}
                        onClick={() => setConfirming(order)}
                      >
                        {t('cash.action')}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && <p class="field-hint">{t('cod.awaitingMore', { n: AWAITING_LIMIT })}</p>}
      {confirming && (
        <CashDialog
          orderId={confirming.orderId}
          orderTotal={confirming.orderTotal}
          onClose={() => setConfirming(undefined)}
          onDone={() => {
            setSent((current) => [...current, confirming.orderId]);
            setConfirming(undefined);
            announce(t('cash.accepted'));
          }}
        />
      )}
    </section>
  );
}

/** a − b on 4-decimal strings, exactly (BigInt on the scaled digits). */
function subtract(a: string, b: string): string | undefined {
  const scaled = (value: string): bigint | undefined => {
    const match = /^(-?)(\d+)\.(\d{4})$/.exec(value);
    return match ? BigInt(`${match[1]}${match[2]}${match[3]}`) : undefined;
  };
  const x = scaled(a);
  const y = scaled(b);
  if (x === undefined || y === undefined) return undefined;
  const d = x - y;
  const negative = d < 0n;
  const digits = (negative ? -d : d).toString().padStart(5, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -4)}.${digits.slice(-4)}`;
}
