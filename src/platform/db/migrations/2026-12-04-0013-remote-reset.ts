import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Remote password reset configuration and SSH host keys (issue 12, ADR 027):
 * - `remote_reset_configs`: one row per configured resource (endpoint 63): how its passwords are
 *   changed on the target (Linux over SSH, PostgreSQL, MySQL/MariaDB), which accounts log in,
 *   elevate and reset, the landing server; the login key and its passphrase sealed, bound to the
 *   row (the resource id) and column.
 * - `ssh_host_keys`: the pinned key of each host:port (trust on first use, or accepted by an
 *   administrator).
 * - `ssh_offered_host_keys`: keys a host offered that differed from its pin (the connection was
 *   refused); an administrator may accept one, which makes it the pin.
 */
export function remoteReset(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('remote_reset_configs')
        .addColumn('resource_id', 'bigint', (c) =>
          c.primaryKey().references('resources.id').onDelete('cascade'),
        )
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('remote_mode', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('user_prompt', 'text', (c) => c.notNull())
        .addColumn('root_prompt', 'text', (c) => c.notNull())
        .addColumn('resource_identifier', 'text', (c) => c.notNull())
        .addColumn('landing_resource_id', 'bigint', (c) => c.references('resources.id').onDelete('set null'))
        .addColumn('login_account_id', 'bigint', (c) => c.references('accounts.id').onDelete('set null'))
        .addColumn('reset_account_id', 'bigint', (c) => c.references('accounts.id').onDelete('set null'))
        .addColumn('root_account_id', 'bigint', (c) => c.references('accounts.id').onDelete('set null'))
        .addColumn('authentication', 'text', (c) => c.notNull())
        .addColumn('elevation', 'text', (c) => c.notNull())
        .addColumn('remove_enter', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('database_name', 'text')
        .addColumn('private_key_sealed', t.binary)
        .addColumn('passphrase_sealed', t.binary)
        .addColumn('key_fingerprint', 'text')
        .addColumn('configured_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('configured_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('remote_reset_configs_landing')
        .on('remote_reset_configs')
        .column('landing_resource_id')
        .execute();

      await db.schema
        .createTable('ssh_host_keys')
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('pinned_at', 'bigint', (c) => c.notNull())
        /** 'first-use' or 'accepted'. */
        .addColumn('pinned_how', 'text', (c) => c.notNull())
        .addColumn('pinned_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('ssh_host_keys_pk', ['host', 'port'])
        .execute();

      await t
        .id(db.schema.createTable('ssh_offered_host_keys'))
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('first_offered_at', 'bigint', (c) => c.notNull())
        .addColumn('last_offered_at', 'bigint', (c) => c.notNull())
        .addColumn('times_offered', 'integer', (c) => c.notNull())
        .addUniqueConstraint('ssh_offered_host_keys_key', ['host', 'port', 'fingerprint'])
        .execute();
    },
  };
}
