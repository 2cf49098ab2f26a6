/**
 * Reports (GET /reports?from=&to=&store=): for a range of business days, per store and over the stores shown,
 * orders per day, cancellations and their reasons, time in each status, COD collected against expected, and
 * bundle sales. Each table downloads as CSV. Coordinators and admins choose a store or all of them; a store role
 * sees its own stores.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { BundleSalesRow, CancellationRow, CodDayRow, OrdersDayRow, ReportAnswer, StatusTimeRow } from '../api-types.js';
import { useApp } from '../app-context.js';
import { Money } from '../components/money.js';
import { DayField } from '../components/day-field.js';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.js';
import { type ReportColumn, ReportTable } from '../components/report-table.js';
import { age, statusLabel } from '../format.js';
import { type I18n, useI18n } from '../i18n.js';
import {
  csvFileName,
  type DayRange,
  defaultRange,
  MAX_REPORT_DAYS,
  rangeProblems,
  reasonKind,
  reportQuery,
  shortDay,
  storesIn,
} from '../logic/reports.js';
import { type ReportI18n, useReportI18n } from '../reports-i18n.js';
import { href, navigate } from '../router.js';

/** A row of a section, or its total over the stores (storeId null). */
type Row<R extends { storeId: string }> = Omit<R, 'storeId'> & { storeId: string | null };

function reasonText(i18n: I18n, words: ReportI18n, reason: string | null): string {
  const kind = reasonKind(reason);
  switch (kind.kind) {
    case 'none':
      return words.t('reports.noReason');
    case 'preset':
      return i18n.t(`cancel.reason.${kind.reason}`);
    case 'code':
      return words.t(`reason.${kind.code}`);
    case 'text':
      return kind.text;
  }
}

/** Rows and, when they cover more than one store, their totals as footer rows. */
function withTotals<R extends { storeId: string }, T extends object>(section: { rows: R[]; totals: T[] }) {
  const footer: Row<R>[] = storesIn(section.rows) > 1 ? section.totals.map((total) => ({ ...total, storeId: null }) as Row<R>) : [];
  return { rows: section.rows as Row<R>[], footer };
}

export function ReportsScreen({ query }: { query: URLSearchParams }) {
  const { api, session, stores, seesAllStores: all } = useApp();
  const i18n = useI18n();
  const { t } = i18n;
  const words = useReportI18n();
  const rt = words.t;
  const queryKey = query.toString();
  const asked = useMemo(() => reportQuery(query, Date.now()), [queryKey]);
  const [fromInput, setFromInput] = useState(asked.from);
  const [toInput, setToInput] = useState(asked.to);
  const [storeInput, setStoreInput] = useState(asked.store ?? '');
  const [checked, setChecked] = useState(false);
  const [report, setReport] = useState<ReportAnswer>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [exact, setExact] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    document.title = `${rt('reports.title')} – ${t('app.name')}`;
  }, [t, rt]);
  useEffect(() => {
    setFromInput(asked.from);
    setToInput(asked.to);
    setStoreInput(asked.store ?? '');
    setChecked(false);
  }, [asked]);

  useEffect(() => {
    const controller = new AbortController();
    setReport(undefined);
    setError(undefined);
    api
      .get<ReportAnswer>('/reports', { from: asked.from, to: asked.to, store: asked.store }, controller.signal)
      .then(setReport)
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      });
    return () => controller.abort();
  }, [api, asked, attempt]);

  const problems = checked ? rangeProblems(fromInput, toInput) : {};
  const problemText = (field: keyof DayRange) => {
    const problem = problems[field];
    return problem ? rt(`reports.problem.${problem}`, { max: MAX_REPORT_DAYS }) : undefined;
  };
  const show = (event: Event) => {
    event.preventDefault();
    setChecked(true);
    const found = rangeProblems(fromInput, toInput);
    const first = (['from', 'to'] as const).find((field) => found[field]);
    if (first) {
      formRef.current?.querySelector<HTMLInputElement>(`#report-${first}`)?.focus();
      return;
    }
    const next = href.reports({ from: fromInput, to: toInput, store: storeInput || undefined });
    // The same report again is read again; another one is read when the route changes.
    if (location.hash === next) setAttempt((n) => n + 1);
    else navigate(next);
  };

  // Coordinators and admins choose among every store; a store role with several stores among its own.
  const storeChoices = all ? (stores ?? []) : session.claims.stores;
  const choosesStore = all || storeChoices.length > 1;
  const scopeStore = report?.storeId ?? (storeChoices.length === 1 && !all ? storeChoices[0] : undefined);
  const fileOf = (table: string) =>
    csvFileName(['omnia', table, report?.storeId ?? (all ? 'all-stores' : scopeStore), asked.from, asked.to]);
  const storeCell = (storeId: string | null) => storeId ?? rt('reports.total');
  const money = (value: string) => <Money value={value} exact={exact} />;
  const seconds = (value: number | null) => (value === null ? t('common.none') : age(i18n, value));
  const dayCell = (day: string) => <span title={day}>{shortDay(day, i18n.lang)}</span>;

  return (
    <section class="screen reports" aria-labelledby="reports-title" data-testid="reports" data-state={report ? 'ready' : 'loading'}>
      <div class="screen-head">
        <h1 id="reports-title">{rt('reports.title')}</h1>
      </div>
      <p class="screen-sub">{rt('reports.intro')}</p>

      <form ref={formRef} class="panel inline-form" aria-label={rt('reports.filters')} onSubmit={show} noValidate>
        <DayField
          id="report-from"
          label={rt('reports.from')}
          value={fromInput}
          problem={problemText('from')}
          hintId="report-range-hint"
          onInput={setFromInput}
        />
        <DayField
          id="report-to"
          label={rt('reports.to')}
          value={toInput}
          problem={problemText('to')}
          hintId="report-range-hint"
          onInput={setToInput}
        />
        {choosesStore ? (
          <div class="field">
            <label for="report-store">{rt('reports.store')}</label>
            <select id="report-store" data-testid="report-store" value={storeInput} onChange={(e) => setStoreInput(e.currentTarget.value)}>
              <option value="">{all ? rt('reports.allStores') : rt('reports.allMyStores')}</option>
              {[...new Set([...(storeInput ? [storeInput] : []), ...storeChoices])].map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <button type="submit" class="button button-primary" data-testid="report-show">
          {rt('reports.show')}
        </button>
        <button
          type="button"
          class="button"
          data-testid="report-last-week"
          onClick={() => {
            const week = defaultRange(Date.now());
            setFromInput(week.from);
            setToInput(week.to);
            setChecked(false);
            navigate(href.reports({ ...week, store: storeInput || undefined }));
          }}
        >
          {rt('reports.lastWeek')}
        </button>
        <p id="report-range-hint" class="field-hint">
          {rt('reports.rangeHint', { max: MAX_REPORT_DAYS })}
        </p>
      </form>

      {error !== undefined && <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      {report === undefined && error === undefined && <Loading label={rt('reports.loading')} />}
      {report && (
        <>
          <div class="panel-head">
            <InfoNotice>
              <p data-testid="report-scope">
                {scopeStore
                  ? rt('reports.scope.store', {
                      store: scopeStore,
                      from: shortDay(report.from, i18n.lang),
                      to: shortDay(report.to, i18n.lang),
                      zone: report.timeZone,
                    })
                  : rt('reports.scope.all', {
                      from: shortDay(report.from, i18n.lang),
                      to: shortDay(report.to, i18n.lang),
                      zone: report.timeZone,
                    })}
              </p>
            </InfoNotice>
            <label class="toggle">
              <input type="checkbox" data-testid="report-exact" checked={exact} onChange={(e) => setExact(e.currentTarget.checked)} />
              {rt('reports.exact')}
            </label>
          </div>
          <ReportTable<Row<OrdersDayRow>>
            id="orders"
            title={rt('reports.orders.title')}
            hint={rt('reports.orders.hint')}
            {...withTotals(report.ordersPerDay)}
            rowKey={(row) => `${row.day} ${row.storeId ?? '*'}`}
            fileName={fileOf('orders-per-day')}
            columns={[
              { label: rt('reports.col.day'), cell: (row) => dayCell(row.day), csv: (row) => row.day },
              { label: rt('reports.col.store'), cell: (row) => storeCell(row.storeId), csv: (row) => storeCell(row.storeId) },
              { label: rt('reports.col.orders'), num: true, cell: (row) => row.orders, csv: (row) => row.orders },
              { label: rt('reports.col.cancelled'), num: true, cell: (row) => row.cancelled, csv: (row) => row.cancelled },
              { label: rt('reports.col.delivered'), num: true, cell: (row) => row.delivered, csv: (row) => row.delivered },
              { label: rt('reports.col.value'), num: true, cell: (row) => money(row.orderValue), csv: (row) => row.orderValue },
            ]}
          />
          <ReportTable<Row<CancellationRow>>
            id="cancellations"
            title={rt('reports.cancellations.title')}
            hint={rt('reports.cancellations.hint')}
            {...withTotals(report.cancellations)}
            rowKey={(row) => `${row.storeId ?? '*'} ${row.reason ?? ''}`}
            fileName={fileOf('cancellations')}
            columns={[
              { label: rt('reports.col.store'), cell: (row) => storeCell(row.storeId), csv: (row) => storeCell(row.storeId) },
              {
                label: rt('reports.col.reason'),
                cell: (row) => reasonText(i18n, words, row.reason),
                csv: (row) => reasonText(i18n, words, row.reason),
              },
              { label: rt('reports.col.cancellations'), num: true, cell: (row) => row.cancellations, csv: (row) => row.cancellations },
              { label: rt('reports.col.value'), num: true, cell: (row) => money(row.orderValue), csv: (row) => row.orderValue },
            ]}
          />
          <ReportTable<Row<StatusTimeRow>>
            id="status"
            title={rt('reports.status.title')}
            hint={rt('reports.status.hint')}
            {...withTotals(report.timeInStatus)}
            rowKey={(row) => `${row.status} ${row.storeId ?? '*'}`}
            fileName={fileOf('time-in-status')}
            columns={[
              {
                label: rt('reports.col.status'),
                cell: (row) => statusLabel(i18n, row.status),
                csv: (row) => statusLabel(i18n, row.status),
              },
              { label: rt('reports.col.statusCode'), num: true, cell: (row) => row.status, csv: (row) => row.status },
              { label: rt('reports.col.store'), cell: (row) => storeCell(row.storeId), csv: (row) => storeCell(row.storeId) },
              { label: rt('reports.col.stays'), num: true, cell: (row) => row.stays, csv: (row) => row.stays },
              { label: rt('reports.col.completed'), num: true, cell: (row) => row.completed, csv: (row) => row.completed },
              ...(
                [
                  ['reports.col.avg', 'avgSeconds'],
                  ['reports.col.p50', 'p50Seconds'],
                  ['reports.col.p95', 'p95Seconds'],
                  ['reports.col.max', 'maxSeconds'],
                ] as const
              ).map(([key, field]): ReportColumn<Row<StatusTimeRow>> => ({
                label: rt(key),
                csvLabel: rt('reports.col.inSeconds', { label: rt(key) }),
                num: true,
                cell: (row) => seconds(row[field]),
                csv: (row) => row[field],
              })),
            ]}
          />
          <ReportTable<Row<CodDayRow>>
            id="cod"
            title={rt('reports.cod.title')}
            hint={rt('reports.cod.hint')}
            {...withTotals(report.cod)}
            rowKey={(row) => `${row.day} ${row.storeId ?? '*'}`}
            fileName={fileOf('cod')}
            columns={[
              { label: rt('reports.col.day'), cell: (row) => dayCell(row.day), csv: (row) => row.day },
              { label: rt('reports.col.store'), cell: (row) => storeCell(row.storeId), csv: (row) => storeCell(row.storeId) },
              {
                label: rt('reports.col.deliveredOrders'),
                num: true,
                cell: (row) => row.deliveredOrders,
                csv: (row) => row.deliveredOrders,
              },
              { label: rt('reports.col.expected'), num: true, cell: (row) => money(row.expected), csv: (row) => row.expected },
              {
                label: rt('reports.col.collectedOrders'),
                num: true,
                cell: (row) => row.collectedOrders,
                csv: (row) => row.collectedOrders,
              },
              { label: rt('reports.col.collected'), num: true, cell: (row) => money(row.collected), csv: (row) => row.collected },
              { label: rt('reports.col.difference'), num: true, cell: (row) => money(row.difference), csv: (row) => row.difference },
              { label: rt('reports.col.missing'), num: true, cell: (row) => row.missingOrders, csv: (row) => row.missingOrders },
            ]}
          />
          <ReportTable<Row<BundleSalesRow>>
            id="bundles"
            title={rt('reports.bundles.title')}
            hint={rt('reports.bundles.hint')}
            {...withTotals(report.bundleSales)}
            rowKey={(row) => `${row.day} ${row.bundleId} ${row.storeId ?? '*'}`}
            fileName={fileOf('bundle-sales')}
            columns={[
              { label: rt('reports.col.day'), cell: (row) => dayCell(row.day), csv: (row) => row.day },
              {
                label: rt('reports.col.bundle'),
                cell: (row) => <a href={href.bundle(row.bundleId)}>{row.bundleId}</a>,
                csv: (row) => row.bundleId,
              },
              { label: rt('reports.col.store'), cell: (row) => storeCell(row.storeId), csv: (row) => storeCell(row.storeId) },
              { label: rt('reports.col.groups'), num: true, cell: (row) => row.groups, csv: (row) => row.groups },
              { label: rt('reports.col.orders'), num: true, cell: (row) => row.orders, csv: (row) => row.orders },
              { label: rt('reports.col.units'), num: true, cell: (row) => row.units, csv: (row) => row.units },
              { label: rt('reports.col.list'), num: true, cell: (row) => money(row.listAmount), csv: (row) => row.listAmount },
              { label: rt('reports.col.discount'), num: true, cell: (row) => money(row.discount), csv: (row) => row.discount },
              { label: rt('reports.col.net'), num: true, cell: (row) => money(row.netAmount), csv: (row) => row.netAmount },
            ]}
          />
        </>
      )}
    </section>
  );
}
