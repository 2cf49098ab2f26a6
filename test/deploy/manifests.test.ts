/**
 * deploy/k8s: both overlays render (`kubectl kustomize`), every object is valid against its schema (Kubernetes,
 * Strimzi's KafkaTopic CRD, KEDA, Prometheus Operator), and the deployment would run: every topic the code uses
 * has a KafkaTopic kept as it must be (compacted changelogs and tables, retention elsewhere, one partition count,
 * replicated as the settings say: 3 copies and min.insync.replicas 2 in prod); every workload (the processors,
 * the sink, the connectors and the notification connector) provides the settings its process requires
 * (settings/registry.ts, requiredSettings; omnia notify's from deployment.ts), the query service and omnia notify
 * share the tracking links' secret, every workload runs non-root on a read-only root filesystem without
 * capabilities, has probes, requests and limits, a PDB, a NetworkPolicy and a PodMonitor; KEDA
 * scales the processors on the lag of every source topic of their group, with a TriggerAuthentication. Each check
 * is also shown failing on a broken copy. Needs kubectl (with its kustomize): missing, this fails under CI and
 * skips elsewhere.
 */
import path from 'node:path';
import t, { type Test } from 'tap';
import { checkScaling, checkSettings, checkTopics, checkWorkloads, appIdentity, type DeploymentContext, workloads } from './checks.js';
import {
  codeTopics,
  envFileKeys,
  groupSources,
  K8S,
  type K8sObject,
  kubectlVersion,
  OVERLAYS,
  render,
  requirements,
  schemaErrors,
  secretTemplates,
  settingsByEnv,
} from './deployment.js';

const INSTALL = 'install kubectl 1.27 or later (its `kubectl kustomize` is kustomize 5): apt-get install -y kubectl';

function requireKubectl(t: Test): boolean {
  const version = kubectlVersion();
  if (version) {
    t.comment(version);
    return true;
  }
  const message = `kubectl not found: ${INSTALL}`;
  if (process.env.CI) t.fail(message);
  else t.comment(`SKIPPED: ${message}`);
  return false;
}

function contextFor(objects: readonly K8sObject[]): DeploymentContext {
  const { applicationId, prefix } = appIdentity(objects);
  return {
    topics: codeTopics(applicationId, prefix),
    groupSources: groupSources(prefix),
    requirements: requirements(),
    secrets: secretTemplates(),
    settings: settingsByEnv(),
  };
}

const clone = <T>(value: T): T => structuredClone(value);
const allChecks = (objects: readonly K8sObject[], context: DeploymentContext) => [
  ...checkTopics(objects, context),
  ...checkSettings(objects, context),
  ...checkWorkloads(objects),
  ...checkScaling(objects, context),
];

const rendered = new Map<string, K8sObject[]>();
const renderedOrSkip = (t: Test, overlay: string): K8sObject[] | undefined => {
  if (!requireKubectl(t)) return undefined;
  if (!rendered.has(overlay)) rendered.set(overlay, render(overlay));
  return rendered.get(overlay);
};

for (const overlay of OVERLAYS) {
  t.test(`overlays/${overlay}: renders, and every object is valid against its schema`, async (t) => {
    const objects = renderedOrSkip(t, overlay);
    if (!objects) return;
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      'StatefulSet',
      'KafkaTopic',
      'ScaledObject',
      'TriggerAuthentication',
      'PodMonitor',
      'PrometheusRule',
      'NetworkPolicy',
    ])
      t.ok(kinds.has(kind), `it has ${kind}s`);
    t.notOk(kinds.has('Secret'), 'no Secret: an apply never overwrites the real ones');
    const errors = (await Promise.all(objects.map(schemaErrors))).flat();
    t.same(errors, [], `${objects.length} objects valid`);
  });

  t.test(`overlays/${overlay}: the deployment runs`, async (t) => {
    const objects = renderedOrSkip(t, overlay);
    if (!objects) return;
    const context = contextFor(objects);
    t.same(
      checkTopics(objects, context),
      [],
      `a KafkaTopic for each of the ${context.topics.size} topics the code uses, kept as its role needs`,
    );
    t.same(checkSettings(objects, context), [], 'each workload provides what its process requires');
    t.same(checkWorkloads(objects), [], 'securityContext, probes, resources, PDB, NetworkPolicy and PodMonitor of each workload');
    t.same(checkScaling(objects, context), [], 'KEDA on the lag of every source topic of the group');
    t.same(
      workloads(objects)
        .map((w) => w.metadata.name)
        .sort(),
      ['omnia-connectors', 'omnia-notify', 'omnia-processors', 'omnia-sink'],
      'the four processes',
    );
  });
}

t.test('overlays/prod: every topic has 3 replicas and min.insync.replicas 2, and the processes create theirs so', async (t) => {
  const objects = renderedOrSkip(t, 'prod');
  if (!objects) return;
  const topics = objects.filter((o) => o.kind === 'KafkaTopic') as Array<
    K8sObject & { spec: { replicas: number; config: Record<string, unknown> } }
  >;
  t.ok(topics.length > 0);
  t.same(
    topics.filter((k) => k.spec.replicas !== 3 || k.spec.config['min.insync.replicas'] !== '2').map((k) => k.metadata.name),
    [],
    'replicas 3, min.insync.replicas "2"',
  );
  const { config } = appIdentity(objects);
  t.equal(config.OMNIA_TOPIC_REPLICATION_FACTOR, '3');
  t.equal(config.OMNIA_TOPIC_MIN_INSYNC_REPLICAS, '2');
  t.equal(config.KAFKA_SECURITY_PROTOCOL, 'SASL_SSL', 'SASL over TLS to the brokers');
});

t.test('every key of the ConfigMap env files and of the Secret templates is documented', async (t) => {
  for (const file of [path.join(K8S, 'base', 'config.env'), ...OVERLAYS.map((o) => path.join(K8S, 'overlays', o, 'config.env'))]) {
    const keys = envFileKeys(file);
    t.ok(keys.size > 0, `${path.relative(K8S, file)} has keys`);
    t.same(
      [...keys].filter(([, documented]) => !documented).map(([key]) => key),
      [],
      `${path.relative(K8S, file)}: a comment above each key`,
    );
  }
  const templates = secretTemplates();
  t.same(templates.map((s) => s.name).sort(), ['omnia', 'omnia-kafka', 'omnia-notify', 'omnia-partners']);
  for (const template of templates)
    t.same(
      [...template.keys].filter(([, documented]) => !documented).map(([key]) => key),
      [],
      `${template.file}: a comment above each key`,
    );
});

t.test('the checks fail on a broken deployment', async (t) => {
  const objects = renderedOrSkip(t, 'prod');
  if (!objects) return;
  const context = contextFor(objects);
  const without = (predicate: (o: K8sObject) => boolean) => objects.filter((o) => !predicate(o));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the copy is edited as plain data
  const edited = (kind: string, name: string, edit: (o: any) => void) =>
    objects.map((o) => {
      if (o.kind !== kind || o.metadata.name !== name) return o;
      const copy = clone(o);
      edit(copy);
      return copy;
    });

  t.match(
    checkTopics(
      without((o) => o.kind === 'KafkaTopic' && o.metadata.name === 'inventory.level.v1'),
      context,
    ),
    [/topic inventory\.level\.v1 \(source\) has no KafkaTopic/],
    'a source topic without a KafkaTopic',
  );
  t.match(
    checkTopics(
      without((o) => o.kind === 'KafkaTopic' && o.metadata.name === 'omnia-cod-open-changelog'),
      context,
    ),
    [/omnia-cod-open-changelog \(changelog\) has no KafkaTopic/],
    'a changelog without a KafkaTopic',
  );
  const uncompacted = objects.map((o) => {
    if (o.kind !== 'KafkaTopic' || o.metadata.name !== 'omnia-orders-changelog') return o;
    const copy = clone(o) as K8sObject & { spec: { config: Record<string, unknown> } };
    delete copy.spec.config['cleanup.policy'];
    return copy;
  });
  t.match(checkTopics(uncompacted, context), [/omnia-orders-changelog \(changelog\) is not compacted/], 'a changelog not compacted');
  const moreTopics = new Map(context.topics).set('order.new-source.v1', 'source');
  t.match(
    checkTopics(objects, { ...context, topics: moreTopics }),
    [/order\.new-source\.v1 \(source\) has no KafkaTopic/],
    'a topic the code adds',
  );

  const noDatabase = edited('StatefulSet', 'omnia-sink', (s) => {
    s.spec.template.spec.containers[0].env = s.spec.template.spec.containers[0].env.filter(
      (e: { name: string }) => e.name !== 'DATABASE_URL',
    );
  });
  t.match(
    checkSettings(noDatabase, context),
    [/StatefulSet omnia-sink \(omnia sink\) does not provide DATABASE_URL/],
    'the sink without DATABASE_URL',
  );
  const noJwt = objects.map((o) => {
    if (o.kind !== 'ConfigMap') return o;
    const copy = clone(o) as K8sObject & { data: Record<string, string> };
    copy.data.OMNIA_JWT_JWKS_URL = '';
    return copy;
  });
  t.match(
    checkSettings(noJwt, context),
    [/omnia-processors \(omnia start\) does not provide one of OMNIA_JWT_JWKS_URL, OMNIA_JWT_PUBLIC_KEY, OMNIA_JWT_SECRET/],
    'the processors without a way to verify tokens',
  );
  const optionalSecret = edited('StatefulSet', 'omnia-connectors', (s) => {
    const env = s.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'SLICK_TOKEN');
    env.valueFrom.secretKeyRef.optional = true;
  });
  t.match(
    checkSettings(optionalSecret, context),
    [/omnia-connectors \(omnia connectors\) does not provide SLICK_TOKEN/],
    'a required secret made optional',
  );
  const noTrackingSecret = edited('StatefulSet', 'omnia-notify', (s) => {
    s.spec.template.spec.containers[0].env = s.spec.template.spec.containers[0].env.filter(
      (e: { name: string }) => e.name !== 'OMNIA_TRACKING_SECRET',
    );
  });
  t.match(
    checkSettings(noTrackingSecret, context),
    [/StatefulSet omnia-notify \(omnia notify\) does not provide OMNIA_TRACKING_SECRET/],
    'the notification connector without the tracking links’ secret',
  );
  const noSmsUrl = objects.map((o) => {
    if (o.kind !== 'ConfigMap') return o;
    const copy = clone(o) as K8sObject & { data: Record<string, string> };
    copy.data.OMNIA_NOTIFY_SMS_URL = '';
    return copy;
  });
  t.match(
    checkSettings(noSmsUrl, context),
    [/omnia-notify \(omnia notify\) does not provide OMNIA_NOTIFY_SMS_URL/],
    'the notification connector without the SMS provider',
  );
  const otherTrackingKey = edited('StatefulSet', 'omnia-processors', (s) => {
    const env = s.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'OMNIA_TRACKING_SECRET');
    env.valueFrom.secretKeyRef = { name: 'omnia', key: 'jwt-secret', optional: true };
  });
  t.match(
    checkSettings(otherTrackingKey, context),
    [
      /omnia-processors \(omnia start\) reads OMNIA_TRACKING_SECRET from Secret omnia\/jwt-secret, .*omnia-notify \(omnia notify\) from Secret omnia-notify\/tracking-secret/,
    ],
    'the query service and the notification connector on different tracking secrets',
  );
  const typo = edited('StatefulSet', 'omnia-processors', (s) =>
    s.spec.template.spec.containers[0].env.push({ name: 'OMNIA_TOPIC_REPLICATION', value: '3' }),
  );
  t.match(checkSettings(typo, context), [/OMNIA_TOPIC_REPLICATION is no setting/], 'a misspelt setting');

  const noSecurity = edited('StatefulSet', 'omnia-connectors', (s) => {
    delete s.spec.template.spec.securityContext;
    delete s.spec.template.spec.containers[0].securityContext;
  });
  t.match(
    checkWorkloads(noSecurity),
    [/StatefulSet omnia-connectors container connectors: no securityContext/],
    'a workload without securityContext',
  );
  const writable = edited(
    'StatefulSet',
    'omnia-processors',
    (s) => (s.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false),
  );
  t.match(checkWorkloads(writable), [/omnia-processors container omnia: readOnlyRootFilesystem is not true/]);
  const noProbe = edited('StatefulSet', 'omnia-sink', (s) => delete s.spec.template.spec.containers[0].startupProbe);
  t.match(checkWorkloads(noProbe), [/omnia-sink container sink: no startupProbe/]);
  t.match(
    checkWorkloads(without((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'omnia-sink')),
    [/StatefulSet omnia-sink: no PodDisruptionBudget/],
    'a workload without a PDB',
  );
  t.match(
    checkWorkloads(without((o) => o.kind === 'PodMonitor' && o.metadata.name === 'omnia-connectors')),
    [/StatefulSet omnia-connectors: no PodMonitor/],
    'connectors not scraped',
  );
  t.match(
    checkWorkloads(without((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'omnia-sink')),
    [/omnia-sink container sink: no NetworkPolicy lets traffic in to port 9465/],
    'a port no policy opens',
  );
  t.match(
    checkWorkloads(without((o) => o.kind === 'PodMonitor' && o.metadata.name === 'omnia-notify')),
    [/StatefulSet omnia-notify: no PodMonitor/],
    'the notification connector not scraped',
  );
  t.match(
    checkWorkloads(without((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'omnia-notify')),
    [
      /omnia-notify container notify: no NetworkPolicy lets traffic in to port 9467/,
      /StatefulSet omnia-notify: no NetworkPolicy with ingress rules/,
    ],
    'the notification connector’s port no policy opens',
  );
  t.match(
    checkWorkloads(without((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'omnia-notify')),
    [/StatefulSet omnia-notify: no PodDisruptionBudget/],
    'the notification connector without a PDB',
  );

  const createOnly = edited('ScaledObject', 'omnia-processors', (s) => {
    s.spec.triggers = s.spec.triggers.filter((tr: { metadata: { topic: string } }) => tr.metadata.topic === 'order.create.v1');
  });
  t.match(checkScaling(createOnly, context), [/no trigger on the lag of order\.update\.v1/], 'KEDA on order.create.v1 alone');
  t.match(
    checkScaling(
      without((o) => o.kind === 'TriggerAuthentication'),
      context,
    ),
    [/no TriggerAuthentication/],
    'KEDA without a TriggerAuthentication',
  );

  const topic = clone(objects.find((o) => o.kind === 'KafkaTopic')!) as K8sObject & { spec: { partitions: number } };
  topic.spec.partitions = 0;
  t.match(await schemaErrors(topic), [/KafkaTopic .*: \/spec\/partitions must be >= 1/], 'the KafkaTopic schema refuses 0 partitions');
  const statefulSet = clone(objects.find((o) => o.kind === 'StatefulSet')!) as K8sObject & { spec: { replicas: unknown } };
  statefulSet.spec.replicas = 'two';
  t.match(await schemaErrors(statefulSet), [/spec\/replicas must be integer/], 'the Kubernetes schema refuses replicas "two"');
  t.match(await schemaErrors({ ...topic, apiVersion: 'kafka.strimzi.io/v1alpha1' }), [/not a version Strimzi's KafkaTopic CRD serves/]);
  t.ok(allChecks(objects, context).length === 0, 'and the real one passes them all');
});
