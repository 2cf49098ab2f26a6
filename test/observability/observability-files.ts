/**
 * What the observability tests read: the alert rules, the Grafana dashboards and the runbook
 * (deploy/observability/, docs/runbook.md), each PromQL expression with where it comes from, the metric names an
 * expression reads, and the GitHub anchors of the runbook's headings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository root, from test/observability/ in the sources or dist/test/observability/ when compiled. */
const twoUp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ROOT = path.basename(twoUp) === 'dist' ? path.dirname(twoUp) : twoUp;
export const RULES_DIR = path.join(ROOT, 'deploy', 'observability', 'rules');
export const RULES_FILE = path.join(RULES_DIR, 'omnia.rules.yaml');
export const RULES_TEST_FILE = path.join(RULES_DIR, 'omnia.rules.test.yaml');
export const DASHBOARDS_DIR = path.join(ROOT, 'deploy', 'observability', 'dashboards');
export const RUNBOOK = path.join(ROOT, 'docs', 'runbook.md');

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: Rule[];
}

export const loadRuleGroups = (file = RULES_FILE): RuleGroup[] => (parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] }).groups;

export const alertRules = (): Rule[] => loadRuleGroups().flatMap((group) => group.rules.filter((rule) => rule.alert !== undefined));

/** A PromQL expression and where it is written, to name in a failure. */
export interface Expression {
  readonly where: string;
  readonly expr: string;
}

interface Target {
  expr?: string;
  rawSql?: string;
  datasource?: { type?: string };
}
export interface Panel {
  title: string;
  type: string;
  datasource?: { type?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  definition?: string;
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

export function loadDashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard }));
}

/** Every panel, rows' own panels included. */
export function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Grafana's variables in an expression replaced by values Prometheus accepts. */
export const withoutGrafanaVariables = (expr: string): string =>
  expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}?/g, '.*');

/** Every PromQL expression of the dashboards: panel targets, and the metric of each `label_values(metric, label)` variable. */
export function dashboardExpressions(): Expression[] {
  const out: Expression[] = [];
  for (const { file, dashboard } of loadDashboards()) {
    for (const panel of allPanels(dashboard.panels))
      for (const [index, target] of (panel.targets ?? []).entries())
        if (target.expr !== undefined)
          out.push({ where: `dashboard ${file}, panel "${panel.title}" (target ${index + 1})`, expr: target.expr });
    for (const variable of dashboard.templating.list) {
      if (variable.type !== 'query') continue;
      const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
      const match = /^label_values\((.+),\s*[A-Za-z_][A-Za-z0-9_]*\)$/.exec(query.trim());
      if (match) out.push({ where: `dashboard ${file}, variable $${variable.name}`, expr: match[1]! });
    }
  }
  return out;
}

/** Every SQL query of the dashboards (Postgres panels over the analysts' views). */
export function dashboardSql(): Expression[] {
  const out: Expression[] = [];
  for (const { file, dashboard } of loadDashboards())
    for (const panel of allPanels(dashboard.panels))
      for (const target of panel.targets ?? [])
        if (target.rawSql !== undefined) out.push({ where: `dashboard ${file}, panel "${panel.title}"`, expr: target.rawSql });
  return out;
}

export const ruleExpressions = (): Expression[] =>
  loadRuleGroups().flatMap((group) =>
    group.rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record} (group ${group.name})`, expr: rule.expr })),
  );

/** PromQL's functions, aggregations and keywords: identifiers that are never metric names. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'atan2',
  'inf',
  'nan',
  'start',
  'end',
]);

/**
 * The metric names an expression reads: identifiers outside strings, label matchers, range brackets and
 * grouping lists that are not followed by `(` (a function or an aggregation) and are not a keyword.
 */
export function metricNames(expr: string): Set<string> {
  let text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings (label values, regexps, label_replace's arguments)
    .replace(/#[^\n]*/g, ' ') // comments
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // grouping label lists
  text = withoutGrafanaVariables(text);
  const names = new Set<string>();
  const token = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*|[A-Za-z_:][A-Za-z0-9_:]*/g;
  for (let match = token.exec(text); match; match = token.exec(text)) {
    const word = match[0];
    if (!/^[A-Za-z_:]/.test(word) || KEYWORDS.has(word.toLowerCase())) continue;
    if (/^\s*\(/.test(text.slice(match.index + word.length))) continue; // a function or an aggregation
    names.add(word);
  }
  return names;
}

/** The metric names a Prometheus text exposition offers to queries: samples, and each histogram's and summary's series. */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name! + suffix);
      else if (kind === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name! + suffix);
      else names.add(name!);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens. */
export const githubSlug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');

/** The anchors of a Markdown document's headings (outside code fences), numbered as GitHub numbers repeats. */
export function headingAnchors(markdown: string): Map<string, string> {
  const anchors = new Map<string, string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/`/g, '');
    const slug = githubSlug(text);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.set(count === 0 ? slug : `${slug}-${count}`, text);
  }
  return anchors;
}
