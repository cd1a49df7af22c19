import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Certificate groups, sharing and the SSL agent install key (issue 14, ADR 040):
 * - `certificate_shares`: a certificate shared to a user or a user group (the shape of
 *   `ssh_key_shares`), read live by the access policy.
 * - `certificate_groups` and `certificate_group_members`: named groups of certificates; each
 *   member row remembers who put it there (`added_by`), whose own access bounds what a share of
 *   the group confers on it.
 * - `certificate_group_shares`: a group shared to a user or a user group; `granted_by` (never
 *   null) bounds it the same way.
 * - `certificate_install_keys`: the SSL agent install key (endpoint 76), only its SHA-256, at most
 *   one current (current_slot 1, unique), like `agent_keys`.
 */
export function certificateGroupsAndShares(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  const permission = sql`permission in ('view', 'modify', 'full')`;
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('certificate_shares'))
        .addColumn('certificate_id', 'bigint', (c) =>
          c.notNull().references('certificates.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('group_id', 'bigint', (c) => c.references('user_groups.id').onDelete('cascade'))
        .addColumn('permission', 'text', (c) => c.notNull().check(permission))
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addColumn('granted_by', 'bigint')
        .addCheckConstraint('certificate_shares_one_grantee', sql`(user_id is null) <> (group_id is null)`)
        .addUniqueConstraint('certificate_shares_user', ['certificate_id', 'user_id'])
        .addUniqueConstraint('certificate_shares_group', ['certificate_id', 'group_id'])
        .execute();
      await db.schema
        .createIndex('certificate_shares_by_user')
        .on('certificate_shares')
        .columns(['user_id', 'certificate_id'])
        .execute();
      await db.schema
        .createIndex('certificate_shares_by_group')
        .on('certificate_shares')
        .columns(['group_id', 'certificate_id'])
        .execute();

      await t
        .id(db.schema.createTable('certificate_groups'))
        .addColumn('name', 'text', (c) => c.notNull())
        // The lookup form of the name (NFC, lower case): names are unique whatever their case.
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('mail', 'text')
        // Not a foreign key: deleting a user leaves the groups they made to the administrators.
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('certificate_group_members')
        .addColumn('group_id', 'bigint', (c) =>
          c.notNull().references('certificate_groups.id').onDelete('cascade'),
        )
        .addColumn('certificate_id', 'bigint', (c) =>
          c.notNull().references('certificates.id').onDelete('cascade'),
        )
        // Who put the certificate in the group: a share of the group confers no more than they hold.
        .addColumn('added_by', 'bigint', (c) => c.notNull())
        .addColumn('added_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('certificate_group_members_pk', ['group_id', 'certificate_id'])
        .execute();
      await db.schema
        .createIndex('certificate_group_members_by_certificate')
        .on('certificate_group_members')
        .columns(['certificate_id', 'group_id'])
        .execute();

      await t
        .id(db.schema.createTable('certificate_group_shares'))
        .addColumn('certificate_group_id', 'bigint', (c) =>
          c.notNull().references('certificate_groups.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('group_id', 'bigint', (c) => c.references('user_groups.id').onDelete('cascade'))
        .addColumn('permission', 'text', (c) => c.notNull().check(permission))
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addColumn('granted_by', 'bigint', (c) => c.notNull())
        .addCheckConstraint(
          'certificate_group_shares_one_grantee',
          sql`(user_id is null) <> (group_id is null)`,
        )
        .addUniqueConstraint('certificate_group_shares_user', ['certificate_group_id', 'user_id'])
        .addUniqueConstraint('certificate_group_shares_group', ['certificate_group_id', 'group_id'])
        .execute();
      await db.schema
        .createIndex('certificate_group_shares_by_user')
        .on('certificate_group_shares')
        .columns(['user_id', 'certificate_group_id'])
        .execute();
      await db.schema
        .createIndex('certificate_group_shares_by_group')
        .on('certificate_group_shares')
        .columns(['group_id', 'certificate_group_id'])
        .execute();

      await t
        .id(db.schema.createTable('certificate_install_keys'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint')
        .addColumn('replaced_at', 'bigint')
        // 1 while the key is the current one, null once replaced: unique, so at most one is current.
        .addColumn('current_slot', 'integer', (c) => c.unique())
        .execute();
    },
  };
}
