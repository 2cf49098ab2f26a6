/**
 * The checks a rendered overlay must pass, each returning what is wrong in words that name the object; an empty
 * list is a deployment that starts. Pure functions of the objects (and of the Secret templates, which the overlays
 * do not render), so the test can show each one fails on a broken copy.
 */
import { isCompacted, knownSetting, type K8sObject, type SecretTemplate, type TopicRole } from './deployment.js';
import type { Setting } from '../../settings/setting.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are walked as the plain data they are */
type Any = any;

export interface DeploymentContext {
  /** Every topic the code reads or writes under the deployment's application id and prefix, by role. */
  readonly topics: Map<string, TopicRole>;
  /** The processors' source topics. */
  readonly groupSources: readonly string[];
  /** Per process (`omnia <args[0]>`), its requirements: one variable of each group must be provided. */
  readonly requirements: Record<string, string[][]>;
  readonly secrets: readonly SecretTemplate[];
  readonly settings: Map<string, Setting<unknown>>;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
export const workloads = (objects: readonly K8sObject[]) => objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
const ofKind = (objects: readonly K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const id = (o: K8sObject) => `${o.kind} ${o.metadata.name}`;
const podSpec = (w: K8sObject): Any => (w as Any).spec?.template?.spec ?? {};
const podLabels = (w: K8sObject): Record<string, string> => (w as Any).spec?.template?.metadata?.labels ?? {};
const selects = (selector: Any, labels: Record<string, string>) =>
  selector !== undefined &&
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (selector.matchExpressions ?? []).length === 0;

/** The application id and topic prefix the processors run with (their ConfigMap), defaults otherwise. */
export function appIdentity(objects: readonly K8sObject[]): { applicationId: string; prefix: string; config: Record<string, string> } {
  const config = configOf(objects);
  return { applicationId: config.OMNIA_APPLICATION_ID || 'omnia', prefix: config.OMNIA_TOPIC_PREFIX ?? '', config };
}

/** The data of the ConfigMap the processors read with envFrom (the one they all share). */
export function configOf(objects: readonly K8sObject[]): Record<string, string> {
  const processors = workloads(objects).find((w) => podSpec(w).containers?.[0]?.args?.[0] === 'start');
  const name = processors ? podSpec(processors).containers[0].envFrom?.find((e: Any) => e.configMapRef)?.configMapRef.name : undefined;
  return ((ofKind(objects, 'ConfigMap').find((c) => c.metadata.name === name) as Any)?.data ?? {}) as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------------

/** Every topic the code uses has a KafkaTopic, kept as its role needs; co-partitioned; replicated as configured. */
export function checkTopics(objects: readonly K8sObject[], context: DeploymentContext): string[] {
  const problems: string[] = [];
  const declared = new Map(ofKind(objects, 'KafkaTopic').map((t) => [((t as Any).spec?.topicName as string) ?? t.metadata.name, t as Any]));
  const { config } = appIdentity(objects);
  const replicas = Number(config.OMNIA_TOPIC_REPLICATION_FACTOR || 1);
  const minIsr = config.OMNIA_TOPIC_MIN_INSYNC_REPLICAS || undefined;
  for (const [topic, role] of context.topics) {
    const kt = declared.get(topic);
    if (!kt) {
      problems.push(`topic ${topic} (${role}) has no KafkaTopic`);
      continue;
    }
    const topicConfig = (kt.spec?.config ?? {}) as Record<string, unknown>;
    const policy = String(topicConfig['cleanup.policy'] ?? 'delete');
    if (isCompacted(role) && !policy.split(',').includes('compact')) problems.push(`KafkaTopic ${topic} (${role}) is not compacted`);
    if (!isCompacted(role) && policy.includes('compact'))
      problems.push(`KafkaTopic ${topic} (${role}) is compacted: keyed by store, compaction would drop its records`);
    if (!isCompacted(role) && topicConfig['retention.ms'] === undefined) problems.push(`KafkaTopic ${topic} (${role}) has no retention.ms`);
  }
  for (const [topic, kt] of declared) {
    if (!kt.spec) problems.push(`KafkaTopic ${topic} has no spec`);
    if (!kt.metadata?.labels?.['strimzi.io/cluster']) problems.push(`KafkaTopic ${topic} names no strimzi.io/cluster`);
    if (kt.spec?.replicas !== replicas)
      problems.push(`KafkaTopic ${topic} has ${kt.spec?.replicas} replicas, OMNIA_TOPIC_REPLICATION_FACTOR is ${replicas}`);
    if (String(kt.spec?.config?.['min.insync.replicas']) !== String(minIsr))
      problems.push(
        `KafkaTopic ${topic} has min.insync.replicas ${kt.spec?.config?.['min.insync.replicas']}, OMNIA_TOPIC_MIN_INSYNC_REPLICAS is ${minIsr}`,
      );
  }
  // One partition count for the group's sources, their changelogs and dead-letter topics, and the outputs.
  const partitioned = [...context.topics].filter(([, role]) => ['source', 'changelog', 'dead-letter', 'output'].includes(role));
  const counts = new Map(partitioned.map(([topic]) => [topic, declared.get(topic)?.spec?.partitions as number | undefined]));
  const distinct = new Set([...counts.values()].filter((count) => count !== undefined));
  if (distinct.size > 1)
    problems.push(
      `sources, changelogs, dead-letter topics and outputs must share one partition count: ${[...counts].map(([t, c]) => `${t}=${c}`).join(', ')}`,
    );
  return problems;
}

/** Which settings a container provides, and where from; secret refs count when the Secret templates hold the key. */
function provided(container: Any, objects: readonly K8sObject[], context: DeploymentContext): Map<string, string> {
  const out = new Map<string, string>();
  const configMap = (name: string): Record<string, string> =>
    ((ofKind(objects, 'ConfigMap').find((c) => c.metadata.name === name) as Any)?.data ?? {}) as Record<string, string>;
  const secretHas = (name: string, key: string) => context.secrets.some((s) => s.name === name && s.keys.has(key));
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef)
      for (const [key, value] of Object.entries(configMap(from.configMapRef.name)))
        if (value) out.set(key, `ConfigMap ${from.configMapRef.name}`);
  }
  for (const env of container.env ?? []) {
    out.delete(env.name);
    if (env.value) out.set(env.name, 'value');
    const cm = env.valueFrom?.configMapKeyRef;
    if (cm && !cm.optional && configMap(cm.name)[cm.key]) out.set(env.name, `ConfigMap ${cm.name}`);
    const secret = env.valueFrom?.secretKeyRef;
    if (secret && !secret.optional && secretHas(secret.name, secret.key)) out.set(env.name, `Secret ${secret.name}/${secret.key}`);
  }
  return out;
}

/** Each workload provides what its process requires; its ConfigMap's keys are settings with valid values. */
export function checkSettings(objects: readonly K8sObject[], context: DeploymentContext): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    for (const container of podSpec(w).containers ?? []) {
      const process = container.args?.[0] as string | undefined;
      const requirements = process ? context.requirements[process] : undefined;
      if (!requirements) {
        problems.push(`${id(w)}: container ${container.name} runs no known process (args ${JSON.stringify(container.args)})`);
        continue;
      }
      const have = provided(container, objects, context);
      for (const group of requirements)
        if (!group.some((env) => have.has(env)))
          problems.push(`${id(w)} (omnia ${process}) does not provide ${group.length > 1 ? `one of ${group.join(', ')}` : group[0]}`);
      // query-service/auth.ts refuses a secret next to a key or a JWKS, and a JWKS next to a key.
      const ways = ['OMNIA_JWT_JWKS_URL', 'OMNIA_JWT_PUBLIC_KEY', 'OMNIA_JWT_SECRET'].filter((env) => have.has(env));
      if (ways.length > 1) problems.push(`${id(w)} sets ${ways.join(' and ')}: the query service accepts one way to verify tokens`);
      for (const env of container.env ?? []) {
        if (/^(OMNIA|KAFKA|SLICK|SCHEMA|DATABASE)_/.test(env.name) && !knownSetting(env.name))
          problems.push(`${id(w)}: ${env.name} is no setting of settings/registry.ts`);
        const secret = env.valueFrom?.secretKeyRef;
        if (secret && !context.secrets.some((s) => s.name === secret.name && s.keys.has(secret.key)))
          problems.push(`${id(w)}: ${env.name} reads ${secret.name}/${secret.key}, which no template in deploy/k8s/secrets/ has`);
      }
    }
  }
  problems.push(...checkSharedSecrets(objects));
  for (const cm of ofKind(objects, 'ConfigMap')) {
    for (const [key, value] of Object.entries(((cm as Any).data ?? {}) as Record<string, string>)) {
      const setting = context.settings.get(key);
      if (!setting && !knownSetting(key)) problems.push(`ConfigMap ${cm.metadata.name}: ${key} is no setting of settings/registry.ts`);
      else if (setting && value)
        try {
          setting.parse(value);
        } catch (error) {
          problems.push(`ConfigMap ${cm.metadata.name}: ${(error as Error).message}`);
        }
    }
  }
  return problems;
}

/** Where a container's variable comes from: `Secret name/key`, `ConfigMap name/key`, `an inline value`, or undefined. */
function sourceOf(container: Any, env: string): string | undefined {
  const entry = (container.env ?? []).find((e: Any) => e.name === env);
  const secret = entry?.valueFrom?.secretKeyRef;
  const configMap = entry?.valueFrom?.configMapKeyRef;
  if (secret) return `Secret ${secret.name}/${secret.key}`;
  if (configMap) return `ConfigMap ${configMap.name}/${configMap.key}`;
  return entry ? 'an inline value' : undefined;
}

/**
 * Secrets two processes must share: omnia notify signs the customers' tracking links with OMNIA_TRACKING_SECRET
 * and the query service (omnia start) opens them with its own, so both read it from one Secret key.
 */
function checkSharedSecrets(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const running = (command: string) =>
    workloads(objects).flatMap((w) =>
      (podSpec(w).containers ?? []).filter((c: Any) => c.args?.[0] === command).map((c: Any) => ({ w, c })),
    );
  for (const signer of running('notify')) {
    const signs = sourceOf(signer.c, 'OMNIA_TRACKING_SECRET');
    if (!signs) continue; // checkSettings names it: a requirement of omnia notify
    for (const opener of running('start')) {
      const opens = sourceOf(opener.c, 'OMNIA_TRACKING_SECRET');
      if (opens !== signs || !signs.startsWith('Secret '))
        problems.push(
          `${id(opener.w)} (omnia start) reads OMNIA_TRACKING_SECRET from ${opens ?? 'nowhere'}, ${id(signer.w)} (omnia notify) from ${signs}: the tracking page would not open the links in the messages`,
        );
    }
  }
  return problems;
}

/** Non-root, read-only root filesystem, no capabilities, probes, requests and limits, a PDB, a NetworkPolicy. */
export function checkWorkloads(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const pdbs = ofKind(objects, 'PodDisruptionBudget');
  const policies = ofKind(objects, 'NetworkPolicy');
  const monitors = ofKind(objects, 'PodMonitor');
  if (
    !policies.some(
      (p) =>
        (p as Any).spec?.policyTypes?.includes('Ingress') &&
        (p as Any).spec?.policyTypes?.includes('Egress') &&
        !(p as Any).spec?.ingress &&
        !(p as Any).spec?.egress,
    )
  )
    problems.push('no default-deny NetworkPolicy (Ingress and Egress, no rules)');
  for (const w of workloads(objects)) {
    const spec = podSpec(w);
    const labels = podLabels(w);
    const pod = spec.securityContext ?? {};
    if (spec.enableServiceLinks !== false)
      problems.push(`${id(w)}: enableServiceLinks is not false (a Service omnia-sink would set OMNIA_SINK_PORT)`);
    for (const c of spec.containers ?? []) {
      const where = `${id(w)} container ${c.name}`;
      const sc = c.securityContext;
      if (!sc && !spec.securityContext) {
        problems.push(`${where}: no securityContext`);
        continue;
      }
      if ((sc?.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
      const uid = sc?.runAsUser ?? pod.runAsUser;
      if (!Number.isInteger(uid) || uid === 0) problems.push(`${where}: runAsUser is not a numeric non-root uid`);
      if (sc?.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
      if (sc?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (!sc?.capabilities?.drop?.includes('ALL') || sc?.capabilities?.add?.length)
        problems.push(`${where}: capabilities do not drop ALL`);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) if (!c[probe]) problems.push(`${where}: no ${probe}`);
      for (const kind of ['requests', 'limits'])
        for (const resource of ['cpu', 'memory']) if (!c.resources?.[kind]?.[resource]) problems.push(`${where}: no ${resource} ${kind}`);
      if (!/:[^/]+$/.test(c.image ?? '') || /:latest$/.test(c.image)) problems.push(`${where}: image ${c.image} has no fixed tag`);
      // Every port the pod serves is allowed in by a policy selecting it (else Prometheus or the callers are cut off).
      for (const port of c.ports ?? []) {
        const allowed = policies.some(
          (p: Any) =>
            selects(p.spec?.podSelector, labels) &&
            (p.spec?.ingress ?? []).some(
              (rule: Any) => !rule.ports || rule.ports.some((rp: Any) => rp.port === port.containerPort || rp.port === port.name),
            ),
        );
        if (!allowed) problems.push(`${where}: no NetworkPolicy lets traffic in to port ${port.containerPort}`);
      }
    }
    if (!pdbs.some((p: Any) => selects(p.spec?.selector, labels))) problems.push(`${id(w)}: no PodDisruptionBudget selects its pods`);
    if (!policies.some((p: Any) => selects(p.spec?.podSelector, labels) && p.spec?.policyTypes?.includes('Ingress') && p.spec?.ingress))
      problems.push(`${id(w)}: no NetworkPolicy with ingress rules selects its pods`);
    const ports = new Set((spec.containers ?? []).flatMap((c: Any) => (c.ports ?? []).map((p: Any) => p.name)));
    if (
      !monitors.some(
        (m: Any) => selects(m.spec?.selector, labels) && (m.spec?.podMetricsEndpoints ?? []).some((e: Any) => ports.has(e.port)),
      )
    )
      problems.push(`${id(w)}: no PodMonitor scrapes a port of its pods`);
  }
  return problems;
}

/** KEDA scales the processors on the lag of every source topic of their group, signed in through a TriggerAuthentication. */
export function checkScaling(objects: readonly K8sObject[], context: DeploymentContext): string[] {
  const problems: string[] = [];
  const { config } = appIdentity(objects);
  const processors = workloads(objects).find((w) => podSpec(w).containers?.[0]?.args?.[0] === 'start');
  const scaled = ofKind(objects, 'ScaledObject').find((s: Any) => s.spec?.scaleTargetRef?.name === processors?.metadata.name) as Any;
  if (!processors || !scaled) return ['no ScaledObject scales the processors'];
  const auths = new Map(ofKind(objects, 'TriggerAuthentication').map((a) => [a.metadata.name, a as Any]));
  const triggers = (scaled.spec?.triggers ?? []).filter((t: Any) => t.type === 'kafka');
  for (const topic of context.groupSources)
    if (!triggers.some((t: Any) => t.metadata?.topic === topic))
      problems.push(`ScaledObject ${scaled.metadata.name}: no trigger on the lag of ${topic}`);
  for (const t of triggers) {
    const name = `ScaledObject ${scaled.metadata.name} trigger ${t.metadata?.topic}`;
    if (t.metadata?.consumerGroup !== (config.OMNIA_APPLICATION_ID || 'omnia'))
      problems.push(`${name}: consumerGroup ${t.metadata?.consumerGroup} is not the processors' group`);
    if (t.metadata?.bootstrapServers !== config.KAFKA_BROKERS)
      problems.push(`${name}: bootstrapServers ${t.metadata?.bootstrapServers} are not KAFKA_BROKERS`);
    const auth = auths.get(t.authenticationRef?.name);
    if (!auth) problems.push(`${name}: no TriggerAuthentication (authenticationRef ${t.authenticationRef?.name})`);
    for (const ref of auth?.spec?.secretTargetRef ?? [])
      if (!context.secrets.some((s) => s.name === ref.name && s.keys.has(ref.key)))
        problems.push(`TriggerAuthentication ${auth.metadata.name}: ${ref.name}/${ref.key} is in no template of deploy/k8s/secrets/`);
  }
  const partitions = ofKind(objects, 'KafkaTopic').find(
    (k: Any) => (k.spec?.topicName ?? k.metadata.name) === context.groupSources[0],
  ) as Any;
  if (partitions && scaled.spec?.maxReplicaCount > partitions.spec?.partitions)
    problems.push(
      `ScaledObject ${scaled.metadata.name}: maxReplicaCount ${scaled.spec.maxReplicaCount} exceeds the ${partitions.spec.partitions} partitions (idle replicas)`,
    );
  if (processors && (processors as Any).spec?.replicas !== undefined)
    problems.push(`${id(processors)} sets replicas, which KEDA owns: every apply would reset the count`);
  return problems;
}
