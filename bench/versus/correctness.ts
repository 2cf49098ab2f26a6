/**
 * The spot check of a run: every valid order released exactly once and no invalid one released, from the
 * release topic read back whole (read_committed) after the app stopped. Validity comes from the order mix
 * itself (bench/versus/orders.ts), so both apps are held to the same expectation for the same seed.
 */
import { isValidOrder, orderId } from './orders.js';

export interface ReleaseCheck {
  /** Valid orders of the range. */
  expected: number;
  /** Distinct orders of the range released. */
  released: number;
  /** Valid orders never released. */
  missing: number;
  /** Invalid orders released. */
  unexpected: number;
  /** Releases beyond the first of an order. */
  duplicates: number;
}

export interface Correctness {
  backlog: ReleaseCheck;
  steady: ReleaseCheck;
  /** Releases of no order the run sent (or without a readable OrderID). */
  foreign: number;
  /** Every valid order released exactly once, no invalid one, nothing foreign. */
  ok: boolean;
}

const ORDER_NUMBER = /^VS-(\d{9})$/;

/** `counts`: OrderID → how often it was released; the backlog is orders [0, backlog), the steady load [backlog, backlog + steady). */
export function checkReleases(counts: ReadonlyMap<string, number>, seed: number, backlog: number, steady: number): Correctness {
  const range = (from: number, to: number): ReleaseCheck => {
    const check: ReleaseCheck = { expected: 0, released: 0, missing: 0, unexpected: 0, duplicates: 0 };
    for (let n = from; n < to; n++) {
      const valid = isValidOrder(n, seed);
      const times = counts.get(orderId(n)) ?? 0;
      if (valid) check.expected++;
      if (times > 0) check.released++;
      if (times > 1) check.duplicates += times - 1;
      if (valid && times === 0) check.missing++;
      if (!valid && times > 0) check.unexpected++;
    }
    return check;
  };
  let foreign = 0;
  for (const [id, times] of counts) {
    const n = Number(ORDER_NUMBER.exec(id)?.[1] ?? NaN);
    if (!(n >= 0 && n < backlog + steady)) foreign += times;
  }
  const backlogCheck = range(0, backlog);
  const steadyCheck = range(backlog, backlog + steady);
  const clean = (check: ReleaseCheck) => check.missing === 0 && check.unexpected === 0 && check.duplicates === 0;
  return { backlog: backlogCheck, steady: steadyCheck, foreign, ok: clean(backlogCheck) && clean(steadyCheck) && foreign === 0 };
}
