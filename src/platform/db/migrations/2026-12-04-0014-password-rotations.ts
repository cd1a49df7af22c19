import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Password rotations on real targets (issue 12, ADR 028): one row per attempt to change an
 * account's password on its target. The new password is sealed here (bound to this row) and the
 * row is `pending` before the target is touched; it becomes the account's password only once
 * logging in with it succeeded (`completed`), or is wiped when the target kept the old one
 * (`failed`). A partial unique index allows one pending rotation per account.
 */
export function passwordRotations(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('password_rotations'))
        .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('resource_id', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'completed', 'failed')`),
        )
        .addColumn('trigger', 'text', (c) => c.notNull())
        /** The new password while pending; null once settled. */
        .addColumn('password_sealed', t.binary)
        .addColumn('requested_by', 'bigint')
        .addColumn('requested_by_name', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('message', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('settled_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('password_rotations_pending')
        .on('password_rotations')
        .column('account_id')
        .unique()
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema
        .createIndex('password_rotations_account')
        .on('password_rotations')
        .columns(['account_id', 'id'])
        .execute();
      await db.schema
        .createIndex('password_rotations_status')
        .on('password_rotations')
        .columns(['status', 'updated_at'])
        .execute();
    },
  };
}
