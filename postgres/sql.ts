/**
 * The little of a SQL database the sink and the query service use: sessions that run statements, one at a
 * time, and can hold a transaction. Two implementations: a `pg` pool (DATABASE_URL) and the embedded
 * Postgres (postgres/embedded-postgres.ts), so the same writer runs against both.
 */
import pg from 'pg';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface SqlSession {
  /** One statement with `$n` parameters; without parameters the text may hold several statements. */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface SqlDatabase extends SqlSession {
  /** A session of its own (for a transaction); `release(broken)` drops a session that saw a connection error. */
  session(): Promise<SqlSession & { release(broken?: boolean): void }>;
  close(): Promise<void>;
}

// Money and bigint columns come back as exact strings; pg already does that for numeric and int8.

export function pgDatabase(connectionString: string, options: { max?: number; applicationName?: string } = {}): SqlDatabase {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 4,
    application_name: options.applicationName ?? 'omnia',
    connectionTimeoutMillis: 5_000,
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener the process dies.
  pool.on('error', () => undefined);
  const listening = new WeakSet<pg.PoolClient>();
  const adapt = <R>(result: pg.QueryResult): QueryResult<R> => ({ rows: result.rows as R[], rowCount: result.rowCount ?? 0 });
  return {
    async query<R>(text: string, params?: readonly unknown[]) {
      return adapt<R>(await pool.query(text, params as unknown[] | undefined));
    },
    async session() {
      const client = await pool.connect();
      if (!listening.has(client)) {
        client.on('error', () => undefined); // reported by the next query on it, which the caller handles
        listening.add(client);
      }
      return {
        query: async <R>(text: string, params?: readonly unknown[]) => adapt<R>(await client.query(text, params as unknown[] | undefined)),
        release: (broken?: boolean) => client.release(broken ? true : undefined),
      };
    },
    close: () => pool.end(),
  };
}

/** SQLSTATE classes that say the connection or server is unwell, not the data: retry, never dead-letter. */
const TRANSIENT_CLASSES = ['08', '53', '57', '58', '40'];
const TRANSIENT_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

export function isTransientSqlError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (typeof code === 'string') {
    if (TRANSIENT_ERRNOS.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_CLASSES.includes(code.slice(0, 2));
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect/i.test(
    message ?? '',
  );
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the rows are at fault, not the server. */
export function isDataSqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
