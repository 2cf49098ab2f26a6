/**
 * COD reconciliation exceptions waiting for a person, as Prometheus gauges, read from the analysts' view
 * `open_reconciliation_exceptions` (postgres/migrations/007_exceptions.sql) when /metrics is scraped, at most
 * once per `refreshMs`:
 *
 *   omnia_reconciliation_exceptions_open{kind, acknowledged}
 *       open exceptions (each order's latest of each source, not reconciled, settled or resolved since) by kind
 *       (MISSING, SHORT, OVER; SETTLEMENT_MISMATCH, NOT_IN_SETTLEMENT, SETTLEMENT_WITHOUT_COLLECTION)
 *       and whether someone acknowledged it since it was last reported ("true" / "false")
 *   omnia_reconciliation_exceptions_unacknowledged_oldest_seconds
 *       age of the oldest open exception nobody acknowledged since it was last reported; 0 when there is none
 *
 * The view counts what the sink wrote, so every replica of the query service reports the same figures:
 * aggregate them with max(), never sum(). A failed read keeps the last figures (the scrape must not fail with
 * it) and is logged once until a read succeeds again.
 */
import { Gauge, type Registry } from 'prom-client';
import type { SqlSession } from '../postgres/sql.js';
import { type Logger, logger } from '../observability/logger.js';

export const RECONCILIATION_EXCEPTION_KINDS = [
  'MISSING',
  'SHORT',
  'OVER',
  'SETTLEMENT_MISMATCH',
  'NOT_IN_SETTLEMENT',
  'SETTLEMENT_WITHOUT_COLLECTION',
] as const;

/** One row per kind and acknowledged-or-not; the age is measured by the database's clock, as `at` is. */
export const OPEN_EXCEPTIONS_SQL = `SELECT kind, acknowledged_at IS NOT NULL AS acknowledged, count(*)::int AS exceptions,
       extract(epoch FROM now() - min(at))::float8 AS oldest_seconds
FROM open_reconciliation_exceptions GROUP BY 1, 2`;

export interface ReconciliationMetricsOptions {
  /** Least time between two reads of the view; default 60 s (scrapes in between see the last figures). */
  readonly refreshMs?: number;
  /** Default the project logger's child `{ component: 'reconciliation-metrics' }`. */
  readonly log?: Logger;
  /** Clock of the refresh interval (ms); tests move it. */
  readonly now?: () => number;
}

interface Row {
  kind: string;
  acknowledged: boolean;
  exceptions: number;
  oldest_seconds: number | string | null;
}

/** Registers the gauges on the registry, once (a second call on the same registry leaves the first in place). */
export function reconciliationMetrics(registry: Registry, db: SqlSession, options: ReconciliationMetricsOptions = {}): void {
  if (registry.getSingleMetric('omnia_reconciliation_exceptions_open')) return;
  const refreshMs = options.refreshMs ?? 60_000;
  const now = options.now ?? Date.now;
  const log = options.log ?? logger.child({ component: 'reconciliation-metrics' });
  let readAt = -Infinity;
  let reading: Promise<void> | undefined;
  let failing = false;

  const open = new Gauge({
    name: 'omnia_reconciliation_exceptions_open',
    help: 'Open COD reconciliation exceptions (view open_reconciliation_exceptions) by kind and whether acknowledged since last reported',
    labelNames: ['kind', 'acknowledged'] as const,
    registers: [registry],
    collect: () => fresh(),
  });
  const oldest = new Gauge({
    name: 'omnia_reconciliation_exceptions_unacknowledged_oldest_seconds',
    help: 'Age of the oldest open COD reconciliation exception nobody acknowledged since it was last reported; 0 when none',
    registers: [registry],
    collect: () => fresh(),
  });
  for (const kind of RECONCILIATION_EXCEPTION_KINDS) for (const acknowledged of ['true', 'false']) open.set({ kind, acknowledged }, 0);
  oldest.set(0);

  async function read(): Promise<void> {
    try {
      const { rows } = await db.query<Row>(OPEN_EXCEPTIONS_SQL);
      for (const kind of RECONCILIATION_EXCEPTION_KINDS) for (const acknowledged of ['true', 'false']) open.set({ kind, acknowledged }, 0);
      let unacknowledged = 0;
      for (const row of rows) {
        open.set({ kind: row.kind, acknowledged: String(row.acknowledged) }, Number(row.exceptions));
        if (!row.acknowledged) unacknowledged = Math.max(unacknowledged, Math.max(0, Number(row.oldest_seconds ?? 0)));
      }
      oldest.set(unacknowledged);
      if (failing) log.info('open reconciliation exceptions read again');
      failing = false;
    } catch (error) {
      if (!failing) log.warn({ err: error }, 'open reconciliation exceptions could not be read; /metrics keeps the last figures');
      failing = true;
    }
  }

  /** Reads the view when the last read is older than refreshMs; concurrent scrapes share one read. */
  function fresh(): Promise<void> {
    if (reading) return reading;
    if (now() - readAt < refreshMs) return Promise.resolve();
    readAt = now();
    reading = read().finally(() => (reading = undefined));
    return reading;
  }
}
