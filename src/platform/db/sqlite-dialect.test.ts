import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createAsyncMutex } from '../async-mutex.js';
import { storageFaultOf } from './errors.js';
import { BulwarkSqliteDialect, SHORT_BUSY_TIMEOUT_MS } from './sqlite-dialect.js';

interface Rows {
  items: { name: string };
}

/**
 * The write lock held by another connection stands for another process (a CLI command): the
 * connection under test must wait for it without stopping the event loop.
 */
describe('SQLite dialect: waiting for another process’s write lock', () => {
  const dirs: string[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function open(busyWaitMs: number) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-dialect-'));
    dirs.push(dir);
    const file = path.join(dir, 'test.db');
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma(`busy_timeout = ${SHORT_BUSY_TIMEOUT_MS}`);
    raw.exec('create table items (name text not null)');
    const db = new Kysely<Rows>({
      dialect: new BulwarkSqliteDialect(raw, createAsyncMutex(), { busyWaitMs }),
    });
    const other = new BetterSqlite3(file);
    closers.push(
      () => db.destroy(),
      () => {
        if (other.inTransaction) other.exec('rollback');
        other.close();
      },
    );
    return { db, other };
  }

  const names = async (db: Kysely<Rows>) =>
    (await db.selectFrom('items').select('name').orderBy('name').execute()).map((r) => r.name);

  it('a transaction and a plain write wait asynchronously: timers fire and reads answer meanwhile', async () => {
    const { db, other } = open(10_000);
    other.exec('begin immediate');
    other.exec(`insert into items (name) values ('theirs')`);
    const inTransaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ name: 'mine' }).execute();
    });
    const plain = db.insertInto('items').values({ name: 'plain' }).execute();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Reads go on (they see the committed state, not the other connection's open insert).
    expect(await names(db)).toEqual([]);
    clearInterval(timer);
    // A blocked event loop fires none while the lock is held; a loaded machine may fire only a few.
    expect(ticks).toBeGreaterThan(2);
    other.exec('commit');
    await Promise.all([inTransaction, plain]);
    expect(await names(db)).toEqual(['mine', 'plain', 'theirs']);
  });

  it('gives up after busyWaitMs with SQLITE_BUSY (database unavailable), and the next writer goes through', async () => {
    const { db, other } = open(200);
    other.exec('begin immediate');
    const startedAt = Date.now();
    const refused = await db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('items').values({ name: 'late' }).execute();
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect((refused as { code?: string }).code).toBe('SQLITE_BUSY');
    // It waited out its bound (200 ms) before giving up, not at the first SQLITE_BUSY.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(storageFaultOf(refused)).toBe('database-unavailable');
    const plain = await db
      .insertInto('items')
      .values({ name: 'late' })
      .execute()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect((plain as { code?: string }).code).toBe('SQLITE_BUSY');
    other.exec('rollback');
    // The write gate and the connection were handed back: the next transaction commits.
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ name: 'next' }).execute();
      await sql`select 1`.execute(trx);
    });
    expect(await names(db)).toEqual(['next']);
  });

  it('in-process transactions still run one at a time, in order, while the lock is waited for', async () => {
    const { db, other } = open(10_000);
    other.exec('begin immediate');
    const order: string[] = [];
    const writers = ['a', 'b', 'c'].map((name) =>
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ name }).execute();
        order.push(name);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual([]);
    other.exec('commit');
    await Promise.all(writers);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(await names(db)).toEqual(['a', 'b', 'c']);
  });
});
