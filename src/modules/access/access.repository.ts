import { sql, type ExpressionBuilder, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { precompiled } from '../../platform/db/precompiled.js';
import type { Schema, SharePermission } from '../../platform/db/schema.js';

/**
 * The grants that reach a user: shares to the user and to every group the user is in.
 * Group membership is read at the moment of the check, so a share to a group covers its
 * present and future members, and a share of a resource covers its present and future
 * accounts (the account rows are never copied into the share).
 */
export const accessRepository = {
  /**
   * Grants on a resource to the user, directly or through a user group, on the resource itself
   * or on a resource group it belongs to (static member, dynamic match, member of a subgroup).
   */
  async resourceGrants(db: Executor, userId: number, resourceId: number): Promise<Grant[]> {
    const [direct, viaGroups] = await Promise.all([
      grantsOn(db, 'resource_shares', 'resource_id', resourceId, userId),
      db
        .selectFrom(groupGrantedResources(userId, resourceId).as('gg'))
        .select(['gg.permission', 'gg.retrieve'])
        .execute(),
    ]);
    return [...direct.map(directGrant), ...viaGroups.map(groupGrant)];
  },

  /**
   * Every grant reaching the user on one account: on its resource (as `resourceGrants`) and on
   * the account itself (account shares, static groups listing it), in one precompiled
   * statement: this is the retrieval path of every caller who is neither owner nor super
   * administrator.
   */
  async accountReleaseGrants(
    db: Executor,
    userId: number,
    resourceId: number,
    accountId: number,
  ): Promise<Grant[]> {
    const rows = await accountReleaseGrantsQuery(db, userId, resourceId, accountId);
    return rows.map(groupGrant);
  },

  /** Ids of the accounts of a resource the user reaches by owning them or by an account share. */
  async accountsReachedIndividually(db: Executor, userId: number, resourceId: number): Promise<number[]> {
    const rows = await db
      .selectFrom('accounts')
      .select('accounts.id')
      .where('accounts.resource_id', '=', resourceId)
      .where((eb) => ownedOrSharedAccount(eb, db, userId))
      .execute();
    return rows.map((r) => r.id);
  },

  /** Ids of the resources the user holds a grant on: owned, or shared to the user or a group. */
  async resourcesGranted(db: Executor, userId: number): Promise<Set<number>> {
    const rows = await db
      .selectFrom('resources')
      .select('resources.id as id')
      .where('resources.owner_id', '=', userId)
      .union(
        db
          .selectFrom('resource_shares')
          .select('resource_shares.resource_id as id')
          .where((eb) =>
            eb.or([
              eb('resource_shares.user_id', '=', userId),
              eb('resource_shares.group_id', 'in', groupsOf(db, userId)),
            ]),
          ),
      )
      .union(db.selectFrom(groupGrantedResources(userId).as('gg')).select('gg.id as id'))
      .execute();
    return new Set(rows.map((r) => Number(r.id)));
  },

  /** Per resource, how many of its accounts the user owns or has been shared individually. */
  async accountsReachedPerResource(db: Executor, userId: number): Promise<Map<number, number>> {
    const rows = await db
      .selectFrom('accounts')
      .select('accounts.resource_id')
      .select((eb) => eb.fn.countAll<number>().as('reached'))
      .where((eb) => ownedOrSharedAccount(eb, db, userId))
      .groupBy('accounts.resource_id')
      .execute();
    return new Map(rows.map((r) => [r.resource_id, Number(r.reached)]));
  },

  /**
   * Ids of every resource the user may see: owned, shared (directly or to a group), or
   * holding an account the user owns or has been shared. A subquery, for listings to filter on.
   */
  visibleResourceIds(db: Executor, userId: number) {
    const groupsOfUser = groupsOf(db, userId);
    return db
      .selectFrom('resources')
      .select('resources.id as id')
      .where('resources.owner_id', '=', userId)
      .union(
        db
          .selectFrom('accounts')
          .select('accounts.resource_id as id')
          .where('accounts.owner_id', '=', userId),
      )
      .union(
        db
          .selectFrom('resource_shares')
          .select('resource_shares.resource_id as id')
          .where((eb) =>
            eb.or([
              eb('resource_shares.user_id', '=', userId),
              eb('resource_shares.group_id', 'in', groupsOfUser),
            ]),
          ),
      )
      .union(
        db
          .selectFrom('account_shares')
          .innerJoin('accounts', 'accounts.id', 'account_shares.account_id')
          .select('accounts.resource_id as id')
          .where((eb) =>
            eb.or([
              eb('account_shares.user_id', '=', userId),
              eb('account_shares.group_id', 'in', groupsOfUser),
            ]),
          ),
      )
      .union(db.selectFrom(groupGrantedResources(userId).as('gg')).select('gg.id as id'))
      .union(db.selectFrom(groupGrantedAccounts(userId).as('ga')).select('ga.resource_id as id'));
  },
};

const accountReleaseGrantsQuery = precompiled<
  [userId: number, resourceId: number, accountId: number],
  { permission: SharePermission; retrieve: number | string }
>(
  (db, userId, resourceId, accountId) =>
    db
      .selectFrom(
        sql<{ permission: SharePermission; retrieve: number }>`(${reachedGroupsCte(userId)}
          select s.permission as permission, 1 as retrieve from resource_shares s
            where s.resource_id = ${resourceId}
              and (s.user_id = ${userId}
                   or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId}))
          union all
          select s.permission, 1 from account_shares s
            where s.account_id = ${accountId}
              and (s.user_id = ${userId}
                   or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId}))
          union all
          select rg.permission, rg.retrieve from reached rg
            join resource_group_members m on m.group_id = rg.group_id
            where m.resource_id = ${resourceId}
          union all
          select rg.permission, rg.retrieve from reached rg
            join resource_groups g on g.id = rg.group_id and g.group_type = 'dynamic'
            join resources r on ${DYNAMIC_MEMBER}
            where r.id = ${resourceId}
          union all
          select rg.permission, rg.retrieve from reached rg
            join resource_group_accounts ga on ga.group_id = rg.group_id
            where ga.account_id = ${accountId})`.as('grants'),
      )
      .select(['grants.permission', 'grants.retrieve']),
  3,
);

/** A grant reaching a user; `retrieve` is false through a group that forbids help-desk retrieval. */
export interface Grant {
  readonly permission: SharePermission;
  readonly retrieve: boolean;
}

const directGrant = (permission: SharePermission): Grant => ({ permission, retrieve: true });
const groupGrant = (row: { permission: SharePermission; retrieve: number | string }): Grant => ({
  permission: row.permission,
  retrieve: Number(row.retrieve) === 1,
});

/**
 * The resource groups shared to the user (directly or to one of the user's groups) and all
 * their subgroups, each with the permission of the share and whether it releases passwords
 * (no group on the way down forbids help-desk retrieval). A recursive CTE; UNION (not ALL)
 * makes it terminate even on a cycle the service failed to refuse.
 */
function reachedGroupsCte(userId: number): RawBuilder<unknown> {
  return sql`with recursive reached(group_id, permission, retrieve) as (
      select s.resource_group_id, s.permission, 1 - g.no_helpdesk_retrieval
      from resource_group_shares s join resource_groups g on g.id = s.resource_group_id
      where s.user_id = ${userId}
         or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId})
    union
      select c.id, r.permission, r.retrieve * (1 - c.no_helpdesk_retrieval)
      from resource_groups c join reached r on c.parent_id = r.group_id
    )`;
}

/**
 * Whether resource `r` matches criterion row `c` (ADR 012): one static SQL expression over the
 * stored, escaped LIKE patterns, so criteria values never become SQL text.
 */
const CRITERION_MATCHES = sql`(case c.field
    when 'name' then lower(r.name) like c.pattern escape '!'
    when 'resource_type' then lower(r.resource_type) like c.pattern escape '!'
    when 'dns_name' then lower(coalesce(r.dns_name, '')) like c.pattern escape '!'
    when 'description' then lower(coalesce(r.description, '')) like c.pattern escape '!'
    when 'department' then lower(coalesce(r.department, '')) like c.pattern escape '!'
    when 'location' then lower(coalesce(r.location, '')) like c.pattern escape '!'
    when 'login_name' then exists (select 1 from accounts a
      where a.resource_id = r.id and lower(a.name) like c.pattern escape '!')
    when 'custom' then exists (select 1 from custom_fields f
      where f.owner_kind = 'resource' and f.owner_id = r.id and f.label_key = c.custom_label_key
        and lower(coalesce(f.value_text, '')) like c.pattern escape '!')
    else false end) <> (c.negate = 1)`;

/** Whether resource `r` belongs to dynamic group `g`: all criteria (and) or one of them (or). */
export const DYNAMIC_MEMBER = sql`(case when g.match_all = 1
    then not exists (select 1 from resource_group_criteria c where c.group_id = g.id and not (${CRITERION_MATCHES}))
    else exists (select 1 from resource_group_criteria c where c.group_id = g.id and (${CRITERION_MATCHES})) end)`;

/** (id, permission, retrieve) of every resource reached through a shared group; one resource if given. */
function groupGrantedResources(userId: number, resourceId?: number) {
  const onlyMember = resourceId === undefined ? sql`` : sql`and m.resource_id = ${resourceId}`;
  const onlyResource = resourceId === undefined ? sql`` : sql`and r.id = ${resourceId}`;
  return sql<{ id: number; permission: SharePermission; retrieve: number }>`(${reachedGroupsCte(userId)}
    select m.resource_id as id, rg.permission as permission, rg.retrieve as retrieve
      from reached rg join resource_group_members m on m.group_id = rg.group_id
      where 1 = 1 ${onlyMember}
    union all
    select r.id as id, rg.permission as permission, rg.retrieve as retrieve
      from reached rg
      join resource_groups g on g.id = rg.group_id and g.group_type = 'dynamic'
      join resources r on ${DYNAMIC_MEMBER}
      where 1 = 1 ${onlyResource})`;
}

/** (account_id, resource_id, permission, retrieve) of accounts listed in a shared static group. */
function groupGrantedAccounts(userId: number) {
  return sql<{
    account_id: number;
    resource_id: number;
    permission: SharePermission;
    retrieve: number;
  }>`(${reachedGroupsCte(userId)}
    select ga.account_id as account_id, a.resource_id as resource_id, rg.permission as permission,
           rg.retrieve as retrieve
      from reached rg
      join resource_group_accounts ga on ga.group_id = rg.group_id
      join accounts a on a.id = ga.account_id)`;
}

async function grantsOn(
  db: Executor,
  table: 'resource_shares' | 'account_shares',
  objectColumn: 'resource_id' | 'account_id',
  objectId: number,
  userId: number,
): Promise<SharePermission[]> {
  const rows = await db
    .selectFrom(table)
    .select('permission')
    .where((eb) => eb(sql<number>`${sql.ref(objectColumn)}`, '=', objectId))
    .where((eb) => eb.or([eb('user_id', '=', userId), eb('group_id', 'in', groupsOf(db, userId))]))
    .execute();
  return rows.map((r) => r.permission);
}

function groupsOf(db: Executor, userId: number) {
  return db.selectFrom('user_group_members').select('group_id').where('user_id', '=', userId);
}

/** An account the user owns, or one shared to the user or to one of the user's groups. */
function ownedOrSharedAccount(eb: ExpressionBuilder<Schema, 'accounts'>, db: Executor, userId: number) {
  return eb.or([
    eb('accounts.owner_id', '=', userId),
    eb(
      'accounts.id',
      'in',
      db
        .selectFrom('account_shares')
        .select('account_shares.account_id')
        .where((s) =>
          s.or([
            s('account_shares.user_id', '=', userId),
            s('account_shares.group_id', 'in', groupsOf(db, userId)),
          ]),
        ),
    ),
    eb('accounts.id', 'in', db.selectFrom(groupGrantedAccounts(userId).as('ga')).select('ga.account_id')),
  ]);
}
