/**
 * What one stage hands the next, and the small I/O helpers every stage uses to emit its outputs. Stages are
 * processors: they read stores and forward records; the rules they apply live in `domain/`.
 */
import type { ProcessorContext } from '../runtime/processor.js';
import { Record } from '../runtime/record.js';
import { ErrorCode, type ValidationError } from './domain/types.js';
import { validationResult } from './domain/validation-rules.js';
import type { OrderState } from './order-state.js';
import { Sinks } from '../topology/topics.js';

/** `create`: an order on its first pass. `modify`: an accepted MODIFY re-running enrich → … → release. */
export interface OrderFlow {
  readonly state: OrderState;
  readonly mode: 'create' | 'modify';
  /** MODIFY: the OrderTotal COD was accepted for before the change, so an unchanged total is not re-published. */
  readonly previousTotal?: string;
}

export type StageContext = ProcessorContext<string, unknown>;

/** Event time of outputs: the task's system time (the driver's clock in replays, so they are deterministic). */
export const nowIso = (context: StageContext): string => new Date(context.currentSystemTime()).toISOString();

/** Forwards `value` keyed by the order's ShipFromLocationID to a sink or a stage. */
export function emit(context: StageContext, to: string, key: string, value: unknown): void {
  context.forward(new Record(key, value, context.currentSystemTime()), to);
}

/** A rejection: one `order.validation.v1` record listing every error, and the input record to its DLQ. */
export function reject(
  context: StageContext,
  key: string,
  value: unknown,
  errors: ValidationError[],
  options: { deadLetter: boolean },
): void {
  emit(context, Sinks.validation, key, validationResult(value, errors, nowIso(context)));
  if (options.deadLetter) context.deadLetter(errors[0]!.Code, describeErrors(errors));
}

/** "A INVALID_ORDER_ID OrderID: …; C FORCE_ALLOCATION_REQUIRED …" for DLQ headers and logs. */
export const describeErrors = (errors: readonly ValidationError[]): string =>
  errors.map((error) => `${error.Rule} ${error.Code}${error.Field ? ` ${error.Field}` : ''}: ${error.Message}`).join('; ');

/**
 * A value that passed its stage's checks, as its record: `decode` (avro's `recordDecoder`) fills the defaults of
 * absent fields, as the topic's serde does for JSON, so the stages after it see the record's every field. A value
 * the schema still refuses (an int field past 32 bits, say) adds a MALFORMED_RECORD error and gives undefined.
 */
export function acceptedRecord<T>(decode: (value: unknown) => T, value: unknown, errors: ValidationError[]): T | undefined {
  try {
    return decode(value);
  } catch (error) {
    errors.push({ Rule: '—', Code: ErrorCode.MalformedRecord, Field: '', Message: (error as Error).message });
    return undefined;
  }
}
