import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * SSH key rotation (issue 13, ADR 035). `ssh_key_rotations`: one row per rotation of a key of the
 * store, recorded `pending` with the new private key sealed to it before any host is touched;
 * `phase` says where a crash left it (adding the new key, rolling it back, removing the old key).
 * It keeps the old key's public half and fingerprint for good (what the rotation replaced), and
 * the old private key sealed from the switch until every old line is removed. One pending
 * rotation per key (partial unique index). `ssh_key_rotation_hosts`: the rotation's hosts (a
 * snapshot of the key's associations) and how far each got; no foreign key to the resource, so
 * the record outlives it. `ssh_key_rotation_schedules`: at most one schedule per key, every N
 * days or a cron expression (as rotation_schedules), going with its key.
 */
export function sshKeyRotations(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('ssh_key_rotations'))
        .addColumn('key_id', 'bigint', (c) => c.notNull().references('ssh_keys.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'completed', 'failed')`),
        )
        .addColumn('phase', 'text', (c) =>
          c.notNull().check(sql`phase in ('adding', 'rolling-back', 'removing-old')`),
        )
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('new_public_key', 'text', (c) => c.notNull())
        .addColumn('new_fingerprint', 'text', (c) => c.notNull())
        /** The new private key file while it is not the key's yet; null once switched or failed. */
        .addColumn('new_private_key_sealed', t.binary)
        .addColumn('old_public_key', 'text', (c) => c.notNull())
        .addColumn('old_fingerprint', 'text', (c) => c.notNull())
        /** The replaced private key file, from the switch until no host holds its line. */
        .addColumn('old_private_key_sealed', t.binary)
        .addColumn('requested_by', 'bigint')
        .addColumn('requested_by_name', 'text', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('switched_at', 'bigint')
        .addColumn('settled_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('ssh_key_rotations_pending')
        .on('ssh_key_rotations')
        .column('key_id')
        .unique()
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema
        .createIndex('ssh_key_rotations_key')
        .on('ssh_key_rotations')
        .columns(['key_id', 'id'])
        .execute();
      await db.schema
        .createIndex('ssh_key_rotations_status')
        .on('ssh_key_rotations')
        .columns(['status', 'updated_at'])
        .execute();

      await t
        .id(db.schema.createTable('ssh_key_rotation_hosts'))
        .addColumn('rotation_id', 'bigint', (c) =>
          c.notNull().references('ssh_key_rotations.id').onDelete('cascade'),
        )
        .addColumn('resource_id', 'bigint', (c) => c.notNull())
        .addColumn('resource_name', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) =>
          c
            .notNull()
            .check(sql`state in ('todo', 'adding', 'verified', 'failed', 'rolled-back', 'done', 'gone')`),
        )
        .addColumn('message', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('ssh_key_rotation_hosts_one', ['rotation_id', 'resource_id', 'user_name'])
        .execute();

      await t
        .id(db.schema.createTable('ssh_key_rotation_schedules'))
        .addColumn('key_id', 'bigint', (c) =>
          c.notNull().unique().references('ssh_keys.id').onDelete('cascade'),
        )
        .addColumn('interval_days', 'integer')
        .addColumn('cron', 'text')
        .addColumn('next_run_at', 'bigint', (c) => c.notNull())
        .addColumn('last_run_at', 'bigint')
        .addColumn('last_summary', 'text')
        // Null: set by the local operator (CLI), who runs it with full access.
        .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('created_by_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addCheckConstraint(
          'ssh_key_rotation_schedules_one_timing',
          sql`(interval_days is null) <> (cron is null)`,
        )
        .execute();
      await db.schema
        .createIndex('ssh_key_rotation_schedules_due')
        .on('ssh_key_rotation_schedules')
        .column('next_run_at')
        .execute();
    },
  };
}
