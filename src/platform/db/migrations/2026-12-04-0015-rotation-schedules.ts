import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Rotation and verification schedules (issue 12, ADR 029): one row per schedule, on exactly one
 * account, resource or resource group (a foreign key each, so a schedule goes with what it
 * covers); every N days or a cron expression; `next_run_at` is what the periodic sweep looks at.
 */
export function rotationSchedules(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('rotation_schedules'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('rotate', 'verify')`))
        .addColumn('account_id', 'bigint', (c) => c.references('accounts.id').onDelete('cascade'))
        .addColumn('resource_id', 'bigint', (c) => c.references('resources.id').onDelete('cascade'))
        .addColumn('resource_group_id', 'bigint', (c) =>
          c.references('resource_groups.id').onDelete('cascade'),
        )
        .addColumn('interval_days', 'integer')
        .addColumn('cron', 'text')
        .addColumn('only_expired', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('next_run_at', 'bigint', (c) => c.notNull())
        .addColumn('last_run_at', 'bigint')
        .addColumn('last_summary', 'text')
        .addColumn('created_by', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addCheckConstraint(
          'rotation_schedules_one_scope',
          sql`(case when account_id is null then 0 else 1 end) + (case when resource_id is null then 0 else 1 end)
            + (case when resource_group_id is null then 0 else 1 end) = 1`,
        )
        .addCheckConstraint('rotation_schedules_one_timing', sql`(interval_days is null) <> (cron is null)`)
        .execute();
      await db.schema
        .createIndex('rotation_schedules_due')
        .on('rotation_schedules')
        .columns(['enabled', 'next_run_at'])
        .execute();
      for (const column of ['account_id', 'resource_id', 'resource_group_id', 'created_by'] as const) {
        await db.schema
          .createIndex(`rotation_schedules_${column}`)
          .on('rotation_schedules')
          .column(column)
          .execute();
      }
    },
  };
}
