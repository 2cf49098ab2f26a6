/**
 * How long a process waits on Postgres before it gives up, so that a database that stops answering (a
 * failover in progress, a network that drops packets, a server out of memory) fails requests and batches in
 * bounded time instead of hanging them. Every `pg` pool of the project gets all of these:
 *
 * - connect: opening a connection, or waiting for a free one of the pool;
 * - statement (server side, `statement_timeout`): Postgres cancels a statement running longer (SQLSTATE 57014);
 * - query (client side, `query_timeout`): the driver gives up on an answer `QUERY_TIMEOUT_GRACE_MS` after the
 *   server's own limit. A server that answers nothing cannot cancel anything: only this bound ends the wait;
 * - idle in transaction (server side): Postgres ends a session whose transaction sits idle this long, so a
 *   stalled client does not hold its locks (and the sink's rows) for ever;
 * - TCP keepalive: a connection whose peer vanished is noticed while it is idle, not at its next use.
 *
 * The statement limit differs by process: the query service answers clerks, who need an answer or an error in
 * seconds; the sink writes batches of thousands of records in one transaction, which may wait on locks an
 * analyst's long query holds. Settings in settings/registry.ts (sink and query sections).
 */
import type pg from 'pg';

export interface PgTimeouts {
  readonly connectMs: number;
  readonly statementMs: number;
  readonly idleInTransactionMs: number;
}

/** For any pool not given its own (operator commands, the embedded default on DATABASE_URL, tests). */
export const DEFAULT_PG_TIMEOUTS: PgTimeouts = { connectMs: 5_000, statementMs: 30_000, idleInTransactionMs: 60_000 };

/** The query service's statement limit: a lookup or search slower than this is of no use to a clerk; a quarter's report fits. */
export const QUERY_STATEMENT_TIMEOUT_MS = 10_000;

/** The sink's: a batch of OMNIA_SINK_BATCH_RECORDS records in one transaction, plus a wait behind an analyst's lock. */
export const SINK_STATEMENT_TIMEOUT_MS = 60_000;

/**
 * How long readiness waits for `SELECT 1`: below the kubelet's default probe timeout (1 s) and `omnia status`'s
 * (OMNIA_OPS_HTTP_TIMEOUT_MS, 2 s), so they get the 503 and its reason rather than a timeout of their own.
 */
export const PROBE_TIMEOUT_MS = 800;

/** Past the server's statement limit, how long the client still waits: a live server's cancel arrives first. */
export const QUERY_TIMEOUT_GRACE_MS = 2_000;

/** Idle time before the first TCP keepalive probe; the kernel's interval and count decide the rest. */
const KEEPALIVE_DELAY_MS = 10_000;

/** The `pg` pool options that carry `timeouts`. */
export function poolTimeouts(timeouts: PgTimeouts): pg.PoolConfig {
  return {
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    query_timeout: timeouts.statementMs + QUERY_TIMEOUT_GRACE_MS,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
  };
}

/** The timeouts of a process's settings (the sink's or the query service's section). */
export const timeoutsOf = (config: {
  readonly postgresConnectTimeoutMs: number;
  readonly postgresStatementTimeoutMs: number;
  readonly postgresIdleInTransactionTimeoutMs: number;
}): PgTimeouts => ({
  connectMs: config.postgresConnectTimeoutMs,
  statementMs: config.postgresStatementTimeoutMs,
  idleInTransactionMs: config.postgresIdleInTransactionTimeoutMs,
});
