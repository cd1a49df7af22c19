import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * CSRs and the internal CA (issue 14, ADR 039). `certificate_requests`: a CSR made here with
 * the fields it was asked for, its PEM, and its private key (and the password the key is
 * encrypted with) sealed bound to the row; `certificate_id` points at the certificate signed
 * for it. `internal_ca`: the installation's one CA; its id is fixed to 1 so that two nodes
 * creating it at once cannot both succeed (the loser reads the winner's row).
 */
export function certificateRequestsAndCa(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('certificate_requests'))
        .addColumn('common_name', 'text', (c) => c.notNull())
        // The lookup form of the common name (NFC, lower case), as names elsewhere.
        .addColumn('common_name_key', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        // JSON: {"dns":[],"ip":[]}.
        .addColumn('sans', 'text', (c) => c.notNull())
        .addColumn('key_algorithm', 'text', (c) => c.notNull().check(sql`key_algorithm in ('RSA', 'EC')`))
        .addColumn('key_bits', 'integer', (c) => c.notNull())
        // openssl's name of the CSR's signature (sha256WithRSAEncryption, ecdsa-with-SHA384, ...).
        .addColumn('signature_algorithm', 'text', (c) => c.notNull())
        // The validity asked for, applied when the CSR is signed.
        .addColumn('validity', 'integer', (c) => c.notNull())
        .addColumn('validity_type', 'text', (c) =>
          c.notNull().check(sql`validity_type in ('days', 'hours', 'minutes')`),
        )
        .addColumn('keystore_type', 'text', (c) => c.notNull().check(sql`keystore_type in ('PKCS12', 'JKS')`))
        .addColumn('csr_pem', 'text', (c) => c.notNull())
        // Sealed right after the insert (the seal is bound to the row id), in the same transaction.
        .addColumn('private_key_sealed', t.binary)
        .addColumn('password_sealed', t.binary)
        // Not a foreign key: deleting a user leaves their requests to the administrators.
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('certificate_id', 'bigint', (c) => c.references('certificates.id').onDelete('set null'))
        .addColumn('signed_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('certificate_requests_by_owner')
        .on('certificate_requests')
        .column('owner_id')
        .execute();

      await db.schema
        .createTable('internal_ca')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('common_name', 'text', (c) => c.notNull())
        .addColumn('certificate_der', t.binary, (c) => c.notNull())
        .addColumn('private_key_sealed', t.binary, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
