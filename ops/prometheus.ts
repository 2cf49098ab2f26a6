/**
 * Reads the Prometheus text format every replica serves at /metrics (prom-client's output): one sample per line,
 * `name{label="value",…} number`, comments and blank lines skipped. Enough of the format for `omnia status`,
 * which reads the runtime's own metrics there (runtime/metrics.ts).
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/y;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    const body = match[3] ?? '';
    LABEL.lastIndex = 0;
    let label: RegExpExecArray | null;
    while (LABEL.lastIndex < body.length && (label = LABEL.exec(body)) !== null) {
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char));
    }
    const value = parseValue(match[4]!);
    if (value !== undefined) samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/** The samples of one metric whose labels include `labels`. */
export function samplesOf(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
  return samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

/** The value of one metric (summed over the samples that match); undefined when none does. */
export function metricValue(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const matching = samplesOf(samples, name, labels);
  return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
}
