/**
 * Per-location inventory counters (the `inventory` store): units allocated per ShipFromLocationID and item,
 * against the on-hand level last reported on `inventory.level.v1`. Allocation is forced and never blocked;
 * allocating past the on-hand level raises a low-stock event instead.
 */
import type { KeyValueStore } from '../state/key-value-store.js';
import type { InventoryCounter } from '../avro/generated/records.js';

export type { InventoryCounter, LowStockEvent } from '../avro/generated/records.js';

/** `InventoryCounter.OnHand` until a level arrives for the item: no low-stock event can be judged before. */
export const UNKNOWN_ON_HAND = -1;

export const counterKey = (location: string, itemId: string): string => `${location}|${itemId}`;

/** Units per item of a set of lines: the lines of one bundle group are counted (and written) together. */
export function unitsPerItem(lines: ReadonlyArray<{ ItemID: string; Quantity: number }>): Map<string, number> {
  const units = new Map<string, number>();
  for (const line of lines) units.set(line.ItemID, (units.get(line.ItemID) ?? 0) + line.Quantity);
  return units;
}

/**
 * Whether this status change is the order leaving the fulfilment centre: the first status of 7000 (Fulfilled) or
 * later that is not a cancellation, reached from below 7000. Its units are then no longer allocated: they left the
 * shelf, and the next on-hand level the store's system reports no longer counts them. Reached once per order
 * (statuses only move forward), whichever stage (Slick's ship event, a partner's delivery status) gets there first.
 */
export function leavesStock(before: number, after: number): boolean {
  return before < 7000 && after >= 7000 && after < 9000;
}

/**
 * Adds `sign` × units to each item's counter, one write per item. Returns the counters that ended above their
 * on-hand level (oversold) when allocating.
 */
export async function adjustAllocation(
  inventory: KeyValueStore<string, InventoryCounter>,
  location: string,
  lines: ReadonlyArray<{ ItemID: string; Quantity: number }>,
  sign: 1 | -1,
): Promise<InventoryCounter[]> {
  const oversold: InventoryCounter[] = [];
  for (const [itemId, units] of unitsPerItem(lines)) {
    const key = counterKey(location, itemId);
    const current = (await inventory.get(key)) ?? { ShipFromLocationID: location, ItemID: itemId, OnHand: UNKNOWN_ON_HAND, Allocated: 0 };
    const next = { ...current, Allocated: Math.max(0, current.Allocated + sign * units) };
    inventory.put(key, next);
    if (sign > 0 && next.OnHand !== UNKNOWN_ON_HAND && next.Allocated > next.OnHand) oversold.push(next);
  }
  return oversold;
}

/**
 * Units a customer returned, back on the store's shelf: OnHand += units of each item whose count is known. Their
 * allocation was given back when the order shipped (`leavesStock`), so Allocated is left alone; an item never
 * counted stays unknown (the store's first count will include what is on the shelf). The store's next count on
 * `inventory.level.v1` replaces OnHand whatever this added.
 */
export async function restock(
  inventory: KeyValueStore<string, InventoryCounter>,
  location: string,
  lines: ReadonlyArray<{ ItemID: string; Quantity: number }>,
): Promise<void> {
  for (const [itemId, units] of unitsPerItem(lines)) {
    const key = counterKey(location, itemId);
    const current = await inventory.get(key);
    if (!current || current.OnHand === UNKNOWN_ON_HAND) continue;
    inventory.put(key, { ...current, OnHand: current.OnHand + units });
  }
}
