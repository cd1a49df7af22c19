import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * User groups and their members; shares of resources and of accounts to users or user groups.
 * A share names exactly one grantee (a user or a group): one row per object and grantee.
 */
export function userGroupsAndShares(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('user_groups'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint')
        .execute();

      await db.schema
        .createTable('user_group_members')
        .addColumn('group_id', 'bigint', (c) => c.notNull().references('user_groups.id').onDelete('cascade'))
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('added_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_group_members_pk', ['group_id', 'user_id'])
        .execute();
      await db.schema
        .createIndex('user_group_members_user')
        .on('user_group_members')
        .column('user_id')
        .execute();

      for (const [table, objectColumn, objectTable] of [
        ['resource_shares', 'resource_id', 'resources'],
        ['account_shares', 'account_id', 'accounts'],
      ] as const) {
        await t
          .id(db.schema.createTable(table))
          .addColumn(objectColumn, 'bigint', (c) =>
            c.notNull().references(`${objectTable}.id`).onDelete('cascade'),
          )
          .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('cascade'))
          .addColumn('group_id', 'bigint', (c) => c.references('user_groups.id').onDelete('cascade'))
          .addColumn('permission', 'text', (c) => c.notNull().check(sqlPermissionCheck()))
          .addColumn('granted_at', 'bigint', (c) => c.notNull())
          .addColumn('granted_by', 'bigint')
          .addCheckConstraint(`${table}_one_grantee`, sqlOneGrantee())
          .addUniqueConstraint(`${table}_user`, [objectColumn, 'user_id'])
          .addUniqueConstraint(`${table}_group`, [objectColumn, 'group_id'])
          .execute();
        await db.schema
          .createIndex(`${table}_by_user`)
          .on(table)
          .columns(['user_id', objectColumn])
          .execute();
        await db.schema
          .createIndex(`${table}_by_group`)
          .on(table)
          .columns(['group_id', objectColumn])
          .execute();
      }
    },
  };
}

const sqlPermissionCheck = () => sql`permission in ('view', 'modify', 'full')`;
const sqlOneGrantee = () => sql`(user_id is null) <> (group_id is null)`;
