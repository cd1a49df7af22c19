import { sql, type ExpressionBuilder, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { precompiled } from '../../platform/db/precompiled.js';
import type { Schema, SharePermission } from '../../platform/db/schema.js';
import { groupAccountGrants, groupResourceGrants, permissionOfLevel } from './grant-chain.js';

/**
 * The grants that reach a user: shares to the user and to every group the user is in.
 * Group membership is read at the moment of the check, so a share to a group covers its
 * present and future members, and a share of a resource covers its present and future
 * accounts (the account rows are never copied into the share).
 */
export const accessRepository = {
  /** Shares of an SSH key to the user or one of the user's groups (ADR 031). */
  sshKeyGrants(db: Executor, userId: number, keyId: number): Promise<SharePermission[]> {
    return grantsOn(db, 'ssh_key_shares', 'key_id', keyId, userId);
  },

  /** The ids of SSH keys the user owns or that are shared to the user or the user's groups. */
  visibleSshKeyIds(db: Executor, userId: number) {
    return db
      .selectFrom('ssh_keys')
      .select('ssh_keys.id')
      .where((eb) =>
        eb.or([
          eb('ssh_keys.owner_id', '=', userId),
          eb(
            'ssh_keys.id',
            'in',
            db
              .selectFrom('ssh_key_shares')
              .select('ssh_key_shares.key_id')
              .where((s) =>
                s.or([
                  s('ssh_key_shares.user_id', '=', userId),
                  s('ssh_key_shares.group_id', 'in', groupsOf(db, userId)),
                ]),
              ),
          ),
        ]),
      );
  },

  /**
   * Grants on a resource to the user, directly or through a user group, on the resource itself
   * or on a resource group it belongs to (static member, dynamic match, member of a subgroup).
   */
  async resourceGrants(db: Executor, userId: number, resourceId: number): Promise<Grant[]> {
    const [direct, viaGroups] = await Promise.all([
      grantsOn(db, 'resource_shares', 'resource_id', resourceId, userId),
      db
        .selectFrom(groupResourceGrants(userId, resourceId).as('gg'))
        .select(['gg.lvl', 'gg.retrieve'])
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
    const direct = await directReleaseGrantsQuery(db, userId, resourceId, accountId);
    const grants = direct.filter((row) => Number(row.lvl) !== GROUP_SHARES_MARKER);
    if (grants.length === direct.length) return grants.map(groupGrant);
    const viaGroups = await groupReleaseGrantsQuery(db, userId, resourceId, accountId);
    return [...grants, ...viaGroups].map(groupGrant);
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
    const rows = await accessRepository.grantedResourceIds(db, userId).execute();
    return new Set(rows.map((r) => Number(r.id)));
  },

  /** Ids of the resources whose every account the user may see (owned or shared whole): a subquery. */
  grantedResourceIds(db: Executor, userId: number) {
    return db
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
      .union(db.selectFrom(groupResourceGrants(userId).as('gg')).select('gg.id as id'));
  },

  /**
   * Ids of every account the user may see: all of a granted resource's, and those owned or
   * shared one by one. A subquery, for summaries over accounts (the console's dashboard).
   */
  visibleAccountIds(db: Executor, userId: number) {
    return db
      .selectFrom('accounts')
      .select('accounts.id as id')
      .where((eb) =>
        eb.or([
          eb('accounts.resource_id', 'in', accessRepository.grantedResourceIds(db, userId)),
          ownedOrSharedAccount(eb, db, userId),
        ]),
      );
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
      .union(db.selectFrom(groupResourceGrants(userId).as('gg')).select('gg.id as id'))
      .union(db.selectFrom(groupAccountGrants(userId).as('ga')).select('ga.resource_id as id'));
  },
};

/** The lvl of the row that says a resource-group share reaches the user (never a real level). */
const GROUP_SHARES_MARKER = -1;

type GrantRow = { lvl: number | string; retrieve: number | string };

/** A precompiled statement over (user, resource, account) answering the rows `rows` selects. */
function releaseGrantsStatement(
  rows: (userId: never, resourceId: never, accountId: never) => RawBuilder<unknown>,
) {
  return precompiled<[userId: number, resourceId: number, accountId: number], GrantRow>(
    (db, userId, resourceId, accountId) =>
      db
        .selectFrom(sql<GrantRow>`(${rows(userId, resourceId, accountId)})`.as('grants'))
        .select(['grants.lvl', 'grants.retrieve']),
    3,
  );
}

/**
 * The direct grants on an account (shares of its resource and of itself, to the user or the
 * user's groups), and a marker row (lvl -1) when any resource-group share reaches the user.
 * The group grants are a statement of their own, run only behind the marker: PostgreSQL
 * initialises every node of a plan even when a one-time filter skips it, and the group chain's
 * plan is large (about 1 ms per execution, planned or not), so a user without group shares
 * must not pay for it on every retrieval (ADR 045).
 */
const directReleaseGrantsQuery = releaseGrantsStatement(
  (userId, resourceId, accountId) => sql`
          select ${LEVEL_OF_PERMISSION} as lvl, 1 as retrieve from resource_shares s
            where s.resource_id = ${resourceId}
              and (s.user_id = ${userId}
                   or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId}))
          union all
          select ${LEVEL_OF_PERMISSION}, 1 from account_shares s
            where s.account_id = ${accountId}
              and (s.user_id = ${userId}
                   or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId}))
          union all
          select ${sql.lit(GROUP_SHARES_MARKER)}, 0 where exists (select 1 from resource_group_shares s
            where s.user_id = ${userId}
               or s.group_id in (select m.group_id from user_group_members m where m.user_id = ${userId}))`,
);

const groupReleaseGrantsQuery = releaseGrantsStatement(
  (userId, resourceId, accountId) =>
    sql`select gg.lvl, gg.retrieve from ${groupAccountGrants(userId, { resourceId, accountId })} gg`,
);

const LEVEL_OF_PERMISSION = sql`(case s.permission when 'full' then 3 when 'modify' then 2 else 1 end)`;

/** A grant reaching a user; `retrieve` is false through a group that forbids help-desk retrieval. */
export interface Grant {
  readonly permission: SharePermission;
  readonly retrieve: boolean;
}

const directGrant = (permission: SharePermission): Grant => ({ permission, retrieve: true });
const groupGrant = (row: { lvl: number | string; retrieve: number | string }): Grant => ({
  permission: permissionOfLevel(row.lvl),
  retrieve: Number(row.retrieve) === 1,
});

async function grantsOn(
  db: Executor,
  table: 'resource_shares' | 'account_shares' | 'ssh_key_shares',
  objectColumn: 'resource_id' | 'account_id' | 'key_id',
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
    eb('accounts.id', 'in', db.selectFrom(groupAccountGrants(userId).as('ga')).select('ga.account_id')),
  ]);
}
