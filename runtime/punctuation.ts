import type { Cancellable, Punctuator, PunctuationType } from './processor.js';

interface Schedule {
  readonly intervalMs: number;
  readonly type: PunctuationType;
  readonly punctuator: Punctuator;
  /** Owning node, so records the punctuator forwards go to that node's children. */
  readonly node: string;
  /** undefined until stream time is known (a stream-time schedule made before the first record). */
  next: number | undefined;
  cancelled: boolean;
}

/** A task's punctuators. Each fires at most once per call, then waits for its next interval boundary. */
export class PunctuationSchedule {
  private readonly schedules: Schedule[] = [];

  add(node: string, intervalMs: number, type: PunctuationType, punctuator: Punctuator, now: number): Cancellable {
    if (!(intervalMs >= 1)) throw new Error(`punctuation interval must be at least 1 ms, got ${intervalMs}`);
    const next = now >= 0 ? now + intervalMs : undefined;
    const schedule: Schedule = { intervalMs, type, punctuator, node, next, cancelled: false };
    this.schedules.push(schedule);
    return { cancel: () => void (schedule.cancelled = true) };
  }

  /**
   * Schedules of `type` due at `time`, advanced past it. A time before the previous boundary (a wall clock stepped
   * back: NTP, an operator) starts the schedule again from it, one interval on; left alone, the schedule would
   * wait for the clock to make up the whole step before firing again.
   */
  due(type: PunctuationType, time: number): Array<{ node: string; punctuator: Punctuator }> {
    const out: Array<{ node: string; punctuator: Punctuator }> = [];
    for (const schedule of this.schedules) {
      if (schedule.cancelled || schedule.type !== type) continue;
      if (schedule.next === undefined || time < schedule.next - schedule.intervalMs) {
        schedule.next = time + schedule.intervalMs;
        continue;
      }
      if (time < schedule.next) continue;
      const missed = Math.floor((time - schedule.next) / schedule.intervalMs) + 1;
      schedule.next += missed * schedule.intervalMs;
      out.push({ node: schedule.node, punctuator: schedule.punctuator });
    }
    return out;
  }
}
