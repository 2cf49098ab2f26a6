/**
 * The board's low-stock alert: the items the store is short of now (GET /stores/:id/low-stock, most units short
 * first), of which the strip names the first few and counts the rest. An item is short when more units are
 * allocated to orders not yet shipped than were last counted on the shelf; it leaves the list by itself once those
 * orders ship or a count covers them, so the alert needs no decision to clear.
 */
import type { LowStockItem } from '../api-types.js';

/** Items named on the board; a store short of more gets "and N more". */
export const LOW_STOCK_ITEMS_SHOWN = 3;

export type LowStockShown = Pick<LowStockItem, 'itemId' | 'description' | 'onHand' | 'allocated' | 'shortUnits' | 'lastOrderId'>;

export interface LowStockAlert {
  kind: 'low-stock';
  /** Items short, all of them (the answer's `total`, which counts past its `limit`). */
  count: number;
  items: LowStockShown[];
  /** Items short but not named. */
  more: number;
}

/** Most units short first, then item id: the service's order, kept should the answer come otherwise. */
const mostShortFirst = (a: LowStockShown, b: LowStockShown): number =>
  b.shortUnits - a.shortUnits || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0);

/** The alert for a store's low stock; undefined when nothing is short. */
export function lowStockAlert(answer: { total: number; items: readonly LowStockShown[] }): LowStockAlert | undefined {
  if (answer.total === 0) return undefined;
  const items = [...answer.items].sort(mostShortFirst).slice(0, LOW_STOCK_ITEMS_SHOWN);
  return { kind: 'low-stock', count: answer.total, items, more: answer.total - items.length };
}

/** How an item is named: its description with its id, or the id alone when no line described it. */
export const itemLabel = (item: Pick<LowStockShown, 'itemId' | 'description'>): string =>
  item.description ? `${item.description} (${item.itemId})` : item.itemId;
