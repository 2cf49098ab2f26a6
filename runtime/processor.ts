import type { Record, RecordMetadata } from './record.js';

/**
 * The processor contract: `process` is the only required method. A processor may be async (store reads
 * are); the task awaits it before the next record of the same partition.
 */
export interface Processor<KIn, VIn, KOut = KIn, VOut = VIn> {
  init?(context: ProcessorContext<KOut, VOut>): void | Promise<void>;
  process(record: Record<KIn, VIn>): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A new processor instance per task: processors may hold per-task fields. */
export type ProcessorSupplier<KIn, VIn, KOut = KIn, VOut = VIn> = () => Processor<KIn, VIn, KOut, VOut>;

export type PunctuationType = 'stream-time' | 'wall-clock';
export type Punctuator = (timestamp: number) => void | Promise<void>;

export interface Cancellable {
  cancel(): void;
}

export interface ProcessorContext<KOut, VOut> {
  /** `<partition>`; one task per partition of the co-partitioned source topics. */
  readonly taskId: string;
  readonly partition: number;
  readonly applicationId: string;
  /**
   * Hands a record to the children (or only to `childName`). It is queued and processed after the current
   * processor returns, in order, so forwarding never needs an await.
   */
  forward(record: Record<KOut, VOut>, childName?: string): void;
  /** A store attached to this processor, or a global table by its name. */
  getStateStore<S>(name: string): S;
  /** Sends the input record being processed to `<source topic>.dlq` with this reason; processing continues. */
  deadLetter(code: string, message: string): void;
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;
  /** Topic, partition and offset of the input record being processed; undefined inside a punctuator. */
  recordMetadata(): RecordMetadata | undefined;
  /** The largest record timestamp this task has seen. */
  currentStreamTime(): number;
  currentSystemTime(): number;
}
