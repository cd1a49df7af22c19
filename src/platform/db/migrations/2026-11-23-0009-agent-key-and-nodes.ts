import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Endpoint 88 and 89 (ADR 013):
 * - `agent_keys`: agent keys, only their SHA-256; at most one current key (current_slot 1),
 *   kept true by a unique column so two generations racing each other cannot both win.
 * - `cluster_nodes`: one row per `bulwark serve` process on PostgreSQL, its heartbeat.
 * - `cluster_leases`: named leases (the scheduler lease names the primary), taken and renewed
 *   only by conditional updates.
 */
export function agentKeyAndNodes(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('agent_keys'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('single_use', 'integer', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('replaced_at', 'bigint')
        // 1 while the key is the current one, null once replaced: unique, so at most one is current.
        .addColumn('current_slot', 'integer', (c) => c.unique())
        .execute();

      await db.schema
        .createTable('cluster_nodes')
        .addColumn('node_id', 'text', (c) => c.primaryKey())
        .addColumn('host_name', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        .addColumn('stopped_at', 'bigint')
        .execute();

      await db.schema
        .createTable('cluster_leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
