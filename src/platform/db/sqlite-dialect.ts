import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import type { AsyncMutex } from '../async-mutex.js';

/**
 * Kysely's bundled SQLite driver, changed in two ways that matter here:
 * - transactions start with BEGIN IMMEDIATE, so a writer takes the write lock up front and
 *   two processes (server and CLI) never deadlock upgrading a read lock;
 * - prepared statements are cached by SQL text (better-sqlite3 has no cache of its own),
 *   which keeps statement compilation off the retrieval hot path.
 * - a transaction first takes the process's write gate (see Database.sqlite), so it waits
 *   asynchronously while the audit writer's connection holds the write lock;
 * - a write that finds the write lock held by another process (a `bulwark` CLI command, a
 *   backup) waits for it asynchronously, up to `busyWaitMs`, with the connection handed back
 *   meanwhile: SQLite's own busy handler sleeps inside the synchronous call and would stop the
 *   whole event loop (every request, every SSH session of a rotation) for as long as it waits.
 *   The connection's busy_timeout is therefore short (SHORT_BUSY_TIMEOUT_MS).
 * better-sqlite3 is synchronous and has one connection; a mutex hands it out.
 * Invariant: nobody waits for the write gate, or for another process's lock, while holding the
 * connection, so the gate holder can always get the connection back.
 */
export class BulwarkSqliteDialect implements Dialect {
  readonly #db: BetterSqlite3.Database;
  readonly #writeGate: AsyncMutex;
  readonly #lease: ConnectionLease;

  readonly #busyWaitMs: number;

  constructor(db: BetterSqlite3.Database, writeGate: AsyncMutex, options: { busyWaitMs?: number } = {}) {
    this.#db = db;
    this.#writeGate = writeGate;
    this.#busyWaitMs = options.busyWaitMs ?? BUSY_WAIT_MS;
    this.#lease = new ConnectionLease((lease) => new SqliteConnection(db, lease, this.#busyWaitMs));
  }

  createDriver(): Driver {
    return new SqliteDriver(this.#db, this.#writeGate, this.#lease);
  }

  /**
   * Runs a read at once, synchronously, if the connection is free (no transaction open, no
   * query running); otherwise answers undefined and the caller goes through Kysely. Used by
   * precompiled hot-path queries: it skips the promise hops of acquiring the connection.
   */
  readIfIdle<R>(sql: string, parameters: readonly unknown[]): R[] | undefined {
    return this.#lease.busy ? undefined : this.#lease.connection.readNow<R>(sql, parameters);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

const STATEMENT_CACHE_LIMIT = 500;

/** How long a write waits for another process's write lock before it fails (SQLITE_BUSY). */
export const BUSY_WAIT_MS = 10_000;

/**
 * The connection's own busy_timeout: SQLite's busy handler sleeps synchronously, so it only
 * absorbs the short holds (an audit batch of the writer thread); longer waits are asynchronous.
 */
export const SHORT_BUSY_TIMEOUT_MS = 20;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY or `busyWaitMs` has passed, pausing
 * between tries with the connection handed back (the caller holds the lease).
 */
async function whileBusy<T>(lease: ConnectionLease, busyWaitMs: number, attempt: () => T): Promise<T> {
  const deadline = Date.now() + busyWaitMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      return attempt();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
    }
    await lease.pauseFor(pause);
  }
}

class SqliteDriver implements Driver {
  readonly #db: BetterSqlite3.Database;
  readonly #connection: SqliteConnection;
  readonly #writeGate: AsyncMutex;
  #releaseWriteGate: (() => void) | undefined;
  readonly #lease: ConnectionLease;

  constructor(db: BetterSqlite3.Database, writeGate: AsyncMutex, lease: ConnectionLease) {
    this.#db = db;
    this.#connection = lease.connection;
    this.#writeGate = writeGate;
    this.#lease = lease;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lease.acquire();
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    this.#lease.release();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // One connection means one transaction at a time, so one gate holder per driver. The
    // connection is handed back while waiting for the gate (see the invariant above).
    this.#lease.release();
    try {
      this.#releaseWriteGate = await this.#writeGate.acquire();
    } finally {
      await this.#lease.acquire();
    }
    try {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    } catch (err) {
      this.#endWrite();
      throw err;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('commit'));
    } finally {
      this.#endWrite();
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      // SQLite may already have rolled the transaction back itself (SQLITE_FULL, SQLITE_IOERR,
      // SQLITE_NOMEM…): a second rollback would fail with "no transaction is active" and hide
      // the error that caused it.
      if (!this.#db.inTransaction) return;
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      this.#endWrite();
    }
  }

  #endWrite(): void {
    const release = this.#releaseWriteGate;
    this.#releaseWriteGate = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    this.#db.close();
  }
}

/**
 * The single connection, handed out first come, first served. A direct hand-off to the next
 * waiter: waking every waiter on each release would cost O(waiters) per query under load.
 */
class ConnectionLease {
  busy = false;
  readonly #waiters: (() => void)[] = [];
  readonly connection: SqliteConnection;

  constructor(connectionOf: (lease: ConnectionLease) => SqliteConnection) {
    this.connection = connectionOf(this);
  }

  /** Hands the connection to whoever waits for it, sleeps, and takes it back. */
  async pauseFor(ms: number): Promise<void> {
    this.release();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.acquire();
  }

  async acquire(): Promise<void> {
    if (this.busy) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.busy = true;
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.busy = false;
  }
}

class SqliteConnection implements DatabaseConnection {
  readonly #db: BetterSqlite3.Database;
  readonly #lease: ConnectionLease;
  readonly #busyWaitMs: number;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database, lease: ConnectionLease, busyWaitMs: number) {
    this.#db = db;
    this.#lease = lease;
    this.#busyWaitMs = busyWaitMs;
  }

  #prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_LIMIT) {
        const oldest = this.#statements.keys().next().value;
        if (oldest !== undefined) this.#statements.delete(oldest);
      }
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  readNow<R>(sql: string, parameters: readonly unknown[]): R[] {
    return this.#prepare(sql).all(parameters) as R[];
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const stmt = this.#prepare(sql);
    if (stmt.reader) {
      return Promise.resolve({ rows: stmt.all(parameters) as R[] });
    }
    const answer = ({ changes, lastInsertRowid }: BetterSqlite3.RunResult): QueryResult<R> => ({
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    });
    // Inside a transaction begun IMMEDIATE the write lock is already ours: nothing to wait for.
    if (this.#db.inTransaction) return Promise.resolve(answer(stmt.run(parameters)));
    // BEGIN IMMEDIATE, or a write outside a transaction: takes the write lock, may wait for it.
    return whileBusy(this.#lease, this.#busyWaitMs, () => answer(stmt.run(parameters)));
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not used with SQLite');
  }
}
