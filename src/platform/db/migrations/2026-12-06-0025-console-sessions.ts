import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Console sessions and recovery codes (issue 15, ADR 042). `console_sessions`: one row per
 * browser session, keyed by the SHA-256 of the cookie's token (the token itself is never
 * stored); `stage` is `second-factor` between the password and the code, `signed-in` after;
 * `pending_totp_sealed` holds a TOTP secret offered for enrolment until a code confirms it
 * (sealed like the user's own). `user_recovery_codes`: the SHA-256 of each one-time recovery
 * code, marked used rather than deleted so the audit can tell a reuse. `users.totp_last_step`:
 * the TOTP time step last accepted at sign-in, so a code seen once cannot sign in again.
 */
export function consoleSessions(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('console_sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('pending_totp_sealed', t.binary)
        .addColumn('second_factor_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('client_ip', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('console_sessions_by_user')
        .on('console_sessions')
        .column('user_id')
        .execute();
      await db.schema
        .createIndex('console_sessions_by_expiry')
        .on('console_sessions')
        .column('expires_at')
        .execute();

      await t
        .id(db.schema.createTable('user_recovery_codes'))
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addUniqueConstraint('user_recovery_codes_one', ['user_id', 'code_hash'])
        .execute();

      await db.schema.alterTable('users').addColumn('totp_last_step', 'bigint').execute();
    },
  };
}
