/**
 * Readiness of a process that needs Postgres: whether the database answers `SELECT 1` within a short time.
 * A pool whose statements hang (a black-holed network, a server stuck on I/O) otherwise looks healthy until
 * its requests time out one by one. The sink's /health/ready and the query service's use it.
 */
import type { SqlDatabase } from './sql.js';

export interface Readiness {
  readonly ready: boolean;
  readonly reason?: string;
}

export type DatabaseProbe = () => Promise<Readiness>;

/**
 * Asks `db` whether it answers, once at a time: callers that come while a probe is out share its outcome, so
 * frequent health checks never pile queries onto a database that is already stuck.
 */
export function databaseProbe(db: SqlDatabase, timeoutMs: number): DatabaseProbe {
  let current: Promise<Readiness> | undefined;
  const probe = async (): Promise<Readiness> => {
    if (!db.ping) return { ready: true }; // in this process: nothing between us to stop answering
    try {
      await db.ping(timeoutMs);
      return { ready: true };
    } catch (error) {
      return {
        ready: false,
        reason:
          `Postgres does not answer (SELECT 1, ${timeoutMs} ms allowed: ${(error as Error).message}). Check that the database ` +
          'runs and accepts connections, and that this host reaches DATABASE_URL’s host and port (docs/runbook.md, Postgres outage)',
      };
    }
  };
  return () => (current ??= probe().finally(() => (current = undefined)));
}

/** Ready when every part is; the reasons of those that are not, the database's first. */
export function allReady(parts: readonly Readiness[]): Readiness {
  const failing = parts.filter((part) => !part.ready);
  if (failing.length === 0) return { ready: true };
  return { ready: false, reason: failing.map((part) => part.reason ?? 'not ready').join('; ') };
}
