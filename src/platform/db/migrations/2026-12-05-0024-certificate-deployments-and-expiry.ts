import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Certificate deployment and expiry (issue 14, ADR 041). `certificate_deployment_targets`: the
 * saved servers of a certificate (endpoint 64 deploys to one by name, or to all of them): the
 * Linux resource reached over its remote reset configuration, the absolute paths the chain, the
 * key and a PFX are written to, an optional owner and reload command, the host:port whose served
 * certificate proves the deployment, and how the last deployment went. No key material: the
 * key travels from the vault to the host at each deployment. `certificate_expiry_alerts`: one
 * row per certificate and threshold (days) the expiry job found it within; the unique pair
 * makes the alert (and its audit record) happen once across nodes.
 */
export function certificateDeploymentsAndExpiry(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('certificate_deployment_targets'))
        .addColumn('certificate_id', 'bigint', (c) =>
          c.notNull().references('certificates.id').onDelete('cascade'),
        )
        .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
        .addColumn('certificate_path', 'text', (c) => c.notNull())
        .addColumn('key_path', 'text')
        .addColumn('pfx_path', 'text')
        // `user` or `user:group` given to the files (chown); null: the login's (or root's when elevated).
        .addColumn('file_owner', 'text')
        .addColumn('reload_command', 'text')
        .addColumn('verify_host', 'text', (c) => c.notNull())
        .addColumn('verify_port', 'integer', (c) => c.notNull())
        // The SNI name sent when verifying; null: the host when it is a name.
        .addColumn('verify_servername', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        // 'Success' | 'Failed' and why, of the last deployment; null before the first.
        .addColumn('last_status', 'text')
        .addColumn('last_message', 'text')
        .addColumn('last_deployed_at', 'bigint')
        .addColumn('last_deployed_by', 'text')
        .addUniqueConstraint('certificate_deployment_targets_one', ['certificate_id', 'resource_id'])
        .execute();
      await db.schema
        .createIndex('certificate_deployment_targets_by_resource')
        .on('certificate_deployment_targets')
        .column('resource_id')
        .execute();

      await t
        .id(db.schema.createTable('certificate_expiry_alerts'))
        .addColumn('certificate_id', 'bigint', (c) =>
          c.notNull().references('certificates.id').onDelete('cascade'),
        )
        .addColumn('threshold_days', 'integer', (c) => c.notNull())
        // The certificate's notAfter when alerted, and the whole days left then.
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addColumn('days_left', 'integer', (c) => c.notNull())
        .addColumn('alerted_at', 'bigint', (c) => c.notNull())
        // The job node that recorded it (the lease owner).
        .addColumn('alerted_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('certificate_expiry_alerts_once', ['certificate_id', 'threshold_days'])
        .execute();
      await db.schema
        .createIndex('certificate_expiry_alerts_by_time')
        .on('certificate_expiry_alerts')
        .column('alerted_at')
        .execute();
    },
  };
}
