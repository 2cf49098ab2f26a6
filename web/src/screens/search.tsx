/**
 * Find an order: one field for the order number (a barcode scanner types it and presses Enter, which opens the
 * order), and filters (customer, status, payment status, dates) that list the store's orders newest first, a page
 * at a time.
 * The filters live in the address (#/search?…), so Back from an order returns to the same list.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { OrderSummary, SearchPage, SearchPaymentStatus } from '../api-types.js';
import { useApp } from '../app-context.js';
import { Icon } from '../components/icon.js';
import { Money } from '../components/money.js';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.js';
import { StatusBadge } from '../components/status-badge.js';
import { dateTime, paymentStatus, statusLabel } from '../format.js';
import { useI18n } from '../i18n.js';
import { dayRange, isDay } from '../logic/dates.js';
import { paymentStatusFilter, SEARCH_PAYMENT_STATUSES } from '../logic/payment-status.js';
import { GROUP_STATUSES, GROUPS, STATUS_CODES } from '../logic/status.js';
import { href, navigate } from '../router.js';

const PAGE_SIZE = 50;

interface Filters {
  customer: string;
  status: string;
  /** '' for any. */
  paymentStatus: SearchPaymentStatus | '';
  from: string;
  to: string;
}

const filtersOf = (query: URLSearchParams): Filters => ({
  customer: query.get('customer') ?? '',
  status: query.get('status') ?? '',
  paymentStatus: paymentStatusFilter(query.get('paymentStatus')),
  from: query.get('from') ?? '',
  to: query.get('to') ?? '',
});

/** The tablet's offset east of UTC at midnight of `day`. */
const offsetOf = (day: string): number => -new Date(`${day}T00:00:00`).getTimezoneOffset();

export function SearchScreen({ query }: { query: URLSearchParams }) {
  const { api, store } = useApp();
  const i18n = useI18n();
  const { t, tn } = i18n;
  const queryKey = query.toString();
  const applied = filtersOf(query);
  const hasRun = query.get('run') === '1' || Object.values(applied).some(Boolean);

  const [orderId, setOrderId] = useState('');
  const [idProblem, setIdProblem] = useState(false);
  const [form, setForm] = useState<Filters>(applied);
  const [formError, setFormError] = useState<unknown>();
  const [page, setPage] = useState<{ orders: OrderSummary[]; nextCursor: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [reload, setReload] = useState(0);
  const resultsRef = useRef<HTMLElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  // Ready for the scanner as soon as the screen opens.
  useEffect(() => inputRef.current?.focus(), []);

  useEffect(() => {
    document.title = `${t('search.title')} – ${t('app.name')}`;
  }, [t]);
  useEffect(() => setForm(filtersOf(query)), [queryKey]);

  const params = (cursor?: string) => {
    const range = dayRange(applied.from, applied.to, offsetOf);
    return {
      store,
      status: applied.status || undefined,
      paymentStatus: applied.paymentStatus || undefined,
      customer: applied.customer.trim() || undefined,
      from: range.from,
      to: range.to,
      limit: String(PAGE_SIZE),
      cursor,
    };
  };

  useEffect(() => {
    if (!hasRun || !store) {
      setPage(null);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    api
      .get<SearchPage>('/orders', params(), controller.signal)
      .then((answer) => setPage(answer))
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) {
          setPage(null);
          setError(failure);
        }
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [queryKey, store, reload]);

  const loadMore = async () => {
    if (!page?.nextCursor) return;
    setLoading(true);
    try {
      const next = await api.get<SearchPage>('/orders', params(page.nextCursor));
      setPage({ orders: [...page.orders, ...next.orders], nextCursor: next.nextCursor });
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };

  const openOrder = (event: Event) => {
    event.preventDefault();
    const id = orderId.trim();
    if (!id) {
      setIdProblem(true);
      return;
    }
    navigate(href.order(id));
  };

  const showOrders = (event: Event) => {
    event.preventDefault();
    if (form.from && form.to && isDay(form.from) && isDay(form.to) && form.from > form.to) {
      setFormError(new ApiError(400, 'INVALID_TIME_RANGE', 'from after to'));
      return;
    }
    setFormError(undefined);
    const to = href.search({
      customer: form.customer.trim(),
      status: form.status,
      paymentStatus: form.paymentStatus,
      from: form.from,
      to: form.to,
      run: '1',
    });
    if (location.hash === to) setReload((n) => n + 1);
    else navigate(to);
    resultsRef.current?.focus();
  };

  const clear = () => {
    setForm({ customer: '', status: '', paymentStatus: '', from: '', to: '' });
    setFormError(undefined);
    navigate(href.search());
  };

  return (
    <section class="screen search" aria-labelledby="search-title">
      <div class="screen-head">
        <h1 id="search-title">{t('search.title')}</h1>
        {store && <p class="screen-sub">{t('search.storeScope', { store })}</p>}
      </div>

      <form class="panel scan-form" onSubmit={openOrder} role="search">
        <div class="field field-grow">
          <label for="search-input">{t('search.idLabel')}</label>
          <div class="input-row">
            <input
              id="search-input"
              data-testid="search-input"
              type="search"
              inputMode="text"
              autocomplete="off"
              autocapitalize="characters"
              spellcheck={false}
              ref={inputRef}
              enterKeyHint="go"
              value={orderId}
              aria-describedby={idProblem ? 'search-id-hint search-id-problem' : 'search-id-hint'}
              aria-invalid={idProblem}
              onInput={(e) => {
                setOrderId(e.currentTarget.value);
                setIdProblem(false);
              }}
            />
            <button type="submit" class="button button-primary">
              {t('search.open')}
            </button>
          </div>
          <p id="search-id-hint" class="field-hint">
            <Icon name="barcode" /> {t('search.idHint')}
          </p>
          {idProblem && (
            <p id="search-id-problem" class="field-problem" role="alert">
              {t('search.needId')}
            </p>
          )}
        </div>
      </form>

      <form class="panel filter-form" onSubmit={showOrders} aria-labelledby="filters-title">
        <h2 id="filters-title">{t('search.filters')}</h2>
        <div class="filter-grid">
          <div class="field">
            <label for="filter-customer">{t('search.customer')}</label>
            <input
              id="filter-customer"
              data-testid="filter-customer"
              type="text"
              autocomplete="off"
              maxLength={200}
              value={form.customer}
              onInput={(e) => setForm({ ...form, customer: e.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for="filter-status">{t('search.status')}</label>
            <select
              id="filter-status"
              data-testid="filter-status"
              value={form.status}
              onChange={(e) => setForm({ ...form, status: e.currentTarget.value })}
            >
              <option value="">{t('search.anyStatus')}</option>
              <optgroup label={t('board.summary')}>
                {GROUPS.map((group) => (
                  <option key={group} value={GROUP_STATUSES[group].join(',')}>
                    {t('search.groupOption', { group: t(`group.${group}`) })}
                  </option>
                ))}
              </optgroup>
              <optgroup label={t('search.status')}>
                {STATUS_CODES.map((code) => (
                  <option key={code} value={String(code)}>
                    {statusLabel(i18n, code)}
                  </option>
                ))}
              </optgroup>
            </select>
          </div>
          <div class="field">
            <label for="filter-payment-status">{t('search.paymentStatus')}</label>
            <select
              id="filter-payment-status"
              data-testid="filter-payment-status"
              value={form.paymentStatus}
              onChange={(e) => setForm({ ...form, paymentStatus: paymentStatusFilter(e.currentTarget.value) })}
            >
              <option value="">{t('search.anyPaymentStatus')}</option>
              {SEARCH_PAYMENT_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {paymentStatus(i18n, status)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="filter-from">{t('search.from')}</label>
            <input
              id="filter-from"
              data-testid="filter-from"
              type="date"
              value={form.from}
              onInput={(e) => setForm({ ...form, from: e.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for="filter-to">{t('search.to')}</label>
            <input
              id="filter-to"
              data-testid="filter-to"
              type="date"
              value={form.to}
              onInput={(e) => setForm({ ...form, to: e.currentTarget.value })}
            />
          </div>
        </div>
        {formError !== undefined && <ErrorNotice error={formError} />}
        <div class="form-actions">
          <button type="button" class="button" onClick={clear}>
            {t('search.reset')}
          </button>
          <button type="submit" class="button button-primary" data-testid="search-submit">
            {t('search.submit')}
          </button>
        </div>
      </form>

      <section
        class="results"
        ref={resultsRef}
        tabIndex={-1}
        aria-labelledby="results-title"
        data-testid="search-results"
        aria-busy={loading}
      >
        <h2 id="results-title" class="sr-only">
          {t('search.results')}
        </h2>
        {!hasRun && <InfoNotice>{t('search.prompt')}</InfoNotice>}
        {error !== undefined && <ErrorNotice error={error} onRetry={() => setReload((n) => n + 1)} />}
        {hasRun && page && page.orders.length === 0 && <InfoNotice>{t('search.empty')}</InfoNotice>}
        {page && page.orders.length > 0 && (
          <>
            <p class="results-count" role="status">
              {tn('search.count', page.orders.length)}
            </p>
            <div class="table-wrap">
              <table class="results-table">
                <thead>
                  <tr>
                    <th scope="col">{t('search.col.order')}</th>
                    <th scope="col">{t('search.col.created')}</th>
                    <th scope="col">{t('search.col.status')}</th>
                    <th scope="col">{t('search.col.customer')}</th>
                    <th scope="col" class="num">
                      {t('search.col.total')}
                    </th>
                    <th scope="col">{t('search.col.payment')}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.orders.map((order) => (
                    <tr
                      key={order.orderId}
                      data-testid={`result-${order.orderId}`}
                      class="result-row"
                      onClick={(event) => {
                        if (!(event.target instanceof HTMLAnchorElement)) navigate(href.order(order.orderId, order.shipFromLocationId));
                      }}
                    >
                      <th scope="row">
                        <a class="row-link" href={href.order(order.orderId, order.shipFromLocationId)}>
                          {order.orderId}
                        </a>
                      </th>
                      <td>{dateTime(i18n, order.createdAt)}</td>
                      <td>
                        <StatusBadge status={order.status} />
                      </td>
                      <td>{order.customerId ?? t('common.none')}</td>
                      <td class="num">{order.orderTotal ? <Money value={order.orderTotal} /> : t('common.none')}</td>
                      <td>{paymentStatus(i18n, order.paymentStatus)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {page.nextCursor ? (
              <button type="button" class="button button-wide" data-testid="load-more" onClick={() => void loadMore()} disabled={loading}>
                {loading ? t('search.loading') : t('search.more')}
              </button>
            ) : (
              <p class="results-end">{t('search.end')}</p>
            )}
          </>
        )}
        {loading && !page && <Loading label={t('search.loading')} />}
      </section>
    </section>
  );
}
