import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../../test/helpers/postgres.js';
import { postgresOrSkip } from '../../../test/helpers/server.js';
import { openDatabase, type Database } from './database.js';

/**
 * The write watch on a real PostgreSQL (ADR 048): which statements may have committed. The
 * end-to-end case (a connection cut under a change, run again or not) is
 * test/api/database-outage.test.ts.
 */
describe('write watch (PostgreSQL)', () => {
  let database: Database | undefined;

  beforeAll(async () => {
    if (!postgresOrSkip()) return;
    database = openDatabase({ databaseUrl: await createDatabase(inject('postgresBaseUrl')), sqliteFile: '' });
    await sql`create table notes (id serial primary key, text text not null)`.execute(database.db);
  });

  afterAll(async () => {
    await database?.close();
  });

  /** Runs `work`, which then fails, and says whether the watch saw a statement that may have committed. */
  async function committedBeforeFailing(work: () => Promise<unknown>): Promise<boolean> {
    const observed = await database!.postgres!.writes.observe(async () => {
      await work();
      throw new Error('the work failed after that');
    });
    expect(observed.ok).toBe(false);
    return !observed.ok && observed.mayHaveCommitted;
  }

  it('a read, and a transaction that did not reach its COMMIT, committed nothing', async (ctx) => {
    if (!database) return ctx.skip('no PostgreSQL');
    const { db } = database;
    expect(await committedBeforeFailing(() => sql`select * from notes`.execute(db))).toBe(false);
    expect(
      await committedBeforeFailing(() =>
        db.transaction().execute(async (trx) => {
          await sql`insert into notes (text) values ('rolled back')`.execute(trx);
          throw new Error('before the commit');
        }),
      ),
    ).toBe(false);
    // Savepoints inside a transaction (rolled back to) are still inside it.
    expect(
      await committedBeforeFailing(async () => {
        const client = await database!.postgres!.pool.connect();
        try {
          await client.query('begin');
          await client.query('savepoint a');
          await client.query("insert into notes (text) values ('x')");
          await client.query('rollback to savepoint a');
          await client.query("insert into notes (text) values ('y')");
          await client.query('rollback');
        } finally {
          client.release();
        }
      }),
    ).toBe(false);
  });

  it('a committed transaction, or a write outside one, may have committed', async (ctx) => {
    if (!database) return ctx.skip('no PostgreSQL');
    const { db } = database;
    expect(
      await committedBeforeFailing(() =>
        db.transaction().execute(async (trx) => {
          await sql`insert into notes (text) values ('committed')`.execute(trx);
        }),
      ),
    ).toBe(true);
    expect(
      await committedBeforeFailing(() => sql`insert into notes (text) values ('alone')`.execute(db)),
    ).toBe(true);
    // A named prepared statement (a config object, as the retrieval path sends) is read by its text.
    expect(
      await committedBeforeFailing(() =>
        database!.postgres!.pool.query({
          name: 'bw-note',
          text: "insert into notes (text) values ('named')",
        }),
      ),
    ).toBe(true);
  });

  it('work that succeeds answers its value; statements outside any observed work are not counted', async (ctx) => {
    if (!database) return ctx.skip('no PostgreSQL');
    await sql`insert into notes (text) values ('unobserved')`.execute(database.db);
    const observed = await database.postgres!.writes.observe(async () => 42);
    expect(observed).toEqual({ ok: true, value: 42 });
    expect(await committedBeforeFailing(() => sql`select * from notes`.execute(database!.db))).toBe(false);
  });
});
