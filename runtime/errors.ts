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
