/**
 * The order pipeline's settings (docs/contract.md §9), read from the same environment variables by the service and
 * by `omnia replay`. A bad value refuses to start with a message naming the variable.
 */
import { isMoney } from '../processors/domain/money.js';
import { isTimeZone, parseCutOff, type CutOff } from '../processors/domain/reconciliation.js';

export interface OrderConfig {
  /** OMNIA_RELEASE_HOLD_SECONDS: an order is released no earlier than CreatedAt + hold. */
  releaseHoldSeconds: number;
  /** OMNIA_COD_MIN / OMNIA_COD_MAX: accepted COD order totals, inclusive. */
  codMin: string;
  codMax: string;
  /** OMNIA_COD_SERVICE_AREA: postal-code prefixes served; empty serves every postal code. */
  codServiceArea: string[];
  /** OMNIA_RELEASE_CHECK_MS: how often held orders are checked for release (wall clock). */
  releaseCheckMs: number;
  /** OMNIA_TOPIC_PREFIX: put before every topic name ("staging." → staging.order.create.v1); empty by default. */
  topicPrefix: string;
  /** OMNIA_RECONCILIATION_CUTOFF: local time (HH:MM, 24-hour) of the daily COD reconciliation; default 23:00. */
  reconciliationCutOff: CutOff;
  /** OMNIA_BUSINESS_TIMEZONE: IANA zone of the business day and the cut-off; default Asia/Bangkok. */
  businessTimeZone: string;
  /** OMNIA_RECONCILIATION_CHECK_MS: how often the wall clock is checked against the cut-off; default 60000. */
  reconciliationCheckMs: number;
}

export function loadOrderConfig(env: NodeJS.ProcessEnv = process.env): OrderConfig {
  const hold = env.OMNIA_RELEASE_HOLD_SECONDS ?? '0';
  if (!/^[0-9]+$/.test(hold)) throw new Error(`OMNIA_RELEASE_HOLD_SECONDS must be a whole number of seconds, got "${hold}"`);
  const money = (name: string, fallback: string) => {
    const raw = env[name] || fallback;
    if (!isMoney(raw)) throw new Error(`${name} must be a decimal amount with at most 4 decimals, got "${raw}"`);
    return raw;
  };
  const check = env.OMNIA_RELEASE_CHECK_MS ?? '1000';
  if (!/^[1-9][0-9]*$/.test(check)) throw new Error(`OMNIA_RELEASE_CHECK_MS must be a positive integer, got "${check}"`);
  const cutOffText = env.OMNIA_RECONCILIATION_CUTOFF || '23:00';
  const cutOff = parseCutOff(cutOffText);
  if (!cutOff) throw new Error(`OMNIA_RECONCILIATION_CUTOFF must be a time of day HH:MM (24-hour), got "${cutOffText}"`);
  const timeZone = env.OMNIA_BUSINESS_TIMEZONE || 'Asia/Bangkok';
  if (!isTimeZone(timeZone)) throw new Error(`OMNIA_BUSINESS_TIMEZONE must be an IANA time zone such as Asia/Bangkok, got "${timeZone}"`);
  const reconciliationCheck = env.OMNIA_RECONCILIATION_CHECK_MS ?? '60000';
  if (!/^[1-9][0-9]*$/.test(reconciliationCheck)) throw new Error(`OMNIA_RECONCILIATION_CHECK_MS must be a positive integer, got "${reconciliationCheck}"`);
  return {
    releaseHoldSeconds: Number(hold),
    codMin: money('OMNIA_COD_MIN', '1.0000'),
    codMax: money('OMNIA_COD_MAX', '5000.0000'),
    codServiceArea: (env.OMNIA_COD_SERVICE_AREA ?? '').split(',').map((prefix) => prefix.trim()).filter(Boolean),
    releaseCheckMs: Number(check),
    topicPrefix: env.OMNIA_TOPIC_PREFIX ?? '',
    reconciliationCutOff: cutOff,
    businessTimeZone: timeZone,
    reconciliationCheckMs: Number(reconciliationCheck),
  };
}
