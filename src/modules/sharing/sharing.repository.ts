import type { Executor } from '../../platform/db/database.js';
import type { SharePermission } from '../../platform/db/schema.js';
import type { Grantee } from './sharing.types.js';

type ShareTable = 'resource_shares' | 'account_shares';

const objectColumn = (table: ShareTable) => (table === 'resource_shares' ? 'resource_id' : 'account_id');
const granteeColumn = (grantee: Grantee) => (grantee.kind === 'user' ? 'user_id' : 'group_id');

/** Shares of resources and accounts: one row per object and grantee, replaced on every grant. */
export const sharingRepository = {
  async current(
    db: Executor,
    table: ShareTable,
    objectId: number,
    grantee: Grantee,
  ): Promise<SharePermission | undefined> {
    const row = await db
      .selectFrom(table)
      .select('permission')
      .where(objectColumn(table), '=', objectId)
      .where(granteeColumn(grantee), '=', grantee.id)
      .executeTakeFirst();
    return row?.permission;
  },

  async grant(
    trx: Executor,
    table: ShareTable,
    objectId: number,
    grantee: Grantee,
    permission: SharePermission,
    at: number,
    by: number,
  ): Promise<void> {
    const updated = await trx
      .updateTable(table)
      .set({ permission, granted_at: at, granted_by: by })
      .where(objectColumn(table), '=', objectId)
      .where(granteeColumn(grantee), '=', grantee.id)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    const row = {
      user_id: grantee.kind === 'user' ? grantee.id : null,
      group_id: grantee.kind === 'group' ? grantee.id : null,
      permission,
      granted_at: at,
      granted_by: by,
    };
    if (table === 'resource_shares')
      await trx
        .insertInto(table)
        .values({ ...row, resource_id: objectId })
        .execute();
    else
      await trx
        .insertInto(table)
        .values({ ...row, account_id: objectId })
        .execute();
  },

  async revoke(trx: Executor, table: ShareTable, objectId: number, grantee: Grantee): Promise<boolean> {
    const result = await trx
      .deleteFrom(table)
      .where(objectColumn(table), '=', objectId)
      .where(granteeColumn(grantee), '=', grantee.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },
};
