import type { Executor } from '../../platform/db/database.js';
import type { PasswordRequestStatus } from '../../platform/db/schema.js';
import { OPEN_STATUSES } from './workflow.types.js';

export const workflowRepository = {
  async openRequest(db: Executor, accountId: number, requesterId: number) {
    return db
      .selectFrom('password_requests')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('requester_id', '=', requesterId)
      .where('status', 'in', OPEN_STATUSES)
      .executeTakeFirst();
  },

  async insert(
    trx: Executor,
    row: {
      accountId: number;
      requesterId: number;
      reason: string | null;
      ticketId: string | null;
      at: number;
    },
  ): Promise<number> {
    const inserted = await trx
      .insertInto('password_requests')
      .values({
        account_id: row.accountId,
        requester_id: row.requesterId,
        status: 'waiting',
        reason: row.reason,
        ticket_id: row.ticketId,
        requested_at: row.at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return inserted.id;
  },

  /** Moves a request from one status to another; false if it was no longer in `from` (a race lost). */
  async transition(
    trx: Executor,
    id: number,
    from: PasswordRequestStatus,
    to: PasswordRequestStatus,
    patch: {
      decided_by?: number;
      decided_at?: number;
      checked_out_at?: number;
      checkout_expires_at?: number;
      checked_in_at?: number;
      checked_in_by?: number | null;
    },
  ): Promise<boolean> {
    const result = await trx
      .updateTable('password_requests')
      .set({ status: to, ...patch })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  },

  /** The checkout holding the account, if any (expired ones included: the caller decides). */
  async checkoutOf(db: Executor, accountId: number) {
    return db
      .selectFrom('password_requests')
      .innerJoin('users', 'users.id', 'password_requests.requester_id')
      .selectAll('password_requests')
      .select('users.username as requester_name')
      .where('password_requests.account_id', '=', accountId)
      .where('password_requests.status', '=', 'checked_out')
      .executeTakeFirst();
  },

  async checkedOutAmong(db: Executor, accountIds: readonly number[], now: number): Promise<number[]> {
    if (accountIds.length === 0) return [];
    const rows = await db
      .selectFrom('password_requests')
      .select('account_id')
      .where('account_id', 'in', accountIds)
      .where('status', '=', 'checked_out')
      .where('checkout_expires_at', '>', now)
      .execute();
    return rows.map((r) => r.account_id);
  },

  async expiredCheckouts(db: Executor, now: number) {
    return db
      .selectFrom('password_requests')
      .select(['id', 'account_id', 'requester_id', 'checkout_expires_at'])
      .where('status', '=', 'checked_out')
      .where('checkout_expires_at', '<=', now)
      .execute();
  },

  async approversOf(db: Executor, accountId: number) {
    return db
      .selectFrom('account_approvers')
      .innerJoin('users', 'users.id', 'account_approvers.user_id')
      .select(['users.id', 'users.username'])
      .where('account_approvers.account_id', '=', accountId)
      .orderBy('users.username')
      .execute();
  },

  async isNamedApprover(db: Executor, accountId: number, userId: number): Promise<boolean> {
    const row = await db
      .selectFrom('account_approvers')
      .select('user_id')
      .where('account_id', '=', accountId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  },

  async replaceApprovers(trx: Executor, accountId: number, userIds: readonly number[]): Promise<void> {
    await trx.deleteFrom('account_approvers').where('account_id', '=', accountId).execute();
    if (userIds.length === 0) return;
    await trx
      .insertInto('account_approvers')
      .values(userIds.map((userId) => ({ account_id: accountId, user_id: userId })))
      // Two concurrent replacements both insert after deleting nothing: the same rows, no failure.
      .onConflict((oc) => oc.columns(['account_id', 'user_id']).doNothing())
      .execute();
  },

  /**
   * Requests waiting for a decision, with what endpoint 11 shows; for a non-administrator only
   * on accounts they own (or whose resource they own) or are named approver of.
   */
  async waiting(db: Executor, approverId: number | undefined) {
    let query = db
      .selectFrom('password_requests')
      .innerJoin('users as requester', 'requester.id', 'password_requests.requester_id')
      .innerJoin('accounts', 'accounts.id', 'password_requests.account_id')
      .innerJoin('resources', 'resources.id', 'accounts.resource_id')
      .select([
        'password_requests.requester_id',
        'requester.username as requester_name',
        'requester.full_name as requester_full_name',
        'accounts.id as account_id',
        'accounts.name as account_name',
        'resources.id as resource_id',
        'resources.name as resource_name',
        'password_requests.status',
        'password_requests.requested_at',
        'password_requests.reason',
        'password_requests.ticket_id',
      ])
      .where('password_requests.status', '=', 'waiting')
      .orderBy('password_requests.requested_at')
      .orderBy('password_requests.id');
    if (approverId !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb('accounts.owner_id', '=', approverId),
          eb('resources.owner_id', '=', approverId),
          eb(
            'accounts.id',
            'in',
            eb.selectFrom('account_approvers').select('account_id').where('user_id', '=', approverId),
          ),
        ]),
      );
    }
    return query.execute();
  },

  /** The requester's requests, open ones first, then the latest closed (the console's "My requests"). */
  async ofRequester(db: Executor, requesterId: number, limit: number) {
    return db
      .selectFrom('password_requests')
      .innerJoin('accounts', 'accounts.id', 'password_requests.account_id')
      .innerJoin('resources', 'resources.id', 'accounts.resource_id')
      .select([
        'accounts.id as account_id',
        'accounts.name as account_name',
        'resources.id as resource_id',
        'resources.name as resource_name',
        'password_requests.status',
        'password_requests.requested_at',
        'password_requests.reason',
        'password_requests.ticket_id',
        'password_requests.checkout_expires_at',
      ])
      .where('password_requests.requester_id', '=', requesterId)
      .orderBy((eb) => eb.case().when('password_requests.status', 'in', OPEN_STATUSES).then(0).else(1).end())
      .orderBy('password_requests.id', 'desc')
      .limit(limit)
      .execute();
  },
};
