import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * The canonical encoding each audit record's hash covers (issue 11, ADR 017): records written
 * before this migration keep encoding 1 (JSON of the fields) and still verify; new records are
 * written with encoding 2 (length-prefixed UTF-8 of exactly the stored text).
 */
export function auditEncoding(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('audit_records')
        .addColumn('encoding', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
  };
}
