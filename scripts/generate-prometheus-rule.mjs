// deploy/k8s/base/prometheus-rule.yaml (the Prometheus Operator's PrometheusRule) is generated from the plain rule file
// deploy/observability/rules/omnia.rules.yaml, which promtool checks and tests: its `groups:` become the
// resource's `spec.groups`, byte for byte, so the two cannot drift. test/observability/rules.test.ts compares.
//   node scripts/generate-prometheus-rule.mjs           write the resource
//   node scripts/generate-prometheus-rule.mjs --check   exit 1 when it is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RULES_FILE = path.join(ROOT, 'deploy', 'observability', 'rules', 'omnia.rules.yaml');
export const OUTPUT_FILE = path.join(ROOT, 'deploy', 'k8s', 'base', 'prometheus-rule.yaml');
export const GENERATE_COMMAND = 'node scripts/generate-prometheus-rule.mjs';

/** The PrometheusRule resource for the text of a rule file (default RULES_FILE's). */
export function generatePrometheusRule(rulesText = readFileSync(RULES_FILE, 'utf8')) {
  const lines = rulesText.split('\n');
  const start = lines.findIndex((line) => /^groups:\s*$/.test(line));
  if (start < 0) throw new Error('the rule file has no top-level "groups:" line');
  const body = lines
    .slice(start)
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n')
    .replace(/\n*$/, '\n');
  return [
    `# Generated from deploy/observability/rules/omnia.rules.yaml by \`${GENERATE_COMMAND}\`. Do not edit: edit that`,
    '# file (promtool checks and tests it) and run the command again; test/observability/rules.test.ts compares.',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: PrometheusRule',
    'metadata:',
    '  name: omnia',
    '  labels: { app.kubernetes.io/name: omnia }',
    'spec:',
    body,
  ].join('\n');
}

function main(args) {
  const text = generatePrometheusRule();
  let current;
  try {
    current = readFileSync(OUTPUT_FILE, 'utf8');
  } catch {
    current = undefined;
  }
  const relative = path.relative(ROOT, OUTPUT_FILE);
  if (args.includes('--check')) {
    if (current === text) return 0;
    console.error(`${relative} is out of date with deploy/observability/rules/omnia.rules.yaml: run \`${GENERATE_COMMAND}\``);
    return 1;
  }
  if (current !== text) {
    writeFileSync(OUTPUT_FILE, text);
    console.log(`wrote ${relative}`);
  } else console.log(`${relative} is up to date`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
