/**
 * One bundle's sales (GET /bundles/:bundleId/sales): per store and business day, the sets sold, orders, units,
 * list amount, discount and net, and the total; the last 7 days unless other days are chosen; CSV as on the
 * reports screen.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { BundleSalesAnswer, BundleSalesRow } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useI18n } from '../i18n.js';
import { csvFileName, type DayRange, defaultRange, MAX_REPORT_DAYS, rangeProblems, shortDay } from '../logic/reports.js';
import { useReportI18n } from '../reports-i18n.js';
import { DayField } from './day-field.js';
import { Money } from './money.js';
import { ErrorNotice, Loading } from './notice.js';
import { ReportTable } from './report-table.js';

/** A row, or the total (no store, no day). */
type SalesRow = Omit<BundleSalesRow, 'bundleId' | 'storeId' | 'day'> & { storeId: string | null; day: string | null };

export function BundleSales({ bundleId }: { bundleId: string }) {
  const { api } = useApp();
  const i18n = useI18n();
  const { t: rt } = useReportI18n();
  const initial = useMemo(() => defaultRange(Date.now()), []);
  const [fromInput, setFromInput] = useState(initial.from);
  const [toInput, setToInput] = useState(initial.to);
  const [asked, setAsked] = useState<DayRange>(initial);
  const [checked, setChecked] = useState(false);
  const [sales, setSales] = useState<BundleSalesAnswer>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [exact, setExact] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    setSales(undefined);
    setError(undefined);
    api
      .get<BundleSalesAnswer>(`/bundles/${encodeURIComponent(bundleId)}/sales`, { from: asked.from, to: asked.to }, controller.signal)
      .then(setSales)
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      });
    return () => controller.abort();
  }, [api, bundleId, asked, attempt]);

  const problems = checked ? rangeProblems(fromInput, toInput) : {};
  const problemText = (field: keyof DayRange) => {
    const problem = problems[field];
    return problem ? rt(`reports.problem.${problem}`, { max: MAX_REPORT_DAYS }) : undefined;
  };
  const rows: SalesRow[] = sales?.rows ?? [];
  const footer: SalesRow[] = sales && rows.length > 0 ? [{ ...sales.totals, storeId: null, day: null }] : [];
  const money = (value: string) => <Money value={value} exact={exact} />;

  const form = (
    <form
      class="inline-form"
      aria-label={rt('bundleSales.range')}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        setChecked(true);
        if (Object.keys(rangeProblems(fromInput, toInput)).length > 0) return;
        setAsked({ from: fromInput, to: toInput });
        setAttempt((n) => n + 1);
      }}
    >
      <DayField
        id="sales-from"
        label={rt('reports.from')}
        value={fromInput}
        problem={problemText('from')}
        hintId="sales-range-hint"
        onInput={setFromInput}
      />
      <DayField
        id="sales-to"
        label={rt('reports.to')}
        value={toInput}
        problem={problemText('to')}
        hintId="sales-range-hint"
        onInput={setToInput}
      />
      <button type="submit" class="button button-primary" data-testid="sales-show">
        {rt('reports.show')}
      </button>
      <label class="toggle">
        <input type="checkbox" checked={exact} onChange={(e) => setExact(e.currentTarget.checked)} />
        {rt('reports.exact')}
      </label>
      <p id="sales-range-hint" class="field-hint">
        {rt('reports.rangeHint', { max: MAX_REPORT_DAYS })}
      </p>
      {error !== undefined && <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      {sales === undefined && error === undefined && <Loading label={rt('reports.loading')} />}
    </form>
  );

  return (
    <div class="bundle-sales" data-testid="bundle-sales" data-state={sales ? 'ready' : 'loading'}>
      <ReportTable<SalesRow>
        id="bundle-sales"
        title={rt('bundleSales.title')}
        hint={rt('bundleSales.hint')}
        controls={form}
        ready={sales !== undefined}
        rows={rows}
        footer={footer}
        rowKey={(row) => `${row.day ?? '*'} ${row.storeId ?? '*'}`}
        fileName={csvFileName(['omnia', 'bundle', bundleId, 'sales', asked.from, asked.to])}
        columns={[
          {
            label: rt('reports.col.day'),
            cell: (row) => (row.day === null ? rt('bundleSales.total') : <span title={row.day}>{shortDay(row.day, i18n.lang)}</span>),
            csv: (row) => row.day ?? rt('bundleSales.total'),
          },
          { label: rt('reports.col.store'), cell: (row) => row.storeId ?? '', csv: (row) => row.storeId },
          { label: rt('reports.col.groups'), num: true, cell: (row) => row.groups, csv: (row) => row.groups },
          { label: rt('reports.col.orders'), num: true, cell: (row) => row.orders, csv: (row) => row.orders },
          { label: rt('reports.col.units'), num: true, cell: (row) => row.units, csv: (row) => row.units },
          { label: rt('reports.col.list'), num: true, cell: (row) => money(row.listAmount), csv: (row) => row.listAmount },
          { label: rt('reports.col.discount'), num: true, cell: (row) => money(row.discount), csv: (row) => row.discount },
          { label: rt('reports.col.net'), num: true, cell: (row) => money(row.netAmount), csv: (row) => row.netAmount },
        ]}
      />
    </div>
  );
}
