/**
 * The little of a SQL database the sink and the query service use: sessions that run statements, one at a
 * time, and can hold a transaction. Two implementations: a `pg` pool (DATABASE_URL) and the embedded
 * Postgres (postgres/embedded-postgres.ts), so the same writer runs against both.
 *
 * The pool never waits without bound (postgres/timeouts.ts). An error that says the database did not answer
 * (refused, cut, timed out) is marked: `isDatabaseUnavailable` tells callers to answer 503, not 500.
 */
import pg from 'pg';
import { DEFAULT_PG_TIMEOUTS, type PgTimeouts, poolTimeouts, QUERY_TIMEOUT_GRACE_MS } from './timeouts.js';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface SqlSession {
  /** One statement with `$n` parameters; without parameters the text may hold several statements. */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface SessionOptions {
  /** This session's own statement limit instead of the pool's (migrations, which may rewrite large tables). */
  readonly statementTimeoutMs?: number;
}

export interface SqlDatabase extends SqlSession {
  /** A session of its own (for a transaction); `release(broken)` drops a session that saw a connection error. */
  session(options?: SessionOptions): Promise<SqlSession & { release(broken?: boolean): void }>;
  /**
   * `SELECT 1`, given up after `timeoutMs`: whether the server answers now. Only a database reached over the
   * network has it (an in-process one cannot stop answering on its own).
   */
  ping?(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface PgDatabaseOptions {
  readonly max?: number;
  readonly applicationName?: string;
  readonly timeouts?: PgTimeouts;
}

// Money and bigint columns come back as exact strings; pg already does that for numeric and int8.

export function pgDatabase(connectionString: string, options: PgDatabaseOptions = {}): SqlDatabase {
  const config: pg.PoolConfig = {
    connectionString,
    max: options.max ?? 4,
    application_name: options.applicationName ?? 'omnia',
    ...poolTimeouts(options.timeouts ?? DEFAULT_PG_TIMEOUTS),
  };
  const pool = quietPool(config);
  // Readiness asks on a connection of its own: a pool busy with slow reports is not a database that does not
  // answer, and a ping must not queue behind them. Opened at the first ping.
  let pingPool: pg.Pool | undefined;
  const listening = new WeakSet<pg.PoolClient>();
  const adapt = <R>(result: pg.QueryResult): QueryResult<R> => ({ rows: result.rows as R[], rowCount: result.rowCount ?? 0 });
  return {
    async query<R>(text: string, params?: readonly unknown[]) {
      return adapt<R>(await pool.query(text, params as unknown[] | undefined).catch(marked));
    },
    async session(sessionOptions: SessionOptions = {}) {
      const client = await pool.connect().catch(marked);
      if (!listening.has(client)) {
        client.on('error', () => undefined); // reported by the next query on it, which the caller handles
        listening.add(client);
      }
      const own = sessionOptions.statementTimeoutMs;
      if (own !== undefined) {
        try {
          await client.query(`SET statement_timeout = ${Math.trunc(own)}`);
        } catch (error) {
          client.release(true);
          marked(error);
        }
      }
      // `query_timeout` per statement overrides the pool's, for a session with its own limit.
      const withOwnLimit = (text: string, params?: readonly unknown[]) =>
        ({ text, values: params as unknown[] | undefined, query_timeout: own! + QUERY_TIMEOUT_GRACE_MS }) as pg.QueryConfig;
      return {
        query: async <R>(text: string, params?: readonly unknown[]) =>
          adapt<R>(
            await (
              own === undefined ? client.query(text, params as unknown[] | undefined) : client.query(withOwnLimit(text, params))
            ).catch(marked),
          ),
        // A session with its own limit is not handed to anyone else with it.
        release: (broken?: boolean) => client.release(broken || own !== undefined ? true : undefined),
      };
    },
    async ping(timeoutMs: number) {
      pingPool ??= quietPool({ ...config, max: 1, application_name: `${config.application_name}-ready` });
      const answer = pingPool.query({ text: 'SELECT 1', query_timeout: timeoutMs } as pg.QueryConfig);
      let timer: NodeJS.Timeout | undefined;
      // Connecting is bounded by the connect timeout, which may be longer than a readiness check may take.
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(mark(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }))),
          timeoutMs,
        );
      });
      try {
        await Promise.race([answer.catch(marked), late]);
      } finally {
        clearTimeout(timer);
        answer.catch(() => undefined); // an answer after the deadline is of no interest
      }
    },
    async close() {
      await Promise.all([pool.end(), pingPool?.end()]);
    },
  };
}

function quietPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  // An idle client whose server went away emits 'error' on the pool; without a listener the process dies.
  pool.on('error', () => undefined);
  return pool;
}

/** SQLSTATE classes that say the connection or server is unwell, not the data: retry, never dead-letter. */
const TRANSIENT_CLASSES = ['08', '53', '57', '58', '40'];
/** 25P03: the server ended a transaction left idle too long (idle_in_transaction_session_timeout). */
const TRANSIENT_STATES = new Set(['25P03']);
const TRANSIENT_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** Transient, or wrapping a transient error (a migration's failure names the statement's as its cause). */
export function isTransientSqlError(error: unknown): boolean {
  for (let depth = 0; error && depth < 4; depth++, error = (error as { cause?: unknown }).cause) if (transient(error)) return true;
  return false;
}

function transient(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (typeof code === 'string') {
    if (TRANSIENT_ERRNOS.has(code) || TRANSIENT_STATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_CLASSES.includes(code.slice(0, 2));
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect|Query read timeout/i.test(
    message ?? '',
  );
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the rows are at fault, not the server. */
export function isDataSqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** Errors of a pool that say the database did not answer: refused, cut, or not in time. */
const unavailable = new WeakSet<object>();

/** `error`, marked when it says the database did not answer. */
function mark(error: unknown): unknown {
  // Class 40 (a serialization failure, a deadlock) is the database answering: retry the transaction, not 503.
  const conflict = String((error as { code?: unknown } | undefined)?.code ?? '').startsWith('40');
  if (typeof error === 'object' && error !== null && !conflict && isTransientSqlError(error)) unavailable.add(error);
  return error;
}

const marked = (error: unknown): never => {
  throw mark(error);
};

/** Whether a pool's query failed because the database did not answer (or its cause did): a 503, retry later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let depth = 0; error && depth < 4; depth++, error = (error as { cause?: unknown }).cause)
    if (typeof error === 'object' && unavailable.has(error)) return true;
  return false;
}
