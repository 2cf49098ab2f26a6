/**
 * "Change order" (POST /orders/:id/modify) before the order goes to the warehouse: each line's quantity (0 removes
 * it), the delivery address, and the reason. The fields start as the order is: the quantities, and the address
 * when the order view has it (empty when it does not: answered from Postgres). Lines go back with their own tax
 * rates; without them (the same case) only the address can be changed. Sent with an Idempotency-Key that stays the
 * same while the request does, as the cancel dialog does; each refusal is said plainly, a refused change in words
 * of its own (modify-i18n.ts), and a final one leaves only Close. A store role's phone comes masked ("081****678"):
 * the field says so, and left as shown it keeps the order's number (the service puts it back).
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { OrderLineView } from '../api-types.js';
import { useApp } from '../app-context.js';
import { useI18n } from '../i18n.js';
import { IdempotencyKeys, uuid } from '../logic/cancel.js';
import {
  ADDRESS_LIMITS,
  type AddressForm,
  addressForm,
  type CurrentAddress,
  FINAL_MODIFY_CODES,
  isMaskedPhone,
  linesChangeable,
  MAX_MODIFY_REASON_LENGTH,
  type ModifyProblems,
  modifyRequest,
} from '../logic/modify.js';
import { modifyErrorKey, useModifyI18n } from '../modify-i18n.js';
import { useOffline } from '../offline.js';
import { Dialog } from './dialog.js';
import { Icon } from './icon.js';
import { ErrorNotice } from './notice.js';

interface Props {
  orderId: string;
  lines: readonly OrderLineView[];
  /** The order's current address; null or absent when the view does not have it. */
  address?: CurrentAddress | null;
  onClose(): void;
  onDone(): void;
}

const ADDRESS_FIELDS = ['line1', 'district', 'province', 'postalCode', 'phone'] as const;

/** The line problems without this line's (it is being edited); "no line left" and "nothing changed" go too. */
function withoutLine(quantities: ModifyProblems['quantities'], lineId: string): Pick<ModifyProblems, 'quantities'> {
  if (!quantities) return {};
  const rest = Object.fromEntries(Object.entries(quantities).filter(([id]) => id !== lineId));
  return Object.keys(rest).length > 0 ? { quantities: rest } : {};
}

export function ModifyDialog({ orderId, lines, address: currentAddress, onClose, onDone }: Props) {
  const { api } = useApp();
  const { t } = useI18n();
  const mt = useModifyI18n();
  const { offline } = useOffline();
  const keys = useRef(new IdempotencyKeys(() => uuid(crypto)));
  const [quantities, setQuantities] = useState<Record<string, string>>(() =>
    Object.fromEntries(lines.map((line) => [line.lineId, String(line.quantity)])),
  );
  // What the address fields started with: a change is what differs from it.
  const [initialAddress] = useState<AddressForm>(() => addressForm(currentAddress));
  const [address, setAddress] = useState<AddressForm>(initialAddress);
  const changeable = linesChangeable(lines);
  const phoneMasked = isMaskedPhone(currentAddress?.phone);
  const [reason, setReason] = useState('');
  const [problems, setProblems] = useState<ModifyProblems>({});
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>();
  const formRef = useRef<HTMLFormElement>(null);
  const final = error instanceof ApiError && FINAL_MODIFY_CODES.includes(error.code);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending || final || offline) return;
    const request = modifyRequest(lines, { quantities, address, reason }, initialAddress);
    if (!request.body) {
      setProblems(request.problems);
      // Focus the first field with a problem (or the form's first message).
      requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setProblems({});
    setError(undefined);
    setSending(true);
    try {
      await api.post(`/orders/${encodeURIComponent(orderId)}/modify`, request.body, {
        'idempotency-key': keys.current.keyFor(request.body),
      });
      keys.current.reset();
      onDone();
    } catch (failure) {
      if (failure instanceof ApiError && FINAL_MODIFY_CODES.includes(failure.code)) keys.current.reset();
      setError(failure);
      setSending(false);
    }
  };

  const described = (id: string, hint: boolean, problem: unknown) =>
    [hint ? `${id}-hint` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ') || undefined;
  const general = problems.noLines
    ? t('modify.problem.noLines')
    : problems.nothing
      ? t('modify.problem.nothing')
      : problems.taxRateUnknown
        ? mt('modify.taxUnknown')
        : undefined;
  const ownWords = error instanceof ApiError ? modifyErrorKey(error.code) : undefined;

  return (
    <Dialog title={t('modify.title', { id: orderId })} onClose={onClose} busy={sending} testId="modify-dialog">
      <form ref={formRef} onSubmit={submit} noValidate>
        <p class="dialog-intro">{t('modify.intro')}</p>
        {!final && (
          <>
            <fieldset class="field">
              <legend>{t('modify.lines')}</legend>
              <p id="modify-qty-hint" class="field-hint">
                {changeable ? t('modify.qtyHint') : mt('modify.taxUnknown')}
              </p>
              {lines.map((line) => {
                const id = `modify-qty-${line.lineId}`;
                const problem = problems.quantities?.[line.lineId];
                return (
                  <div class="field" key={line.lineId}>
                    <label for={id}>{t('modify.qty', { item: line.shortDescription ?? line.itemId })}</label>
                    <input
                      id={id}
                      data-testid={id}
                      type="text"
                      inputMode="numeric"
                      autoComplete="off"
                      size={6}
                      disabled={!changeable}
                      value={quantities[line.lineId] ?? ''}
                      aria-invalid={problem !== undefined || problems.noLines === true}
                      aria-describedby={['modify-qty-hint', problem ? `${id}-problem` : ''].filter(Boolean).join(' ')}
                      onInput={(e) => {
                        const value = e.currentTarget.value;
                        setQuantities((current) => ({ ...current, [line.lineId]: value }));
                        setProblems((current) => ({
                          ...withoutLine(current.quantities, line.lineId),
                          address: current.address,
                          reason: current.reason,
                        }));
                      }}
                    />
                    {problem && (
                      <p id={`${id}-problem`} class="field-problem" role="alert">
                        {t(`modify.problem.qty.${problem}`)}
                      </p>
                    )}
                  </div>
                );
              })}
            </fieldset>
            <fieldset class="field">
              <legend>{t('modify.address')}</legend>
              <p class="field-hint" data-testid="modify-address-hint">
                {mt(currentAddress ? 'modify.addressHint.current' : 'modify.addressHint.unknown')}
              </p>
              {ADDRESS_FIELDS.map((field) => {
                const id = field === 'postalCode' ? 'modify-postal-code' : `modify-${field}`;
                const problem = problems.address?.[field];
                const masked = field === 'phone' && phoneMasked;
                return (
                  <div class="field" key={field}>
                    <label for={id}>{t(`modify.${field}`)}</label>
                    <input
                      id={id}
                      data-testid={id}
                      type="text"
                      inputMode={field === 'postalCode' || field === 'phone' ? 'numeric' : undefined}
                      autoComplete="off"
                      maxLength={field === 'postalCode' ? 5 : ADDRESS_LIMITS[field] + 20}
                      value={address[field]}
                      aria-invalid={problem !== undefined}
                      aria-describedby={described(id, masked, problem)}
                      onInput={(e) => {
                        const value = e.currentTarget.value;
                        setAddress((current) => ({ ...current, [field]: value }));
                        setProblems((current) => ({ ...current, nothing: undefined, address: { ...current.address, [field]: undefined } }));
                      }}
                    />
                    {masked && (
                      <p id={`${id}-hint`} class="field-hint" data-testid="modify-phone-masked">
                        {mt('modify.phoneMasked')}
                      </p>
                    )}
                    {problem && (
                      <p id={`${id}-problem`} class="field-problem" role="alert">
                        {t(`modify.problem.address.${problem}`)}
                      </p>
                    )}
                  </div>
                );
              })}
            </fieldset>
            <div class="field">
              <label for="modify-reason">{t('modify.reason')}</label>
              <textarea
                id="modify-reason"
                data-testid="modify-reason"
                rows={2}
                required
                maxLength={MAX_MODIFY_REASON_LENGTH + 20}
                value={reason}
                aria-invalid={problems.reason !== undefined}
                aria-describedby={described('modify-reason', true, problems.reason)}
                onInput={(e) => {
                  setReason(e.currentTarget.value);
                  setProblems((current) => ({ ...current, reason: undefined }));
                }}
              />
              <p id="modify-reason-hint" class="field-hint">
                {t('modify.reasonHint')} ({reason.trim().length}/{MAX_MODIFY_REASON_LENGTH})
              </p>
              {problems.reason && (
                <p id="modify-reason-problem" class="field-problem" role="alert">
                  {t(`modify.problem.reason.${problems.reason}`)}
                </p>
              )}
            </div>
            {general && (
              <p class="field-problem" role="alert" data-testid="modify-problem">
                {general}
              </p>
            )}
          </>
        )}
        {error !== undefined &&
          (ownWords ? (
            <div class="notice notice-error" role="alert" data-testid="modify-error" data-code={(error as ApiError).code}>
              <span class="notice-icon">
                <Icon name="warning" />
              </span>
              <div class="notice-text">
                <p>{mt(ownWords)}</p>
              </div>
            </div>
          ) : (
            <ErrorNotice error={error} testId="modify-error" />
          ))}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={sending}>
            {final ? t('common.close') : t('modify.back')}
          </button>
          {!final && (
            <button
              type="submit"
              class="button button-primary"
              data-testid="modify-submit"
              disabled={sending || offline}
              aria-busy={sending}
            >
              {sending ? t('modify.sending') : t('modify.submit')}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
