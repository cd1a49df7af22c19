import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * SSH key discovery (issue 13, ADR 034): what the last discovery found in every account's
 * authorized_keys on a Linux resource. Each successful run replaces a resource's accounts and
 * findings as a whole, in one transaction (a finding seen again keeps its first_seen), so the
 * vault shows what the host had at the last discovery. `ssh_key_discoveries` says when that was
 * and how the last attempt went. Everything follows its resource (cascade): deleting a resource
 * forgets what was found on it. Nothing here is secret (public keys, account names, options).
 */
export function sshKeyDiscovery(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('ssh_key_discoveries'))
        .addColumn('resource_id', 'bigint', (c) =>
          c.notNull().unique().references('resources.id').onDelete('cascade'),
        )
        // The last successful run (null until one succeeded).
        .addColumn('discovered_at', 'bigint')
        .addColumn('discovered_by', 'text')
        // `host:port` (with the landing server) the findings were read from.
        .addColumn('host', 'text')
        // The last attempt, successful or not, and why it failed.
        .addColumn('attempted_at', 'bigint', (c) => c.notNull())
        .addColumn('attempted_by', 'text', (c) => c.notNull())
        .addColumn('error_reason', 'text')
        .addColumn('error', 'text')
        .execute();

      await t
        .id(db.schema.createTable('ssh_key_discovery_accounts'))
        .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('file_state', 'text', (c) =>
          c.notNull().check(sql`file_state in ('present', 'missing', 'unreadable', 'symlink', 'truncated')`),
        )
        // JSON array of {line, text, problem}: lines sshd would not accept (text shortened, printable).
        .addColumn('invalid_lines', 'text', (c) => c.notNull())
        .addUniqueConstraint('ssh_key_discovery_accounts_one', ['resource_id', 'user_name'])
        .execute();

      await t
        .id(db.schema.createTable('ssh_key_findings'))
        .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('line', 'integer', (c) => c.notNull())
        // As sshd names it: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('bits', 'integer', (c) => c.notNull())
        // `SHA256:…` as `ssh-keygen -l` prints it; matched against ssh_keys.fingerprint.
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        // `type base64 [comment]`, without the options.
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('ssh_key_findings_one', ['resource_id', 'user_name', 'line'])
        .execute();
      await db.schema
        .createIndex('ssh_key_findings_by_fingerprint')
        .on('ssh_key_findings')
        .column('fingerprint')
        .execute();
    },
  };
}
