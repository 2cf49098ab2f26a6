/**
 * Words and numbers for the screen in the current language: dates and times (the Thai calendar in Thai),
 * ages, status and payment names, and what an error means for the person holding the tablet.
 */
import { ApiError } from './api.js';
import { hasKey, type I18n, type MessageKey } from './i18n.js';
import { formatAge } from './logic/age.js';
import { toneOf, type Tone } from './logic/status.js';

const locale = (i18n: I18n) => (i18n.lang === 'th' ? 'th-TH' : 'en-GB');

export function dateTime(i18n: I18n, iso: string | null | undefined): string {
  if (!iso) return i18n.t('common.none');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(i18n), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function shortTime(i18n: I18n, iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const today = new Date().toDateString() === date.toDateString();
  return new Intl.DateTimeFormat(
    locale(i18n),
    today ? { timeStyle: 'short' } : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' },
  ).format(date);
}

/** A business day (YYYY-MM-DD) as a date. */
export function day(i18n: I18n, value: string): string {
  const [y, m, d] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(y, m - 1, d);
  return Number.isNaN(date.getTime()) ? value : new Intl.DateTimeFormat(locale(i18n), { dateStyle: 'full' }).format(date);
}

export const age = (i18n: I18n, seconds: number): string =>
  formatAge(seconds, { seconds: i18n.t('age.s'), minutes: i18n.t('age.min'), hours: i18n.t('age.h'), days: i18n.t('age.d') });

export function statusLabel(i18n: I18n, status: number): string {
  const key = `status.${status}`;
  return hasKey(key) ? i18n.t(key) : i18n.t('status.unknown', { code: status });
}

export const toneLabel = (i18n: I18n, tone: Tone): string => i18n.t(`tone.${tone}`);
export const statusTone = (status: number): Tone => toneOf(status);

export function paymentMethod(i18n: I18n, method: string | null | undefined): string {
  if (!method) return i18n.t('common.none');
  const key = `payment.${method}`;
  return hasKey(key) ? i18n.t(key) : method;
}

export function paymentStatus(i18n: I18n, status: string | null | undefined): string {
  if (!status) return i18n.t('paymentStatus.none');
  const key = `paymentStatus.${status}`;
  return hasKey(key) ? i18n.t(key) : status;
}

export function roleLabel(i18n: I18n, role: string | undefined): string {
  if (!role) return i18n.t('role.none');
  const key = `role.${role}`;
  return hasKey(key) ? i18n.t(key) : role;
}

/** The code of any failure: the service's, or NETWORK / UNKNOWN. */
export const errorCode = (error: unknown): string => (error instanceof ApiError ? error.code : 'UNKNOWN');

/** What went wrong and what to do next, in the current language. */
export function errorText(i18n: I18n, error: unknown): string {
  if (!(error instanceof ApiError)) return i18n.t('error.UNKNOWN', { code: error instanceof Error ? error.name : 'ERROR' });
  const key = `error.${error.code}`;
  if (error.code === 'RATE_LIMITED') return i18n.t('error.RATE_LIMITED', { seconds: error.retryAfter ?? 5 });
  if (error.code === 'VALIDATION_FAILED') return i18n.t('error.VALIDATION_FAILED', { fields: error.fields.join(', ') || error.message });
  if (hasKey(key)) return i18n.t(key as MessageKey);
  if (error.status >= 500) return i18n.t('error.SERVER', { code: error.code });
  return i18n.t('error.UNKNOWN', { code: error.code });
}
