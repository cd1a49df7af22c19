import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Password access requests (endpoints 10–15): one row per request, from raised to checked in.
 * Two partial unique indexes keep the workflow's invariants in the database itself: a user has
 * at most one open request per account, and an account is checked out to at most one user.
 */
export function passwordRequests(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('password_requests'))
        .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('requester_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('waiting', 'approved', 'rejected', 'checked_out', 'checked_in')`),
        )
        .addColumn('reason', 'text')
        .addColumn('ticket_id', 'text')
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_by', 'bigint')
        .addColumn('decided_at', 'bigint')
        .addColumn('checked_out_at', 'bigint')
        .addColumn('checkout_expires_at', 'bigint')
        .addColumn('checked_in_at', 'bigint')
        .addColumn('checked_in_by', 'bigint')
        .execute();
      await db.schema
        .createIndex('password_requests_open')
        .on('password_requests')
        .columns(['account_id', 'requester_id'])
        .unique()
        .where(sql.ref('status'), 'in', sql`('waiting', 'approved', 'checked_out')`)
        .execute();
      await db.schema
        .createIndex('password_requests_checked_out')
        .on('password_requests')
        .column('account_id')
        .unique()
        .where(sql.ref('status'), '=', 'checked_out')
        .execute();
      await db.schema
        .createIndex('password_requests_status')
        .on('password_requests')
        .columns(['status', 'checkout_expires_at'])
        .execute();
    },
  };
}
