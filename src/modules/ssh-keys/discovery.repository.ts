import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type {
  SshKeyDiscoveriesTable,
  SshKeyDiscoveryAccountsTable,
  SshKeyFindingsTable,
} from '../../platform/db/schema.js';
import type { ResourceScope } from '../access/index.js';
import { DYNAMIC_MEMBER } from '../access/index.js';

export type DiscoveryRow = Selectable<SshKeyDiscoveriesTable>;
export type DiscoveryAccountRow = Selectable<SshKeyDiscoveryAccountsTable>;
export type FindingRow = Selectable<SshKeyFindingsTable>;

/** A resource as discovery authorises it. */
export interface ResourceRef {
  readonly id: number;
  readonly name: string;
  readonly ownerId: number;
}

/** A finding to store (times are set by replaceFindings). */
export type NewFinding = Omit<FindingRow, 'id' | 'resource_id' | 'first_seen' | 'last_seen'>;
export type NewAccount = Omit<DiscoveryAccountRow, 'id' | 'resource_id'>;

const num = (v: unknown) => Number(v);
const refOf = (r: { id: unknown; name: string; owner_id: unknown }): ResourceRef => ({
  id: num(r.id),
  name: r.name,
  ownerId: num(r.owner_id),
});

/** Rows of SSH key discovery (ADR 034); no decisions (the service authorises through access). */
export const discoveryRepository = {
  async resourceById(db: Executor, id: number): Promise<ResourceRef | undefined> {
    const row = await db
      .selectFrom('resources')
      .select(['id', 'name', 'owner_id'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? refOf(row) : undefined;
  },

  /** The kind of the resource's remote reset configuration (linux, postgresql, mysql), if any. */
  async configurationKind(db: Executor, resourceId: number): Promise<string | undefined> {
    const row = await db
      .selectFrom('remote_reset_configs')
      .select('kind')
      .where('resource_id', '=', resourceId)
      .executeTakeFirst();
    return row?.kind;
  },

  async groupByName(db: Executor, nameKey: string): Promise<{ id: number; name: string } | undefined> {
    const row = await db
      .selectFrom('resource_groups')
      .select(['id', 'name'])
      .where('name_key', '=', nameKey)
      .executeTakeFirst();
    return row ? { id: num(row.id), name: row.name } : undefined;
  },

  async groupName(db: Executor, groupId: number): Promise<string | undefined> {
    const row = await db
      .selectFrom('resource_groups')
      .select('name')
      .where('id', '=', groupId)
      .executeTakeFirst();
    return row?.name;
  },

  /**
   * The resources of a group as resource groups define membership (ADR 012): static members,
   * dynamic matches, resources of member accounts, and the same for every subgroup.
   */
  async groupResources(db: Executor, groupId: number): Promise<ResourceRef[]> {
    const result = await sql<{ id: unknown; name: string; owner_id: unknown }>`with recursive closure(id) as (
        select id from resource_groups where id = ${groupId}
      union
        select g.id from resource_groups g join closure c on g.parent_id = c.id
    )
    select r.id, r.name, r.owner_id from resources r
    where exists (select 1 from closure k join resource_groups g on g.id = k.id
      where exists (select 1 from resource_group_members gm where gm.group_id = g.id and gm.resource_id = r.id)
         or exists (select 1 from resource_group_accounts ga join accounts a on a.id = ga.account_id
                    where ga.group_id = g.id and a.resource_id = r.id)
         or (g.group_type = 'dynamic' and ${DYNAMIC_MEMBER}))
    order by r.name_key, r.id`.execute(db);
    return result.rows.map(refOf);
  },

  /** The user a group job acts for, as a principal is built; undefined when gone or locked. */
  async principal(db: Executor, userId: number) {
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

  /**
   * Serialises runs on one resource: the discovery row is written first, so a second run's
   * transaction waits on it (PostgreSQL row lock; SQLite has one writer anyway).
   */
  async markAttempt(
    db: Executor,
    resourceId: number,
    attempt: { at: number; by: string; reason: string | null; error: string | null },
  ): Promise<void> {
    const values = {
      attempted_at: attempt.at,
      attempted_by: attempt.by,
      error_reason: attempt.reason,
      error: attempt.error,
    };
    await db
      .insertInto('ssh_key_discoveries')
      .values({ resource_id: resourceId, discovered_at: null, discovered_by: null, host: null, ...values })
      .onConflict((oc) => oc.column('resource_id').doUpdateSet(values))
      .execute();
  },

  /**
   * Replaces what is known of the resource by one run's accounts and findings; a finding of the
   * same account and fingerprint as before keeps its first_seen. Call inside a transaction, after
   * markAttempt.
   */
  async replaceFindings(
    db: Executor,
    resourceId: number,
    run: {
      at: number;
      by: string;
      host: string;
      accounts: readonly NewAccount[];
      keys: readonly NewFinding[];
    },
  ): Promise<void> {
    const before = await db
      .selectFrom('ssh_key_findings')
      .select(['user_name', 'fingerprint', 'first_seen'])
      .where('resource_id', '=', resourceId)
      .execute();
    const firstSeen = new Map<string, number>();
    for (const f of before) {
      const key = `${f.user_name}\n${f.fingerprint}`;
      firstSeen.set(key, Math.min(num(f.first_seen), firstSeen.get(key) ?? Number.MAX_SAFE_INTEGER));
    }
    await db.deleteFrom('ssh_key_findings').where('resource_id', '=', resourceId).execute();
    await db.deleteFrom('ssh_key_discovery_accounts').where('resource_id', '=', resourceId).execute();
    // A few hundred parameters a statement: within SQLite's and PostgreSQL's limits.
    for (const chunk of chunks(run.accounts, 100)) {
      await db
        .insertInto('ssh_key_discovery_accounts')
        .values(chunk.map((a) => ({ ...a, resource_id: resourceId })))
        .execute();
    }
    for (const chunk of chunks(run.keys, 50)) {
      await db
        .insertInto('ssh_key_findings')
        .values(
          chunk.map((k) => ({
            ...k,
            resource_id: resourceId,
            first_seen: firstSeen.get(`${k.user_name}\n${k.fingerprint}`) ?? run.at,
            last_seen: run.at,
          })),
        )
        .execute();
    }
    await db
      .updateTable('ssh_key_discoveries')
      .set({ discovered_at: run.at, discovered_by: run.by, host: run.host })
      .where('resource_id', '=', resourceId)
      .execute();
  },

  discovery(db: Executor, resourceId: number): Promise<DiscoveryRow | undefined> {
    return db
      .selectFrom('ssh_key_discoveries')
      .selectAll()
      .where('resource_id', '=', resourceId)
      .executeTakeFirst();
  },

  accounts(db: Executor, resourceId: number): Promise<DiscoveryAccountRow[]> {
    return db
      .selectFrom('ssh_key_discovery_accounts')
      .selectAll()
      .where('resource_id', '=', resourceId)
      .orderBy('user_name')
      .execute();
  },

  findings(db: Executor, resourceId: number): Promise<FindingRow[]> {
    return db
      .selectFrom('ssh_key_findings')
      .selectAll()
      .where('resource_id', '=', resourceId)
      .orderBy('user_name')
      .orderBy('line')
      .execute();
  },

  /** Key store keys with these fingerprints (id, name, owner), for known/unknown. */
  async vaultKeys(
    db: Executor,
    fingerprints: readonly string[],
  ): Promise<{ id: number; name: string; ownerId: number; fingerprint: string }[]> {
    const out: { id: number; name: string; ownerId: number; fingerprint: string }[] = [];
    for (const chunk of chunks([...new Set(fingerprints)], 500)) {
      const rows = await db
        .selectFrom('ssh_keys')
        .select(['id', 'name', 'owner_id', 'fingerprint'])
        .where('fingerprint', 'in', chunk)
        .orderBy('name_key')
        .execute();
      out.push(
        ...rows.map((r) => ({
          id: num(r.id),
          name: r.name,
          ownerId: num(r.owner_id),
          fingerprint: r.fingerprint,
        })),
      );
    }
    return out;
  },

  /** Resources with findings, within `scope` (the caller's visible resources). */
  async resourcesWithFindings(db: Executor, scope: ResourceScope): Promise<ResourceRef[]> {
    let query = db
      .selectFrom('resources')
      .select(['resources.id', 'resources.name', 'resources.owner_id'])
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('ssh_key_findings')
            .select('ssh_key_findings.id')
            .whereRef('ssh_key_findings.resource_id', '=', 'resources.id'),
        ),
      );
    if (scope.kind === 'user') query = query.where('resources.id', 'in', scope.resourceIds(db));
    return (await query.orderBy('resources.name_key').execute()).map(refOf);
  },

  /** Findings on these resources (or on every resource), optionally of one fingerprint only. */
  async findingsOn(
    db: Executor,
    resourceIds: readonly number[] | 'all',
    fingerprint?: string,
  ): Promise<(FindingRow & { resource_name: string })[]> {
    const query = (ids: readonly number[] | undefined) => {
      let q = db
        .selectFrom('ssh_key_findings')
        .innerJoin('resources', 'resources.id', 'ssh_key_findings.resource_id')
        .selectAll('ssh_key_findings')
        .select('resources.name as resource_name');
      if (ids !== undefined) q = q.where('ssh_key_findings.resource_id', 'in', ids);
      if (fingerprint !== undefined) q = q.where('ssh_key_findings.fingerprint', '=', fingerprint);
      return q.execute();
    };
    const out: (FindingRow & { resource_name: string })[] = [];
    if (resourceIds === 'all') out.push(...(await query(undefined)));
    else for (const chunk of chunks(resourceIds, 500)) out.push(...(await query(chunk)));
    return out.sort(
      (a, b) =>
        a.resource_name.localeCompare(b.resource_name) ||
        a.user_name.localeCompare(b.user_name) ||
        num(a.line) - num(b.line),
    );
  },
};

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
