import type { StoreDefinition } from '../state/store-definition.js';
import { TopologyError } from './errors.js';
import type { ProcessorSupplier } from './processor.js';
import type { Serde } from '../serdes/serde.js';

export interface SourceNode {
  readonly kind: 'source';
  readonly name: string;
  readonly topics: readonly string[];
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly children: string[];
}

export interface ProcessorNode {
  readonly kind: 'processor';
  readonly name: string;
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  readonly parents: readonly string[];
  readonly stores: string[];
  readonly children: string[];
}

export interface SinkNode {
  readonly kind: 'sink';
  readonly name: string;
  readonly topic: string;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly parents: readonly string[];
  readonly children: string[];
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

/** A compacted topic loaded whole on every replica and kept current: reference data such as the catalog. */
export interface GlobalTable {
  readonly name: string;
  readonly topic: string;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
}

/** The validated, immutable description the runtime and the in-process driver execute. */
export interface Topology {
  readonly nodes: ReadonlyMap<string, TopologyNode>;
  readonly sources: readonly SourceNode[];
  /** Source topic → the source node reading it. */
  readonly sourceByTopic: ReadonlyMap<string, SourceNode>;
  readonly sinkTopics: readonly string[];
  readonly stores: ReadonlyMap<string, StoreDefinition>;
  readonly globalTables: ReadonlyMap<string, GlobalTable>;
}

export class TopologyBuilder {
  private readonly nodes = new Map<string, TopologyNode>();
  private readonly stores = new Map<string, StoreDefinition>();
  private readonly globalTables = new Map<string, GlobalTable>();

  addSource<K, V>(name: string, topics: string[], keySerde: Serde<K>, valueSerde: Serde<V>): this {
    if (topics.length === 0) throw new TopologyError(`source "${name}" names no topic`);
    this.addNode({
      kind: 'source',
      name,
      topics,
      keySerde: keySerde as Serde<unknown>,
      valueSerde: valueSerde as Serde<unknown>,
      children: [],
    });
    return this;
  }

  addProcessor<KIn, VIn, KOut, VOut>(name: string, supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>, ...parents: string[]): this {
    this.requireParents(name, parents);
    this.addNode({
      kind: 'processor',
      name,
      supplier: supplier as ProcessorSupplier<unknown, unknown, unknown, unknown>,
      parents,
      stores: [],
      children: [],
    });
    this.linkParents(name, parents);
    return this;
  }

  addSink<K, V>(name: string, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>, ...parents: string[]): this {
    this.requireParents(name, parents);
    this.addNode({
      kind: 'sink',
      name,
      topic,
      keySerde: keySerde as Serde<unknown>,
      valueSerde: valueSerde as Serde<unknown>,
      parents,
      children: [],
    });
    this.linkParents(name, parents);
    return this;
  }

  /** Attaches a store to processors; the runtime builds one instance of it per task. */
  addStateStore(store: StoreDefinition<never, never> | StoreDefinition, ...processorNames: string[]): this {
    const definition = store as StoreDefinition;
    if (this.stores.has(definition.name) || this.globalTables.has(definition.name))
      throw new TopologyError(`store "${definition.name}" is defined twice`);
    this.stores.set(definition.name, definition);
    for (const processorName of processorNames) {
      const node = this.nodes.get(processorName);
      if (node?.kind !== 'processor')
        throw new TopologyError(`store "${definition.name}" is attached to "${processorName}", which is not a processor`);
      node.stores.push(definition.name);
    }
    return this;
  }

  addGlobalTable<K, V>(name: string, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): this {
    if (this.stores.has(name) || this.globalTables.has(name)) throw new TopologyError(`store "${name}" is defined twice`);
    this.globalTables.set(name, { name, topic, keySerde: keySerde as Serde<unknown>, valueSerde: valueSerde as Serde<unknown> });
    return this;
  }

  build(): Topology {
    const sources = [...this.nodes.values()].filter((node): node is SourceNode => node.kind === 'source');
    if (sources.length === 0) throw new TopologyError('a topology needs at least one source');
    const sourceByTopic = new Map<string, SourceNode>();
    for (const source of sources) {
      for (const topic of source.topics) {
        if (sourceByTopic.has(topic)) throw new TopologyError(`topic "${topic}" is read by two sources`);
        sourceByTopic.set(topic, source);
      }
    }
    const sinkTopics = [...new Set([...this.nodes.values()].flatMap((node) => (node.kind === 'sink' ? [node.topic] : [])))];
    return Object.freeze({
      nodes: new Map(this.nodes),
      sources,
      sourceByTopic,
      sinkTopics,
      stores: new Map(this.stores),
      globalTables: new Map(this.globalTables),
    });
  }

  private addNode(node: TopologyNode): void {
    if (this.nodes.has(node.name)) throw new TopologyError(`node name "${node.name}" is used twice`);
    this.nodes.set(node.name, node);
  }

  private requireParents(name: string, parents: string[]): void {
    if (parents.length === 0) throw new TopologyError(`"${name}" needs at least one parent`);
    for (const parent of parents) {
      const node = this.nodes.get(parent);
      if (!node) throw new TopologyError(`"${name}" names parent "${parent}", which is not defined (define parents first)`);
      if (node.kind === 'sink') throw new TopologyError(`"${name}" cannot follow sink "${parent}"`);
    }
  }

  private linkParents(name: string, parents: string[]): void {
    for (const parent of parents) this.nodes.get(parent)!.children.push(name);
  }
}
