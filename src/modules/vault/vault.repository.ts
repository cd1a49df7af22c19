import type { Executor } from '../../platform/db/database.js';
import { containsPattern, pageWithTotal } from '../../platform/db/paging.js';
import { precompiled } from '../../platform/db/precompiled.js';
import type { AccountsTable, CustomFieldsTable, ResourcesTable } from '../../platform/db/schema.js';
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import { groupResourceIds, type ResourceScope } from '../access/index.js';
import type { AccountControls } from './vault.types.js';

export type ResourceRow = Selectable<ResourcesTable> & { owner_name: string };
export type AccountRow = Selectable<AccountsTable> & { owner_name: string };
export type CustomFieldRow = Selectable<CustomFieldsTable>;

/** What a password retrieval needs, in one indexed lookup. */
export interface SecretLocation {
  readonly accountId: number;
  readonly accountName: string;
  readonly accountOwnerId: number;
  readonly sealed: Buffer | null;
  readonly resourceId: number;
  readonly resourceName: string;
  readonly resourceOwnerId: number;
  readonly controls: AccountControls;
}

/** The control columns of an account, as selected by the queries below. */
interface ControlColumns {
  is_reason_required: number;
  is_ticketid_reqd: number;
  is_ticketid_reqd_mandatory: number;
  access_control: number;
}

const CONTROL_COLUMNS = [
  'accounts.is_reason_required',
  'accounts.is_ticketid_reqd',
  'accounts.is_ticketid_reqd_mandatory',
  'accounts.access_control',
] as const;

export function controlsOf(row: ControlColumns): AccountControls {
  return {
    reasonRequired: row.is_reason_required === 1,
    ticketIdRequired: row.is_ticketid_reqd === 1,
    ticketIdMandatory: row.is_ticketid_reqd_mandatory === 1,
    accessControl: row.access_control === 1,
  };
}

export interface SearchFilter {
  readonly column: 'name' | 'description' | 'dns_name' | 'resource_type' | 'department' | 'location' | 'url';
  readonly value: string;
}

const secretLocationQuery = precompiled<[resourceId: number, accountId: number], SecretLocationRow>(
  (db, resourceId, accountId) =>
    db
      .selectFrom('accounts')
      .innerJoin('resources', 'resources.id', 'accounts.resource_id')
      .select([
        'accounts.id as account_id',
        'accounts.name as account_name',
        'accounts.owner_id as account_owner_id',
        'accounts.password_sealed',
        'resources.id as resource_id',
        'resources.name as resource_name',
        'resources.owner_id as resource_owner_id',
        ...CONTROL_COLUMNS,
      ])
      .where('accounts.id', '=', accountId)
      .where('accounts.resource_id', '=', resourceId),
  2,
);

interface SecretLocationRow extends ControlColumns {
  account_id: number;
  account_name: string;
  account_owner_id: number;
  password_sealed: Buffer | null;
  resource_id: number;
  resource_name: string;
  resource_owner_id: number;
}

/** Data access for resources, accounts and what hangs off them. Never authorises. */
export const vaultRepository = {
  // ---- resources ----------------------------------------------------------------------

  async insertResource(trx: Executor, row: Insertable<ResourcesTable>): Promise<number> {
    const inserted = await trx.insertInto('resources').values(row).returning('id').executeTakeFirstOrThrow();
    return inserted.id;
  },

  async findResource(db: Executor, id: number): Promise<ResourceRow | undefined> {
    return db
      .selectFrom('resources')
      .innerJoin('users', 'users.id', 'resources.owner_id')
      .selectAll('resources')
      .select('users.username as owner_name')
      .where('resources.id', '=', id)
      .executeTakeFirst();
  },

  async findResourceByName(db: Executor, key: string): Promise<ResourceRow | undefined> {
    return db
      .selectFrom('resources')
      .innerJoin('users', 'users.id', 'resources.owner_id')
      .selectAll('resources')
      .select('users.username as owner_name')
      .where('resources.name_key', '=', key)
      .executeTakeFirst();
  },

  async resourceNameTaken(db: Executor, key: string, exceptId?: number): Promise<boolean> {
    let query = db.selectFrom('resources').select('id').where('name_key', '=', key);
    if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
    return (await query.executeTakeFirst()) !== undefined;
  },

  async listResources(db: Executor, scope: ResourceScope, search: SearchFilter | undefined) {
    let query = db
      .selectFrom('resources')
      .leftJoin('accounts', 'accounts.resource_id', 'resources.id')
      .select([
        'resources.id',
        'resources.name',
        'resources.resource_type',
        'resources.description',
        'resources.dns_name',
        'resources.owner_id',
      ])
      .select((eb) => eb.fn.count<number>('accounts.id').as('account_count'))
      .groupBy([
        'resources.id',
        'resources.name',
        'resources.resource_type',
        'resources.description',
        'resources.dns_name',
        'resources.owner_id',
      ])
      .orderBy('resources.name');
    if (scope.kind === 'user') query = query.where('resources.id', 'in', scope.resourceIds(db));
    if (search) {
      const pattern = containsPattern(search.value);
      query = query.where(
        sql<boolean>`lower(${sql.ref(`resources.${search.column}`)}) like ${pattern} escape '\\'`,
      );
    }
    return query.execute();
  },

  /**
   * One page of the resources in `scope` by name, with the total: a case-insensitive substring
   * of the name, DNS name or description, and an exact resource type. The page and its total
   * come from one statement (one snapshot), as the console pages through large vaults.
   */
  async pageResources(
    db: Executor,
    scope: ResourceScope,
    filter: { search?: string; type?: string; groupId?: number; offset: number; limit: number },
  ) {
    let query = db.selectFrom('resources');
    if (filter.groupId !== undefined) {
      query = query.where(sql<boolean>`resources.id in ${groupResourceIds(filter.groupId)}`);
    }
    if (scope.kind === 'user') query = query.where('resources.id', 'in', scope.resourceIds(db));
    if (filter.search) {
      const pattern = containsPattern(filter.search);
      query = query.where((eb) =>
        eb.or(
          (['name', 'dns_name', 'description'] as const).map(
            (column) => sql<boolean>`lower(${sql.ref(`resources.${column}`)}) like ${pattern} escape '\\'`,
          ),
        ),
      );
    }
    if (filter.type)
      query = query.where(sql<boolean>`lower(resources.resource_type) = ${filter.type.toLowerCase()}`);
    // By the unique name key (the name's case-insensitive order), which the index already has;
    // the accounts are counted for the page's rows only, not for every match.
    const { rows: page, total } = await pageWithTotal(query, (q) =>
      q
        .select([
          'resources.id',
          'resources.name',
          'resources.resource_type',
          'resources.description',
          'resources.dns_name',
        ])
        .orderBy('resources.name_key')
        .limit(filter.limit)
        .offset(filter.offset),
    );
    const counts = new Map<number, number>();
    if (page.length > 0) {
      const counted = await db
        .selectFrom('accounts')
        .select('resource_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(
          'resource_id',
          'in',
          page.map((r) => r.id),
        )
        .groupBy('resource_id')
        .execute();
      for (const c of counted) counts.set(Number(c.resource_id), Number(c.n));
    }
    const rows = page.map((r) => ({ ...r, account_count: counts.get(Number(r.id)) ?? 0 }));
    return { rows, total };
  },

  async updateResource(trx: Executor, id: number, patch: Updateable<ResourcesTable>): Promise<void> {
    await trx.updateTable('resources').set(patch).where('id', '=', id).execute();
  },

  async deleteResource(trx: Executor, id: number): Promise<void> {
    const accountIds = (
      await trx.selectFrom('accounts').select('id').where('resource_id', '=', id).execute()
    ).map((a) => a.id);
    await vaultRepository.deleteCustomFields(trx, 'account', accountIds);
    await vaultRepository.deleteCustomFields(trx, 'resource', [id]);
    // accounts, their history and files go by ON DELETE CASCADE
    await trx.deleteFrom('resources').where('id', '=', id).execute();
  },

  // ---- accounts -----------------------------------------------------------------------

  async insertAccount(trx: Executor, row: Insertable<AccountsTable>): Promise<number> {
    const inserted = await trx.insertInto('accounts').values(row).returning('id').executeTakeFirstOrThrow();
    return inserted.id;
  },

  async findAccount(db: Executor, resourceId: number, accountId: number): Promise<AccountRow | undefined> {
    return db
      .selectFrom('accounts')
      .innerJoin('users', 'users.id', 'accounts.owner_id')
      .selectAll('accounts')
      .select('users.username as owner_name')
      .where('accounts.id', '=', accountId)
      .where('accounts.resource_id', '=', resourceId)
      .executeTakeFirst();
  },

  async resourceIdOfAccount(db: Executor, accountId: number): Promise<number | undefined> {
    const row = await db
      .selectFrom('accounts')
      .select('resource_id')
      .where('id', '=', accountId)
      .executeTakeFirst();
    return row?.resource_id;
  },

  async findAccountIdByName(db: Executor, resourceId: number, key: string): Promise<number | undefined> {
    const row = await db
      .selectFrom('accounts')
      .select('id')
      .where('resource_id', '=', resourceId)
      .where('name_key', '=', key)
      .executeTakeFirst();
    return row?.id;
  },

  /** Which of `keys` (name keys) are names of accounts of the resource. */
  async takenAccountNames(db: Executor, resourceId: number, keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await db
      .selectFrom('accounts')
      .select('name_key')
      .where('resource_id', '=', resourceId)
      .where('name_key', 'in', keys)
      .execute();
    return new Set(rows.map((r) => r.name_key));
  },

  async accountNameTaken(db: Executor, resourceId: number, key: string, exceptId?: number): Promise<boolean> {
    let query = db
      .selectFrom('accounts')
      .select('id')
      .where('resource_id', '=', resourceId)
      .where('name_key', '=', key);
    if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
    return (await query.executeTakeFirst()) !== undefined;
  },

  async listAccounts(db: Executor, resourceId: number) {
    return db
      .selectFrom('accounts')
      .select([
        'accounts.id',
        'accounts.name',
        'accounts.owner_id',
        'accounts.password_policy',
        'accounts.password_changed_at',
        'accounts.totp_period',
        ...CONTROL_COLUMNS,
      ])
      .where('resource_id', '=', resourceId)
      .orderBy('name')
      .execute();
  },

  /** The accounts of a resource with the texts an export carries (description, notes; never a secret). */
  async listAccountTexts(db: Executor, resourceId: number) {
    return db
      .selectFrom('accounts')
      .select(['accounts.id', 'accounts.name', 'accounts.description', 'accounts.notes'])
      .where('resource_id', '=', resourceId)
      .orderBy('name')
      .execute();
  },

  /** The retrieval controls of an account (ACCESS_CONTROL among them); undefined if it does not exist. */
  async findAccountControls(db: Executor, accountId: number): Promise<AccountControls | undefined> {
    const row = await db
      .selectFrom('accounts')
      .select(CONTROL_COLUMNS)
      .where('accounts.id', '=', accountId)
      .executeTakeFirst();
    return row && controlsOf(row);
  },

  /** The retrieval hot path: one primary-key lookup joined to its resource, compiled once. */
  async findSecretLocation(
    db: Executor,
    resourceId: number,
    accountId: number,
  ): Promise<SecretLocation | undefined> {
    const [row] = await secretLocationQuery(db, resourceId, accountId);
    if (!row) return undefined;
    return {
      accountId: row.account_id,
      accountName: row.account_name,
      accountOwnerId: row.account_owner_id,
      sealed: row.password_sealed,
      resourceId: row.resource_id,
      resourceName: row.resource_name,
      resourceOwnerId: row.resource_owner_id,
      controls: controlsOf(row),
    };
  },

  async setAccountPassword(trx: Executor, accountId: number, sealed: Buffer, at: number): Promise<void> {
    await trx
      .updateTable('accounts')
      .set({ password_sealed: sealed, password_changed_at: at, modified_at: at })
      .where('id', '=', accountId)
      .execute();
  },

  async updateAccount(trx: Executor, accountId: number, patch: Updateable<AccountsTable>): Promise<void> {
    await trx.updateTable('accounts').set(patch).where('id', '=', accountId).execute();
  },

  async deleteAccount(trx: Executor, accountId: number): Promise<void> {
    await vaultRepository.deleteCustomFields(trx, 'account', [accountId]);
    await trx.deleteFrom('accounts').where('id', '=', accountId).execute();
  },

  // ---- password history ---------------------------------------------------------------

  /** Inserts an empty history row; the caller seals the old password bound to its id. */
  async insertHistory(
    trx: Executor,
    accountId: number,
    replacedAt: number,
    replacedBy: number | null,
  ): Promise<number> {
    const row = await trx
      .insertInto('password_history')
      .values({
        account_id: accountId,
        password_sealed: null,
        replaced_at: replacedAt,
        replaced_by: replacedBy,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  async setHistoryPassword(trx: Executor, historyId: number, sealed: Buffer): Promise<void> {
    await trx
      .updateTable('password_history')
      .set({ password_sealed: sealed })
      .where('id', '=', historyId)
      .execute();
  },

  /** Newest first; `limit` for the policy's reuse check, all for endpoint 9. */
  async listHistory(db: Executor, accountId: number, limit?: number) {
    let query = db
      .selectFrom('password_history')
      .select(['id', 'password_sealed', 'replaced_at', 'replaced_by'])
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc');
    if (limit !== undefined) query = query.limit(limit);
    return query.execute();
  },

  // ---- custom fields ------------------------------------------------------------------

  async listCustomFields(
    db: Executor,
    kind: 'resource' | 'account',
    ownerId: number,
  ): Promise<CustomFieldRow[]> {
    return db
      .selectFrom('custom_fields')
      .selectAll()
      .where('owner_kind', '=', kind)
      .where('owner_id', '=', ownerId)
      .orderBy('position')
      .execute();
  },

  async insertCustomField(trx: Executor, row: Insertable<CustomFieldsTable>): Promise<number> {
    const inserted = await trx
      .insertInto('custom_fields')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return inserted.id;
  },

  async updateCustomField(trx: Executor, id: number, patch: Updateable<CustomFieldsTable>): Promise<void> {
    await trx.updateTable('custom_fields').set(patch).where('id', '=', id).execute();
  },

  async deleteCustomFields(trx: Executor, kind: 'resource' | 'account', ownerIds: number[]): Promise<void> {
    if (ownerIds.length === 0) return;
    await trx
      .deleteFrom('custom_fields')
      .where('owner_kind', '=', kind)
      .where('owner_id', 'in', ownerIds)
      .execute();
  },

  // ---- files --------------------------------------------------------------------------

  async insertFile(
    trx: Executor,
    row: {
      accountId: number;
      fileName: string;
      contentType: string;
      size: number;
      sealed: Buffer;
      at: number;
    },
  ): Promise<void> {
    await trx
      .insertInto('account_files')
      .values({
        account_id: row.accountId,
        file_name: row.fileName,
        content_type: row.contentType,
        size: row.size,
        content_sealed: row.sealed,
        uploaded_at: row.at,
      })
      .execute();
  },

  async findFile(db: Executor, accountId: number) {
    return db.selectFrom('account_files').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  },

  async hasFile(db: Executor, accountId: number): Promise<boolean> {
    return (
      (await db
        .selectFrom('account_files')
        .select('account_id')
        .where('account_id', '=', accountId)
        .executeTakeFirst()) !== undefined
    );
  },
};
