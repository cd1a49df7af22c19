import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Per-account retrieval controls (reason required, ticket id asked / mandatory, password access
 * control) and the account's TOTP: its secret sealed like a password (bound to accounts, row,
 * `totp_secret_sealed`), the algorithm, digits and period in clear.
 */
export function accountFlagsAndTotp(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one column at a time.
      for (const flag of [
        'is_reason_required',
        'is_ticketid_reqd',
        'is_ticketid_reqd_mandatory',
        'access_control',
      ]) {
        await db.schema
          .alterTable('accounts')
          .addColumn(flag, 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
      }
      await db.schema.alterTable('accounts').addColumn('totp_secret_sealed', t.binary).execute();
      await db.schema.alterTable('accounts').addColumn('totp_algorithm', 'text').execute();
      await db.schema.alterTable('accounts').addColumn('totp_digits', 'integer').execute();
      await db.schema.alterTable('accounts').addColumn('totp_period', 'integer').execute();
    },
  };
}
