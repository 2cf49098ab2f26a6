/**
 * What one stage hands the next, and the small I/O helpers every stage uses to emit its outputs. Stages are
 * processors: they read stores and forward records; the rules they apply live in `domain/`.
 */
import type { ProcessorContext } from '../runtime/processor.js';
import { Record } from '../runtime/record.js';
import type { ValidationError } from './domain/types.js';
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
export function reject(context: StageContext, key: string, value: unknown, errors: ValidationError[], options: { deadLetter: boolean }): void {
  emit(context, Sinks.validation, key, validationResult(value, errors, nowIso(context)));
  if (options.deadLetter) context.deadLetter(errors[0]!.Code, describeErrors(errors));
}

/** "A INVALID_ORDER_ID OrderID: …; C FORCE_ALLOCATION_REQUIRED …" for DLQ headers and logs. */
export const describeErrors = (errors: readonly ValidationError[]): string =>
  errors.map((error) => `${error.Rule} ${error.Code}${error.Field ? ` ${error.Field}` : ''}: ${error.Message}`).join('; ');
