/**
 * Bundle promotions. The list (GET /bundles?store=&active=) shows every bundle the role may see, with its items,
 * pricing, stores, active window, state and any problem that makes the pipeline ignore it; bundle managers and
 * admins also activate and deactivate (POST /bundles/:id/activate|deactivate) and open the form. The form creates
 * (POST /bundles) or replaces (PUT /bundles/:id) a definition, next to a live price preview of a basket with the
 * draft. Other roles see the same form read-only, and can still try baskets in the preview. A saved bundle's form
 * also shows its sales per store and day (components/bundle-sales.tsx). Each item field searches the catalog by
 * name or number as it is typed in (components/item-search.tsx, GET /catalog/items).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { BundleAccepted, BundleAnswer, BundleList, BundleView } from '../api-types.js';
import { useApp } from '../app-context.js';
import { BundlePreview } from '../components/bundle-preview.js';
import { BundleSales } from '../components/bundle-sales.js';
import { ItemSearch } from '../components/item-search.js';
import { Icon, type IconName } from '../components/icon.js';
import { Money } from '../components/money.js';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.js';
import { dateTime } from '../format.js';
import { type BundleI18n, useBundleI18n } from '../bundles-i18n.js';
import { type I18n, useI18n } from '../i18n.js';
import {
  bundleRequest,
  type BundleForm,
  emptyForm,
  formFieldOf,
  formOf,
  MAX_COMPONENTS,
  PRICING_FIELD,
  PRICING_TYPES,
  type PricingType,
  type Problem,
  saveBody,
} from '../logic/bundles.js';
import { IdempotencyKeys, uuid } from '../logic/cancel.js';
import { canWriteBundles } from '../logic/claims.js';
import { href, navigate } from '../router.js';

/** What the list says once it opens after a save (set by the form just before it returns to the list). */
let flash: string | undefined;

const offsetAt = (localTime: string): number => -new Date(localTime).getTimezoneOffset();
const offsetOfInstant = (ms: number): number => -new Date(ms).getTimezoneOffset();

const STATUS_TONE: Readonly<Record<BundleView['status'], { tone: string; icon: IconName }>> = {
  ACTIVE: { tone: 'done', icon: 'check' },
  SCHEDULED: { tone: 'waiting', icon: 'clock' },
  INACTIVE: { tone: 'cancelled', icon: 'cross' },
};

function windowText(i18n: I18n, words: BundleI18n, view: Pick<BundleView, 'activeFrom' | 'activeTo'>): string {
  const { activeFrom: from, activeTo: to } = view;
  if (!from && !to) return words.t('bundles.window.always');
  if (from && !to) return words.t('bundles.window.from', { from: dateTime(i18n, from) });
  if (!from && to) return words.t('bundles.window.until', { to: dateTime(i18n, to) });
  return words.t('bundles.window.range', { from: dateTime(i18n, from), to: dateTime(i18n, to) });
}

// ------------------------------------------------------------------------------------------------ the list

export function BundlesScreen({ query }: { query: URLSearchParams }) {
  const { api, session, stores, announce } = useApp();
  const { t } = useI18n();
  const { t: bt, tn: btn } = useBundleI18n();
  const writer = canWriteBundles(session.claims);
  const queryKey = query.toString();
  const store = query.get('store') ?? '';
  const active = query.get('active') ?? '';
  const [storeInput, setStoreInput] = useState(store);
  const [activeInput, setActiveInput] = useState(active);
  const [bundles, setBundles] = useState<BundleView[]>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [message, setMessage] = useState<string | undefined>(() => {
    const text = flash;
    flash = undefined;
    return text;
  });
  const [actionError, setActionError] = useState<{ id: string; error: unknown }>();
  const [busy, setBusy] = useState<string>();
  const keys = useRef(new IdempotencyKeys(() => uuid(crypto)));

  useEffect(() => {
    document.title = `${bt('bundles.title')} – ${t('app.name')}`;
  }, [t]);
  useEffect(() => {
    setStoreInput(store);
    setActiveInput(active);
  }, [queryKey]);

  useEffect(() => {
    const controller = new AbortController();
    setError(undefined);
    api
      .get<BundleList>('/bundles', { store: store.trim() || undefined, active: active || undefined }, controller.signal)
      .then((answer) => setBundles(answer.bundles))
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      });
    return () => controller.abort();
  }, [api, queryKey, attempt]);

  // A save or a switch reaches the bundle table within moments on Kafka: read the list again a little later too.
  useEffect(() => {
    if (!message) return;
    const timer = setTimeout(() => setAttempt((n) => n + 1), 1_500);
    return () => clearTimeout(timer);
  }, [message]);

  const switchBundle = async (view: BundleView, action: 'activate' | 'deactivate') => {
    if (busy) return;
    setBusy(view.bundleId);
    setActionError(undefined);
    setMessage(undefined);
    const intent = { action, bundleId: view.bundleId };
    try {
      await api.post<BundleAccepted>(`/bundles/${encodeURIComponent(view.bundleId)}/${action}`, undefined, {
        'idempotency-key': keys.current.keyFor(intent),
      });
      keys.current.reset();
      const text = bt(action === 'activate' ? 'bundles.activated' : 'bundles.deactivated', { id: view.bundleId });
      setMessage(text);
      announce(text);
      setAttempt((n) => n + 1);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status >= 400 && failure.status < 500) keys.current.reset();
      setActionError({ id: view.bundleId, error: failure });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section class="screen bundles" aria-labelledby="bundles-title" data-testid="bundles">
      <div class="screen-head">
        <h1 id="bundles-title">{bt('bundles.title')}</h1>
        {writer && (
          <a class="button button-primary" href={href.bundle()} data-testid="bundle-new">
            {bt('bundles.new')}
          </a>
        )}
      </div>
      <p class="screen-sub">{bt('bundles.intro')}</p>
      {!writer && <p class="detail-note">{bt('bundles.readOnly')}</p>}

      <form
        class="panel inline-form"
        aria-label={bt('bundles.filters')}
        onSubmit={(event) => {
          event.preventDefault();
          navigate(href.bundles({ store: storeInput.trim() || undefined, active: activeInput || undefined }));
          setAttempt((n) => n + 1);
        }}
      >
        <div class="field">
          <label for="bundles-active">{bt('bundles.filter.active')}</label>
          <select
            id="bundles-active"
            data-testid="bundles-active"
            value={activeInput}
            onChange={(e) => setActiveInput(e.currentTarget.value)}
          >
            <option value="">{bt('bundles.filter.all')}</option>
            <option value="true">{bt('bundles.filter.activeOnly')}</option>
            <option value="false">{bt('bundles.filter.inactiveOnly')}</option>
          </select>
        </div>
        <div class="field">
          <label for="bundles-store">{bt('bundles.filter.store')}</label>
          <input
            id="bundles-store"
            data-testid="bundles-store"
            type="text"
            autoComplete="off"
            list={stores && stores.length > 0 ? 'bundles-stores' : undefined}
            value={storeInput}
            aria-describedby="bundles-store-hint"
            onInput={(e) => setStoreInput(e.currentTarget.value)}
          />
          {stores && stores.length > 0 && (
            <datalist id="bundles-stores">
              {stores.map((id) => (
                <option key={id} value={id} />
              ))}
            </datalist>
          )}
          <p id="bundles-store-hint" class="field-hint">
            {bt('bundles.filter.storeHint')}
          </p>
        </div>
        <button type="submit" class="button button-primary">
          {bt('bundles.filter.apply')}
        </button>
      </form>

      {message && (
        <InfoNotice tone="success">
          <p data-testid="bundles-message">{message}</p>
        </InfoNotice>
      )}
      {actionError && (
        <ErrorNotice error={actionError.error} testId="bundle-error" lead={bt('bundles.actionFailed', { id: actionError.id })} />
      )}
      {error !== undefined && <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      {bundles === undefined && error === undefined && <Loading label={bt('bundles.loading')} />}
      {bundles && bundles.length === 0 && <InfoNotice>{bt('bundles.none')}</InfoNotice>}
      {bundles && bundles.length > 0 && (
        <>
          <p class="results-count">{btn('bundles.count', bundles.length)}</p>
          <div class="table-wrap">
            <table class="results-table bundle-table">
              <thead>
                <tr>
                  <th scope="col">{bt('bundles.col.id')}</th>
                  <th scope="col">{bt('bundles.col.items')}</th>
                  <th scope="col">{bt('bundles.col.pricing')}</th>
                  <th scope="col">{bt('bundles.col.scope')}</th>
                  <th scope="col">{bt('bundles.col.window')}</th>
                  <th scope="col">{bt('bundles.col.state')}</th>
                  <th scope="col" class="num">
                    {bt('bundles.col.priority')}
                  </th>
                  <th scope="col">{bt('bundles.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {bundles.map((view) => (
                  <BundleRow
                    key={view.bundleId}
                    view={view}
                    writer={writer}
                    busy={busy === view.bundleId}
                    onSwitch={(action) => void switchBundle(view, action)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function BundleRow({
  view,
  writer,
  busy,
  onSwitch,
}: {
  view: BundleView;
  writer: boolean;
  busy: boolean;
  onSwitch(action: 'activate' | 'deactivate'): void;
}) {
  const i18n = useI18n();
  const words = useBundleI18n();
  const bt = words.t;
  const state = view.problem ? { tone: 'attention', icon: 'warning' as IconName } : STATUS_TONE[view.status];
  const id = view.bundleId;
  return (
    <tr data-testid={`bundle-row-${id}`} data-status={view.status} data-active={String(view.active)}>
      <th scope="row">
        <span class="bundle-id">{id}</span>
      </th>
      <td>
        <ul class="plain-list">
          {view.components.map((component) => (
            <li key={component.itemId}>{bt('bundles.component', { quantity: component.quantity, item: component.itemId })}</li>
          ))}
        </ul>
      </td>
      <td>
        <PricingCell view={view} />
      </td>
      <td>{view.locations.length === 0 ? bt('bundles.allStores') : view.locations.join(', ')}</td>
      <td>{windowText(i18n, words, view)}</td>
      <td>
        <span class={`tone-tag tone-${state.tone}`}>
          <Icon name={state.icon} />
          {bt(`bundles.status.${view.status}`)}
        </span>
        {view.status === 'ACTIVE' && !view.active && !view.problem && <span class="line-meta">{bt('bundles.notHere')}</span>}
        {view.problem && (
          <span class="line-meta bundle-problem" data-testid={`bundle-problem-${id}`}>
            {bt('bundles.problem', { problem: view.problem })}
          </span>
        )}
      </td>
      <td class="num">{view.priority}</td>
      <td>
        <div class="row-actions">
          <a class="button" href={href.bundle(id)} aria-label={bt(writer ? 'bundles.editLabel' : 'bundles.viewLabel', { id })}>
            {bt(writer ? 'bundles.edit' : 'bundles.view')}
          </a>
          {writer && view.status !== 'ACTIVE' && !view.problem && (
            <button
              type="button"
              class="button"
              data-testid={`bundle-activate-${id}`}
              aria-label={bt('bundles.activateLabel', { id })}
              disabled={busy}
              onClick={() => onSwitch('activate')}
            >
              {bt('bundles.activate')}
            </button>
          )}
          {writer && view.status !== 'INACTIVE' && (
            <button
              type="button"
              class="button"
              data-testid={`bundle-deactivate-${id}`}
              aria-label={bt('bundles.deactivateLabel', { id })}
              disabled={busy}
              onClick={() => onSwitch('deactivate')}
            >
              {bt('bundles.deactivate')}
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

function PricingCell({ view }: { view: BundleView }) {
  const { t: bt } = useBundleI18n();
  const { type } = view.pricing;
  const value = view.pricing[PRICING_FIELD[type]];
  return (
    <>
      <span class="line-name">{bt(`pricing.${type}`)}</span>
      {value !== null && (
        <span class="line-meta">
          {type === 'PERCENT_OFF' ? bt('pricing.PERCENT_OFF.value', { value }) : <PricedText type={type} value={value} />}
        </span>
      )}
    </>
  );
}

/** "฿55.00 for the set" with the amount as Money (its exact four in the tooltip). */
function PricedText({ type, value }: { type: Exclude<PricingType, 'PERCENT_OFF'>; value: string }) {
  const { t: bt } = useBundleI18n();
  const [before, after] = bt(`pricing.${type}.value`, { value: '\u0000' }).split('\u0000') as [string, string | undefined];
  return (
    <>
      {before}
      <Money value={value} />
      {after ?? ''}
    </>
  );
}

// ------------------------------------------------------------------------------------------------ the form

export function BundleScreen({ bundleId }: { bundleId: string | undefined }) {
  const { api, session, store } = useApp();
  const { t } = useI18n();
  const { t: bt, tn: btn } = useBundleI18n();
  const writer = canWriteBundles(session.claims);
  const mode: 'create' | 'edit' | 'view' = bundleId === undefined ? 'create' : writer ? 'edit' : 'view';
  const [form, setForm] = useState<BundleForm | undefined>(() => (bundleId === undefined ? emptyForm() : undefined));
  const [loadError, setLoadError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const keys = useRef(new IdempotencyKeys(() => uuid(crypto)));
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    const title =
      bundleId === undefined ? bt('bundleForm.titleNew') : bt(writer ? 'bundleForm.titleEdit' : 'bundleForm.titleView', { id: bundleId });
    document.title = `${title} – ${t('app.name')}`;
  }, [t, bundleId, writer]);

  useEffect(() => {
    if (bundleId === undefined) return;
    const controller = new AbortController();
    setLoadError(undefined);
    api
      .get<BundleAnswer>(`/bundles/${encodeURIComponent(bundleId)}`, undefined, controller.signal)
      .then((answer) => setForm(formOf(answer.bundle, offsetOfInstant)))
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setLoadError(failure);
      });
    return () => controller.abort();
  }, [api, bundleId, attempt]);

  const checked = useMemo(() => (form ? bundleRequest(form, offsetAt) : undefined), [form]);
  const forPreview = useMemo(() => (form ? bundleRequest(form, offsetAt, true) : undefined), [form]);
  const draft = forPreview && forPreview.problems.length === 0 ? forPreview.input : undefined;

  const serverFields = useMemo(() => {
    if (!(saveError instanceof ApiError) || saveError.code !== 'VALIDATION_FAILED') return new Set<string>();
    return new Set(saveError.fields.map(formFieldOf));
  }, [saveError]);

  const title =
    bundleId === undefined
      ? bt('bundleForm.titleNew')
      : bt(mode === 'edit' ? 'bundleForm.titleEdit' : 'bundleForm.titleView', { id: bundleId });

  if (!form) {
    return (
      <section class="screen" data-testid="bundle-screen" data-state={loadError ? 'error' : 'loading'}>
        <BackLink />
        <h1>{title}</h1>
        {loadError === undefined ? (
          <Loading label={bt('bundleForm.loading')} />
        ) : (
          <ErrorNotice error={loadError} onRetry={() => setAttempt((n) => n + 1)} />
        )}
      </section>
    );
  }

  const problems: Problem[] = submitted ? (checked?.problems ?? []) : [];
  const problemOf = (field: string) => problems.find((problem) => problem.field === field);
  const invalid = (field: string) => problemOf(field) !== undefined || serverFields.has(field);
  const update = (change: Partial<BundleForm>) => {
    setForm((current) => (current ? { ...current, ...change } : current));
    setSaveError(undefined);
  };
  const setComponent = (index: number, change: Partial<BundleForm['components'][number]>) =>
    setForm((current) =>
      current ? { ...current, components: current.components.map((row, i) => (i === index ? { ...row, ...change } : row)) } : current,
    );

  const save = async (event: Event) => {
    event.preventDefault();
    if (mode === 'view' || saving || !checked) return;
    setSubmitted(true);
    if (checked.problems.length > 0) {
      const first = checked.problems[0]!;
      formRef.current?.querySelector<HTMLElement>(`[data-field="${first.field}"]`)?.focus();
      return;
    }
    const body = saveBody(checked.input, mode);
    const id = checked.input.bundleId;
    setSaving(true);
    setSaveError(undefined);
    try {
      const key = keys.current.keyFor({ mode, id, body });
      if (mode === 'create') await api.post<BundleAccepted>('/bundles', body, { 'idempotency-key': key });
      else await api.put<BundleAccepted>(`/bundles/${encodeURIComponent(id)}`, body, { 'idempotency-key': key });
      keys.current.reset();
      flash = bt('bundles.saved', { id });
      navigate(href.bundles());
    } catch (failure) {
      if (failure instanceof ApiError && failure.status >= 400 && failure.status < 500) keys.current.reset();
      setSaveError(failure);
      setSaving(false);
    }
  };

  const problemText = (field: string) => {
    const problem = problemOf(field);
    return problem ? bt(`bundleProblem.${problem.key}`) : undefined;
  };
  const valueField = PRICING_FIELD[form.pricingType];
  const readOnly = mode === 'view';

  return (
    <section class="screen bundle-screen" aria-labelledby="bundle-title" data-testid="bundle-screen" data-state="ready">
      <BackLink />
      <div class="screen-head">
        <h1 id="bundle-title">{title}</h1>
      </div>
      {readOnly && <p class="detail-note">{bt('bundles.readOnly')}</p>}
      <div class="bundle-layout">
        <form ref={formRef} class="panel bundle-form" data-testid="bundle-form" onSubmit={save} noValidate aria-labelledby="bundle-title">
          <fieldset class="plain-fieldset" disabled={readOnly}>
            <legend class="sr-only">{bt('bundleForm.definition')}</legend>
            {submitted && problems.length > 0 && (
              <p class="notice notice-error" role="alert" data-testid="bundle-problems">
                {btn('bundleForm.fix', problems.length)}
              </p>
            )}
            <Field id="bundle-id" label={bt('bundleForm.id')} hint={bt('bundleForm.idHint')} problem={problemText('bundleId')}>
              <input
                id="bundle-id"
                data-field="bundleId"
                data-testid="bundle-id"
                type="text"
                autoComplete="off"
                maxLength={60}
                value={form.bundleId}
                readOnly={mode !== 'create'}
                required
                aria-invalid={invalid('bundleId')}
                aria-describedby={describedBy('bundle-id', problemText('bundleId'))}
                onInput={(e) => update({ bundleId: e.currentTarget.value })}
              />
            </Field>

            <fieldset class="subfieldset" data-testid="bundle-components">
              <legend class="field-label">{bt('bundleForm.items')}</legend>
              <p id="components-hint" class="field-hint">
                {bt('bundleForm.itemsHint')}
              </p>
              {problemOf('components') && (
                <p class="field-problem" data-field="components" tabIndex={-1}>
                  {problemText('components')}
                </p>
              )}
              <ol class="component-rows">
                {form.components.map((row, index) => {
                  const n = index + 1;
                  const itemProblem = problemText(`components.${index}.itemId`);
                  const qtyProblem = problemText(`components.${index}.quantity`);
                  return (
                    <li key={index} class="component-row">
                      <ItemSearch
                        id={`component-item-${index}`}
                        label={bt('bundleForm.itemId', { n })}
                        row={n}
                        dataField={`components.${index}.itemId`}
                        testId={`component-item-${index}`}
                        value={row.itemId}
                        readOnly={readOnly}
                        invalid={invalid(`components.${index}.itemId`)}
                        describedBy={itemProblem ? `components-hint component-problem-${index}` : 'components-hint'}
                        onValue={(itemId) => setComponent(index, { itemId })}
                      />
                      <div class="field field-narrow">
                        <label for={`component-qty-${index}`}>{bt('bundleForm.quantity', { n })}</label>
                        <input
                          id={`component-qty-${index}`}
                          data-field={`components.${index}.quantity`}
                          data-testid={`component-qty-${index}`}
                          type="text"
                          inputMode="numeric"
                          autoComplete="off"
                          value={row.quantity}
                          aria-invalid={invalid(`components.${index}.quantity`)}
                          aria-describedby={qtyProblem ? `component-problem-${index}` : undefined}
                          onInput={(e) => setComponent(index, { quantity: e.currentTarget.value })}
                        />
                      </div>
                      {!readOnly && (
                        <button
                          type="button"
                          class="button button-quiet row-remove"
                          aria-label={bt('bundleForm.removeItem', { n })}
                          disabled={form.components.length <= 1}
                          onClick={() => update({ components: form.components.filter((_, i) => i !== index) })}
                        >
                          <span aria-hidden="true">×</span>
                        </button>
                      )}
                      {(itemProblem || qtyProblem) && (
                        <p id={`component-problem-${index}`} class="field-problem basket-problem">
                          {[itemProblem, qtyProblem].filter(Boolean).join(' ')}
                        </p>
                      )}
                    </li>
                  );
                })}
              </ol>
              {!readOnly && (
                <div class="form-actions form-actions-start">
                  <button
                    type="button"
                    class="button"
                    data-testid="component-add"
                    disabled={form.components.length >= MAX_COMPONENTS}
                    onClick={() => update({ components: [...form.components, { itemId: '', quantity: '1' }] })}
                  >
                    {bt('bundleForm.addItem')}
                  </button>
                </div>
              )}
            </fieldset>

            <fieldset class="subfieldset">
              <legend class="field-label">{bt('bundleForm.pricing')}</legend>
              <div class="field-pair">
                <div class="field">
                  <label for="pricing-type">{bt('bundleForm.pricingType')}</label>
                  <select
                    id="pricing-type"
                    data-testid="pricing-type"
                    value={form.pricingType}
                    onChange={(e) => update({ pricingType: e.currentTarget.value as PricingType })}
                  >
                    {PRICING_TYPES.map((type) => (
                      <option key={type} value={type}>
                        {bt(`pricing.${type}`)}
                      </option>
                    ))}
                  </select>
                </div>
                <Field id="pricing-value" label={bt(`bundleForm.${valueField}`)} problem={problemText('pricing')}>
                  <input
                    id="pricing-value"
                    data-field="pricing"
                    data-testid="pricing-value"
                    type="text"
                    inputMode="decimal"
                    autoComplete="off"
                    value={form[valueField]}
                    aria-invalid={invalid('pricing')}
                    aria-describedby={problemText('pricing') ? 'pricing-value-problem' : undefined}
                    onInput={(e) => update({ [valueField]: e.currentTarget.value })}
                  />
                </Field>
              </div>
            </fieldset>

            <fieldset class="subfieldset">
              <legend class="field-label">{bt('bundleForm.window')}</legend>
              <p id="window-hint" class="field-hint">
                {bt('bundleForm.windowHint')}
              </p>
              <div class="field-pair">
                <Field id="active-from" label={bt('bundleForm.from')} problem={problemText('activeFrom')}>
                  <input
                    id="active-from"
                    data-field="activeFrom"
                    data-testid="active-from"
                    type="datetime-local"
                    value={form.activeFrom}
                    aria-invalid={invalid('activeFrom')}
                    aria-describedby={problemText('activeFrom') ? 'window-hint active-from-problem' : 'window-hint'}
                    onInput={(e) => update({ activeFrom: e.currentTarget.value })}
                  />
                </Field>
                <Field id="active-to" label={bt('bundleForm.to')} problem={problemText('activeTo')}>
                  <input
                    id="active-to"
                    data-field="activeTo"
                    data-testid="active-to"
                    type="datetime-local"
                    value={form.activeTo}
                    aria-invalid={invalid('activeTo')}
                    aria-describedby={problemText('activeTo') ? 'window-hint active-to-problem' : 'window-hint'}
                    onInput={(e) => update({ activeTo: e.currentTarget.value })}
                  />
                </Field>
              </div>
            </fieldset>

            <fieldset class="subfieldset">
              <legend class="field-label">{bt('bundleForm.scope')}</legend>
              <div class="choice-row">
                <label class="toggle">
                  <input
                    type="radio"
                    name="bundle-scope"
                    value="all"
                    data-testid="scope-all"
                    checked={form.scope === 'all'}
                    onChange={() => update({ scope: 'all' })}
                  />
                  {bt('bundleForm.scope.all')}
                </label>
                <label class="toggle">
                  <input
                    type="radio"
                    name="bundle-scope"
                    value="stores"
                    data-testid="scope-stores"
                    checked={form.scope === 'stores'}
                    onChange={() => update({ scope: 'stores' })}
                  />
                  {bt('bundleForm.scope.stores')}
                </label>
              </div>
              {form.scope === 'stores' && (
                <Field
                  id="locations"
                  label={bt('bundleForm.locations')}
                  hint={bt('bundleForm.locationsHint')}
                  problem={problemText('locations')}
                >
                  <input
                    id="locations"
                    data-field="locations"
                    data-testid="locations"
                    type="text"
                    autoComplete="off"
                    value={form.locations}
                    aria-invalid={invalid('locations')}
                    aria-describedby={describedBy('locations', problemText('locations'))}
                    onInput={(e) => update({ locations: e.currentTarget.value })}
                  />
                </Field>
              )}
            </fieldset>

            <Field id="priority" label={bt('bundleForm.priority')} hint={bt('bundleForm.priorityHint')} problem={problemText('priority')}>
              <input
                id="priority"
                data-field="priority"
                data-testid="priority"
                type="text"
                inputMode="numeric"
                autoComplete="off"
                value={form.priority}
                aria-invalid={invalid('priority')}
                aria-describedby={describedBy('priority', problemText('priority'))}
                onInput={(e) => update({ priority: e.currentTarget.value })}
              />
            </Field>
          </fieldset>

          {saveError !== undefined && <ErrorNotice error={saveError} testId="bundle-error" lead={bt('bundleForm.notSaved')} />}
          <div class="form-actions">
            <a class="button" href={href.bundles()}>
              {readOnly ? bt('bundleForm.back') : bt('bundleForm.cancel')}
            </a>
            {!readOnly && (
              <button type="submit" class="button button-primary" data-testid="bundle-save" disabled={saving} aria-busy={saving}>
                {saving ? bt('bundleForm.saving') : mode === 'create' ? bt('bundleForm.create') : bt('bundleForm.save')}
              </button>
            )}
          </div>
        </form>

        <BundlePreview
          draft={draft}
          components={form.components}
          defaultStore={store ?? (form.scope === 'stores' ? (form.locations.split(/[\s,]+/).find(Boolean) ?? '') : '')}
        />
      </div>
      {bundleId !== undefined && <BundleSales bundleId={bundleId} />}
    </section>
  );
}

const describedBy = (id: string, problem: string | undefined): string => (problem ? `${id}-hint ${id}-problem` : `${id}-hint`);

function Field({
  id,
  label,
  hint,
  problem,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  problem?: string | undefined;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p id={`${id}-hint`} class="field-hint">
          {hint}
        </p>
      )}
      {problem && (
        <p id={`${id}-problem`} class="field-problem">
          {problem}
        </p>
      )}
    </div>
  );
}

function BackLink() {
  const { t: bt } = useBundleI18n();
  return (
    <p class="crumbs">
      <a href={href.bundles()}>
        <Icon name="back" />
        {bt('bundleForm.back')}
      </a>
    </p>
  );
}
