import { sql } from 'kysely';
import type { Executor } from '../../../platform/db/database.js';
import type { RotationSchedulesTable } from '../../../platform/db/schema.js';
import { DYNAMIC_MEMBER } from '../../access/index.js';
import type { ScheduleScope } from './schedules.types.js';

export type ScheduleRow = Omit<RotationSchedulesTable, 'id'> & { id: number };

/** An account a schedule or a bulk rotation covers, with what its expiry and authorization need. */
export interface ScopedAccount {
  readonly accountId: number;
  readonly accountName: string;
  readonly accountOwnerId: number;
  readonly accountPolicy: string | null;
  readonly passwordChangedAt: number;
  readonly resetsDisabled: boolean;
  readonly resourceId: number;
  readonly resourceName: string;
  readonly resourceOwnerId: number;
  readonly resourcePolicy: string | null;
}

interface ScopedRow {
  account_id: number | string;
  account_name: string;
  account_owner: number | string;
  account_policy: string | null;
  changed_at: number | string;
  resets_disabled: number | string;
  resource_id: number | string;
  resource_name: string;
  resource_owner: number | string;
  resource_policy: string | null;
}

const num = (v: number | string | null): number => Number(v);

function normalize(row: ScheduleRow): ScheduleRow {
  return {
    ...row,
    id: num(row.id),
    account_id: row.account_id === null ? null : num(row.account_id),
    resource_id: row.resource_id === null ? null : num(row.resource_id),
    resource_group_id: row.resource_group_id === null ? null : num(row.resource_group_id),
    interval_days: row.interval_days === null ? null : num(row.interval_days),
    only_expired: num(row.only_expired),
    enabled: num(row.enabled),
    next_run_at: num(row.next_run_at),
    last_run_at: row.last_run_at === null ? null : num(row.last_run_at),
    created_by: num(row.created_by),
    created_at: num(row.created_at),
    modified_at: num(row.modified_at),
  };
}

export function scopeOf(row: ScheduleRow): ScheduleScope {
  if (row.account_id !== null) return { kind: 'account', id: row.account_id };
  if (row.resource_id !== null) return { kind: 'resource', id: row.resource_id };
  return { kind: 'group', id: row.resource_group_id! };
}

/** Rows of rotation_schedules; authorization and audit are the service's. */
export const schedulesRepository = {
  async insert(trx: Executor, row: Omit<RotationSchedulesTable, 'id'>): Promise<number> {
    const inserted = await trx
      .insertInto('rotation_schedules')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return num(inserted.id);
  },

  async update(trx: Executor, id: number, set: Partial<Omit<RotationSchedulesTable, 'id'>>): Promise<void> {
    await trx.updateTable('rotation_schedules').set(set).where('id', '=', id).execute();
  },

  async delete(trx: Executor, id: number): Promise<void> {
    await trx.deleteFrom('rotation_schedules').where('id', '=', id).execute();
  },

  async findById(db: Executor, id: number): Promise<ScheduleRow | undefined> {
    const row = await db.selectFrom('rotation_schedules').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? normalize(row) : undefined;
  },

  async findByKey(db: Executor, nameKey: string): Promise<ScheduleRow | undefined> {
    const row = await db
      .selectFrom('rotation_schedules')
      .selectAll()
      .where('name_key', '=', nameKey)
      .executeTakeFirst();
    return row ? normalize(row) : undefined;
  },

  async list(db: Executor): Promise<ScheduleRow[]> {
    const rows = await db.selectFrom('rotation_schedules').selectAll().orderBy('id').execute();
    return rows.map(normalize);
  },

  /** Enabled schedules due at `now`, oldest due first. */
  async due(db: Executor, now: number, limit: number): Promise<ScheduleRow[]> {
    const rows = await db
      .selectFrom('rotation_schedules')
      .selectAll()
      .where('enabled', '=', 1)
      .where('next_run_at', '<=', now)
      .orderBy('next_run_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(normalize);
  },

  /**
   * Records a run and the next one, only if the schedule is still planned for `planned` (an edit
   * or another sweep in between wins); answers whether it did.
   */
  async recordRun(
    trx: Executor,
    id: number,
    planned: number,
    run: { readonly at: number; readonly next: number; readonly summary: string },
  ): Promise<boolean> {
    const result = await trx
      .updateTable('rotation_schedules')
      .set({ last_run_at: run.at, next_run_at: run.next, last_summary: run.summary })
      .where('id', '=', id)
      .where('next_run_at', '=', planned)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Every account the scope covers, now: a group's static members, chosen accounts, dynamic matches and subgroups. */
  async accountsIn(db: Executor, scope: ScheduleScope): Promise<ScopedAccount[]> {
    const where =
      scope.kind === 'account'
        ? sql`a.id = ${scope.id}`
        : scope.kind === 'resource'
          ? sql`a.resource_id = ${scope.id}`
          : sql`exists (select 1 from closure k join resource_groups g on g.id = k.id
              where exists (select 1 from resource_group_members gm where gm.group_id = g.id and gm.resource_id = r.id)
                 or exists (select 1 from resource_group_accounts ga where ga.group_id = g.id and ga.account_id = a.id)
                 or (g.group_type = 'dynamic' and ${DYNAMIC_MEMBER}))`;
    // The closure is harmless for the other scopes; one statement shape for all three.
    const groupId = scope.kind === 'group' ? scope.id : -1;
    const result = await sql<ScopedRow>`with recursive closure(id) as (
          select id from resource_groups where id = ${groupId}
        union
          select g.id from resource_groups g join closure c on g.parent_id = c.id
      )
      select a.id as account_id, a.name as account_name, a.owner_id as account_owner,
        a.password_policy as account_policy, a.password_changed_at as changed_at,
        a.disable_password_resets as resets_disabled,
        r.id as resource_id, r.name as resource_name, r.owner_id as resource_owner,
        r.password_policy as resource_policy
      from accounts a join resources r on r.id = a.resource_id
      where ${where}
      order by r.name_key, a.name_key, a.id`.execute(db);
    return result.rows.map((row) => ({
      accountId: num(row.account_id),
      accountName: row.account_name,
      accountOwnerId: num(row.account_owner),
      accountPolicy: row.account_policy,
      passwordChangedAt: num(row.changed_at),
      resetsDisabled: num(row.resets_disabled) === 1,
      resourceId: num(row.resource_id),
      resourceName: row.resource_name,
      resourceOwnerId: num(row.resource_owner),
      resourcePolicy: row.resource_policy,
    }));
  },

  /** The name of what a scope names, or undefined when it no longer exists. */
  async scopeTarget(
    db: Executor,
    scope: ScheduleScope,
  ): Promise<{ name: string; ownerId: number; resource?: { id: number; ownerId: number } } | undefined> {
    if (scope.kind === 'group') {
      const g = await db
        .selectFrom('resource_groups')
        .select(['name', 'owner_id'])
        .where('id', '=', scope.id)
        .executeTakeFirst();
      return g && { name: g.name, ownerId: num(g.owner_id) };
    }
    if (scope.kind === 'resource') {
      const r = await db
        .selectFrom('resources')
        .select(['name', 'owner_id'])
        .where('id', '=', scope.id)
        .executeTakeFirst();
      return r && { name: r.name, ownerId: num(r.owner_id) };
    }
    const a = await db
      .selectFrom('accounts')
      .innerJoin('resources', 'resources.id', 'accounts.resource_id')
      .select([
        'accounts.name as account',
        'accounts.owner_id as owner',
        'resources.id as resourceId',
        'resources.name as resource',
        'resources.owner_id as resourceOwner',
      ])
      .where('accounts.id', '=', scope.id)
      .executeTakeFirst();
    return (
      a && {
        name: `${a.resource}/${a.account}`,
        ownerId: num(a.owner),
        resource: { id: num(a.resourceId), ownerId: num(a.resourceOwner) },
      }
    );
  },

  /** The user a schedule acts for: its creator, as a principal is built (role, scope). */
  async creator(
    db: Executor,
    userId: number,
  ): Promise<
    { userId: number; username: string; role: string; isSuperAdmin: boolean; isApiUser: boolean } | undefined
  > {
    const u = await db
      .selectFrom('users')
      .select(['id', 'username', 'role', 'is_super_admin', 'is_api_user', 'locked'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!u || num(u.locked) === 1) return undefined;
    return {
      userId: num(u.id),
      username: u.username,
      role: u.role,
      isSuperAdmin: num(u.is_super_admin) === 1,
      isApiUser: num(u.is_api_user) === 1,
    };
  },
};
