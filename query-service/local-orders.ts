/**
 * The `orders` stores this process holds: one per task (partition) it owns. On Kafka they are the runtime's
 * task stores; in the embedded default, the in-process driver's, which owns every partition.
 */
import type { OrderState } from '../processors/order-state.js';
import { Stores, Topics } from '../topology/topics.js';
import type { KeyValueStore } from '../state/key-value-store.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { StreamsRuntime } from '../runtime/streams-runtime.js';
import type { InProcessRuntime } from '../runtime/in-process-runtime.js';

export type PartitionState = 'ready' | 'restoring' | 'elsewhere';

export interface LocalOrders {
  /** This replica's name, as other replicas see it in the group. */
  readonly instance: string;
  /** The partition (task) an order of `shipFromLocationId` lives in. */
  partitionOf(shipFromLocationId: string): number;
  state(partition: number): PartitionState;
  /** Partitions owned and restored here. */
  readyPartitions(): number[];
  get(partition: number, orderId: string): Promise<OrderState | undefined>;
}

type OrdersStore = KeyValueStore<string, OrderState>;

export function runtimeOrders(runtime: StreamsRuntime, topicPrefix: string): LocalOrders {
  const partitions = () => runtime.partitionsFor(topicPrefix + Topics.orderCreate);
  return {
    instance: runtime.instanceId,
    partitionOf: (store) => partitionForKey(Buffer.from(store), partitions()),
    state: (partition) =>
      runtime.ownedPartitions.includes(partition) ? 'ready' : runtime.assignedPartitions.includes(partition) ? 'restoring' : 'elsewhere',
    readyPartitions: () => runtime.ownedPartitions,
    get: async (partition, orderId) => runtime.store<OrdersStore>(Stores.orders, partition)?.get(orderId),
  };
}

export function driverOrders(driver: InProcessRuntime, partitions: number): LocalOrders {
  const all = Array.from({ length: partitions }, (_, partition) => partition);
  return {
    instance: 'embedded',
    partitionOf: (store) => partitionForKey(Buffer.from(store), partitions),
    state: () => 'ready',
    readyPartitions: () => all,
    async get(partition, orderId) {
      try {
        return await driver.store<OrdersStore>(Stores.orders, partition).get(orderId);
      } catch {
        return undefined; // no record reached that partition yet, so its task and store do not exist
      }
    },
  };
}
