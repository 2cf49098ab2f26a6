import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'tap';
import { migrate } from '../../postgres/migrate.js';
import { pgDatabase, type SqlDatabase } from '../../postgres/sql.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A client on a fresh schema of its own (dropped at teardown), or undefined when no Postgres answers: then the
 * test fails under CI=true and says it skipped elsewhere.
 */
export async function freshSchema(t: Test): Promise<pg.Client | undefined> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  try {
    await client.connect();
  } catch (error) {
    const message = `no PostgreSQL at ${DATABASE_URL} (${(error as Error).message})`;
    if (process.env.CI) t.fail(message);
    else t.comment(`SKIPPED: ${message}`);
    return undefined;
  }
  const schema = `test_${randomUUID().slice(0, 8)}`;
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path TO ${schema}`);
  t.teardown(async () => {
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  });
  return client;
}

/** A connection string whose sessions use `schema` (tables land there, apart from other tests). */
export const withSchema = (url: string, schema: string): string =>
  `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

/** A fresh schema with the migrations applied, as the sink sees it (a pool whose sessions use that schema) and as a plain client. */
export async function migratedDatabase(t: Test): Promise<{ db: SqlDatabase; client: pg.Client } | undefined> {
  const client = await freshSchema(t);
  if (!client) return undefined;
  const schema = (await client.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  await migrate(client);
  const db = pgDatabase(withSchema(DATABASE_URL, schema));
  t.teardown(() => db.close());
  return { db, client };
}
