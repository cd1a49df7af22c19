import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { SharePermission } from '../../platform/db/schema.js';
import { DYNAMIC_MEMBER } from '../access/index.js';
import type { Criterion, NewResourceGroup } from './resource-groups.types.js';

export type Grantee = { readonly kind: 'user' | 'group'; readonly id: number };
const granteeColumn = (g: Grantee) => (g.kind === 'user' ? 'user_id' : 'group_id');

const GROUP_COLUMNS = [
  'id',
  'name',
  'description',
  'group_type',
  'match_all',
  'parent_id',
  'password_policy',
  'no_helpdesk_retrieval',
  'owner_id',
  'created_at',
] as const;

/** Rows of resource groups, their criteria, members and shares. Never authorises. */
export const resourceGroupsRepository = {
  async insert(
    trx: Executor,
    group: NewResourceGroup & { nameKey: string; ownerId: number; createdAt: number },
  ): Promise<number> {
    const row = await trx
      .insertInto('resource_groups')
      .values({
        name: group.name,
        name_key: group.nameKey,
        description: group.description,
        group_type: group.type,
        match_all: group.matchAll ? 1 : 0,
        parent_id: group.parentId,
        password_policy: group.policy,
        no_helpdesk_retrieval: group.noHelpDeskRetrieval ? 1 : 0,
        owner_id: group.ownerId,
        created_at: group.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    await insertCriteria(trx, id, group.criteria);
    return id;
  },

  findById(db: Executor, id: number) {
    return db.selectFrom('resource_groups').select(GROUP_COLUMNS).where('id', '=', id).executeTakeFirst();
  },

  findByKey(db: Executor, key: string) {
    return db
      .selectFrom('resource_groups')
      .select(GROUP_COLUMNS)
      .where('name_key', '=', key)
      .executeTakeFirst();
  },

  async parentOf(db: Executor, id: number): Promise<number | null | undefined> {
    const row = await db
      .selectFrom('resource_groups')
      .select('parent_id')
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : row.parent_id === null ? null : Number(row.parent_id);
  },

  /** The group's criteria become `criteria` (membership of a dynamic group is computed from them live). */
  async replaceCriteria(trx: Executor, groupId: number, criteria: readonly Criterion[]): Promise<void> {
    await trx.deleteFrom('resource_group_criteria').where('group_id', '=', groupId).execute();
    await insertCriteria(trx, groupId, criteria);
  },

  async update(trx: Executor, id: number, set: Record<string, unknown>): Promise<void> {
    if (Object.keys(set).length === 0) return;
    await trx.updateTable('resource_groups').set(set).where('id', '=', id).execute();
  },

  /** Deletes the group: its criteria, memberships and shares go with it; subgroups lose their parent. */
  async delete(trx: Executor, id: number): Promise<void> {
    await trx.deleteFrom('resource_groups').where('id', '=', id).execute();
  },

  async addResource(trx: Executor, groupId: number, resourceId: number): Promise<boolean> {
    const present = await trx
      .selectFrom('resource_group_members')
      .select('resource_id')
      .where('group_id', '=', groupId)
      .where('resource_id', '=', resourceId)
      .executeTakeFirst();
    if (present) return false;
    // A concurrent request may add the same member between the check and the insert
    // (PostgreSQL, read committed): that is the same outcome, not a failure.
    const inserted = await trx
      .insertInto('resource_group_members')
      .values({ group_id: groupId, resource_id: resourceId })
      .onConflict((oc) => oc.columns(['group_id', 'resource_id']).doNothing())
      .executeTakeFirst();
    return inserted.numInsertedOrUpdatedRows !== 0n;
  },

  async removeResource(trx: Executor, groupId: number, resourceId: number): Promise<boolean> {
    const result = await trx
      .deleteFrom('resource_group_members')
      .where('group_id', '=', groupId)
      .where('resource_id', '=', resourceId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },

  async addAccount(trx: Executor, groupId: number, accountId: number): Promise<void> {
    const present = await trx
      .selectFrom('resource_group_accounts')
      .select('account_id')
      .where('group_id', '=', groupId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (!present)
      await trx
        .insertInto('resource_group_accounts')
        .values({ group_id: groupId, account_id: accountId })
        .execute();
  },

  /** The groups a resource belongs to: static memberships and dynamic matches, by id. */
  async groupsOfResource(db: Executor, resourceId: number): Promise<{ id: number; name: string }[]> {
    const rows = await db
      .selectFrom('resource_groups as g')
      .innerJoin('resource_group_members as m', 'm.group_id', 'g.id')
      .select(['g.id', 'g.name'])
      .where('m.resource_id', '=', resourceId)
      .union(
        db
          .selectFrom('resource_groups as g')
          .innerJoin('resources as r', (join) => join.on(sql<boolean>`r.id = ${resourceId}`))
          .select(['g.id', 'g.name'])
          .where('g.group_type', '=', 'dynamic')
          .where(sql<boolean>`${DYNAMIC_MEMBER}`),
      )
      .execute();
    return rows.map((r) => ({ id: Number(r.id), name: r.name })).sort((a, b) => a.id - b.id);
  },

  /** The policy of the first group (by id) holding the resource that names one. */
  async policyOfResource(db: Executor, resourceId: number): Promise<string | undefined> {
    const groups = await this.groupsOfResource(db, resourceId);
    if (groups.length === 0) return undefined;
    const row = await db
      .selectFrom('resource_groups')
      .select('password_policy')
      .where(
        'id',
        'in',
        groups.map((g) => g.id),
      )
      .where('password_policy', 'is not', null)
      .orderBy('id')
      .executeTakeFirst();
    return row?.password_policy ?? undefined;
  },

  listAll(db: Executor) {
    return db.selectFrom('resource_groups').select(GROUP_COLUMNS).orderBy('id').execute();
  },

  /** Groups shared to the user (directly or through a user group) and their subgroups, with the permission. */
  async reachedByUser(db: Executor, userId: number): Promise<Map<number, SharePermission>> {
    const result = await sql<{ group_id: number | string; permission: SharePermission }>`
      with recursive reached(group_id, permission) as (
          select s.resource_group_id, s.permission from resource_group_shares s
          where s.user_id = ${userId}
             or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId})
        union
          select c.id, r.permission from resource_groups c join reached r on c.parent_id = r.group_id
      ) select group_id, permission from reached`.execute(db);
    const rank = { view: 1, modify: 2, full: 3 } as const;
    const out = new Map<number, SharePermission>();
    for (const row of result.rows) {
      const id = Number(row.group_id);
      const prev = out.get(id);
      if (!prev || rank[row.permission] > rank[prev]) out.set(id, row.permission);
    }
    return out;
  },

  async grant(
    trx: Executor,
    groupId: number,
    grantee: Grantee,
    permission: SharePermission,
    at: number,
    by: number,
  ): Promise<void> {
    const updated = await trx
      .updateTable('resource_group_shares')
      .set({ permission, granted_at: at, granted_by: by })
      .where('resource_group_id', '=', groupId)
      .where(granteeColumn(grantee), '=', grantee.id)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    await trx
      .insertInto('resource_group_shares')
      .values({
        resource_group_id: groupId,
        user_id: grantee.kind === 'user' ? grantee.id : null,
        group_id: grantee.kind === 'group' ? grantee.id : null,
        permission,
        granted_at: at,
        granted_by: by,
      })
      .execute();
  },

  /** Who shared the group to the user directly (their own row), if anyone. */
  async sharerOf(db: Executor, groupId: number, userId: number): Promise<number | undefined> {
    const row = await db
      .selectFrom('resource_group_shares')
      .select('granted_by')
      .where('resource_group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.granted_by == null ? undefined : Number(row.granted_by);
  },

  async revoke(trx: Executor, groupId: number, grantee: Grantee): Promise<boolean> {
    const result = await trx
      .deleteFrom('resource_group_shares')
      .where('resource_group_id', '=', groupId)
      .where(granteeColumn(grantee), '=', grantee.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },
};

async function insertCriteria(trx: Executor, groupId: number, criteria: readonly Criterion[]) {
  let position = 0;
  for (const c of criteria) {
    position += 1;
    await trx
      .insertInto('resource_group_criteria')
      .values({
        group_id: groupId,
        position,
        field: c.field,
        custom_label_key: c.customLabelKey,
        operator: c.operator,
        value: c.value,
        pattern: c.pattern,
        negate: c.negate ? 1 : 0,
      })
      .execute();
  }
}
