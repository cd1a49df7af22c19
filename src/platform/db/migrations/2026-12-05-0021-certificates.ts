import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * SSL/TLS certificates (issue 14, ADR 036): the certificate repository. Each certificate is
 * stored once (its SHA-256 fingerprint is unique) as its DER with the fields read from it once
 * in columns to filter on; the private key and its passphrase, when given, sealed bound to the
 * row. `issuer_id` links a certificate to the row of its issuer when the store holds it.
 * `certificate_locations` records where discovery found a certificate (host, port, SNI name).
 */
export function certificates(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('certificates'))
        .addColumn('common_name', 'text', (c) => c.notNull())
        // The lookup form of the common name (NFC, lower case), as names elsewhere.
        .addColumn('common_name_key', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('issuer_common_name', 'text', (c) => c.notNull())
        .addColumn('serial', 'text', (c) => c.notNull())
        // JSON: {"dns":[],"ip":[],"email":[],"uri":[]}.
        .addColumn('sans', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull().unique())
        .addColumn('sha1', 'text', (c) => c.notNull())
        .addColumn('key_algorithm', 'text', (c) => c.notNull())
        .addColumn('key_bits', 'integer', (c) => c.notNull())
        .addColumn('curve', 'text')
        .addColumn('signature_algorithm', 'text', (c) => c.notNull())
        .addColumn('not_before', 'bigint', (c) => c.notNull())
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addColumn('self_signed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_ca', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('der', t.binary, (c) => c.notNull())
        // The issuer's row when known; deleting the issuer forgets the link, not the certificate.
        .addColumn('issuer_id', 'bigint', (c) => c.references('certificates.id').onDelete('set null'))
        .addColumn('private_key_sealed', t.binary)
        .addColumn('passphrase_sealed', t.binary)
        .addColumn('source', 'text', (c) =>
          c.notNull().check(sql`source in ('added', 'discovered', 'issued')`),
        )
        // Not a foreign key: deleting a user leaves the certificates they added to the administrators.
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('added_by', 'text', (c) => c.notNull())
        .addColumn('added_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('certificates_by_owner').on('certificates').column('owner_id').execute();
      await db.schema
        .createIndex('certificates_by_name')
        .on('certificates')
        .columns(['common_name_key', 'serial'])
        .execute();
      await db.schema.createIndex('certificates_by_expiry').on('certificates').column('not_after').execute();

      await t
        .id(db.schema.createTable('certificate_locations'))
        .addColumn('certificate_id', 'bigint', (c) =>
          c.notNull().references('certificates.id').onDelete('cascade'),
        )
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        // The SNI name sent, '' when none (an IP address).
        .addColumn('servername', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'bigint', (c) => c.notNull())
        .addColumn('last_seen', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('certificate_locations_one', ['certificate_id', 'host', 'port', 'servername'])
        .execute();
      await db.schema
        .createIndex('certificate_locations_by_host')
        .on('certificate_locations')
        .columns(['host', 'port'])
        .execute();
    },
  };
}
