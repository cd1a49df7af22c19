/**
 * Writing a backup's rows into an empty store: the schema built by the migrations up to the one
 * the backup was taken with, the rows the migrations seeded replaced by the backup's, in one
 * transaction, then the id sequences set past every restored id.
 */
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, type DatabaseTarget } from '../../platform/db/database.js';
import { knownMigrations, migrateTo, migrateToLatest } from '../../platform/db/migrator.js';
import { BackupError } from './backup.format.js';
import { postgresClient, quote, type TableInfo } from './backup.snapshot.js';
import type { BackupValue } from './backup.values.js';

/** Refuses a store that already holds tables. */
export async function assertEmptyStore(target: DatabaseTarget): Promise<void> {
  if (!target.databaseUrl) return; // SQLite: the data directory is checked (the file must not exist)
  const client = postgresClient(target.databaseUrl);
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      'select tablename as name from pg_tables where schemaname = current_schema() limit 3',
    );
    if (rows.length > 0) {
      throw new BackupError(
        `the target database is not empty (it holds tables such as ${rows.map((r) => r.name).join(', ')}); restore into a new, empty database`,
      );
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`cannot connect to the target database: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The schema as it was when the backup was taken (refusing a backup from a newer build). */
export async function createSchema(target: DatabaseTarget, migrations: readonly string[]): Promise<void> {
  const database = openDatabase(target);
  try {
    const known = knownMigrations(database);
    const unknown = migrations.filter((m) => !known.includes(m));
    if (unknown.length > 0) {
      throw new BackupError(
        `the backup was taken by a newer Bulwark (its schema has migration ${unknown[0]}, which this build does not know); restore it with that version or later`,
      );
    }
    const last = migrations.at(-1);
    if (last === undefined) throw new BackupError('the backup names no schema migration');
    await migrateTo(database, last);
  } finally {
    await database.close();
  }
}

export async function migrateStoreToLatest(target: DatabaseTarget): Promise<void> {
  const database = openDatabase(target);
  try {
    await migrateToLatest(database);
  } finally {
    await database.close();
  }
}

/** Loads rows in one transaction; nothing is visible until commit. */
export interface Loader {
  /** Empties every table (what the migrations seeded); children first. */
  begin(tables: readonly TableInfo[]): Promise<void>;
  startTable(table: TableInfo): void;
  insert(values: readonly BackupValue[]): Promise<void>;
  endTable(): Promise<void>;
  commit(sequences: Record<string, number>): Promise<void>;
  rollback(): Promise<void>;
}

interface Deferred {
  key: BackupValue[];
  values: BackupValue[];
}

/** Self-references go in as null, and are set once every row of the table is in. */
function splitSelfReferences(table: TableInfo) {
  const selfIndexes = table.selfReferences.map((c) => table.columns.indexOf(c));
  const keyIndexes = table.primaryKey.map((c) => table.columns.indexOf(c));
  return (values: readonly BackupValue[], deferred: Deferred[]): BackupValue[] => {
    if (selfIndexes.every((i) => values[i] === null)) return [...values];
    const copy = [...values];
    deferred.push({
      key: keyIndexes.map((i) => values[i] ?? null),
      values: selfIndexes.map((i) => values[i] ?? null),
    });
    for (const i of selfIndexes) copy[i] = null;
    return copy;
  };
}

export function openLoader(target: DatabaseTarget): Promise<Loader> {
  return target.databaseUrl
    ? postgresLoader(target.databaseUrl)
    : Promise.resolve(sqliteLoader(target.sqliteFile));
}

function sqliteLoader(file: string): Loader {
  const raw = new BetterSqlite3(file, { fileMustExist: true });
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  let table: TableInfo | undefined;
  let insert: BetterSqlite3.Statement | undefined;
  let split: ReturnType<typeof splitSelfReferences> | undefined;
  let deferred: Deferred[] = [];
  const bind = (values: readonly BackupValue[]) => values.map((v) => (v === undefined ? null : v));
  return {
    begin(tables) {
      raw.exec('begin immediate');
      for (const t of [...tables].reverse()) raw.exec(`delete from ${quote(t.name)}`);
      return Promise.resolve();
    },
    startTable(info) {
      table = info;
      deferred = [];
      split = splitSelfReferences(info);
      insert = raw.prepare(
        `insert into ${quote(info.name)} (${info.columns.map(quote).join(', ')}) values (${info.columns.map(() => '?').join(', ')})`,
      );
    },
    insert(values) {
      insert!.run(bind(split!(values, deferred)));
      return Promise.resolve();
    },
    endTable() {
      const info = table!;
      if (deferred.length > 0) {
        const update = raw.prepare(
          `update ${quote(info.name)} set ${info.selfReferences.map((c) => `${quote(c)} = ?`).join(', ')} where ${info.primaryKey.map((c) => `${quote(c)} = ?`).join(' and ')}`,
        );
        for (const d of deferred) update.run([...bind(d.values), ...bind(d.key)]);
      }
      deferred = [];
      return Promise.resolve();
    },
    commit(sequences) {
      const autoincrement = raw
        .prepare("select name from sqlite_master where type = 'table' and sql like '%autoincrement%'")
        .pluck()
        .all() as string[];
      for (const name of autoincrement) {
        const next = sequences[name];
        if (next === undefined) continue;
        const row = raw.prepare('select seq from sqlite_sequence where name = ?').get(name) as
          { seq: number } | undefined;
        if (row === undefined)
          raw.prepare('insert into sqlite_sequence (name, seq) values (?, ?)').run(name, next - 1);
        else if (row.seq < next - 1)
          raw.prepare('update sqlite_sequence set seq = ? where name = ?').run(next - 1, name);
      }
      raw.exec('commit');
      raw.close();
      return Promise.resolve();
    },
    rollback() {
      if (raw.open) {
        if (raw.inTransaction) raw.exec('rollback');
        raw.close();
      }
      return Promise.resolve();
    },
  };
}

const PARAMETER_LIMIT = 30_000;

async function postgresLoader(url: string): Promise<Loader> {
  const client = postgresClient(url);
  client.on('error', () => undefined);
  await client.connect();
  let table: TableInfo | undefined;
  let split: ReturnType<typeof splitSelfReferences> | undefined;
  let deferred: Deferred[] = [];
  let batch: BackupValue[][] = [];
  let batchLimit = 1;
  const param = (v: BackupValue | undefined) => (typeof v === 'bigint' ? v.toString() : (v ?? null));
  const flush = async () => {
    if (batch.length === 0 || table === undefined) return;
    const width = table.columns.length;
    const tuples = batch.map(
      (_, r) => `(${table!.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`,
    );
    await client.query(
      `insert into ${quote(table.name)} (${table.columns.map(quote).join(', ')}) values ${tuples.join(', ')}`,
      batch.flat().map(param),
    );
    batch = [];
  };
  return {
    async begin(tables) {
      await client.query('begin');
      for (const t of [...tables].reverse()) await client.query(`delete from ${quote(t.name)}`);
    },
    startTable(info) {
      table = info;
      deferred = [];
      batch = [];
      split = splitSelfReferences(info);
      batchLimit = Math.max(
        1,
        Math.min(1000, Math.floor(PARAMETER_LIMIT / Math.max(1, info.columns.length))),
      );
    },
    async insert(values) {
      batch.push(split!(values, deferred));
      if (batch.length >= batchLimit) await flush();
    },
    async endTable() {
      await flush();
      const info = table!;
      const sets = info.selfReferences.map((c, i) => `${quote(c)} = $${i + 1}`).join(', ');
      const where = info.primaryKey
        .map((c, i) => `${quote(c)} = $${info.selfReferences.length + i + 1}`)
        .join(' and ');
      for (const d of deferred) {
        await client.query(
          `update ${quote(info.name)} set ${sets} where ${where}`,
          [...d.values, ...d.key].map(param),
        );
      }
      deferred = [];
    },
    async commit(sequences) {
      const { rows } = await client.query<{ table: string; column: string; sequence: string }>(
        `select table_name as table, column_name as column,
                pg_get_serial_sequence(quote_ident(table_name), column_name) as sequence
           from information_schema.columns
          where table_schema = current_schema() and column_default like 'nextval(%'`,
      );
      for (const { table: name, column, sequence } of rows) {
        if (!sequence) continue;
        // The next id: past every restored id, and past what the source had handed out.
        await client.query(
          `select setval($1, greatest($2::bigint, (select coalesce(max(${quote(column)}), 0) + 1 from ${quote(name)})), false)`,
          [sequence, String(sequences[name] ?? 1)],
        );
      }
      await client.query('commit');
      await client.end();
    },
    async rollback() {
      await client.query('rollback').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** After a failed restore into PostgreSQL: the target as empty as it was found. */
export async function dropEverything(url: string): Promise<void> {
  const client = postgresClient(url);
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      'select tablename as name from pg_tables where schemaname = current_schema()',
    );
    if (rows.length > 0)
      await client.query(`drop table ${rows.map((r) => quote(r.name)).join(', ')} cascade`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
