/**
 * A record the topology will not process, for a reason of the record itself: it goes to `<topic>.dlq` with
 * `code` and `message` in its headers and processing continues. Processors throw it for rule violations.
 */
export class DeadLetterError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeadLetterError';
  }
}

/**
 * A fault of the environment (broker, disk, database), never of the record: retried with backoff, never
 * dead-lettered.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** This instance lost ownership of its tasks (fenced producer, stale group generation): drop work, rejoin. */
export class TaskMigratedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskMigratedError';
  }
}

/**
 * The group consumer cannot go on (the client gave up rejoining in the background, or group calls kept failing):
 * the runtime replaces it with a new one, which finds the group's coordinator and joins afresh.
 */
export class ConsumerLostError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConsumerLostError';
  }
}

/** Another producer registered our transactional id: this one may never commit again and must be replaced. */
export class ProducerFencedError extends TaskMigratedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProducerFencedError';
  }
}

/** The topology or its configuration is wrong; starting is refused with this message. */
export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

/**
 * A store of this replica could not be written: after its transaction committed (the store now lacks writes its
 * changelog holds), or while restoring with its disk full. Fatal: nothing may be processed or committed on top of
 * such a store, and a store engine that failed a write may lose what it acknowledges next (LevelDB keeps the torn
 * record in its log). The runtime fails and the process exits; the next start restores from checkpoint and changelog.
 */
export class StateStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

/** Whether `error`, or an error it was caused by, is a full disk (ENOSPC; LevelDB and RocksDB say it in words). */
export function isDiskFull(error: unknown): boolean {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    if ((at as NodeJS.ErrnoException).code === 'ENOSPC' || /ENOSPC|no space left on device/i.test(at.message)) return true;
  }
  return false;
}
