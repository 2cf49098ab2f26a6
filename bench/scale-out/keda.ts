/**
 * What KEDA and the HPA would decide for the processors, computed here from the same inputs: the ScaledObject of
 * deploy/k8s/base/keda.yaml (its Kafka triggers, lagThreshold per topic, allowIdleConsumers) and the group's
 * offsets read with the admin client, as KEDA's Kafka scaler reads them.
 *
 * KEDA's Kafka scaler (pkg/scalers/kafka_scaler.go), per trigger (one topic of the group):
 *   lag(partition) = end offset (high watermark) − the group's committed offset; a partition without a committed
 *                    offset counts 1 under the default offsetResetPolicy "latest" (its latest offset under
 *                    "earliest");
 *   metric          = Σ lag over the topic's partitions, capped at partitions × lagThreshold when
 *                    allowIdleConsumers is false (never more replicas than partitions);
 *   target          = lagThreshold, an AverageValue target of the HPA.
 * The HPA (one metric per trigger): desired = ceil(metric / lagThreshold) for each metric, unless
 * |metric / (lagThreshold × current) − 1| ≤ 0.1 (its tolerance: keep the current count); the largest wins;
 * clamped to [minReplicaCount, maxReplicaCount]. A metric that cannot be read leaves the count as it is. Then its
 * behaviour: scaling up takes the newest recommendation at once, at most max(4 pods, 100 %) per 15 s (the
 * default policy); scaling down takes the highest recommendation of the stabilization window and removes at most
 * the policy's pods per period (the manifest: 600 s window, one pod per 300 s).
 */
import { readFileSync } from 'node:fs';
import { Admin, FetchIsolationLevels } from '@platformatic/kafka';
import { parseAllDocuments } from 'yaml';

export interface KafkaTrigger {
  name: string;
  topic: string;
  lagThreshold: number;
  allowIdleConsumers: boolean;
  offsetResetPolicy: 'latest' | 'earliest';
}

export interface ScaledObjectSpec {
  triggers: KafkaTrigger[];
  minReplicaCount: number;
  maxReplicaCount: number;
  /** HPA scale-down behaviour of the manifest. */
  scaleDown: { stabilizationWindowSeconds: number; podsPerPeriod: number; periodSeconds: number };
}

/** The ScaledObject `name` of a manifest file (several YAML documents). */
export function readScaledObject(path: string, name = 'omnia-processors'): ScaledObjectSpec {
  const documents = parseAllDocuments(readFileSync(path, 'utf8')).map((document) => document.toJS() as Record<string, unknown>);
  type ScaledObject = {
    kind: string;
    metadata: { name: string };
    spec: {
      minReplicaCount?: number;
      maxReplicaCount?: number;
      advanced?: {
        horizontalPodAutoscalerConfig?: {
          behavior?: {
            scaleDown?: { stabilizationWindowSeconds?: number; policies?: Array<{ type: string; value: number; periodSeconds: number }> };
          };
        };
      };
      triggers: Array<{ type: string; name?: string; metadata: Record<string, string> }>;
    };
  };
  const object = documents.find((document) => document?.kind === 'ScaledObject' && (document as ScaledObject).metadata?.name === name) as
    ScaledObject | undefined;
  if (!object) throw new Error(`${path}: no ScaledObject ${name}`);
  const scaleDown = object.spec.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown;
  const pods = scaleDown?.policies?.find((policy) => policy.type === 'Pods');
  return {
    triggers: object.spec.triggers
      .filter((trigger) => trigger.type === 'kafka')
      .map((trigger) => ({
        name: trigger.name ?? trigger.metadata.topic!,
        topic: trigger.metadata.topic!,
        lagThreshold: Number(trigger.metadata.lagThreshold ?? 10),
        allowIdleConsumers: trigger.metadata.allowIdleConsumers === 'true',
        offsetResetPolicy: trigger.metadata.offsetResetPolicy === 'earliest' ? 'earliest' : 'latest',
      })),
    minReplicaCount: object.spec.minReplicaCount ?? 0,
    maxReplicaCount: object.spec.maxReplicaCount ?? 100,
    // Kubernetes' defaults where the manifest says nothing: 300 s window, 100 % per 15 s.
    scaleDown: {
      stabilizationWindowSeconds: scaleDown?.stabilizationWindowSeconds ?? 300,
      podsPerPeriod: pods?.value ?? Number.MAX_SAFE_INTEGER,
      periodSeconds: pods?.periodSeconds ?? 15,
    },
  };
}

/** One partition's offsets: the end (high watermark) and the group's committed offset, if any. */
export interface PartitionOffsets {
  end: bigint;
  committed: bigint | undefined;
}

/** KEDA's metric for one trigger: the topic's total lag, capped when idle consumers are not allowed. */
export function triggerMetric(trigger: KafkaTrigger, partitions: readonly PartitionOffsets[]): number {
  let total = 0;
  for (const { end, committed } of partitions) {
    if (committed === undefined) total += trigger.offsetResetPolicy === 'latest' ? 1 : Number(end);
    else total += Math.max(0, Number(end - committed));
  }
  if (!trigger.allowIdleConsumers) total = Math.min(total, partitions.length * trigger.lagThreshold);
  return total;
}

/** The HPA's recommendation for AverageValue metrics (value, target), before its behaviour. */
export function recommendation(
  current: number,
  metrics: ReadonlyArray<{ value: number; target: number }>,
  min: number,
  max: number,
): number {
  let desired = 0;
  for (const { value, target } of metrics) {
    const ratio = value / (target * Math.max(1, current));
    desired = Math.max(desired, Math.abs(ratio - 1) <= 0.1 ? current : Math.ceil(value / target));
  }
  return Math.min(max, Math.max(min, desired));
}

/** The HPA's behaviour over recommendations: immediate scale-up, stabilised and rate-limited scale-down. */
export class Hpa {
  private readonly recommendations: Array<{ at: number; replicas: number }> = [];
  private lastScaleDown = -Infinity;
  private lastScaleUp = -Infinity;

  constructor(
    private readonly scaleDown: { windowMs: number; podsPerPeriod: number; periodMs: number },
    /** Kubernetes' default scale-up policy: max(4 pods, 100 %) per 15 s, no stabilization. */
    private readonly scaleUpPeriodMs = 15_000,
  ) {}

  /** The replica count to set now, given the current one and a new recommendation (undefined: no metric). */
  next(now: number, current: number, recommended: number | undefined): number {
    if (recommended === undefined) return current;
    this.recommendations.push({ at: now, replicas: recommended });
    while (this.recommendations.length && this.recommendations[0]!.at < now - this.scaleDown.windowMs) this.recommendations.shift();
    if (recommended > current) {
      const allowed = now - this.lastScaleUp >= this.scaleUpPeriodMs ? current + Math.max(4, current) : current;
      const target = Math.min(recommended, allowed);
      if (target > current) this.lastScaleUp = now;
      return target;
    }
    const stabilised = Math.max(...this.recommendations.map((entry) => entry.replicas));
    if (stabilised >= current) return current;
    if (now - this.lastScaleDown < this.scaleDown.periodMs) return current;
    this.lastScaleDown = now;
    return Math.max(stabilised, current - this.scaleDown.podsPerPeriod);
  }
}

/**
 * Reads what KEDA reads: the end offsets (high watermark, READ_UNCOMMITTED, as its client asks) of the triggers'
 * topics and the group's committed offsets. Short timeouts and one retry: a probe that cannot reach the cluster
 * reports no metric rather than stalling the loop.
 */
export class LagProbe {
  private admin: Admin;

  constructor(
    private readonly brokers: string[],
    private readonly groupId: string,
    private readonly topics: Map<string, number>,
  ) {
    this.admin = this.connect();
  }

  private connect(): Admin {
    return new Admin({ clientId: `${this.groupId}-keda`, bootstrapBrokers: this.brokers, retries: 1, retryDelay: 200, timeout: 3000 });
  }

  /**
   * Per topic, each partition's offsets. A read that fails or takes over 5 s gives up and starts the next one with
   * a new client (the client can lose a request's callback when a coordinator's broker vanishes).
   */
  async read(): Promise<Map<string, PartitionOffsets[]>> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.readOnce(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000))),
      ]);
    } catch (error) {
      const stale = this.admin;
      this.admin = this.connect();
      void stale.close().catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async readOnce(): Promise<Map<string, PartitionOffsets[]>> {
    const topics = [...this.topics].map(([name, count]) => ({ name, indexes: Array.from({ length: count }, (_, index) => index) }));
    const [listed, groups] = await Promise.all([
      this.admin.listOffsets({
        isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
        topics: topics.map(({ name, indexes }) => ({
          name,
          partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
        })),
      }),
      this.admin.listConsumerGroupOffsets({
        groups: [{ groupId: this.groupId, topics: topics.map(({ name, indexes }) => ({ name, partitionIndexes: indexes })) }],
      }),
    ]);
    const committed = new Map<string, bigint>();
    for (const group of groups)
      for (const topic of group.topics)
        for (const partition of topic.partitions)
          if (partition.committedOffset >= 0n) committed.set(`${topic.name}:${partition.partitionIndex}`, partition.committedOffset);
    const out = new Map<string, PartitionOffsets[]>();
    for (const topic of listed) {
      const partitions: PartitionOffsets[] = [];
      for (const partition of [...topic.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex))
        partitions.push({ end: partition.offset, committed: committed.get(`${topic.name}:${partition.partitionIndex}`) });
      out.set(topic.name, partitions);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }
}
