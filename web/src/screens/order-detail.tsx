/**
 * One order: its items (bundles together, each group with its list and bundle price), the money (two decimals, the
 * exact four on demand), the status history, payment and delivery (with its estimated time), why the pipeline
 * refused the order when it did and what to do about it, and what the clerk may do: cancel while it is not yet with the warehouse, confirm the cash of a
 * delivered COD order the delivery partner did not confirm, print a pick list. It follows the live feed: a change
 * of this order reloads it (a cash confirmation that does not move the order is read again after it is sent).
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { HistoryEntry, OrderLineView, OrderLookupAnswer, OrderTotalsView, OrderView } from '../api-types.js';
import { useApp } from '../app-context.js';
import { CancelDialog } from '../components/cancel-dialog.js';
import { BundleGroupPrice } from '../components/bundle-group-price.js';
import { CashDialog } from '../components/cash-dialog.js';
import { Icon } from '../components/icon.js';
import { ModifyDialog } from '../components/modify-dialog.js';
import { useOffline } from '../offline.js';
import { Money } from '../components/money.js';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.js';
import { OrderRefusal } from '../components/order-refusal.js';
import { StatusBadge, ToneTag } from '../components/status-badge.js';
import { useDetailI18n } from '../detail-i18n.js';
import { dateTime, paymentMethod, paymentStatus, statusLabel, statusTone, toneLabel } from '../format.js';
import { type MessageKey, useI18n } from '../i18n.js';
import { awaitsCash, canConfirmCashAt, CASH_DONE } from '../logic/cod.js';
import { groupLines, totalQuantity } from '../logic/lines.js';
import { refusalsOf } from '../logic/refusal.js';
import { CANCELLED, isCancellable } from '../logic/status.js';
import { href } from '../router.js';

/** After a cancel is accepted the order is read again at these delays too, in case the feed is for another store. */
const RECHECK_MS = [1_500, 4_000, 10_000];
/** After a cash confirmation is accepted: it rarely moves the order, so no status event may come. */
const CASH_RECHECK_MS = [300, 1_000, 2_500, 5_000, 10_000];

export function OrderScreen({ orderId, store }: { orderId: string; store: string | undefined }) {
  const { api, live, announce } = useApp();
  const i18n = useI18n();
  const { t } = i18n;
  const [answer, setAnswer] = useState<OrderLookupAnswer>();
  const [error, setError] = useState<unknown>();
  const [exact, setExact] = useState(false);
  const [dialog, setDialog] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const [cancelSent, setCancelSent] = useState(false);
  const [cashDialog, setCashDialog] = useState(false);
  const [cashSent, setCashSent] = useState(0);
  const [modifyDialog, setModifyDialog] = useState(false);
  const [modifySent, setModifySent] = useState(0);
  const statusRef = useRef<number | undefined>(undefined);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const next = await api.get<OrderLookupAnswer>(`/orders/${encodeURIComponent(orderId)}`, { store }, signal);
        const before = statusRef.current;
        statusRef.current = next.order.status;
        if (before !== undefined && before !== next.order.status)
          announce(t('detail.updatedLive', { status: statusLabel(i18n, next.order.status) }));
        setAnswer(next);
        setError(undefined);
      } catch (failure) {
        if (signal?.aborted) return;
        setError(failure);
      }
    },
    [api, orderId, store, announce, t, i18n],
  );

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load, live.epoch]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = live.subscribe((event) => {
      if (event.orderId !== orderId) return;
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 300);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [live, orderId, load]);

  useEffect(() => {
    if (!cancelSent) return;
    const timers = RECHECK_MS.map((ms) => setTimeout(() => void load(), ms));
    return () => timers.forEach(clearTimeout);
  }, [cancelSent, load]);

  useEffect(() => {
    if (!modifySent) return;
    // The new totals arrive once the pipeline has priced the order again.
    const timers = CASH_RECHECK_MS.map((ms) => setTimeout(() => void load(), ms));
    return () => timers.forEach(clearTimeout);
  }, [modifySent, load]);

  useEffect(() => {
    if (!cashSent) return;
    const timers = CASH_RECHECK_MS.map((ms) => setTimeout(() => void load(), ms));
    return () => timers.forEach(clearTimeout);
  }, [cashSent, load]);

  const order = answer?.order;
  useEffect(() => {
    document.title = `${t('detail.title', { id: orderId })} – ${t('app.name')}`;
  }, [t, orderId]);

  if (!order) {
    const notFound = error instanceof ApiError && error.code === 'ORDER_NOT_FOUND';
    return (
      <section class="screen" data-testid="order-detail" data-state={error ? 'error' : 'loading'}>
        <p class="crumbs">
          <a href={href.board()}>
            <Icon name="back" />
            {t('detail.back')}
          </a>
        </p>
        <h1>{notFound ? t('detail.notFoundTitle') : t('detail.title', { id: orderId })}</h1>
        {error === undefined ? (
          <Loading label={t('detail.loading')} />
        ) : notFound ? (
          <div class="notice notice-error" role="alert" data-testid="not-found">
            <span class="notice-icon">
              <Icon name="warning" />
            </span>
            <div class="notice-text">
              <p>{t('detail.notFound', { id: orderId })}</p>
              <a class="button" href={href.search()}>
                {t('detail.searchAgain')}
              </a>
            </div>
          </div>
        ) : (
          <ErrorNotice error={error} onRetry={() => void load()} />
        )}
      </section>
    );
  }

  return (
    <OrderDetail
      answer={answer}
      order={order}
      exact={exact}
      onExact={setExact}
      cancelSent={cancelSent}
      actionError={dialog ? undefined : actionError}
      onCancel={() => {
        setActionError(undefined);
        setDialog(true);
      }}
      cashSent={cashSent > 0}
      onConfirmCash={() => {
        setActionError(undefined);
        setCashDialog(true);
      }}
      modifySent={modifySent > 0}
      onModify={() => {
        setActionError(undefined);
        setModifyDialog(true);
      }}
      refreshError={error}
    >
      {dialog && (
        <CancelDialog
          orderIds={[order.orderId]}
          onClose={() => setDialog(false)}
          onDone={() => {
            setDialog(false);
            setCancelSent(true);
            void load();
          }}
          onError={setActionError}
        />
      )}
      {cashDialog && (
        <CashDialog
          orderId={order.orderId}
          orderTotal={order.totals?.orderTotal ?? null}
          onClose={() => setCashDialog(false)}
          onDone={() => {
            setCashDialog(false);
            setCashSent((n) => n + 1);
            announce(t('cash.accepted'));
            void load();
          }}
        />
      )}
      {modifyDialog && (
        <ModifyDialog
          orderId={order.orderId}
          lines={order.lines}
          address={order.deliveryAddress ?? null}
          onClose={() => setModifyDialog(false)}
          onDone={() => {
            setModifyDialog(false);
            setModifySent((n) => n + 1);
            announce(t('modify.accepted'));
            void load();
          }}
        />
      )}
    </OrderDetail>
  );
}

interface DetailProps {
  answer: OrderLookupAnswer;
  order: OrderView;
  exact: boolean;
  onExact(exact: boolean): void;
  cancelSent: boolean;
  actionError: unknown;
  onCancel(): void;
  cashSent: boolean;
  onConfirmCash(): void;
  modifySent: boolean;
  onModify(): void;
  refreshError: unknown;
  children?: ComponentChildren;
}

function OrderDetail({
  answer,
  order,
  exact,
  onExact,
  cancelSent,
  actionError,
  onCancel,
  cashSent,
  onConfirmCash,
  modifySent,
  onModify,
  refreshError,
  children,
}: DetailProps) {
  const { canCancel, session } = useApp();
  // Offline the actions stay in view, disabled: the header's banner says why.
  const { offline } = useOffline();
  const i18n = useI18n();
  const { t } = i18n;
  const td = useDetailI18n();
  const cancellable = isCancellable(order.status);
  const cancelled = order.status === CANCELLED;
  const cashDone = order.paymentStatus !== null && CASH_DONE.includes(order.paymentStatus);
  const canConfirmCash = canConfirmCashAt(session.claims, order.shipFromLocationId) && awaitsCash(order);

  return (
    <article class="screen detail" data-testid="order-detail" data-state="ready" aria-labelledby="order-title">
      <p class="crumbs">
        <a href={href.board()}>
          <Icon name="back" />
          {t('detail.back')}
        </a>
      </p>
      <header class="detail-head">
        <div class="detail-title">
          <h1 id="order-title">{t('detail.title', { id: order.orderId })}</h1>
          <p class="detail-status">
            <StatusBadge status={order.status} testId="order-status" />
            {statusLabel(i18n, order.status) !== toneLabel(i18n, statusTone(order.status)) && <ToneTag status={order.status} />}
          </p>
        </div>
        <div class="detail-actions" role="group" aria-label={t('detail.actions')}>
          {canCancel && cancellable && !cancelSent && (
            <button type="button" class="button button-danger" data-testid="cancel-order" disabled={offline} onClick={onCancel}>
              {t('detail.cancel')}
            </button>
          )}
          {canCancel && cancellable && !cancelSent && (
            <button type="button" class="button" data-testid="modify-order" disabled={offline} onClick={onModify}>
              {t('modify.action')}
            </button>
          )}
          {canConfirmCash && (
            <button type="button" class="button button-primary" data-testid="confirm-cash" disabled={offline} onClick={onConfirmCash}>
              {t('cash.action')}
            </button>
          )}
          <button type="button" class="button" data-testid="print-pick-list" onClick={() => window.print()}>
            <Icon name="printer" />
            {t('detail.print')}
          </button>
        </div>
      </header>

      {actionError !== undefined && <ErrorNotice error={actionError} testId="action-error" />}
      {cancelSent && !cancelled && (
        <InfoNotice>
          <p data-testid="cancel-accepted">{t('cancel.accepted')}</p>
        </InfoNotice>
      )}
      {cancelSent && cancelled && (
        <InfoNotice tone="success">
          <p>{t('cancel.confirmed')}</p>
        </InfoNotice>
      )}
      {modifySent && !cancelled && (
        <InfoNotice>
          <p data-testid="modify-accepted">{t('modify.accepted')}</p>
        </InfoNotice>
      )}
      {cashSent && !cashDone && (
        <InfoNotice>
          <p data-testid="cash-accepted">{t('cash.accepted')}</p>
        </InfoNotice>
      )}
      {cashSent && cashDone && (
        <InfoNotice tone="success">
          <p data-testid="cash-recorded">{t('cash.recorded', { status: paymentStatus(i18n, order.paymentStatus) })}</p>
        </InfoNotice>
      )}
      {!cancelSent && !cancellable && !cancelled && canCancel && <p class="detail-note">{t('detail.cannotCancel')}</p>}
      {!cancelSent && cancelled && <p class="detail-note">{t('detail.alreadyCancelled')}</p>}
      {!canCancel && <p class="detail-note">{t('detail.readOnly')}</p>}
      {refreshError !== undefined && <ErrorNotice error={refreshError} />}
      <OrderRefusal refusals={refusalsOf(order.history)} />

      <div class="detail-grid">
        <section class="panel detail-summary" aria-labelledby="summary-title">
          <h2 id="summary-title">{t('detail.summary')}</h2>
          <dl class="facts">
            <Fact label={t('detail.store')}>{order.shipFromLocationId}</Fact>
            <Fact label={t('detail.created')}>{dateTime(i18n, order.createdAt)}</Fact>
            <Fact label={t('detail.updated')}>{dateTime(i18n, order.updatedAt)}</Fact>
            <Fact label={t('detail.custRef')}>{order.custRef ?? t('common.none')}</Fact>
            <Fact label={t('detail.customerId')}>{order.customerId ?? t('common.none')}</Fact>
            <Fact label={t('detail.payment')}>{paymentMethod(i18n, order.paymentMethod)}</Fact>
            <Fact label={t('detail.paymentStatus')}>
              <span data-testid="payment-status" data-status={order.paymentStatus ?? ''}>
                {paymentStatus(i18n, order.paymentStatus)}
              </span>
            </Fact>
            {order.releaseId && <Fact label={t('detail.release')}>{order.releaseId}</Fact>}
            {order.carrier && <Fact label={t('detail.carrier')}>{order.carrier}</Fact>}
            {order.trackingId && <Fact label={t('detail.tracking')}>{order.trackingId}</Fact>}
            {order.estimatedDelivery && (
              <Fact label={td('detail.eta')}>
                <time dateTime={order.estimatedDelivery} data-testid="order-eta">
                  {dateTime(i18n, order.estimatedDelivery)}
                </time>
              </Fact>
            )}
            {order.collectedAmount && (
              <Fact label={t('detail.collected')}>
                <Money value={order.collectedAmount} exact={exact} />
                {order.collectedAt && <span class="fact-note">{dateTime(i18n, order.collectedAt)}</span>}
              </Fact>
            )}
          </dl>
          <p class="detail-source">{t('detail.source', { source: t(`detail.source.${answer.source}`) })}</p>
        </section>

        <section class="panel detail-lines" aria-labelledby="lines-title">
          <div class="panel-head">
            <h2 id="lines-title">{t('detail.lines')}</h2>
            <label class="toggle">
              <input type="checkbox" data-testid="exact-toggle" checked={exact} onChange={(e) => onExact(e.currentTarget.checked)} />
              {t('detail.exact')}
            </label>
          </div>
          <Lines lines={order.lines} exact={exact} />
          <Totals totals={order.totals} exact={exact} />
        </section>

        <section class="panel detail-history" aria-labelledby="history-title">
          <h2 id="history-title">{t('detail.timeline')}</h2>
          <Timeline history={order.history} />
        </section>
      </div>

      <PickList order={order} />
      {children}
    </article>
  );
}

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Lines({ lines, exact }: { lines: OrderLineView[]; exact: boolean }) {
  const { t } = useI18n();
  if (lines.length === 0) return <p class="empty">{t('detail.noLines')}</p>;
  const segments = groupLines(lines);
  return (
    <div class="table-wrap">
      <table class="lines" data-testid="order-lines">
        <thead>
          <tr>
            <th scope="col" class="col-image">
              <span class="sr-only">{t('detail.col.image')}</span>
            </th>
            <th scope="col">{t('detail.col.item')}</th>
            <th scope="col" class="num">
              {t('detail.col.qty')}
            </th>
            <th scope="col" class="num">
              {t('detail.col.unitPrice')}
            </th>
            <th scope="col" class="num">
              {t('detail.col.amount')}
            </th>
          </tr>
        </thead>
        {segments.map((segment, index) =>
          segment.bundleGroupId === null ? (
            <tbody key={`line-${segment.lines[0]!.lineId}`}>
              <LineRow line={segment.lines[0]!} exact={exact} />
            </tbody>
          ) : (
            <tbody key={`bundle-${segment.bundleGroupId}-${index}`} class="bundle" data-testid={`bundle-${segment.bundleGroupId}`}>
              <tr class="bundle-head">
                <th scope="colgroup" colSpan={5}>
                  <Icon name="box" /> {t('detail.bundle', { id: segment.bundleGroupId })}
                </th>
              </tr>
              {segment.lines.map((line) => (
                <LineRow key={line.lineId} line={line} exact={exact} />
              ))}
              <BundleGroupPrice groupId={segment.bundleGroupId} lines={segment.lines} exact={exact} />
            </tbody>
          ),
        )}
      </table>
    </div>
  );
}

function LineRow({ line, exact }: { line: OrderLineView; exact: boolean }) {
  const { t } = useI18n();
  const [imageFailed, setImageFailed] = useState(false);
  const discounted = /[1-9]/.test(line.lineDiscount);
  return (
    <tr data-testid={`line-${line.lineId}`}>
      <td class="col-image">
        {line.imageUrl && !imageFailed ? (
          <img
            src={line.imageUrl}
            alt=""
            width={56}
            height={56}
            loading="lazy"
            referrerpolicy="no-referrer"
            onError={() => setImageFailed(true)}
          />
        ) : (
          <span class="image-placeholder" aria-hidden="true" />
        )}
      </td>
      <td>
        <span class="line-name">{line.shortDescription ?? line.itemId}</span>
        <span class="line-meta">{t('detail.itemId', { id: line.itemId })}</span>
        {discounted && (
          <span class="line-meta">
            {t('detail.lineDiscount')}: <Money value={line.lineDiscount} exact={exact} />
          </span>
        )}
      </td>
      <td class="num">{line.quantity}</td>
      <td class="num">
        <Money value={line.unitPrice} exact={exact} />
      </td>
      <td class="num">
        <Money value={line.lineAmount} exact={exact} />
      </td>
    </tr>
  );
}

const TOTAL_ROWS: readonly (keyof OrderTotalsView)[] = ['subTotal', 'totalDiscount', 'totalTaxes', 'totalCharges', 'orderTotal'];

function Totals({ totals, exact }: { totals: OrderTotalsView | null; exact: boolean }) {
  const { t } = useI18n();
  if (!totals) return <p class="empty">{t('totals.notPriced')}</p>;
  return (
    <div class="totals-block">
      <h3 class="sr-only">{t('detail.totals')}</h3>
      <dl class="totals" data-testid="order-totals">
        {TOTAL_ROWS.map((field) => (
          <div key={field} class={`total-row total-${field}`}>
            <dt>{t(`totals.${field}` as MessageKey)}</dt>
            <dd>
              <Money value={totals[field]} exact={exact} />
            </dd>
          </div>
        ))}
        {/[1-9]/.test(totals.informationalTaxes) && (
          <div class="total-row total-informational">
            <dt>{t('totals.informationalTaxes')}</dt>
            <dd>
              <Money value={totals.informationalTaxes} exact={exact} />
            </dd>
          </div>
        )}
      </dl>
    </div>
  );
}

function Timeline({ history }: { history: HistoryEntry[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (history.length === 0) return <p class="empty">{t('detail.timeline.empty')}</p>;
  const newestFirst = [...history].reverse();
  return (
    <ol class="timeline" data-testid="order-timeline">
      {newestFirst.map((entry, index) => (
        <li
          key={`${entry.at}-${entry.to}-${index}`}
          class={`timeline-entry tone-${entry.to === CANCELLED ? 'cancelled' : entry.to === 7400 ? 'attention' : 'waiting'}`}
        >
          <p class="timeline-move">
            {entry.from === null ? (
              t('detail.timeline.received', { status: statusLabel(i18n, entry.to) })
            ) : entry.from === entry.to ? (
              statusLabel(i18n, entry.to)
            ) : (
              <>
                {statusLabel(i18n, entry.from)} <span aria-hidden="true">→</span>
                <span class="sr-only">→</span> <strong>{statusLabel(i18n, entry.to)}</strong>
              </>
            )}
          </p>
          <p class="timeline-meta">
            <time dateTime={entry.at}>{dateTime(i18n, entry.at)}</time>
            {entry.actor && <span> · {t('detail.timeline.by', { actor: entry.actor })}</span>}
          </p>
          {entry.reason && <p class="timeline-reason">{entry.reason}</p>}
          <p class="timeline-source">{t('detail.timeline.source', { source: entry.source })}</p>
        </li>
      ))}
    </ol>
  );
}

/** Shown only on paper: what to pick, bundles together, with a box to tick per line. */
function PickList({ order }: { order: OrderView }) {
  const i18n = useI18n();
  const { t } = i18n;
  const segments = groupLines(order.lines);
  return (
    <section class="pick-list" aria-hidden="true">
      <h2>
        {t('picklist.title')} – {order.orderId}
      </h2>
      <p>
        {t('detail.store')}: {order.shipFromLocationId} · {t('detail.custRef')}: {order.custRef ?? order.customerId ?? t('common.none')} ·{' '}
        {t('picklist.printed', { time: dateTime(i18n, new Date().toISOString()) })}
      </p>
      <table>
        <thead>
          <tr>
            <th>{t('picklist.picked')}</th>
            <th>{t('detail.col.qty')}</th>
            <th>{t('detail.col.item')}</th>
          </tr>
        </thead>
        {segments.map((segment, index) => (
          <tbody key={index}>
            {segment.bundleGroupId !== null && (
              <tr class="bundle-head">
                <th colSpan={3}>{t('detail.bundle', { id: segment.bundleGroupId })}</th>
              </tr>
            )}
            {segment.lines.map((line) => (
              <tr key={line.lineId}>
                <td class="tick">
                  <span class="tick-box" />
                </td>
                <td class="num">{line.quantity}</td>
                <td>
                  {line.shortDescription ?? line.itemId} <small>({line.itemId})</small>
                </td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
      <p class="pick-total">{t('picklist.units', { n: totalQuantity(order.lines) })}</p>
    </section>
  );
}
