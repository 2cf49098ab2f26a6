/** Sets a location's on-hand level of an item from `inventory.level.v1`, keeping its allocated count. */
import type { KeyValueStore } from '../../state/key-value-store.js';
import { DeadLetterError } from '../../runtime/errors.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import type { InventoryLevel } from '../../avro/generated/records.js';
import { ErrorCode } from '../domain/types.js';
import { counterKey, type InventoryCounter } from '../inventory.js';
import { Stores } from '../../topology/topics.js';

export function inventoryLevelStage(): Processor<string, InventoryLevel, string, unknown> {
  let inventory: KeyValueStore<string, InventoryCounter>;
  return {
    init(ctx) {
      inventory = ctx.getStateStore(Stores.inventory);
    },
    async process(record: Record<string, InventoryLevel>) {
      const level = record.value;
      if (
        typeof level?.ItemID !== 'string' ||
        typeof level.ShipFromLocationID !== 'string' ||
        !Number.isInteger(level.OnHand) ||
        level.OnHand < 0
      ) {
        throw new DeadLetterError(
          ErrorCode.MalformedRecord,
          `an inventory level needs ShipFromLocationID, ItemID and a whole OnHand ≥ 0, got ${JSON.stringify(level)}`,
        );
      }
      const key = counterKey(level.ShipFromLocationID, level.ItemID);
      const current = await inventory.get(key);
      inventory.put(key, {
        ShipFromLocationID: level.ShipFromLocationID,
        ItemID: level.ItemID,
        OnHand: level.OnHand,
        Allocated: current?.Allocated ?? 0,
      });
    },
  };
}
