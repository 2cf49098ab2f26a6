import type { Test } from 'tap';

/** Asserts `run` throws an instance of `kind` whose message matches `pattern`. */
export function failsWith(t: Test, run: () => unknown, kind: new (...args: never[]) => Error, pattern: RegExp, label: string): void {
  try {
    run();
    t.fail(`${label}: nothing was thrown`);
  } catch (error) {
    t.ok(error instanceof kind, `${label}: a ${kind.name}`);
    t.match((error as Error).message, pattern, label);
  }
}
