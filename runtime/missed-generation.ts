/**
 * Whether the group may have moved a replica's tasks and given them back since it last took an assignment up: a
 * generation it took no part in (out of the group for a while: its coordinator paused or moved, its session timed
 * out), an assignment it did not see, or a consumer replaced (it left the group and joined again). Another member
 * may have processed those tasks meanwhile and written their changelogs; stores kept open would lack those writes,
 * and an order received twice would be taken for new (broker-pause.test.ts). Kafka Streams closes its tasks as lost
 * in the same case.
 */

/** An assignment as the runtime took it up: which consumer, which of its assignments, which generation. */
export interface TakenUp {
  readonly consumer: object;
  readonly version: number;
  readonly generationId: number;
}

export function missedAGeneration(before: TakenUp | undefined, now: TakenUp): boolean {
  if (!before) return false;
  if (before.consumer !== now.consumer) return true;
  if (now.version === before.version) return false; // the same assignment taken up again (a restore retried)
  return now.version !== before.version + 1 || now.generationId !== before.generationId + 1;
}
