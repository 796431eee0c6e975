// PostgreSQL for tests: the machine's server (127.0.0.1:5432, database `test`),
// each test run in schemas of its own so runs never collide.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.SWITCHBOARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const created: string[] = [];

/** A store URL in a fresh schema. */
export function freshSchemaUrl(): string {
  const schema = `sb_test_${randomBytes(6).toString('hex')}`;
  created.push(schema);
  return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
}

export async function dropSchemas(): Promise<void> {
  if (created.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  try {
    await client.connect();
    for (const s of created.splice(0)) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
