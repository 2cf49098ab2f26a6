/**
 * Versioned migrations: `postgres/migrations/NNN_name.sql`, applied in order, each in its own transaction and
 * recorded in `schema_migrations`. Re-running applies only what is missing; a concurrent starter waits on an
 * advisory lock instead of racing. An applied file that changed since is refused (its checksum is kept).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { SqlSession } from './sql.js';

/** The .sql files are not compiled: beside this file in the sources, two levels up from dist/postgres/. */
export const MIGRATIONS_DIR = [new URL('./migrations/', import.meta.url), new URL('../../postgres/migrations/', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(dir))!;

const LOCK_ID = 7_372_001;

/**
 * The statement limit of a session that migrates: a migration may rewrite or index a large table, and a
 * starter waits on the advisory lock while another applies one. Far above any process's own limit, and still
 * finite: a database that stops answering mid-migration fails the start step, which is retried.
 */
export const MIGRATION_STATEMENT_TIMEOUT_MS = 15 * 60_000;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(dir, file), 'utf8');
      return { version: Number(file.slice(0, 3)), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Applies the missing migrations; returns the names applied by this call. */
export async function migrate(client: SqlSession, migrations?: Migration[]): Promise<string[]> {
  const wanted = migrations ?? (await loadMigrations());
  await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
  try {
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const applied = new Map(
      (
        await client.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations')
      ).rows.map((row) => [row.version, row]),
    );
    const done: string[] = [];
    for (const migration of wanted) {
      const previous = applied.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum)
          throw new Error(`migration ${migration.name} changed after it was applied (as ${previous.name}); add a new migration instead`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]);
  }
}
