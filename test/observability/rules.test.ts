/**
 * The alert rules (deploy/observability/rules/): `promtool check rules` and `promtool test rules` pass; every
 * alert has a severity, a summary, a description and a runbook link that resolves to its own section of
 * docs/runbook.md, and a test case where it fires and one where it does not; the PrometheusRule in deploy/k8s is
 * the rule file's groups exactly; every dashboard expression is PromQL that Prometheus' parser accepts.
 * promtool comes from Debian's `prometheus` package: missing, this test fails under CI and skips elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { parse, stringify } from 'yaml';
import { pathToFileURL } from 'node:url';
import type * as Generator from '../../scripts/generate-prometheus-rule.mjs';
import {
  alertRules,
  dashboardExpressions,
  headingAnchors,
  loadRuleGroups,
  RULES_DIR,
  RULES_FILE,
  RULES_TEST_FILE,
  RUNBOOK,
  withoutGrafanaVariables,
} from './observability-files.js';

// From the repository's scripts/, by path: the tests run compiled from dist/test/, and scripts/ is not compiled.
const { GENERATE_COMMAND, generatePrometheusRule, OUTPUT_FILE } = (await import(
  pathToFileURL(path.resolve('scripts/generate-prometheus-rule.mjs')).href
)) as typeof Generator;

const INSTALL = 'apt-get install -y prometheus (Debian’s package provides /usr/bin/promtool)';

/** True when promtool runs; otherwise fails under CI and says why it skips elsewhere. */
function requirePromtool(t: Test): boolean {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const message = `promtool not found: ${INSTALL}`;
  if (process.env.CI) t.fail(message);
  else t.comment(`SKIPPED: ${message}`);
  return false;
}

const promtool = (args: string[], cwd = RULES_DIR) => {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
};

t.test('promtool check rules: the rule file is valid', async (t) => {
  if (!requirePromtool(t)) return;
  const { status, output } = promtool(['check', 'rules', path.basename(RULES_FILE)]);
  t.equal(status, 0, output);
  t.match(output, new RegExp(`SUCCESS: ${loadRuleGroups().flatMap((group) => group.rules).length} rules found`));
});

t.test('promtool test rules: every unit test of omnia.rules.test.yaml passes', async (t) => {
  if (!requirePromtool(t)) return;
  const { status, output } = promtool(['test', 'rules', path.basename(RULES_TEST_FILE)]);
  t.equal(status, 0, output);
  t.match(output, /SUCCESS/);
});

t.test('every dashboard expression parses as PromQL (promtool over them as recording rules)', async (t) => {
  if (!requirePromtool(t)) return;
  const expressions = dashboardExpressions();
  t.ok(expressions.length > 50, `${expressions.length} expressions`);
  const dir = mkdtempSync(path.join(tmpdir(), 'omnia-dashboards-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // One file per expression, so a failure names its panel.
  const failures: string[] = [];
  for (const [index, { where, expr }] of expressions.entries()) {
    const file = path.join(dir, `expr-${index}.yaml`);
    writeFileSync(
      file,
      stringify({ groups: [{ name: 'dashboard', rules: [{ record: 'omnia:dashboard_check', expr: withoutGrafanaVariables(expr) }] }] }),
    );
    const { status, output } = promtool(['check', 'rules', file], dir);
    if (status !== 0) failures.push(`${where}: ${expr}\n${output}`);
  }
  t.same(failures, [], 'every expression is accepted');
});

t.test('every alert: a severity, a summary and a description, and a runbook link to its own section', async (t) => {
  const anchors = headingAnchors(readFileSync(RUNBOOK, 'utf8'));
  const alerts = alertRules();
  t.ok(alerts.length >= 20, `${alerts.length} alerts`);
  t.equal(new Set(alerts.map((rule) => rule.alert)).size, alerts.length, 'alert names are unique');
  for (const rule of alerts) {
    const name = rule.alert!;
    t.match(rule.labels?.severity, /^(critical|warning)$/, `${name}: severity critical or warning`);
    t.ok((rule.annotations?.summary ?? '').length > 20, `${name}: a summary`);
    t.ok((rule.annotations?.description ?? '').length > 20, `${name}: a description`);
    const link = rule.annotations?.runbook_url ?? '';
    const match = /^docs\/runbook\.md#([a-z0-9_-]+)$/.exec(link);
    if (!match) {
      t.fail(`${name}: runbook_url "${link}" is not docs/runbook.md#<anchor>`);
      continue;
    }
    const heading = anchors.get(match[1]!);
    t.ok(heading !== undefined, `${name}: ${link} resolves to a heading of docs/runbook.md`);
    t.equal(heading, name, `${name}: the heading it points at is the alert's own section`);
  }
});

t.test('every alert has a test where it fires and one where it must not', async (t) => {
  interface AlertTest {
    alertname: string;
    exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
  }
  const tests = (parse(readFileSync(RULES_TEST_FILE, 'utf8')) as { tests: Array<{ alert_rule_test?: AlertTest[] }> }).tests;
  const cases = tests.flatMap((test) => test.alert_rule_test ?? []);
  for (const rule of alertRules()) {
    const mine = cases.filter((entry) => entry.alertname === rule.alert);
    const firing = mine.filter((entry) => (entry.exp_alerts ?? []).length > 0);
    t.ok(firing.length > 0, `${rule.alert}: a case where it fires`);
    t.ok(
      mine.some((entry) => (entry.exp_alerts ?? []).length === 0),
      `${rule.alert}: a case where it does not`,
    );
    t.ok(
      firing.every((entry) => entry.exp_alerts!.every((alert) => alert.exp_annotations?.runbook_url === rule.annotations?.runbook_url)),
      `${rule.alert}: the firing cases check the annotations, runbook link included`,
    );
  }
});

t.test('deploy/k8s/prometheus-rule.yaml is generated from the rule file', async (t) => {
  const checkedIn = readFileSync(OUTPUT_FILE, 'utf8');
  if (checkedIn !== generatePrometheusRule()) t.fail(`deploy/k8s/prometheus-rule.yaml is stale: run \`${GENERATE_COMMAND}\``);
  else t.pass('up to date');
  const resource = parse(checkedIn) as { kind: string; spec: { groups: unknown } };
  t.equal(resource.kind, 'PrometheusRule');
  t.same(resource.spec.groups, loadRuleGroups(), 'its spec.groups are the rule file’s groups');
  const kustomization = readFileSync(path.join(path.dirname(OUTPUT_FILE), 'kustomization.yaml'), 'utf8');
  t.match(kustomization, /^\s+- prometheus-rule\.yaml$/m, 'kustomization.yaml deploys it');
  const monitoring = readFileSync(path.join(path.dirname(OUTPUT_FILE), 'monitoring.yaml'), 'utf8');
  t.notMatch(monitoring, /kind: PrometheusRule/, 'no second, hand-written copy of the rules');
  for (const job of ['omnia-processors', 'omnia-sink', 'omnia-connectors', 'omnia-notify'])
    t.match(monitoring, new RegExp(`name: ${job}\\n`), `a PodMonitor ${job}, the scrape job the rules name`);
});

t.test('the runbook: its own links resolve, and it covers the operations as well as the alerts', async (t) => {
  const markdown = readFileSync(RUNBOOK, 'utf8');
  const anchors = headingAnchors(markdown);
  for (const [, anchor] of markdown.matchAll(/\]\(#([^)]+)\)/g)) t.ok(anchors.has(anchor!), `#${anchor} resolves to a heading`);
  for (const section of [
    'Scale out / in',
    'Replace a replica',
    'A lost state volume',
    'Broker outage',
    'Postgres outage',
    'Re-driving dead letters',
    'Rotating partner secrets and JWT keys',
    'Postgres backup and restore',
  ])
    t.ok([...anchors.values()].includes(section), `a section "${section}"`);
  const alertNames = new Set(alertRules().map((rule) => rule.alert));
  const stale = [...anchors.values()].filter((heading) => /^Omnia[A-Z]/.test(heading) && !alertNames.has(heading));
  t.same(stale, [], 'no section for an alert that no longer exists');
});
