import { Migrator, type MigrationResultSet } from 'kysely';
import type { Database } from './database.js';
import { allMigrations } from './migrations/index.js';

export class MigrationError extends Error {}

/**
 * Brings the schema up to date. Kysely's migrator takes a lock (a lock table row, held in a
 * transaction), so several servers starting at once on one PostgreSQL migrate exactly once.
 */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve(allMigrations(database.dialect)) },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = result.error instanceof Error ? result.error.message : JSON.stringify(result.error);
    throw new MigrationError(
      `database migration ${failed?.migrationName ?? ''} failed: ${cause}`.replace(/\s+/g, ' '),
    );
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Brings an empty database up to `name` exactly, no further: a restore builds the schema its
 * backup was taken with, loads the rows, then migrates to the latest (later migrations may
 * transform those rows).
 */
export async function migrateTo(database: Database, name: string): Promise<void> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve(allMigrations(database.dialect)) },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const result: MigrationResultSet = await migrator.migrateTo(name);
  if (result.error !== undefined) {
    const cause = result.error instanceof Error ? result.error.message : JSON.stringify(result.error);
    throw new MigrationError(`database migration to ${name} failed: ${cause}`.replace(/\s+/g, ' '));
  }
}

/** The names of every migration this build knows, in the order they run. */
export function knownMigrations(database: Pick<Database, 'dialect'>): string[] {
  return Object.keys(allMigrations(database.dialect)).sort();
}
