/**
 * The operator commands' arguments: `--name value`, `--name=value` and boolean `--name`, checked against what the
 * command takes, so a mistyped option is refused with the list of the right ones instead of being ignored.
 */

/** A command line the command cannot run: the message says what was wrong and what it takes. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionKind = 'flag' | 'value';

export interface ParsedArgs {
  readonly positional: readonly string[];
  /** Value options by name (without the dashes). */
  readonly values: ReadonlyMap<string, string>;
  /** Boolean options given. */
  readonly flags: ReadonlySet<string>;
}

export function parseArgs(argv: readonly string[], options: Readonly<Record<string, OptionKind>>): ParsedArgs {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const known = () =>
    Object.entries(options)
      .map(([name, kind]) => (kind === 'flag' ? `--${name}` : `--${name} VALUE`))
      .join(', ');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = options[name];
    if (!kind) throw new UsageError(`unknown option --${name}; this command takes ${known() || 'no options'}`);
    if (kind === 'flag') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  return { positional, values, flags };
}

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time from `--since`: an ISO-8601 time (`2026-05-01T03:00:00Z`, a date alone is its midnight UTC) or
 * a span back from `now` (`30m`, `2h`, `1d`, `45s`).
 */
export function parseSince(text: string, now: number): number {
  const span = /^([0-9]+(?:\.[0-9]+)?)\s*(s|m|min|h|d)$/.exec(text.trim());
  if (span) return now - Number(span[1]) * UNITS[span[2]!]!;
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return at;
  }
  throw new UsageError(`--since ${JSON.stringify(text)} is neither a time (2026-05-01T03:00:00Z) nor a span back from now (30m, 2h, 1d)`);
}
