import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Approvers named on an account: besides administrators and the owners, these users decide on
 * the account's password requests (access control, endpoints 12–14).
 */
export function accountApprovers(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('account_approvers')
        .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('account_approvers_pk', ['account_id', 'user_id'])
        .execute();
      await db.schema
        .createIndex('account_approvers_user')
        .on('account_approvers')
        .column('user_id')
        .execute();
    },
  };
}
