/**
 * One decision on an exception — acknowledge / resolve a COD exception, send again / park a release — with the note
 * that says why. Sent with an Idempotency-Key that stays the same while the request does (as the cancel dialog
 * does); each refusal is said plainly, and a final one leaves only Close.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { ExceptionActionAccepted } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useExceptionI18n } from '../exceptions-i18n.js';
import { IdempotencyKeys, uuid } from '../logic/cancel.js';
import { type Decision, decisionPath, FINAL_DECISION_CODES, MAX_NOTE_LENGTH, noteProblem } from '../logic/exceptions.js';
import { Dialog } from './dialog.js';
import { ErrorNotice } from './notice.js';

interface Props {
  orderId: string;
  decision: Decision;
  onClose(): void;
  onDone(answer: ExceptionActionAccepted): void;
}

export function DecisionDialog({ orderId, decision, onClose, onDone }: Props) {
  const { api } = useApp();
  const { t } = useExceptionI18n();
  const keys = useRef(new IdempotencyKeys(() => uuid(crypto)));
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<'empty' | 'tooLong'>();
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>();
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const final = error instanceof ApiError && FINAL_DECISION_CODES.includes(error.code);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending || final) return;
    const found = noteProblem(note);
    if (found) {
      setProblem(found);
      noteRef.current?.focus();
      return;
    }
    const body = { note: note.trim() };
    setError(undefined);
    setSending(true);
    try {
      const answer = await api.post<ExceptionActionAccepted>(decisionPath(orderId, decision), body, {
        'idempotency-key': keys.current.keyFor(body),
      });
      keys.current.reset();
      onDone(answer);
    } catch (failure) {
      if (failure instanceof ApiError && FINAL_DECISION_CODES.includes(failure.code)) keys.current.reset();
      setError(failure);
      setSending(false);
    }
  };

  return (
    <Dialog title={t(`decision.title.${decision}`, { id: orderId })} onClose={onClose} busy={sending} testId="decision-dialog">
      <form onSubmit={submit} noValidate>
        <p class="dialog-intro">{t(`decision.intro.${decision}`)}</p>
        {!final && (
          <div class="field">
            <label for="decision-note">{t('decision.note')}</label>
            <textarea
              id="decision-note"
              ref={noteRef}
              data-testid="decision-note"
              rows={3}
              value={note}
              required
              aria-invalid={problem !== undefined}
              aria-describedby={problem ? 'decision-note-hint decision-note-problem' : 'decision-note-hint'}
              onInput={(e) => {
                setNote(e.currentTarget.value);
                setProblem(undefined);
              }}
            />
            <p id="decision-note-hint" class="field-hint">
              {t('decision.noteHint')} ({note.trim().length}/{MAX_NOTE_LENGTH})
            </p>
            {problem && (
              <p id="decision-note-problem" class="field-problem" role="alert">
                {t(`decision.problem.${problem}`)}
              </p>
            )}
          </div>
        )}
        {error !== undefined && <ErrorNotice error={error} testId="decision-error" />}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={sending}>
            {t('decision.back')}
          </button>
          {!final && (
            <button type="submit" class="button button-primary" data-testid="decision-submit" disabled={sending} aria-busy={sending}>
              {sending ? t('decision.sending') : t(`decision.submit.${decision}`)}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
