import type { CreateTableBuilder } from 'kysely';
import type { DialectName } from '../database.js';

/** The few column spellings that differ between SQLite and PostgreSQL. */
export function columnTypes(dialect: DialectName) {
  return {
    binary: dialect === 'postgres' ? ('bytea' as const) : ('blob' as const),
    id<T extends string>(table: CreateTableBuilder<T>): CreateTableBuilder<T, 'id'> {
      return dialect === 'postgres'
        ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    },
  };
}
