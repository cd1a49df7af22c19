import { sql, type RawBuilder } from 'kysely';
import type { SharePermission } from '../../platform/db/schema.js';
import { DYNAMIC_MEMBER } from './dynamic-member.js';

/**
 * Grant ceilings (ADR 019). A resource-group share confers on an object (a resource, or an
 * account) no more than its sharer holds on that object at the moment of the check: the level is
 * the lowest of the share's and the sharer's own, and passwords are released only if neither
 * the share's groups nor the sharer's own access forbid it (NoHelpDeskRetrieval). The sharer is
 * `granted_by` (the group's owner for a row without one). A sharer who reaches the object only
 * through a resource-group share of their own is bounded the same way, recursively: the chain
 * of sharers is walked back in one recursive CTE until a holder with an independent grant (super
 * administrator, owner, resource or account share) is found; a chain that never reaches one
 * confers nothing. Nothing is copied at share time, so a criteria change, a new member, a
 * resource created later or a sharer losing access is reflected on the next request.
 *
 * Levels are integers in SQL: view 1, modify 2, full 3 ({@link levelOf}).
 */

export const LEVELS: Record<SharePermission, number> = { view: 1, modify: 2, full: 3 };
const BY_LEVEL: Record<number, SharePermission> = { 1: 'view', 2: 'modify', 3: 'full' };

export function permissionOfLevel(level: number | string): SharePermission {
  const permission = BY_LEVEL[Number(level)];
  if (permission === undefined) throw new Error(`not a share level: ${String(level)}`);
  return permission;
}

const level = (column: RawBuilder<unknown>) =>
  sql`(case ${column} when 'full' then 3 when 'modify' then 2 else 1 end)`;
const least = (a: RawBuilder<unknown>, b: RawBuilder<unknown>) =>
  sql`(case when ${a} < ${b} then ${a} else ${b} end)`;

/**
 * closure(ancestor, descendant, retrieve): every group with itself and its subgroups, `retrieve`
 * 0 when a group on the way down forbids help-desk retrieval. UNION (not ALL) terminates even on
 * a cycle the service failed to refuse.
 */
const COMMON_CTES = sql`closure(ancestor, descendant, retrieve) as (
      select g.id, g.id, 1 - g.no_helpdesk_retrieval from resource_groups g
    union
      select c.ancestor, g.id, c.retrieve * (1 - g.no_helpdesk_retrieval)
      from closure c join resource_groups g on g.parent_id = c.descendant
  )`;

/** The resource-group shares reaching `userId` directly or through one of the user's groups. */
const targetShares = (userId: number) => sql`(select s.resource_group_id as group_id,
      ${level(sql`s.permission`)} as lvl, coalesce(s.granted_by, sg.owner_id) as granter
    from resource_group_shares s join resource_groups sg on sg.id = s.resource_group_id
    where s.user_id = ${userId}
       or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId}))`;

/**
 * Whether any resource-group share reaches `userId`: checked once before the chain, so a caller
 * without one (most shared users) pays one indexed probe, not the recursive CTEs.
 */
const reachedByAnyGroupShare = (userId: number) => sql`exists (select 1 from resource_group_shares s
    where s.user_id = ${userId}
       or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId}))`;

/** Group `g` holds resource `r`: a static member or a dynamic match. */
const HOLDS_RESOURCE = sql`(exists (select 1 from resource_group_members gm where gm.group_id = g.id and gm.resource_id = r.id)
    or (g.group_type = 'dynamic' and ${DYNAMIC_MEMBER}))`;

/** The level `holder` holds on resource `r` independently of resource-group shares. */
const resourceBase = (holder: RawBuilder<unknown>) => sql`(case
    when exists (select 1 from users hu where hu.id = ${holder} and hu.is_super_admin = 1) then 3
    when r.owner_id = ${holder} then 3
    else coalesce((select max(${level(sql`rs.permission`)}) from resource_shares rs
      where rs.resource_id = r.id
        and (rs.user_id = ${holder}
             or rs.group_id in (select hm.group_id from user_group_members hm where hm.user_id = ${holder}))), 0)
    end)`;

/** The level `holder` holds on account `a` (of resource `r`) independently of resource-group shares. */
const accountBase = (holder: RawBuilder<unknown>) => sql`(case
    when exists (select 1 from users hu where hu.id = ${holder} and hu.is_super_admin = 1) then 3
    when r.owner_id = ${holder} or a.owner_id = ${holder} then 3
    else coalesce((select max(x.lvl) from (
        select ${level(sql`rs.permission`)} as lvl from resource_shares rs
          where rs.resource_id = r.id
            and (rs.user_id = ${holder}
                 or rs.group_id in (select hm.group_id from user_group_members hm where hm.user_id = ${holder}))
        union all
        select ${level(sql`xs.permission`)} from account_shares xs
          where xs.account_id = a.id
            and (xs.user_id = ${holder}
                 or xs.group_id in (select hm.group_id from user_group_members hm where hm.user_id = ${holder}))
      ) x), 0)
    end)`;

/**
 * The recursive step of a chain: from a holder (not a super administrator) to the sharer of each
 * resource-group share reaching that holder, the level bounded by that share's. The caller joins
 * the object (excluding the holder's own) between this and {@link SHARERS_GROUPS}.
 */
const SHARER_STEP = sql`select ch.object_id, coalesce(e.granted_by, eg.owner_id),
        ${least(level(sql`e.permission`), sql`ch.lvl`)}, ch.retrieve * cl.retrieve
      from chain ch
      join users h on h.id = ch.holder and h.is_super_admin = 0`;

/** The resource-group shares reaching the holder `ch.holder`, each group `g` with its subgroups. */
const SHARERS_GROUPS = sql`join resource_group_shares e on e.user_id = ch.holder
        or e.group_id in (select hm.group_id from user_group_members hm where hm.user_id = ch.holder)
      join resource_groups eg on eg.id = e.resource_group_id
      join closure cl on cl.ancestor = e.resource_group_id
      join resource_groups g on g.id = cl.descendant`;

/**
 * (id, lvl, retrieve) of every resource `userId` reaches through resource-group shares, each
 * bounded by its chain of sharers; one resource if `resourceId` is given. Rows may repeat a
 * resource: the broadest wins.
 */
export function groupResourceGrants(userId: number, resourceId?: number) {
  const onlyMember = resourceId === undefined ? sql`` : sql`and gm.resource_id = ${resourceId}`;
  const onlyResource = resourceId === undefined ? sql`` : sql`and r.id = ${resourceId}`;
  return sql<{ id: number; lvl: number; retrieve: number }>`(with recursive ${COMMON_CTES},
  chain(object_id, holder, lvl, retrieve) as (
      select gm.resource_id, ts.granter, ts.lvl, cl.retrieve
      from ${targetShares(userId)} ts
      join closure cl on cl.ancestor = ts.group_id
      join resource_group_members gm on gm.group_id = cl.descendant
      where 1 = 1 ${onlyMember}
    union
      select r.id, ts.granter, ts.lvl, cl.retrieve
      from ${targetShares(userId)} ts
      join closure cl on cl.ancestor = ts.group_id
      join resource_groups g on g.id = cl.descendant and g.group_type = 'dynamic'
      join resources r on ${DYNAMIC_MEMBER}
      where 1 = 1 ${onlyResource}
    union
      ${SHARER_STEP}
      join resources r on r.id = ch.object_id and r.owner_id <> ch.holder
      ${SHARERS_GROUPS}
      where ${HOLDS_RESOURCE}
  )
  select x.id, ${least(sql`x.lvl`, sql`x.base`)} as lvl, x.retrieve
  from (select ch.object_id as id, ch.lvl as lvl, ch.retrieve as retrieve, ${resourceBase(sql`ch.holder`)} as base
        from chain ch join resources r on r.id = ch.object_id) x
  where ${reachedByAnyGroupShare(userId)} and x.base > 0)`;
}

/**
 * (account_id, resource_id, lvl, retrieve) of the accounts `userId` reaches through
 * resource-group shares, each bounded by its chain of sharers. With `only`, one account and
 * every way a group reaches it (listed in a static group, or its resource a member); without,
 * the accounts listed in static groups (the resources reached whole are `groupResourceGrants`).
 */
export function groupAccountGrants(userId: number, only?: { resourceId: number; accountId: number }) {
  const onlyListed = only === undefined ? sql`` : sql`and ga.account_id = ${only.accountId}`;
  const viaResource =
    only === undefined
      ? sql``
      : sql`union
      select a.id, ts.granter, ts.lvl, cl.retrieve
      from ${targetShares(userId)} ts
      join closure cl on cl.ancestor = ts.group_id
      join resource_group_members gm on gm.group_id = cl.descendant
      join accounts a on a.resource_id = gm.resource_id
      where gm.resource_id = ${only.resourceId} and a.id = ${only.accountId}
    union
      select a.id, ts.granter, ts.lvl, cl.retrieve
      from ${targetShares(userId)} ts
      join closure cl on cl.ancestor = ts.group_id
      join resource_groups g on g.id = cl.descendant and g.group_type = 'dynamic'
      join resources r on ${DYNAMIC_MEMBER}
      join accounts a on a.resource_id = r.id
      where r.id = ${only.resourceId} and a.id = ${only.accountId}`;
  return sql<{
    account_id: number;
    resource_id: number;
    lvl: number;
    retrieve: number;
  }>`(with recursive ${COMMON_CTES},
  chain(object_id, holder, lvl, retrieve) as (
      select ga.account_id, ts.granter, ts.lvl, cl.retrieve
      from ${targetShares(userId)} ts
      join closure cl on cl.ancestor = ts.group_id
      join resource_group_accounts ga on ga.group_id = cl.descendant
      where 1 = 1 ${onlyListed}
    ${viaResource}
    union
      ${SHARER_STEP}
      join accounts a on a.id = ch.object_id and a.owner_id <> ch.holder
      join resources r on r.id = a.resource_id and r.owner_id <> ch.holder
      ${SHARERS_GROUPS}
      where exists (select 1 from resource_group_accounts ga where ga.group_id = g.id and ga.account_id = a.id)
         or ${HOLDS_RESOURCE}
  )
  select x.account_id, x.resource_id, ${least(sql`x.lvl`, sql`x.base`)} as lvl, x.retrieve
  from (select ch.object_id as account_id, a.resource_id as resource_id, ch.lvl as lvl, ch.retrieve as retrieve,
               ${accountBase(sql`ch.holder`)} as base
        from chain ch join accounts a on a.id = ch.object_id join resources r on r.id = a.resource_id) x
  where ${reachedByAnyGroupShare(userId)} and x.base > 0)`;
}
