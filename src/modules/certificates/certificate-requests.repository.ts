import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { Schema } from '../../platform/db/schema.js';
import { pageWithTotal } from '../../platform/db/paging.js';

export type CertificateRequestRow = Selectable<Schema['certificate_requests']>;
export type InternalCaRow = Selectable<Schema['internal_ca']>;

/** Whose requests: every one (super administrators, the CLI operator) or one owner's. */
export type RequestScope = { readonly kind: 'all' } | { readonly kind: 'owner'; readonly userId: number };

/** Rows of the CSRs and of the internal CA; no decisions (the services authorise). */
export const certificateRequestsRepository = {
  async insert(db: Executor, row: Insertable<Schema['certificate_requests']>): Promise<number> {
    const inserted = await db
      .insertInto('certificate_requests')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(inserted.id);
  },

  async setSealed(db: Executor, id: number, privateKey: Buffer, password: Buffer | null): Promise<void> {
    await db
      .updateTable('certificate_requests')
      .set({ private_key_sealed: privateKey, password_sealed: password })
      .where('id', '=', id)
      .execute();
  },

  list(db: Executor, scope: RequestScope, commonNameKey?: string): Promise<CertificateRequestRow[]> {
    let query = db.selectFrom('certificate_requests').selectAll();
    if (scope.kind === 'owner') query = query.where('owner_id', '=', scope.userId);
    if (commonNameKey !== undefined) query = query.where('common_name_key', '=', commonNameKey);
    return query.orderBy('id').execute();
  },

  /** One page of the requests in scope, newest first; `unsigned` leaves out the signed ones. */
  page(
    db: Executor,
    scope: RequestScope,
    query: { unsigned: boolean; offset: number; limit: number },
  ): Promise<{ rows: CertificateRequestRow[]; total: number }> {
    let filtered = db.selectFrom('certificate_requests');
    if (scope.kind === 'owner') filtered = filtered.where('owner_id', '=', scope.userId);
    if (query.unsigned) filtered = filtered.where('signed_at', 'is', null);
    return pageWithTotal(filtered, (q) =>
      q.selectAll().orderBy('id', 'desc').limit(query.limit).offset(query.offset),
    );
  },

  byId(db: Executor, scope: RequestScope, id: number): Promise<CertificateRequestRow | undefined> {
    let query = db.selectFrom('certificate_requests').selectAll().where('id', '=', id);
    if (scope.kind === 'owner') query = query.where('owner_id', '=', scope.userId);
    return query.executeTakeFirst();
  },

  /** Marks a request signed, only if it was not yet: false when another signing got there first. */
  async markSigned(db: Executor, id: number, certificateId: number, at: number): Promise<boolean> {
    const updated = await db
      .updateTable('certificate_requests')
      .set({ certificate_id: certificateId, signed_at: at })
      .where('id', '=', id)
      .where('signed_at', 'is', null)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  },

  internalCa(db: Executor): Promise<InternalCaRow | undefined> {
    return db.selectFrom('internal_ca').selectAll().where('id', '=', 1).executeTakeFirst();
  },

  /** Inserts the one CA row unless there is one already; true when this insert made it. */
  async insertCaOnce(db: Executor, row: Insertable<Schema['internal_ca']>): Promise<boolean> {
    const result = await db
      .insertInto('internal_ca')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return result !== undefined;
  },
};
