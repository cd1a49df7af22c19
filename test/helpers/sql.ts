import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import type { Instance } from './server.js';

/**
 * Runs one statement directly on an instance's database: for what no endpoint can reach (a
 * value planted to test that it is cleared, a row checked to hold no secret). `$1`-style
 * placeholders; on SQLite they become `?`.
 */
export async function sqlOn(
  instance: Instance,
  text: string,
  params: unknown[],
): Promise<Record<string, unknown>[]> {
  if (instance.databaseUrl === undefined) {
    const db = new BetterSqlite3(path.join(instance.dataDir, 'bulwark.db'));
    try {
      const statement = db.prepare(text.replace(/\$\d+/g, '?'));
      return statement.reader
        ? (statement.all(...params) as Record<string, unknown>[])
        : (statement.run(...params), []);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: instance.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
