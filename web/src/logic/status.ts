/**
 * Order statuses as the store sees them: the board's five groups, what each status means for the clerk (done,
 * waiting, needs attention, cancelled) and which orders may still be cancelled from the store.
 * The codes are the pipeline's (processors/domain/types.ts); a code added there and not placed here fails the
 * type check below.
 */
import type { OrderStatusCode } from '../../../processors/domain/types.js';

export const STATUS_CODES = [
  1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7400, 7500, 8000, 8500, 9000,
] as const satisfies readonly OrderStatusCode[];

/** Every code the pipeline has is listed above: `true` only when none is missing. */
type Missing = Exclude<OrderStatusCode, (typeof STATUS_CODES)[number]>;
export const STATUS_CODES_COMPLETE: [Missing] extends [never] ? true : never = true;

export const GROUPS = ['new', 'released', 'on-the-way', 'delivered', 'cancelled'] as const;
export type GroupId = (typeof GROUPS)[number];

export const GROUP_STATUSES: Readonly<Record<GroupId, readonly number[]>> = {
  new: [1000, 2000],
  released: [3000, 3500, 3600, 3700],
  'on-the-way': [7000, 7100, 7200, 7300, 7400],
  delivered: [7500, 8000, 8500],
  cancelled: [9000],
};

/** The board column of a status; a code outside the known ones goes by its range. */
export function groupOf(status: number): GroupId {
  if (status >= 9000) return 'cancelled';
  if (status >= 7500) return 'delivered';
  if (status >= 7000) return 'on-the-way';
  if (status >= 3000) return 'released';
  return 'new';
}

/** What a status means for the person at the counter. */
export type Tone = 'waiting' | 'attention' | 'done' | 'cancelled';

export const DELIVERY_FAILED = 7400;
export const DELIVERED = 7500;
/** A return was asked: the store waits for the units to come back. */
export const RETURN_REQUESTED = 8000;
export const RETURNED = 8500;
export const CANCELLED = 9000;
/** From Released (3000) on, the warehouse has the order: the store can no longer cancel it. */
export const FIRST_LOCKED_STATUS = 3000;

export function toneOf(status: number): Tone {
  if (status === DELIVERY_FAILED || status === RETURN_REQUESTED) return 'attention';
  if (status === CANCELLED) return 'cancelled';
  if (status === DELIVERED || status === RETURNED) return 'done';
  return 'waiting';
}

/** The store may still cancel: not yet released to the warehouse. */
export const isCancellable = (status: number): boolean => status < FIRST_LOCKED_STATUS;

export const isKnownStatus = (status: number): status is OrderStatusCode => (STATUS_CODES as readonly number[]).includes(status);
