/**
 * The live price preview of the bundle form: a small basket (item, quantity, unit price, a delivery fee) priced by
 * POST /bundles/preview with the draft being edited, a moment after the last change. It shows the lines, the
 * bundle instances formed and the totals (two decimals, the exact four on demand); the order total is read out
 * politely when it changes.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { BundleInput, PreviewView } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useBundleI18n } from '../bundles-i18n.js';
import { useI18n } from '../i18n.js';
import {
  type Basket,
  type BasketLine,
  basketOfComponents,
  type BasketProblem,
  type ComponentRow,
  emptyBasketLine,
  MAX_BASKET_LINES,
  previewRequest,
  requestKey,
} from '../logic/bundles.js';
import { formatBaht } from '../logic/money.js';
import { Money } from './money.js';
import { ErrorNotice, InfoNotice } from './notice.js';

const DEBOUNCE_MS = 400;

interface Props {
  /** The draft to price with, undefined when the form has problems (the stored bundles alone then). */
  draft: (BundleInput & { bundleId: string }) | undefined;
  /** The form's item rows, for "Fill with the bundle's items". */
  components: readonly ComponentRow[];
  /** The store to start with. */
  defaultStore: string;
}

const TOTAL_ROWS = ['subTotal', 'totalDiscount', 'totalTaxes', 'totalCharges'] as const;

export function BundlePreview({ draft, components, defaultStore }: Props) {
  const { api, stores } = useApp();
  const { t: bt } = useBundleI18n();
  const [basket, setBasket] = useState<Basket>(() => ({
    store: defaultStore,
    lines: basketOfComponents(components, []),
    deliveryFee: '',
  }));
  const [result, setResult] = useState<PreviewView>();
  const [error, setError] = useState<unknown>();
  const [pricing, setPricing] = useState(false);
  const [exact, setExact] = useState(false);
  const [summary, setSummary] = useState('');
  const lastKey = useRef<string>('');

  const request = previewRequest(basket, draft);
  const key = request.body ? requestKey(request.body) : '';
  const shownProblems = request.problems.filter((problem) => problem.key !== 'empty');
  const problemOf = (field: string): BasketProblem | undefined => shownProblems.find((problem) => problem.field === field);

  useEffect(() => {
    if (!request.body || key === lastKey.current) return;
    const body = request.body;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setPricing(true);
      api
        .post<PreviewView>('/bundles/preview', body, {}, controller.signal)
        .then((answer) => {
          lastKey.current = key;
          setResult(answer);
          setError(undefined);
          setSummary(bt('preview.summary', { total: formatBaht(answer.totals.orderTotal), n: instanceCount(answer) }));
        })
        .catch((failure: unknown) => {
          if (!controller.signal.aborted) setError(failure);
        })
        .finally(() => {
          if (!controller.signal.aborted) setPricing(false);
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [key, api]);

  const setLine = (index: number, change: Partial<BasketLine>) =>
    setBasket((current) => ({ ...current, lines: current.lines.map((line, i) => (i === index ? { ...line, ...change } : line)) }));
  const removeLine = (index: number) =>
    setBasket((current) => {
      const lines = current.lines.filter((_, i) => i !== index);
      return { ...current, lines: lines.length > 0 ? lines : [emptyBasketLine()] };
    });

  const invalid = (field: string) => problemOf(field) !== undefined;
  const problemText = (field: string) => {
    const problem = problemOf(field);
    return problem ? bt(`preview.problem.${problem.key}`) : undefined;
  };
  const stale = request.body === undefined || key !== lastKey.current;

  return (
    <section class="panel preview" aria-labelledby="preview-title" data-testid="bundle-preview">
      <h2 id="preview-title">{bt('preview.title')}</h2>
      <p class="field-hint">{bt('preview.intro')}</p>
      {draft === undefined && <p class="detail-note">{bt('preview.draftLeftOut')}</p>}

      <div class="field">
        <label for="preview-store">{bt('preview.store')}</label>
        <input
          id="preview-store"
          data-testid="preview-store"
          type="text"
          list={stores && stores.length > 0 ? 'preview-stores' : undefined}
          autoComplete="off"
          value={basket.store}
          aria-invalid={invalid('store')}
          aria-describedby={invalid('store') ? 'preview-store-problem' : undefined}
          onInput={(e) => {
            const store = e.currentTarget.value;
            setBasket((current) => ({ ...current, store }));
          }}
        />
        {stores && stores.length > 0 && (
          <datalist id="preview-stores">
            {stores.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        )}
        {invalid('store') && (
          <p id="preview-store-problem" class="field-problem">
            {problemText('store')}
          </p>
        )}
      </div>

      <fieldset class="basket" data-testid="preview-basket">
        <legend class="field-label">{bt('preview.basket')}</legend>
        <ol class="basket-lines">
          {basket.lines.map((line, index) => {
            const n = index + 1;
            const fields = ['itemId', 'quantity', 'unitPrice'] as const;
            const problems = fields.map((field) => problemText(`lines.${index}.${field}`)).filter(Boolean);
            return (
              <li key={index} class="basket-line">
                <div class="field">
                  <label for={`basket-item-${index}`}>{bt('preview.itemId', { n })}</label>
                  <input
                    id={`basket-item-${index}`}
                    data-testid={`basket-item-${index}`}
                    type="text"
                    autoComplete="off"
                    value={line.itemId}
                    aria-invalid={invalid(`lines.${index}.itemId`)}
                    aria-describedby={problems.length > 0 ? `basket-problem-${index}` : undefined}
                    onInput={(e) => setLine(index, { itemId: e.currentTarget.value })}
                  />
                </div>
                <div class="field field-narrow">
                  <label for={`basket-qty-${index}`}>{bt('preview.quantity', { n })}</label>
                  <input
                    id={`basket-qty-${index}`}
                    data-testid={`basket-qty-${index}`}
                    type="text"
                    inputMode="numeric"
                    autoComplete="off"
                    value={line.quantity}
                    aria-invalid={invalid(`lines.${index}.quantity`)}
                    aria-describedby={problems.length > 0 ? `basket-problem-${index}` : undefined}
                    onInput={(e) => setLine(index, { quantity: e.currentTarget.value })}
                  />
                </div>
                <div class="field field-narrow">
                  <label for={`basket-price-${index}`}>{bt('preview.unitPrice', { n })}</label>
                  <input
                    id={`basket-price-${index}`}
                    data-testid={`basket-price-${index}`}
                    type="text"
                    inputMode="decimal"
                    autoComplete="off"
                    value={line.unitPrice}
                    aria-invalid={invalid(`lines.${index}.unitPrice`)}
                    aria-describedby={problems.length > 0 ? `basket-problem-${index}` : undefined}
                    onInput={(e) => setLine(index, { unitPrice: e.currentTarget.value })}
                  />
                </div>
                <button
                  type="button"
                  class="button button-quiet row-remove"
                  aria-label={bt('preview.removeLine', { n })}
                  onClick={() => removeLine(index)}
                >
                  <span aria-hidden="true">×</span>
                </button>
                {problems.length > 0 && (
                  <p id={`basket-problem-${index}`} class="field-problem basket-problem">
                    {problems.join(' ')}
                  </p>
                )}
              </li>
            );
          })}
        </ol>
        <div class="form-actions form-actions-start">
          <button
            type="button"
            class="button"
            data-testid="basket-add"
            disabled={basket.lines.length >= MAX_BASKET_LINES}
            onClick={() => setBasket((current) => ({ ...current, lines: [...current.lines, emptyBasketLine()] }))}
          >
            {bt('preview.addLine')}
          </button>
          <button
            type="button"
            class="button"
            data-testid="basket-fill"
            onClick={() => setBasket((current) => ({ ...current, lines: basketOfComponents(components, current.lines) }))}
          >
            {bt('preview.fromBundle')}
          </button>
        </div>
        <div class="field field-narrow">
          <label for="basket-fee">{bt('preview.fee')}</label>
          <input
            id="basket-fee"
            data-testid="basket-fee"
            type="text"
            inputMode="decimal"
            autoComplete="off"
            value={basket.deliveryFee}
            aria-invalid={invalid('deliveryFee')}
            aria-describedby={invalid('deliveryFee') ? 'basket-fee-hint basket-fee-problem' : 'basket-fee-hint'}
            onInput={(e) => {
              const deliveryFee = e.currentTarget.value;
              setBasket((current) => ({ ...current, deliveryFee }));
            }}
          />
          <p id="basket-fee-hint" class="field-hint">
            {bt('preview.feeHint')}
          </p>
          {invalid('deliveryFee') && (
            <p id="basket-fee-problem" class="field-problem">
              {problemText('deliveryFee')}
            </p>
          )}
        </div>
      </fieldset>

      <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="preview-status">
        {summary}
      </p>
      {request.body === undefined && request.problems.some((problem) => problem.key === 'empty') && (
        <p class="empty">{bt('preview.waiting')}</p>
      )}
      {pricing && (
        <p class="loading" aria-hidden="true">
          <span class="spinner" />
          {bt('preview.pricing')}
        </p>
      )}
      {error !== undefined && <ErrorNotice error={error} testId="preview-error" lead={bt('preview.failed')} />}
      {result && <PreviewResult result={result} exact={exact} onExact={setExact} stale={stale} />}
    </section>
  );
}

const instanceCount = (result: PreviewView): number => result.bundles.reduce((n, run) => n + run.count, 0);

function PreviewResult({
  result,
  exact,
  onExact,
  stale,
}: {
  result: PreviewView;
  exact: boolean;
  onExact(exact: boolean): void;
  stale: boolean;
}) {
  const { t } = useI18n();
  const { t: bt } = useBundleI18n();
  return (
    <div class={`preview-result${stale ? ' preview-stale' : ''}`} data-testid="preview-result" data-stale={String(stale)}>
      <div class="panel-head">
        <h3>{bt('preview.lines')}</h3>
        <label class="toggle">
          <input type="checkbox" data-testid="preview-exact" checked={exact} onChange={(e) => onExact(e.currentTarget.checked)} />
          {bt('preview.exact')}
        </label>
      </div>
      <div class="table-wrap">
        <table class="results-table preview-lines">
          <thead>
            <tr>
              <th scope="col">{bt('preview.col.item')}</th>
              <th scope="col" class="num">
                {bt('preview.col.qty')}
              </th>
              <th scope="col" class="num">
                {bt('preview.col.unitPrice')}
              </th>
              <th scope="col" class="num">
                {bt('preview.col.amount')}
              </th>
              <th scope="col" class="num">
                {bt('preview.col.discount')}
              </th>
              <th scope="col">{bt('preview.col.bundle')}</th>
            </tr>
          </thead>
          <tbody>
            {result.lines.map((line) => (
              <tr key={line.lineId}>
                <th scope="row">{line.itemId}</th>
                <td class="num">{line.quantity}</td>
                <td class="num">
                  <Money value={line.unitPrice} exact={exact} />
                </td>
                <td class="num">
                  <Money value={line.lineAmount} exact={exact} />
                </td>
                <td class="num">
                  <Money value={line.lineDiscount} exact={exact} />
                </td>
                <td>{line.bundleGroupId ?? t('common.none')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>{bt('preview.instances')}</h3>
      {result.bundles.length === 0 ? (
        <p class="empty" data-testid="preview-instances" data-count="0">
          {bt('preview.noInstances')}
        </p>
      ) : (
        <ul class="instance-list" data-testid="preview-instances" data-count={String(instanceCount(result))}>
          {result.bundles.map((run) => (
            <li key={run.firstInstanceId} class="instance">
              <strong>{bt('preview.instance', { count: run.count, id: run.bundleId })}</strong>
              {run.draft && <span class="tone-tag tone-waiting">{bt('preview.draft')}</span>}
              <span class="line-meta">
                {bt('preview.worth', { value: formatBaht(run.listValue, exact), discount: formatBaht(run.discount, exact) })}
              </span>
            </li>
          ))}
        </ul>
      )}
      {result.notes.length > 0 && (
        <>
          <h3>{bt('preview.notes')}</h3>
          <ul class="preview-notes">
            {result.notes.map((note, index) => (
              <li key={index}>
                {note.bundleId}: {note.message}
              </li>
            ))}
          </ul>
        </>
      )}
      {!result.priced && (
        <InfoNotice>
          <p>{bt('preview.notPriced', { reason: result.errors.map((error) => error.code).join(', ') })}</p>
        </InfoNotice>
      )}

      <h3 class="sr-only">{bt('preview.totals')}</h3>
      <dl class="totals">
        {TOTAL_ROWS.map((field) => (
          <div key={field} class={`total-row total-${field}`}>
            <dt>{t(`totals.${field}`)}</dt>
            <dd>
              <Money value={result.totals[field]} exact={exact} />
            </dd>
          </div>
        ))}
        <div class="total-row total-orderTotal">
          <dt>{t('totals.orderTotal')}</dt>
          <dd data-testid="preview-total" data-exact={result.totals.orderTotal}>
            <Money value={result.totals.orderTotal} exact={exact} />
          </dd>
        </div>
      </dl>
    </div>
  );
}
