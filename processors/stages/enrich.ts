/**
 * Stage 2, enrich: a line's blank ShortDescription and ImageURL are filled from the catalog (a global
 * table, so every replica has it whole), and the delivery address is normalised. Lines whose item the
 * catalog does not know keep what they had: enrichment never rejects an order.
 */
import type { ReadOnlyKeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { normaliseAddress } from '../domain/address.js';
import type { OrderLine, Product } from '../domain/types.js';
import { emit, type OrderFlow, type StageContext } from '../order-flow.js';
import { Stages, Stores } from '../../topology/topics.js';

const blank = (value: string | null): boolean => value === null || value.trim() === '';

export function enrichStage(): Processor<string, OrderFlow, string, unknown> {
  let context: StageContext;
  let catalog: ReadOnlyKeyValueStore<string, Product>;
  return {
    init(ctx) {
      context = ctx as StageContext;
      catalog = ctx.getStateStore(Stores.catalog);
    },
    async process(record: Record<string, OrderFlow>) {
      const { state } = record.value;
      const lines: OrderLine[] = [];
      for (const line of state.Order.OrderLines) {
        if (!blank(line.ShortDescription) && !blank(line.ImageURL)) {
          lines.push(line);
          continue;
        }
        const product = await catalog.get(line.ItemID);
        lines.push({
          ...line,
          ShortDescription: blank(line.ShortDescription) ? (product?.ShortDescription ?? line.ShortDescription) : line.ShortDescription,
          ImageURL: blank(line.ImageURL) ? (product?.ImageURL ?? line.ImageURL) : line.ImageURL,
        });
      }
      const order = { ...state.Order, OrderLines: lines, DeliveryAddress: normaliseAddress(state.Order.DeliveryAddress) };
      emit(context, Stages.calculate, record.key, { ...record.value, state: { ...state, Order: order } } satisfies OrderFlow);
    },
  };
}
