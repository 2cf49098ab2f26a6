/**
 * "Cancel order" for one order (POST /orders/:id/cancel) or the board's selection (POST /orders/cancel): asks
 * why, sends it with an Idempotency-Key that stays the same while the request does (so a retry after a lost
 * answer cancels once), and says plainly when the service refuses.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { BulkCancelAnswer, BulkCancelResult, CancelAccepted } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useI18n } from '../i18n.js';
import {
  CANCEL_REASONS,
  type CancelReason,
  IdempotencyKeys,
  MAX_REASON_LENGTH,
  reasonText,
  splitBulkResults,
  uuid,
} from '../logic/cancel.js';
import { Dialog } from './dialog.js';
import { ErrorNotice } from './notice.js';

export interface CancelOutcome {
  accepted: string[];
  rejected: BulkCancelResult[];
}

interface Props {
  orderIds: readonly string[];
  onClose(): void;
  onDone(outcome: CancelOutcome): void;
  /** The last refusal, for the screen to keep showing once the dialog is closed. */
  onError?(error: unknown): void;
}

/** Refusals that another try will not change: the dialog offers only Close. */
const FINAL = new Set(['ORDER_LOCKED', 'ORDER_ALREADY_CANCELLED', 'ORDER_NOT_FOUND', 'FORBIDDEN', 'IDEMPOTENCY_KEY_REUSED']);

export function CancelDialog({ orderIds, onClose, onDone, onError }: Props) {
  const { api } = useApp();
  const { t, tn } = useI18n();
  const keys = useRef(new IdempotencyKeys(() => uuid(crypto)));
  const [choice, setChoice] = useState<CancelReason | ''>('');
  const [other, setOther] = useState('');
  const [problem, setProblem] = useState<'reason' | 'other' | undefined>();
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>();
  const selectRef = useRef<HTMLSelectElement>(null);
  const otherRef = useRef<HTMLTextAreaElement>(null);
  const bulk = orderIds.length > 1;
  const first = orderIds[0] ?? '';
  const final = error instanceof ApiError && FINAL.has(error.code);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending || final) return;
    const reason = reasonText(choice || undefined, other);
    if (!reason) {
      setProblem(choice === 'other' ? 'other' : 'reason');
      (choice === 'other' ? otherRef : selectRef).current?.focus();
      return;
    }
    setProblem(undefined);
    setError(undefined);
    setSending(true);
    try {
      if (bulk) {
        const body = { orderIds: [...orderIds], reason };
        const answer = await api.post<BulkCancelAnswer>('/orders/cancel', body, { 'idempotency-key': keys.current.keyFor(body) });
        keys.current.reset();
        onDone(splitBulkResults(answer.results));
      } else {
        const body = { reason };
        await api.post<CancelAccepted>(`/orders/${encodeURIComponent(first)}/cancel`, body, {
          'idempotency-key': keys.current.keyFor(body),
        });
        keys.current.reset();
        onDone({ accepted: [first], rejected: [] });
      }
    } catch (failure) {
      if (failure instanceof ApiError && FINAL.has(failure.code)) keys.current.reset();
      setError(failure);
      onError?.(failure);
      setSending(false);
    }
  };

  const title = bulk ? tn('bulk.title', orderIds.length) : t('cancel.title', { id: first });
  return (
    <Dialog title={title} onClose={onClose} busy={sending} testId="cancel-dialog">
      <form onSubmit={submit} noValidate>
        <p class="dialog-intro">{bulk ? t('cancel.introBulk', { ids: orderIds.join(', ') }) : t('cancel.intro')}</p>
        {!final && (
          <>
            <div class="field">
              <label for="cancel-reason">{t('cancel.reasonLegend')}</label>
              <select
                id="cancel-reason"
                ref={selectRef}
                data-testid="cancel-reason"
                value={choice}
                required
                aria-invalid={problem === 'reason'}
                aria-describedby={problem === 'reason' ? 'cancel-reason-problem' : undefined}
                onChange={(e) => {
                  setChoice(e.currentTarget.value as CancelReason | '');
                  setProblem(undefined);
                }}
              >
                <option value="" disabled>
                  {t('cancel.choose')}
                </option>
                {CANCEL_REASONS.map((reason) => (
                  <option key={reason} value={reason}>
                    {t(`cancel.reason.${reason}`)}
                  </option>
                ))}
              </select>
              {problem === 'reason' && (
                <p id="cancel-reason-problem" class="field-problem" role="alert">
                  {t('cancel.needReason')}
                </p>
              )}
            </div>
            {choice === 'other' && (
              <div class="field">
                <label for="cancel-reason-other">{t('cancel.otherLabel')}</label>
                <textarea
                  id="cancel-reason-other"
                  ref={otherRef}
                  data-testid="cancel-reason-other"
                  rows={3}
                  maxLength={MAX_REASON_LENGTH}
                  value={other}
                  aria-invalid={problem === 'other'}
                  aria-describedby={problem === 'other' ? 'cancel-other-hint cancel-other-problem' : 'cancel-other-hint'}
                  onInput={(e) => setOther(e.currentTarget.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && !e.shiftKey) {
                      e.preventDefault();
                      e.currentTarget.form?.requestSubmit();
                    }
                  }}
                />
                <p id="cancel-other-hint" class="field-hint">
                  {t('cancel.otherHint')} ({other.length}/{MAX_REASON_LENGTH})
                </p>
                {problem === 'other' && (
                  <p id="cancel-other-problem" class="field-problem" role="alert">
                    {t('cancel.needOther')}
                  </p>
                )}
              </div>
            )}
          </>
        )}
        {error !== undefined && <ErrorNotice error={error} testId="action-error" />}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={sending}>
            {final ? t('common.close') : bulk ? t('cancel.keepBulk') : t('cancel.keep')}
          </button>
          {!final && (
            <button type="submit" class="button button-danger" data-testid="confirm-cancel" disabled={sending} aria-busy={sending}>
              {sending ? t('cancel.sending') : bulk ? tn('cancel.confirmBulk', orderIds.length) : t('cancel.confirm')}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
