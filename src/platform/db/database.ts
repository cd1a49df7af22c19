import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { Schema } from './schema.js';
import { BulwarkSqliteDialect, SHORT_BUSY_TIMEOUT_MS } from './sqlite-dialect.js';
import { createAsyncMutex, type AsyncMutex } from '../async-mutex.js';
import { bindImmediateReader, bindPreparedRunner } from './precompiled.js';
import { createWriteWatch, type WriteWatch } from './write-watch.js';

export type DialectName = 'sqlite' | 'postgres';

/** A database handle or an open transaction; repositories accept either. */
export type Executor = Kysely<Schema>;
export type Tx = Transaction<Schema>;

export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  /**
   * SQLite only: the database file, for the second connection of the audit writer, and the
   * in-process write gate. Every writer in this process (a transaction on the main
   * connection, a batch of the audit writer) holds the gate while it holds SQLite's write
   * lock, so they queue here asynchronously instead of blocking the event loop in SQLite's
   * busy handler.
   */
  readonly sqlite?: { readonly file: string; readonly writeGate: AsyncMutex };
  /**
   * PostgreSQL only: the pool under Kysely, for the few statements that bypass the builder
   * (named prepared statements on the retrieval path, the access-record writer's one-statement
   * append; ADR 045). Everything else goes through `db`.
   */
  readonly postgres?: {
    readonly pool: pg.Pool;
    /** Whether a piece of work sent a statement that may have committed (ADR 048). */
    readonly writes: WriteWatch;
  };
  close(): Promise<void>;
}

export interface DatabaseTarget {
  /** postgres://… ; when absent, the SQLite file is used. */
  readonly databaseUrl: string | undefined;
  readonly sqliteFile: string;
}

export function openDatabase(target: DatabaseTarget): Database {
  return target.databaseUrl ? openPostgres(target.databaseUrl) : openSqlite(target.sqliteFile);
}

function openSqlite(file: string): Database {
  const raw = new BetterSqlite3(file);
  // WAL with synchronous=FULL: a commit returns only after the WAL is on disk, so an
  // acknowledged write survives kill -9 and power loss.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`busy_timeout = ${SHORT_BUSY_TIMEOUT_MS}`);
  const writeGate = createAsyncMutex();
  const dialect = new BulwarkSqliteDialect(raw, writeGate);
  const db = new Kysely<Schema>({ dialect });
  bindImmediateReader(db, (sql, parameters) => dialect.readIfIdle(sql, parameters));
  return { db, dialect: 'sqlite', sqlite: { file, writeGate }, close: () => db.destroy() };
}

const INT8_OID = 20;

function openPostgres(url: string): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // No JIT: the access queries (recursive CTEs, ADR 019) are cheap to run but estimated costly,
    // and compiling them took seconds on every execution.
    options: '-c jit=off',
    // ids and epoch-millisecond timestamps are bigint columns; all stay below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : (pg.types.getTypeParser(oid, format ?? 'text') as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // A client losing its connection must not crash the process. Idle clients report on the pool,
  // which replaces them; a checked-out client between queries (inside a transaction, or just
  // released) emits 'error' on itself, with no listener of the pool's, and Node would throw it.
  // The query or commit that runs on it fails on its own and is answered 50301.
  pool.on('error', () => undefined);
  const writes = createWriteWatch();
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    writes.watch(client);
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  // Precompiled queries run as named prepared statements: each pooled connection parses and
  // plans them once instead of on every retrieval.
  bindPreparedRunner(db, async (name, text, values) => {
    const result = await pool.query<Record<string, unknown>>({ name, text, values });
    return result.rows;
  });
  return { db, dialect: 'postgres', postgres: { pool, writes }, close: () => db.destroy() };
}
