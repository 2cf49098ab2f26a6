// Section 7: COD validation, the check that gives a COD order payment status 5000 Paid ("COD accepted").
// Every failed check is reported:
//   COD_AMOUNT_OUT_OF_RANGE  OrderTotal outside [codMin, codMax], both bounds inclusive
//   COD_AREA_NOT_SERVED      the delivery postal code starts with none of the service-area prefixes (an empty
//                            area serves every postal code, a missing one included)
//   COD_CUSTOMER_INELIGIBLE  a known customer (profile passed in) with CodEligible not true, or with an
//                            OrderTotal above CodLimit; a null CodLimit means no customer-specific limit, and a
//                            CodLimit that is not an amount fails closed. An order without a known customer is
//                            judged on amount and area only.
// Postal codes are compared in `normalisePostalCode` form (digits only), so "10 110" is served by "101".
import { normalisePostalCode } from './address.js';
import { formatMoney, parseMoney, tryParseMoney } from './money.js';
import type { Customer, Money, ValidationError } from './types.js';
import { ErrorCode } from './types.js';

/** Same names as the pipeline's configuration (OMNIA_COD_MIN, OMNIA_COD_MAX, OMNIA_COD_SERVICE_AREA). */
export interface CodConfig {
  codMin: Money;
  codMax: Money;
  /** Postal-code prefixes served; empty serves all. */
  codServiceArea: readonly string[];
}

export const DEFAULT_COD_CONFIG: Readonly<CodConfig> = { codMin: '1.0000', codMax: '5000.0000', codServiceArea: [] };

export interface CodSubject {
  OrderTotal: Money;
  DeliveryAddress?: { PostalCode?: string | null } | null;
  /** The order's customer profile; undefined or null when the order names none (or it is unknown). */
  Customer?: Customer | null;
}

/** True when the area is empty or the postal code (digits only) starts with one of its prefixes. */
export function isInServiceArea(postalCode: string | null | undefined, serviceArea: readonly string[]): boolean {
  const prefixes = serviceArea.map(normalisePostalCode).filter((prefix) => prefix.length > 0);
  if (prefixes.length === 0) return true;
  const code = typeof postalCode === 'string' ? normalisePostalCode(postalCode) : '';
  return code.length > 0 && prefixes.some((prefix) => code.startsWith(prefix));
}

const fail = (Code: ErrorCode, Field: string, Message: string): ValidationError => ({ Rule: '—', Code, Field, Message });

/** Every failed COD check of a priced order; empty when COD is accepted. Config bounds must be money. */
export function validateCod(subject: CodSubject, config: CodConfig = DEFAULT_COD_CONFIG): ValidationError[] {
  const errors: ValidationError[] = [];
  const min = parseMoney(config.codMin);
  const max = parseMoney(config.codMax);
  const total = tryParseMoney(subject.OrderTotal);
  if (total === undefined) {
    errors.push(fail(ErrorCode.CodAmountOutOfRange, 'OrderTotal', `OrderTotal ${JSON.stringify(subject.OrderTotal)} is not an amount`));
  } else if (total.isLessThan(min) || total.isGreaterThan(max)) {
    errors.push(
      fail(
        ErrorCode.CodAmountOutOfRange,
        'OrderTotal',
        `OrderTotal ${formatMoney(total)} is outside the COD range ${formatMoney(min)}–${formatMoney(max)}`,
      ),
    );
  }

  const postalCode = subject.DeliveryAddress?.PostalCode;
  if (!isInServiceArea(postalCode, config.codServiceArea)) {
    errors.push(
      fail(
        ErrorCode.CodAreaNotServed,
        'DeliveryAddress.PostalCode',
        `postal code ${JSON.stringify(postalCode ?? null)} is outside the COD service area (${config.codServiceArea.join(', ')})`,
      ),
    );
  }

  const customer = subject.Customer;
  if (customer) {
    const who = JSON.stringify(customer.CustomerID);
    if (customer.CodEligible !== true) {
      errors.push(
        fail(
          ErrorCode.CodCustomerIneligible,
          'CustomerID',
          `customer ${who} is not eligible for COD (CodEligible ${JSON.stringify(customer.CodEligible)})`,
        ),
      );
    }
    if (customer.CodLimit !== null && customer.CodLimit !== undefined) {
      const limit = tryParseMoney(customer.CodLimit);
      if (limit === undefined) {
        errors.push(
          fail(
            ErrorCode.CodCustomerIneligible,
            'CustomerID',
            `customer ${who} has CodLimit ${JSON.stringify(customer.CodLimit)}, not an amount`,
          ),
        );
      } else if (total !== undefined && total.isGreaterThan(limit)) {
        errors.push(
          fail(
            ErrorCode.CodCustomerIneligible,
            'CustomerID',
            `OrderTotal ${formatMoney(total)} exceeds customer ${who}'s CodLimit ${formatMoney(limit)}`,
          ),
        );
      }
    }
  }
  return errors;
}
