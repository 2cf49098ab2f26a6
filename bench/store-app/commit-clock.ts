/**
 * When each status record became committed: a loop asks the broker for the status topic's last stable offsets
 * (ListOffsets, read_committed) every `intervalMs`, and notes when each partition's moved. A record at offset o
 * became visible to read_committed readers — its transaction committed — after the poll that still showed
 * the end at or below o was sent and before the poll that first showed it above o was answered. `visible`
 * gives that answer time (`at`: the latest the commit can have been), the earlier poll's send time
 * (`earliest`) and the width of the interval.
 */
import type { AdminClient, TopicPartition } from '../../topology/kafka/client.js';
import { tpKey } from '../../topology/kafka/client.js';
import { sleep } from '../runtime/common.js';

interface Step {
  /** The end (last stable offset) after this poll: offsets below it are committed. */
  end: number;
  /** When the poll that saw it was answered, and when the one before it was sent (epoch ms). */
  at: number;
  previousSentAt: number;
}

export class CommitClock {
  private readonly steps = new Map<number, Step[]>();
  private readonly firstEnd = new Map<number, number>();
  private stopped = false;
  private running: Promise<void> | undefined;
  polls = 0;
  private gaps: number[] = [];

  constructor(
    private readonly admin: AdminClient,
    private readonly topic: string,
    private readonly partitions: number,
    private readonly intervalMs = 10,
  ) {}

  /** Resolves after the first poll (the ends every later record is measured against). */
  async start(): Promise<void> {
    const tps: TopicPartition[] = Array.from({ length: this.partitions }, (_, partition) => ({ topic: this.topic, partition }));
    const poll = async () => {
      const sentAt = Date.now();
      const ends = await this.admin.endOffsets(tps, true);
      return { sentAt, at: Date.now(), ends };
    };
    const first = await poll();
    let previousSentAt = first.sentAt;
    let previousAt = first.at;
    for (const tp of tps) {
      const end = Number(first.ends.get(tpKey(tp.topic, tp.partition)) ?? 0n);
      this.firstEnd.set(tp.partition, end);
      this.steps.set(tp.partition, []);
    }
    this.running = (async () => {
      while (!this.stopped) {
        await sleep(this.intervalMs);
        const answer = await poll().catch(() => undefined);
        if (!answer) continue;
        const { sentAt, at, ends } = answer;
        this.polls++;
        this.gaps.push(at - previousAt);
        for (const tp of tps) {
          const end = Number(ends.get(tpKey(tp.topic, tp.partition)) ?? 0n);
          const steps = this.steps.get(tp.partition)!;
          const last = steps.at(-1)?.end ?? this.firstEnd.get(tp.partition)!;
          if (end > last) steps.push({ end, at, previousSentAt });
        }
        previousSentAt = sentAt;
        previousAt = at;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Time between poll answers (ms), for the report. */
  get pollGaps(): readonly number[] {
    return this.gaps;
  }

  /** The sum of every partition's end as last seen. */
  get total(): number {
    let sum = 0;
    for (const [partition, steps] of this.steps) sum += steps.at(-1)?.end ?? this.firstEnd.get(partition) ?? 0;
    return sum;
  }

  /** When offset `offset` of `partition` was first seen committed, and how wide the uncertainty is; undefined before the first poll. */
  visible(partition: number, offset: number): { at: number; earliest: number; windowMs: number } | undefined {
    const steps = this.steps.get(partition);
    if (!steps || offset < this.firstEnd.get(partition)!) return undefined;
    let low = 0;
    let high = steps.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (steps[middle]!.end > offset) high = middle;
      else low = middle + 1;
    }
    const step = steps[low];
    return step ? { at: step.at, earliest: step.previousSentAt, windowMs: step.at - step.previousSentAt } : undefined;
  }
}
