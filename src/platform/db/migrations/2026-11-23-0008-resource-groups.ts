import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Resource groups (ADR 012): static groups list their resources (and chosen accounts); dynamic
 * groups hold criteria rows, matched live in SQL against the resources. Groups nest through
 * parent_id. Shares of a group to a user or a user group (one grantee per row) reach every
 * member of the group and of its subgroups, present and future.
 */
export function resourceGroups(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('resource_groups'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('group_type', 'text', (c) => c.notNull().check(sql`group_type in ('static', 'dynamic')`))
        .addColumn('match_all', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('parent_id', 'bigint', (c) => c.references('resource_groups.id').onDelete('set null'))
        .addColumn('password_policy', 'text')
        .addColumn('no_helpdesk_retrieval', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('owner_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('resource_groups_parent')
        .on('resource_groups')
        .column('parent_id')
        .execute();
      await db.schema.createIndex('resource_groups_owner').on('resource_groups').column('owner_id').execute();

      // One row per condition of a dynamic group. `pattern` is the LIKE pattern (lower case,
      // with %, _ and ! escaped by !) computed when the group is created: values are data, never SQL.
      await db.schema
        .createTable('resource_group_criteria')
        .addColumn('group_id', 'bigint', (c) =>
          c.notNull().references('resource_groups.id').onDelete('cascade'),
        )
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('field', 'text', (c) => c.notNull())
        .addColumn('custom_label_key', 'text')
        .addColumn('operator', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('pattern', 'text', (c) => c.notNull())
        .addColumn('negate', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('resource_group_criteria_pk', ['group_id', 'position'])
        .execute();

      await db.schema
        .createTable('resource_group_members')
        .addColumn('group_id', 'bigint', (c) =>
          c.notNull().references('resource_groups.id').onDelete('cascade'),
        )
        .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('resource_group_members_pk', ['group_id', 'resource_id'])
        .execute();
      await db.schema
        .createIndex('resource_group_members_resource')
        .on('resource_group_members')
        .column('resource_id')
        .execute();

      await db.schema
        .createTable('resource_group_accounts')
        .addColumn('group_id', 'bigint', (c) =>
          c.notNull().references('resource_groups.id').onDelete('cascade'),
        )
        .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('resource_group_accounts_pk', ['group_id', 'account_id'])
        .execute();
      await db.schema
        .createIndex('resource_group_accounts_account')
        .on('resource_group_accounts')
        .column('account_id')
        .execute();

      await t
        .id(db.schema.createTable('resource_group_shares'))
        .addColumn('resource_group_id', 'bigint', (c) =>
          c.notNull().references('resource_groups.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('group_id', 'bigint', (c) => c.references('user_groups.id').onDelete('cascade'))
        .addColumn('permission', 'text', (c) =>
          c.notNull().check(sql`permission in ('view', 'modify', 'full')`),
        )
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addColumn('granted_by', 'bigint')
        .addCheckConstraint('resource_group_shares_one_grantee', sql`(user_id is null) <> (group_id is null)`)
        .addUniqueConstraint('resource_group_shares_user', ['resource_group_id', 'user_id'])
        .addUniqueConstraint('resource_group_shares_group', ['resource_group_id', 'group_id'])
        .execute();
      await db.schema
        .createIndex('resource_group_shares_by_user')
        .on('resource_group_shares')
        .columns(['user_id', 'resource_group_id'])
        .execute();
      await db.schema
        .createIndex('resource_group_shares_by_group')
        .on('resource_group_shares')
        .columns(['group_id', 'resource_group_id'])
        .execute();
    },
  };
}
