/**
 * The reference tables the bundle routes read, as this process holds them: the `bundles` global table (every
 * definition, whole, as the pricing stage reads it) and the `catalog` table (a preview line without a tax rate
 * takes the product's; the bundle form searches it for items, catalog-routes.ts). On Kafka they are the
 * runtime's global stores, loaded before processing starts and tailed afterwards; in the embedded default, the
 * in-process driver's.
 *
 * Global tables are eventually consistent on Kafka: a definition the API has just written is in the table once
 * the runtime's tail has read it back (usually within a second). The in-process driver applies it before the
 * write is answered.
 */
import type { BundleDefinition, Product } from '../processors/domain/types.js';
import type { InProcessRuntime } from '../runtime/in-process-runtime.js';
import type { StreamsRuntime } from '../runtime/streams-runtime.js';
import type { GlobalStore } from '../state/global-store.js';
import { Stores } from '../topology/topics.js';

export interface BundleCatalog {
  /** Every definition in the table, as the pricing stage reads it (invalid ones included; the pipeline ignores those). */
  all(): Promise<BundleDefinition[]>;
  get(bundleId: string): Promise<BundleDefinition | undefined>;
  /** A product of the catalog table, or undefined when the catalog does not know the item. */
  product(itemId: string): Promise<Product | undefined>;
  /**
   * Every product of the catalog table, for the item search. The same array until the table changes, so a search
   * index can be kept per array; not to be modified. Optional: a bundle table without a catalog has no item search.
   */
  products?(): Promise<readonly Product[]>;
}

/** The tables are not loaded yet (the runtime is starting); the routes answer 503. */
export class CatalogUnavailable extends Error {
  constructor(table: string) {
    super(`the ${table} table is not loaded yet`);
    this.name = 'CatalogUnavailable';
  }
}

type Table<V> = GlobalStore<string, V>;

function catalogOver(table: <V>(name: string) => Table<V> | undefined): BundleCatalog {
  const open = <V>(name: string): Table<V> => {
    const store = table<V>(name);
    if (!store) throw new CatalogUnavailable(name);
    return store;
  };
  return {
    // values() is the table's shared cache (the pricing stage reads the same array): handed out as a copy.
    all: async () => [...(await open<BundleDefinition>(Stores.bundles).values())],
    get: (bundleId) => open<BundleDefinition>(Stores.bundles).get(bundleId),
    product: (itemId) => open<Product>(Stores.catalog).get(itemId),
    // The table's shared cache, decoded once per change of the table (catalog changes are rare next to searches).
    products: () => open<Product>(Stores.catalog).values(),
  };
}

/** The runtime's global stores (Kafka); unavailable until the runtime has loaded them. */
export function runtimeBundles(runtime: StreamsRuntime): BundleCatalog {
  return catalogOver(<V>(name: string) => runtime.globalStore<Table<V>>(name));
}

/** The in-process driver's global stores (embedded default, tests); they exist from the driver's construction. */
export function driverBundles(driver: InProcessRuntime): BundleCatalog {
  return catalogOver(<V>(name: string) => {
    try {
      // store() answers a global table by its name when no task store has that name.
      return driver.store<Table<V>>(name);
    } catch {
      return undefined;
    }
  });
}
