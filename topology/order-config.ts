/**
 * The order pipeline's settings (docs/contract.md §9), read from the same environment variables by the service and
 * by `omnia replay`; defined in `settings/registry.ts`. A bad value refuses to start with a message naming the variable.
 */
import type { CutOff } from '../processors/domain/reconciliation.js';
import { orderSettings } from '../settings/registry.js';
import { loadSettings } from '../settings/setting.js';

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
  /**
   * OMNIA_SETTLEMENT_DUE_DAYS: cut-offs after the one closing a PMP collection's business day by which PMP's
   * settlement report must list it (else NOT_IN_SETTLEMENT); default 1.
   */
  settlementDueDays: number;
  /** OMNIA_RETURN_WINDOW_DAYS: days after the delivery within which a return may be asked; default 7. */
  returnWindowDays: number;
}

export const loadOrderConfig = (env: NodeJS.ProcessEnv = process.env): OrderConfig => loadSettings(orderSettings, {}, env);
