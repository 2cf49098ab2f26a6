// Order states for the notification tests: the avro example order, moved through a list of statuses.
import type { OrderState, StatusHistoryEntry } from '../../../processors/order-state.js';
import type { OrderStatusCode } from '../../../processors/domain/types.js';
import { examples } from '../avro/examples.js';

export const T0 = Date.parse('2026-11-21T09:15:00Z');

/** The example order (QC0042-000123, COD, total 90.6200, Grab GRB-554433, ETA 11:00Z) through `statuses`, a minute apart. */
export function stateThrough(
  statuses: readonly OrderStatusCode[],
  extra: Partial<OrderState> & { reason?: string; start?: number } = {},
): OrderState {
  const { reason, start = T0, ...fields } = extra;
  const base = examples.OrderState as OrderState;
  const history: StatusHistoryEntry[] = statuses.map((to, index) => ({
    From: index === 0 ? null : statuses[index - 1]!,
    To: to,
    Reason: to === 9000 ? (reason ?? 'CANCELLED') : 'STEP',
    Source: 'test',
    At: new Date(start + index * 60_000).toISOString(),
    Actor: null,
  }));
  return {
    ...base,
    Status: statuses[statuses.length - 1]!,
    History: history,
    UpdatedAt: history[history.length - 1]!.At,
    ...fields,
  };
}
