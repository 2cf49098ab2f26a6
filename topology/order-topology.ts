/**
 * The order topology: validate → enrich → calculate → allocate → pay → release, updates beside it, and after
 * release fulfil (Slick ship events) and deliver (partner statuses, COD collection) → reconcile (daily, per
 * store). All keyed by ShipFromLocationID so one store's orders stay in one task, in order. Reference data
 * (catalog, customers, bundles) are global tables; orders, inventory counters, held releases and the
 * reconciliation indexes are per-task stores. The delivery partner's settlement report comes in beside the
 * partner's callbacks and is judged against them, at once and at the cut-off. People's decisions on exceptions
 * (acknowledge / resolve a reconciliation exception, retry / park a release) come in beside the orders and change
 * the same stores. Returns of delivered orders (asked, received and refunded) come in the same way and keep their
 * own `returns` store.
 */
import { keyValueStore } from '../state/store-definition.js';
import { stringSerde, withBytes, type Serde } from '../serdes/serde.js';
import { type Topology, TopologyBuilder } from '../runtime/topology-builder.js';
import { allocateStage } from '../processors/stages/allocate.js';
import { calculateStage } from '../processors/stages/calculate.js';
import { deliverStage } from '../processors/stages/deliver.js';
import { enrichStage } from '../processors/stages/enrich.js';
import { exceptionActionStage } from '../processors/stages/exception-actions.js';
import { fulfilStage } from '../processors/stages/fulfil.js';
import { inventoryLevelStage } from '../processors/stages/inventory-level.js';
import type { OrderConfig } from './order-config.js';
import { paymentStage } from '../processors/stages/pay.js';
import { reconcileStage } from '../processors/stages/reconcile.js';
import { releaseStage } from '../processors/stages/release.js';
import { returnsStage } from '../processors/stages/returns.js';
import { settleStage } from '../processors/stages/settle.js';
import { Sinks, Stages, Stores, Topics } from './topics.js';
import { updateStage } from '../processors/stages/update.js';
import { validateStage } from '../processors/stages/validate.js';

/** How each topic's and store's values are written; see `order-serdes.ts` for the choices per deployment. */
export interface OrderSerdes {
  /** The serde of a topic's values, by the topic's name in the contract (without any prefix). */
  topic(topic: string): Serde<unknown>;
  store(store: string): Serde<unknown>;
}

export function orderTopology(config: OrderConfig, serdes: OrderSerdes): Topology {
  const s = (topic: string) => serdes.topic(topic);
  const t = (topic: string) => config.topicPrefix + topic;
  return new TopologyBuilder()
    .addGlobalTable(Stores.catalog, t(Topics.catalog), stringSerde, s(Topics.catalog))
    .addGlobalTable(Stores.customers, t(Topics.customers), stringSerde, s(Topics.customers))
    .addGlobalTable(Stores.bundles, t(Topics.bundles), stringSerde, s(Topics.bundles))
    .addSource('create-in', [t(Topics.orderCreate)], stringSerde, withBytes(s(Topics.orderCreate)))
    .addSource('update-in', [t(Topics.orderUpdate)], stringSerde, s(Topics.orderUpdate))
    .addSource('inventory-in', [t(Topics.inventoryLevel)], stringSerde, s(Topics.inventoryLevel))
    .addSource('ship-event-in', [t(Topics.shipEvent)], stringSerde, s(Topics.shipEvent))
    .addSource('delivery-status-in', [t(Topics.deliveryStatus)], stringSerde, s(Topics.deliveryStatus))
    .addSource('exception-action-in', [t(Topics.exceptionAction)], stringSerde, s(Topics.exceptionAction))
    .addSource('settlement-in', [t(Topics.settlement)], stringSerde, s(Topics.settlement))
    .addSource('return-in', [t(Topics.orderReturn)], stringSerde, s(Topics.orderReturn))
    .addProcessor(Stages.validate, validateStage, 'create-in')
    .addProcessor(Stages.update, updateStage, 'update-in')
    .addProcessor(Stages.inventoryLevel, inventoryLevelStage, 'inventory-in')
    .addProcessor(Stages.enrich, enrichStage, Stages.validate, Stages.update)
    .addProcessor(Stages.calculate, calculateStage, Stages.enrich)
    .addProcessor(Stages.allocate, allocateStage, Stages.calculate)
    .addProcessor(Stages.pay, () => paymentStage(config), Stages.allocate)
    .addProcessor(Stages.release, () => releaseStage(config), Stages.pay)
    .addProcessor(Stages.fulfil, fulfilStage, 'ship-event-in')
    .addProcessor(Stages.deliver, deliverStage, 'delivery-status-in')
    .addProcessor(Stages.reconcile, () => reconcileStage(config), Stages.deliver)
    .addProcessor(Stages.exceptionActions, () => exceptionActionStage(config), 'exception-action-in')
    .addProcessor(Stages.settle, settleStage, 'settlement-in')
    .addProcessor(Stages.returns, () => returnsStage(config), 'return-in')
    .addStateStore(
      keyValueStore(Stores.orders, stringSerde, serdes.store(Stores.orders)),
      Stages.validate,
      Stages.update,
      Stages.calculate,
      Stages.pay,
      Stages.release,
      Stages.fulfil,
      Stages.deliver,
      Stages.reconcile,
      Stages.exceptionActions,
      Stages.settle,
      Stages.returns,
    )
    .addStateStore(
      keyValueStore(Stores.inventory, stringSerde, serdes.store(Stores.inventory)),
      Stages.allocate,
      Stages.pay,
      Stages.update,
      Stages.inventoryLevel,
      Stages.fulfil,
      Stages.deliver,
      Stages.returns,
    )
    .addStateStore(keyValueStore(Stores.returns, stringSerde, serdes.store(Stores.returns)), Stages.returns)
    .addStateStore(keyValueStore(Stores.held, stringSerde, stringSerde), Stages.release, Stages.update, Stages.calculate, Stages.pay)
    .addStateStore(keyValueStore(Stores.rejected, stringSerde, stringSerde), Stages.validate)
    .addStateStore(keyValueStore(Stores.codOpen, stringSerde, stringSerde), Stages.reconcile, Stages.exceptionActions)
    .addStateStore(keyValueStore(Stores.settlementOpen, stringSerde, stringSerde), Stages.reconcile, Stages.exceptionActions, Stages.settle)
    .addStateStore(keyValueStore(Stores.reconciliationRuns, stringSerde, stringSerde), Stages.reconcile)
    .addSink(
      Sinks.validation,
      t(Topics.validation),
      stringSerde,
      s(Topics.validation),
      Stages.validate,
      Stages.update,
      Stages.calculate,
      Stages.pay,
    )
    .addSink(
      Sinks.status,
      t(Topics.status),
      stringSerde,
      s(Topics.status),
      Stages.validate,
      Stages.update,
      Stages.calculate,
      Stages.allocate,
      Stages.pay,
      Stages.release,
      Stages.fulfil,
      Stages.deliver,
      Stages.returns,
    )
    .addSink(
      Sinks.payment,
      t(Topics.payment),
      stringSerde,
      s(Topics.payment),
      Stages.update,
      Stages.calculate,
      Stages.pay,
      Stages.fulfil,
      Stages.deliver,
      Stages.reconcile,
      Stages.returns,
    )
    .addSink(Sinks.release, t(Topics.release), stringSerde, s(Topics.release), Stages.release, Stages.exceptionActions)
    .addSink(Sinks.lowStock, t(Topics.lowStock), stringSerde, s(Topics.lowStock), Stages.allocate)
    .addSink(Sinks.reconciliation, t(Topics.reconciliation), stringSerde, s(Topics.reconciliation), Stages.reconcile)
    .addSink(Sinks.exceptionOutcome, t(Topics.exceptionOutcome), stringSerde, s(Topics.exceptionOutcome), Stages.exceptionActions)
    .build();
}
