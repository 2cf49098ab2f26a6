/**
 * The embedded default's Postgres: PGlite (real Postgres compiled to WebAssembly) in this process, in memory
 * or in a data directory. It has one connection, so a session holds it exclusively: a reader never sees a
 * sink transaction half done, and statements outside a session wait for it to finish.
 */
import type { QueryResult, SqlDatabase, SqlSession } from './sql.js';

const INT8 = 20;

export async function embeddedPostgres(dataDir?: string): Promise<SqlDatabase> {
  // int8 as a string, as pg returns it: offsets and counts beyond 2^53 stay exact.
  // Loaded here, not at import: only the embedded default needs it, and production processes never load it.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir, { parsers: { [INT8]: (value: string) => value } });
  let turn: Promise<void> = Promise.resolve();
  /** Waits for the current holder, then holds the connection until the returned release is called. */
  const acquire = async (): Promise<() => void> => {
    let release!: () => void;
    const previous = turn;
    turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  };
  const run = async <R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    if (params === undefined || params.length === 0) {
      const results = await db.exec(text);
      const last = results.at(-1);
      return { rows: (last?.rows ?? []) as R[], rowCount: last ? last.affectedRows || last.rows.length : 0 };
    }
    const result = await db.query<R>(text, params as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
  };
  return {
    async query<R>(text: string, params?: readonly unknown[]) {
      const release = await acquire();
      try {
        return await run<R>(text, params);
      } finally {
        release();
      }
    },
    async session(): Promise<SqlSession & { release(broken?: boolean): void }> {
      const release = await acquire();
      return { query: run, release: () => release() };
    },
    close: () => db.close(),
  };
}
