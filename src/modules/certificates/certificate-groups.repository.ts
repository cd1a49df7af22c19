import type { Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { Schema, SharePermission } from '../../platform/db/schema.js';

export type CertificateGroupRow = Selectable<Schema['certificate_groups']>;

/** A grantee resolved to its row: exactly one of the ids set. */
export interface GranteeRow {
  readonly user_id: number | null;
  readonly group_id: number | null;
}

type ShareTable = 'certificate_shares' | 'certificate_group_shares';
const objectColumn = (table: ShareTable) =>
  table === 'certificate_shares' ? 'certificate_id' : 'certificate_group_id';

/**
 * Rows of certificate groups, their members and the shares of certificates and groups (ADR 040);
 * no decisions (the services authorise).
 */
export const certificateGroupsRepository = {
  byNameKey(db: Executor, nameKey: string): Promise<CertificateGroupRow | undefined> {
    return db.selectFrom('certificate_groups').selectAll().where('name_key', '=', nameKey).executeTakeFirst();
  },

  byId(db: Executor, id: number): Promise<CertificateGroupRow | undefined> {
    return db.selectFrom('certificate_groups').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async insert(db: Executor, row: Omit<Selectable<Schema['certificate_groups']>, 'id'>): Promise<number> {
    const inserted = await db
      .insertInto('certificate_groups')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(inserted.id);
  },

  async update(
    db: Executor,
    id: number,
    changes: Partial<Pick<CertificateGroupRow, 'name' | 'name_key' | 'description' | 'mail' | 'modified_at'>>,
  ): Promise<void> {
    await db.updateTable('certificate_groups').set(changes).where('id', '=', id).execute();
  },

  async remove(db: Executor, id: number): Promise<void> {
    await db.deleteFrom('certificate_groups').where('id', '=', id).execute();
  },

  async memberIds(db: Executor, groupId: number): Promise<number[]> {
    const rows = await db
      .selectFrom('certificate_group_members')
      .select('certificate_id')
      .where('group_id', '=', groupId)
      .orderBy('certificate_id')
      .execute();
    return rows.map((r) => Number(r.certificate_id));
  },

  async addMembers(db: Executor, groupId: number, ids: readonly number[], by: number, at: number) {
    if (ids.length === 0) return;
    await db
      .insertInto('certificate_group_members')
      .values(ids.map((id) => ({ group_id: groupId, certificate_id: id, added_by: by, added_at: at })))
      .execute();
  },

  async removeMembers(db: Executor, groupId: number, ids: readonly number[]) {
    if (ids.length === 0) return;
    await db
      .deleteFrom('certificate_group_members')
      .where('group_id', '=', groupId)
      .where('certificate_id', 'in', [...ids])
      .execute();
  },

  /**
   * Groups with their owner's name, by name: all, or (given a user) those the user owns or that
   * are shared to the user or one of the user's groups, each with the user's shares' permissions.
   */
  async listed(db: Executor, userId?: number) {
    let query = db
      .selectFrom('certificate_groups as g')
      .leftJoin('users as u', 'u.id', 'g.owner_id')
      .selectAll('g')
      .select('u.username as owner_name');
    if (userId !== undefined)
      query = query.where((eb) =>
        eb.or([
          eb('g.owner_id', '=', userId),
          eb(
            'g.id',
            'in',
            db
              .selectFrom('certificate_group_shares as s')
              .select('s.certificate_group_id')
              .where((w) =>
                w.or([
                  w('s.user_id', '=', userId),
                  w(
                    's.group_id',
                    'in',
                    db.selectFrom('user_group_members').select('group_id').where('user_id', '=', userId),
                  ),
                ]),
              ),
          ),
        ]),
      );
    return query.orderBy('g.name_key').execute();
  },

  /** The permissions of the shares of these groups reaching `userId` (directly or via user groups). */
  sharesReaching(db: Executor, groupIds: readonly number[], userId: number) {
    if (groupIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('certificate_group_shares as s')
      .select(['s.certificate_group_id', 's.permission'])
      .where('s.certificate_group_id', 'in', [...groupIds])
      .where((w) =>
        w.or([
          w('s.user_id', '=', userId),
          w(
            's.group_id',
            'in',
            db.selectFrom('user_group_members').select('group_id').where('user_id', '=', userId),
          ),
        ]),
      )
      .execute();
  },

  /** The members of these groups with their names and serials, by group then common name. */
  membersOf(db: Executor, groupIds: readonly number[]) {
    if (groupIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('certificate_group_members as m')
      .innerJoin('certificates as c', 'c.id', 'm.certificate_id')
      .select(['m.group_id', 'c.id', 'c.common_name', 'c.serial', 'c.not_after'])
      .where('m.group_id', 'in', [...groupIds])
      .orderBy('m.group_id')
      .orderBy('c.common_name_key')
      .orderBy('c.id')
      .execute();
  },

  /** Certificates by id (only id, name, serial, owner): to check ssl_details. */
  certificatesById(db: Executor, ids: readonly number[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('certificates')
      .select(['id', 'common_name', 'serial', 'owner_id'])
      .where('id', 'in', [...ids])
      .execute();
  },

  userById(db: Executor, id: number) {
    return db.selectFrom('users').select(['id', 'username']).where('id', '=', id).executeTakeFirst();
  },
  userByKey(db: Executor, key: string) {
    return db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('username_key', '=', key)
      .executeTakeFirst();
  },
  userGroupById(db: Executor, id: number) {
    return db.selectFrom('user_groups').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
  },
  userGroupByKey(db: Executor, key: string) {
    return db.selectFrom('user_groups').select(['id', 'name']).where('name_key', '=', key).executeTakeFirst();
  },

  /** Grants (or replaces) a share of a certificate or a certificate group to one grantee. */
  async grant(
    db: Executor,
    table: ShareTable,
    objectId: number,
    grantee: GranteeRow,
    permission: SharePermission,
    by: number | null,
    at: number,
  ): Promise<void> {
    const column = objectColumn(table);
    let update = db
      .updateTable(table)
      .set({ permission, granted_at: at, granted_by: by })
      .where(column, '=', objectId);
    update =
      grantee.user_id !== null
        ? update.where('user_id', '=', grantee.user_id)
        : update.where('group_id', '=', grantee.group_id);
    const updated = await update.executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    const row = {
      user_id: grantee.user_id,
      group_id: grantee.group_id,
      permission,
      granted_at: at,
      granted_by: by,
    };
    if (table === 'certificate_shares') {
      await db
        .insertInto(table)
        .values({ ...row, certificate_id: objectId })
        .execute();
    } else {
      await db
        .insertInto(table)
        .values({ ...row, certificate_group_id: objectId })
        .execute();
    }
  },

  /** Removes the grantee's share; false when there was none. */
  async revoke(db: Executor, table: ShareTable, objectId: number, grantee: GranteeRow): Promise<boolean> {
    let query = db.deleteFrom(table).where(objectColumn(table), '=', objectId);
    query =
      grantee.user_id !== null
        ? query.where('user_id', '=', grantee.user_id)
        : query.where('group_id', '=', grantee.group_id);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },
};
