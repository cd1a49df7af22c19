import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * A remote reset configuration is bound to the host it was confirmed for (ADR 030):
 * `remote_reset_configs.confirmed_host` is the resource's DNSNAME when someone with full access
 * to the resource configured it. Remote changes go there only while the resource's DNSNAME still
 * says the same; existing rows are confirmed for the DNSNAME they were configured under.
 */
export function remoteResetConfirmedHost(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('remote_reset_configs').addColumn('confirmed_host', 'text').execute();
      await sql`update remote_reset_configs set confirmed_host =
        (select trim(r.dns_name) from resources r where r.id = remote_reset_configs.resource_id)`.execute(db);
    },
  };
}
