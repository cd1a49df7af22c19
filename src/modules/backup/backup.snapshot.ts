/**
 * A consistent, read-only view of a database, read table by table without Kysely's schema
 * types: SQLite through its own read transaction (WAL: writers go on), PostgreSQL through a
 * SERIALIZABLE READ ONLY DEFERRABLE transaction (a snapshot that no concurrent commit can make
 * inconsistent). The server keeps serving meanwhile.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseTarget, DialectName } from '../../platform/db/database.js';
import { BackupError } from './backup.format.js';
import type { BackupValue } from './backup.values.js';

export interface TableInfo {
  readonly name: string;
  readonly columns: string[];
  readonly primaryKey: string[];
  /** Columns referencing the table itself: restored as null, then set once every row is in. */
  readonly selfReferences: string[];
}

export interface Snapshot {
  readonly dialect: DialectName;
  /** Every table of the data, parents before children; bookkeeping tables left out. */
  tables(): Promise<TableInfo[]>;
  migrations(): Promise<string[]>;
  count(table: string): Promise<number>;
  rows(table: TableInfo): AsyncIterable<BackupValue[]>;
  /** The next value of each table's id sequence, where it has one. */
  sequences(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * Not data: the migrator's bookkeeping (restore runs the migrations itself) and the liveness of
 * running processes (heartbeats, the scheduler lease), which mean nothing to another store.
 */
export const EXCLUDED_TABLES = new Set([
  'schema_migrations',
  'schema_migrations_lock',
  'cluster_nodes',
  'cluster_leases',
]);

interface RawTable {
  name: string;
  columns: string[];
  primaryKey: string[];
  references: { column: string; table: string }[];
}

/** Parents before children (foreign keys), ties by name; data_keys first (it opens the rest). */
export function dependencyOrder(tables: RawTable[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const ordered: TableInfo[] = [];
  const remaining = [...tables].sort((a, b) =>
    a.name === 'data_keys' ? -1 : b.name === 'data_keys' ? 1 : a.name.localeCompare(b.name),
  );
  while (remaining.length > 0) {
    const index = remaining.findIndex((t) =>
      t.references.every((r) => r.table === t.name || done.has(r.table) || !byName.has(r.table)),
    );
    if (index < 0) {
      throw new BackupError(
        `the tables ${remaining.map((t) => t.name).join(', ')} reference each other in a cycle`,
      );
    }
    const [table] = remaining.splice(index, 1) as [RawTable];
    done.add(table.name);
    ordered.push({
      name: table.name,
      columns: table.columns,
      primaryKey: table.primaryKey,
      selfReferences: table.references.filter((r) => r.table === table.name).map((r) => r.column),
    });
  }
  return ordered;
}

export const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function openSnapshot(target: DatabaseTarget): Promise<Snapshot> {
  return target.databaseUrl
    ? postgresSnapshot(target.databaseUrl)
    : Promise.resolve(sqliteSnapshot(target.sqliteFile));
}

function sqliteSnapshot(file: string): Snapshot {
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError(`cannot open the database ${file}: ${(err as Error).message}`);
  }
  raw.pragma('busy_timeout = 10000');
  // A read transaction: its snapshot is taken by the first read and holds until the end.
  raw.exec('begin');
  const hasTable = (name: string) =>
    raw.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(name) !== undefined;
  return {
    dialect: 'sqlite',
    tables() {
      const names = raw
        .prepare(
          "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
        )
        .pluck()
        .all() as string[];
      const tables = names
        .filter((name) => !EXCLUDED_TABLES.has(name))
        .map((name) => {
          const info = raw.prepare(`pragma table_info(${quote(name)})`).all() as {
            name: string;
            pk: number;
          }[];
          const fks = raw.prepare(`pragma foreign_key_list(${quote(name)})`).all() as {
            table: string;
            from: string;
          }[];
          return {
            name,
            columns: info.map((c) => c.name),
            primaryKey: info
              .filter((c) => c.pk > 0)
              .sort((a, b) => a.pk - b.pk)
              .map((c) => c.name),
            references: fks.map((f) => ({ column: f.from, table: f.table })),
          };
        });
      return Promise.resolve(dependencyOrder(tables));
    },
    migrations() {
      if (!hasTable('schema_migrations')) return Promise.resolve([]);
      return Promise.resolve(
        raw.prepare('select name from schema_migrations order by name').pluck().all() as string[],
      );
    },
    count(table) {
      return Promise.resolve(
        Number(
          raw
            .prepare(`select count(*) from ${quote(table)}`)
            .pluck()
            .get(),
        ),
      );
    },
    async *rows(table) {
      const order = table.primaryKey.length > 0 ? table.primaryKey : ['rowid'];
      const statement = raw
        .prepare(
          `select ${table.columns.map(quote).join(', ')} from ${quote(table.name)} order by ${order.map(quote).join(', ')}`,
        )
        .raw(true)
        .safeIntegers(true);
      for (const row of statement.iterate() as Iterable<BackupValue[]>) yield row;
    },
    sequences() {
      if (!hasTable('sqlite_sequence')) return Promise.resolve({});
      const rows = raw.prepare('select name, seq from sqlite_sequence').all() as {
        name: string;
        seq: number;
      }[];
      return Promise.resolve(
        Object.fromEntries(
          rows.filter((r) => !EXCLUDED_TABLES.has(r.name)).map((r) => [r.name, Number(r.seq) + 1]),
        ),
      );
    },
    close() {
      if (raw.inTransaction) raw.exec('rollback');
      raw.close();
      return Promise.resolve();
    },
  };
}

const INTEGER_OIDS = new Set([20, 21, 23]);
const REAL_OIDS = new Set([700, 701]);
const TEXT_OIDS = new Set([25, 1043, 1042]);
const BYTEA_OID = 17;

/** A client whose values come back typed as the backup stores them (integers as bigint). */
export function postgresClient(url: string): pg.Client {
  return new pg.Client({
    connectionString: url,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => {
        if (INTEGER_OIDS.has(oid)) return (value: string) => BigInt(value);
        if (REAL_OIDS.has(oid)) return (value: string) => Number(value);
        return pg.types.getTypeParser(oid, format ?? 'text') as unknown;
      }) as typeof pg.types.getTypeParser,
    },
  });
}

async function postgresSnapshot(url: string): Promise<Snapshot> {
  const client = postgresClient(url);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new BackupError(`cannot connect to the database: ${(err as Error).message}`);
  }
  await client.query('begin isolation level serializable, read only, deferrable');
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await client.query<R>(text, values)).rows;
  let cursors = 0;
  return {
    dialect: 'postgres',
    async tables() {
      const names = (
        await query<{ name: string }>(
          'select tablename as name from pg_tables where schemaname = current_schema() order by tablename',
        )
      ).map((r) => r.name);
      const tables: RawTable[] = [];
      for (const name of names.filter((n) => !EXCLUDED_TABLES.has(n))) {
        const columns = await query<{ name: string }>(
          `select column_name as name from information_schema.columns
            where table_schema = current_schema() and table_name = $1 order by ordinal_position`,
          [name],
        );
        const pk = await query<{ name: string }>(
          `select a.attname as name from pg_index i
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
            where i.indrelid = $1::regclass and i.indisprimary
            order by array_position(i.indkey::int2[], a.attnum)`,
          [quote(name)],
        );
        const fks = await query<{ column: string; table: string }>(
          `select a.attname as column, r.relname as table from pg_constraint c
             join pg_class r on r.oid = c.confrelid
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
            where c.contype = 'f' and c.conrelid = $1::regclass`,
          [quote(name)],
        );
        tables.push({
          name,
          columns: columns.map((c) => c.name),
          primaryKey: pk.map((p) => p.name),
          references: fks,
        });
      }
      return dependencyOrder(tables);
    },
    async migrations() {
      const exists = await query(
        "select 1 from pg_tables where schemaname = current_schema() and tablename = 'schema_migrations'",
      );
      if (exists.length === 0) return [];
      return (await query<{ name: string }>('select name from schema_migrations order by name')).map(
        (r) => r.name,
      );
    },
    async count(table) {
      const [row] = await query<{ n: bigint }>(`select count(*) as n from ${quote(table)}`);
      return Number(row?.n ?? 0);
    },
    async *rows(table) {
      const cursor = `backup_${++cursors}`;
      const order = table.primaryKey.length > 0 ? table.primaryKey : table.columns;
      await client.query(
        `declare ${cursor} no scroll cursor for select ${table.columns.map(quote).join(', ')} from ${quote(table.name)} order by ${order.map(quote).join(', ')}`,
      );
      for (;;) {
        const result = await client.query<BackupValue[]>({
          text: `fetch 1000 from ${cursor}`,
          rowMode: 'array',
        });
        for (const field of result.fields) {
          const oid = field.dataTypeID;
          if (!INTEGER_OIDS.has(oid) && !REAL_OIDS.has(oid) && !TEXT_OIDS.has(oid) && oid !== BYTEA_OID) {
            throw new BackupError(
              `column ${table.name}.${field.name} has a type (oid ${oid}) the backup does not carry`,
            );
          }
        }
        if (result.rows.length === 0) break;
        for (const row of result.rows) yield row;
      }
      await client.query(`close ${cursor}`);
    },
    async sequences() {
      const serials = await query<{ table: string; sequence: string }>(
        `select table_name as table, pg_get_serial_sequence(quote_ident(table_name), column_name) as sequence
           from information_schema.columns
          where table_schema = current_schema() and column_default like 'nextval(%'`,
      );
      const next: Record<string, number> = {};
      for (const { table, sequence } of serials) {
        if (EXCLUDED_TABLES.has(table) || !sequence) continue;
        const [row] = await query<{ last_value: bigint; is_called: boolean }>(
          `select last_value, is_called from ${sequence}`,
        );
        if (row) next[table] = Number(row.last_value) + (row.is_called ? 1 : 0);
      }
      return next;
    },
    async close() {
      await client.query('rollback').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
