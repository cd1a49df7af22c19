import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * SSH keys (issue 13, ADR 031): the key store (private key and passphrase sealed, bound to the
 * row), shares of a key to users and user groups (as resource and account shares), and the
 * record of where each key is deployed (`ssh_key_associations`: filled by associate, emptied by
 * dissociate, both in a later increment). A key with associations cannot be deleted: the
 * foreign key has no cascade, so the vault never forgets a key some host still trusts.
 */
export function sshKeys(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('ssh_keys'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        .addColumn('key_type', 'text', (c) =>
          c.notNull().check(sql`key_type in ('ssh-rsa', 'ssh-dss', 'ed25519', 'ecdsa')`),
        )
        .addColumn('bits', 'integer', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('private_key_sealed', t.binary)
        .addColumn('passphrase_sealed', t.binary)
        .addColumn('origin', 'text', (c) => c.notNull().check(sql`origin in ('created', 'imported')`))
        // Not a foreign key: deleting a user leaves the keys they created to the administrators.
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ssh_keys_by_owner').on('ssh_keys').column('owner_id').execute();
      await db.schema.createIndex('ssh_keys_by_fingerprint').on('ssh_keys').column('fingerprint').execute();

      await t
        .id(db.schema.createTable('ssh_key_shares'))
        .addColumn('key_id', 'bigint', (c) => c.notNull().references('ssh_keys.id').onDelete('cascade'))
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('group_id', 'bigint', (c) => c.references('user_groups.id').onDelete('cascade'))
        .addColumn('permission', 'text', (c) =>
          c.notNull().check(sql`permission in ('view', 'modify', 'full')`),
        )
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addColumn('granted_by', 'bigint')
        .addCheckConstraint('ssh_key_shares_one_grantee', sql`(user_id is null) <> (group_id is null)`)
        .addUniqueConstraint('ssh_key_shares_user', ['key_id', 'user_id'])
        .addUniqueConstraint('ssh_key_shares_group', ['key_id', 'group_id'])
        .execute();
      await db.schema
        .createIndex('ssh_key_shares_by_user')
        .on('ssh_key_shares')
        .columns(['user_id', 'key_id'])
        .execute();
      await db.schema
        .createIndex('ssh_key_shares_by_group')
        .on('ssh_key_shares')
        .columns(['group_id', 'key_id'])
        .execute();

      await t
        .id(db.schema.createTable('ssh_key_associations'))
        .addColumn('key_id', 'bigint', (c) => c.notNull().references('ssh_keys.id'))
        // Deleting a resource forgets what was deployed on it (the key itself stays in the store):
        // a restricting foreign key would turn DELETE RESOURCE into an internal error.
        .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
        // The account on the host whose ~/.ssh/authorized_keys holds the key's line.
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('deployed_at', 'bigint', (c) => c.notNull())
        .addColumn('deployed_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('ssh_key_associations_one', ['key_id', 'resource_id', 'user_name'])
        .execute();
      await db.schema
        .createIndex('ssh_key_associations_by_resource')
        .on('ssh_key_associations')
        .columns(['resource_id', 'user_name'])
        .execute();
    },
  };
}
