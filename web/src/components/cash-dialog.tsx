/**
 * "Confirm cash collected" for one COD order (POST /orders/:id/cod/confirm): the amount taken (prefilled with the
 * order total), the receipt number and an optional note. Sent with an Idempotency-Key that stays the same while
 * the request does, as the cancel dialog does; each refusal is said plainly, and a final one leaves only Close.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { CashAccepted } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useI18n } from '../i18n.js';
import { IdempotencyKeys, uuid } from '../logic/cancel.js';
import { type CashProblems, cashPrefill, cashRequest, FINAL_CASH_CODES, MAX_NOTE_LENGTH, MAX_REFERENCE_LENGTH } from '../logic/cod.js';
import { amountProblem, formatBaht, roundDecimal } from '../logic/money.js';
import { Dialog } from './dialog.js';
import { ErrorNotice } from './notice.js';

interface Props {
  orderId: string;
  /** The order total (4 decimals), null when not priced. */
  orderTotal: string | null;
  onClose(): void;
  onDone(answer: CashAccepted): void;
}

export function CashDialog({ orderId, orderTotal, onClose, onDone }: Props) {
  const { api } = useApp();
  const { t } = useI18n();
  const keys = useRef(new IdempotencyKeys(() => uuid(crypto)));
  const [amount, setAmount] = useState(() => cashPrefill(orderTotal));
  const [reference, setReference] = useState('');
  const [note, setNote] = useState('');
  const [problems, setProblems] = useState<CashProblems>({});
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>();
  const amountRef = useRef<HTMLInputElement>(null);
  const referenceRef = useRef<HTMLInputElement>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const final = error instanceof ApiError && FINAL_CASH_CODES.includes(error.code);
  const differs =
    orderTotal !== null && amountProblem(amount, { positive: true, noLeadingZeros: true }) === undefined
      ? roundDecimal(amount.trim(), 4) !== roundDecimal(orderTotal, 4)
      : false;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending || final) return;
    const request = cashRequest({ amount, reference, note });
    if (!request.body) {
      setProblems(request.problems);
      const first = request.problems.amount ? amountRef : request.problems.reference ? referenceRef : noteRef;
      first.current?.focus();
      return;
    }
    setProblems({});
    setError(undefined);
    setSending(true);
    try {
      const answer = await api.post<CashAccepted>(`/orders/${encodeURIComponent(orderId)}/cod/confirm`, request.body, {
        'idempotency-key': keys.current.keyFor(request.body),
      });
      keys.current.reset();
      onDone(answer);
    } catch (failure) {
      if (failure instanceof ApiError && FINAL_CASH_CODES.includes(failure.code)) keys.current.reset();
      setError(failure);
      setSending(false);
    }
  };

  const described = (id: string, problem: unknown) => (problem ? `${id}-hint ${id}-problem` : `${id}-hint`);
  return (
    <Dialog title={t('cash.title', { id: orderId })} onClose={onClose} busy={sending} testId="cash-dialog">
      <form onSubmit={submit} noValidate>
        <p class="dialog-intro">{t('cash.intro')}</p>
        {orderTotal !== null && <p class="dialog-intro">{t('cash.total', { total: formatBaht(orderTotal) })}</p>}
        {!final && (
          <>
            <div class="field">
              <label for="cash-amount">{t('cash.amount')}</label>
              <input
                id="cash-amount"
                ref={amountRef}
                data-testid="cash-amount"
                type="text"
                inputMode="decimal"
                autoComplete="off"
                value={amount}
                required
                aria-invalid={problems.amount !== undefined}
                aria-describedby={described('cash-amount', problems.amount)}
                onInput={(e) => {
                  setAmount(e.currentTarget.value);
                  setProblems((current) => ({ ...current, amount: undefined }));
                }}
              />
              <p id="cash-amount-hint" class="field-hint">
                {t('cash.amountHint')}
                {differs && orderTotal !== null && (
                  <>
                    {' '}
                    <strong>{t('cash.differs', { total: formatBaht(orderTotal, true) })}</strong>
                  </>
                )}
              </p>
              {problems.amount && (
                <p id="cash-amount-problem" class="field-problem" role="alert">
                  {t(`cash.problem.amount.${problems.amount}`)}
                </p>
              )}
            </div>
            <div class="field">
              <label for="cash-reference">{t('cash.reference')}</label>
              <input
                id="cash-reference"
                ref={referenceRef}
                data-testid="cash-reference"
                type="text"
                autoComplete="off"
                maxLength={MAX_REFERENCE_LENGTH + 20}
                value={reference}
                required
                aria-invalid={problems.reference !== undefined}
                aria-describedby={described('cash-reference', problems.reference)}
                onInput={(e) => {
                  setReference(e.currentTarget.value);
                  setProblems((current) => ({ ...current, reference: undefined }));
                }}
              />
              <p id="cash-reference-hint" class="field-hint">
                {t('cash.referenceHint')}
              </p>
              {problems.reference && (
                <p id="cash-reference-problem" class="field-problem" role="alert">
                  {t(`cash.problem.reference.${problems.reference}`)}
                </p>
              )}
            </div>
            <div class="field">
              <label for="cash-note">{t('cash.note')}</label>
              <textarea
                id="cash-note"
                ref={noteRef}
                data-testid="cash-note"
                rows={2}
                value={note}
                aria-invalid={problems.note !== undefined}
                aria-describedby={described('cash-note', problems.note)}
                onInput={(e) => {
                  setNote(e.currentTarget.value);
                  setProblems((current) => ({ ...current, note: undefined }));
                }}
              />
              <p id="cash-note-hint" class="field-hint">
                {t('cash.noteHint')} ({note.trim().length}/{MAX_NOTE_LENGTH})
              </p>
              {problems.note && (
                <p id="cash-note-problem" class="field-problem" role="alert">
                  {t('cash.problem.note.tooLong')}
                </p>
              )}
            </div>
          </>
        )}
        {error !== undefined && <ErrorNotice error={error} testId="cash-error" />}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={sending}>
            {final ? t('common.close') : t('cash.back')}
          </button>
          {!final && (
            <button type="submit" class="button button-primary" data-testid="confirm-cash-submit" disabled={sending} aria-busy={sending}>
              {sending ? t('cash.sending') : t('cash.submit')}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
