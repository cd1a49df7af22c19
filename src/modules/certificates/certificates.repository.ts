import { sql, type Insertable, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { Schema } from '../../platform/db/schema.js';
import { containsPattern, pageWithTotal } from '../../platform/db/paging.js';
import type { CertificateScope } from '../access/index.js';

export type CertificateRow = Selectable<Schema['certificates']>;
export type CertificateLocationRow = Selectable<Schema['certificate_locations']>;

/** Who may see which certificates: every one, or those the access policy yields (ADR 040). */
export type { CertificateScope };

/** `query` narrowed to the certificates `scope` lets its reader see. */
function visible<O>(
  db: Executor,
  scope: CertificateScope,
  query: SelectQueryBuilder<Schema, 'certificates', O>,
): SelectQueryBuilder<Schema, 'certificates', O> {
  return scope.kind === 'user' ? query.where('certificates.id', 'in', scope.certificateIds(db)) : query;
}

const LOCATIONS_SLICE = 5000;

/** Rows of the certificate repository; no decisions (the service authorises). */
export const certificatesRepository = {
  list(db: Executor, scope: CertificateScope, notAfterBefore?: number): Promise<CertificateRow[]> {
    let query = visible(db, scope, db.selectFrom('certificates').selectAll());
    if (notAfterBefore !== undefined) query = query.where('not_after', '<', notAfterBefore);
    return query.orderBy('common_name_key').orderBy('id').execute();
  },

  /**
   * One page of the visible certificates by common name: `search` in the common name, the
   * issuer's common name, the SANs or the SHA-256 fingerprint; `notAfterBefore` for an expiry
   * filter. The console's list (ADR 042).
   */
  page(
    db: Executor,
    scope: CertificateScope,
    query: { search?: string; notAfterBefore?: number; offset: number; limit: number },
  ): Promise<{ rows: CertificateRow[]; total: number }> {
    let filtered = visible(db, scope, db.selectFrom('certificates'));
    if (query.notAfterBefore !== undefined) filtered = filtered.where('not_after', '<', query.notAfterBefore);
    if (query.search !== undefined && query.search !== '') {
      const pattern = containsPattern(query.search);
      filtered = filtered.where((eb) =>
        eb.or(
          ['common_name', 'issuer_common_name', 'sans', 'sha256'].map(
            (column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`,
          ),
        ),
      );
    }
    return pageWithTotal(filtered, (q) =>
      q.selectAll().orderBy('common_name_key').orderBy('id').limit(query.limit).offset(query.offset),
    );
  },

  byId(db: Executor, scope: CertificateScope, id: number): Promise<CertificateRow | undefined> {
    return visible(
      db,
      scope,
      db.selectFrom('certificates').selectAll().where('certificates.id', '=', id),
    ).executeTakeFirst();
  },

  byName(db: Executor, scope: CertificateScope, commonNameKey: string): Promise<CertificateRow[]> {
    const query = db.selectFrom('certificates').selectAll().where('common_name_key', '=', commonNameKey);
    return visible(db, scope, query).orderBy('id').execute();
  },

  /**
   * The issuers above `from` as linked by verified signatures, nearest first, at most `max`,
   * cycle-safe (cross-signed CAs may link in a loop). Only certificates `scope` lets the reader
   * see: the walk stops at the first issuer it does not, so no chain (a keystore, a deployment)
   * shows a certificate its reader could not fetch (ADR 040: an unseen one answers as missing).
   */
  async issuers(
    db: Executor,
    scope: CertificateScope,
    from: { readonly id: number; readonly issuerId: number | null },
    max: number,
  ): Promise<{ id: number; der: Buffer; selfSigned: boolean }[]> {
    const out: { id: number; der: Buffer; selfSigned: boolean }[] = [];
    const seen = new Set([from.id]);
    for (let next = from.issuerId; next !== null && !seen.has(next) && out.length < max;) {
      seen.add(next);
      const query = db
        .selectFrom('certificates')
        .select(['der', 'issuer_id', 'self_signed'])
        .where('certificates.id', '=', next);
      const row = await visible(db, scope, query).executeTakeFirst();
      if (!row) break;
      out.push({ id: next, der: Buffer.from(row.der), selfSigned: Number(row.self_signed) === 1 });
      next = row.issuer_id === null ? null : Number(row.issuer_id);
    }
    return out;
  },

  /** Those of `ids` that `scope` lets the reader see. */
  async visibleAmong(db: Executor, scope: CertificateScope, ids: readonly number[]): Promise<Set<number>> {
    if (ids.length === 0 || scope.kind === 'all') return new Set(ids);
    const query = db
      .selectFrom('certificates')
      .select('certificates.id')
      .where('certificates.id', 'in', [...ids]);
    return new Set((await visible(db, scope, query).execute()).map((r) => Number(r.id)));
  },

  bySha256(db: Executor, sha256: string): Promise<CertificateRow | undefined> {
    return db.selectFrom('certificates').selectAll().where('sha256', '=', sha256).executeTakeFirst();
  },

  /** Certificates whose subject is `subject`: candidates for the issuer of a certificate. */
  bySubject(db: Executor, subject: string): Promise<CertificateRow[]> {
    return db.selectFrom('certificates').selectAll().where('subject', '=', subject).execute();
  },

  /** Certificates issued by `issuer` and not yet linked to their issuer's row. */
  unlinkedIssuedBy(db: Executor, issuer: string): Promise<CertificateRow[]> {
    return db
      .selectFrom('certificates')
      .selectAll()
      .where('issuer', '=', issuer)
      .where('issuer_id', 'is', null)
      .execute();
  },

  async insert(db: Executor, row: Insertable<Schema['certificates']>): Promise<number> {
    const inserted = await db
      .insertInto('certificates')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(inserted.id);
  },

  async setSealed(db: Executor, id: number, privateKey: Buffer, passphrase: Buffer | null): Promise<void> {
    await db
      .updateTable('certificates')
      .set({ private_key_sealed: privateKey, passphrase_sealed: passphrase })
      .where('id', '=', id)
      .execute();
  },

  async setIssuer(db: Executor, id: number, issuerId: number): Promise<void> {
    await db.updateTable('certificates').set({ issuer_id: issuerId }).where('id', '=', id).execute();
  },

  async remove(db: Executor, id: number): Promise<void> {
    await db.deleteFrom('certificates').where('id', '=', id).execute();
  },

  /**
   * Where discovery found the given certificates, by host and port. In slices: a listing of every
   * certificate would otherwise bind more parameters than SQLite (32 766) or PostgreSQL (65 535)
   * take in one statement.
   */
  async locations(db: Executor, certificateIds: readonly number[]): Promise<CertificateLocationRow[]> {
    const out: CertificateLocationRow[] = [];
    for (let i = 0; i < certificateIds.length; i += LOCATIONS_SLICE) {
      const rows = await db
        .selectFrom('certificate_locations')
        .selectAll()
        .where('certificate_id', 'in', certificateIds.slice(i, i + LOCATIONS_SLICE))
        .orderBy('host')
        .orderBy('port')
        .execute();
      out.push(...rows);
    }
    return out;
  },

  /** Records (or refreshes) where a certificate was found. */
  async recordLocation(
    db: Executor,
    certificateId: number,
    at: { host: string; port: number; servername: string },
    now: number,
  ): Promise<void> {
    const updated = await db
      .updateTable('certificate_locations')
      .set({ last_seen: now })
      .where('certificate_id', '=', certificateId)
      .where('host', '=', at.host)
      .where('port', '=', at.port)
      .where('servername', '=', at.servername)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    await db
      .insertInto('certificate_locations')
      .values({ certificate_id: certificateId, ...at, first_seen: now, last_seen: now })
      .execute();
  },

  findUser(db: Executor, usernameKey: string): Promise<{ id: number; username: string } | undefined> {
    return db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('username_key', '=', usernameKey)
      .executeTakeFirst();
  },
};
