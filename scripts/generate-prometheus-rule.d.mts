// Types of scripts/generate-prometheus-rule.mjs, for the test that checks deploy/k8s/base/prometheus-rule.yaml is up to date.

/** deploy/observability/rules/omnia.rules.yaml */
export const RULES_FILE: string;
/** deploy/k8s/base/prometheus-rule.yaml */
export const OUTPUT_FILE: string;
/** The command that regenerates OUTPUT_FILE. */
export const GENERATE_COMMAND: string;
/** The PrometheusRule resource for the text of a rule file (default RULES_FILE's). */
export function generatePrometheusRule(rulesText?: string): string;
