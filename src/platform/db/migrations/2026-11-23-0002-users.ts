import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen once shipped. Users get the password policy their login password is checked against,
 * and a sealed slot for an enrolled TOTP secret (two-factor authentication), which endpoint 84
 * (resetMFA) clears.
 */
export function users(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('password_policy', 'text').execute();
      await db.schema.alterTable('users').addColumn('totp_secret_sealed', t.binary).execute();
    },
  };
}
