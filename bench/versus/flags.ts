/** `--name=value` / `--name` arguments, as the orchestrator and its child processes take them. */

export function flags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}" (expected --name=value)`);
    out.set(match[1]!, match[2] ?? 'true');
  }
  return out;
}

/** A whole number ≥ 0 (underscores allowed: 60_000); `fallback` when the flag is absent. */
export function intFlag(args: ReadonlyMap<string, string>, name: string, fallback: number): number {
  const raw = args.get(name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number ≥ 0, got "${raw}"`);
  return value;
}
