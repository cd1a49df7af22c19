import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { JobRunner } from '../../platform/jobs/index.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import {
  ConflictError,
  NotFoundError,
  NotPermittedError,
  OperationNotAvailableError,
} from '../../platform/errors.js';
import type { Caller, Principal } from '../../platform/principal.js';
import { can } from '../access/index.js';
import type { UserDirectory } from '../identity/index.js';
import {
  actorOf,
  AuditOperation,
  type AuditActor,
  type AuditEvent,
  type AuditService,
} from '../audit/index.js';
import { workflowRepository as repo } from './workflow.repository.js';
import type {
  CheckinRotation,
  PasswordRequestView,
  RequestableAccount,
  WorkflowSettings,
  WorkflowVault,
} from './workflow.types.js';

export interface WorkflowServiceDeps {
  readonly database: Database;
  readonly users: Pick<UserDirectory, 'findById'>;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly vault: WorkflowVault;
  readonly settings: WorkflowSettings;
  /** Reset on check-in on the target, for accounts with a remote reset configuration (ADR 028). */
  readonly checkinRotation?: CheckinRotation;
}

const SYSTEM_ACTOR: AuditActor = {
  userId: null,
  username: 'System',
  clientIp: '127.0.0.1',
  client: 'System',
};

/** The job kind of the automatic check-in of expired checkouts (a periodic job, ADR 024). */
export const CHECK_IN_EXPIRED_JOB = 'workflow.check-in-expired';

export type WorkflowService = ReturnType<typeof createWorkflowService>;

/**
 * Password access control (endpoints 10–15). On an account with ACCESS_CONTROL, a share alone
 * does not release the password: the user requests it (10), an approver approves (13) or
 * rejects (12) it, the requester checks it out (15) and may retrieve it until checking it in
 * (14) or until the checkout expires. A checkout is exclusive. Owners are not subject to it.
 *
 * Approvers: administrators (super administrators, Administrator, Privileged Administrator), the
 * owner of the account or its resource, and the users named approvers on the account, each only
 * for accounts they can see; never the requester. Every step is audited in its
 * transaction; the database's partial unique indexes keep "one open request per user and
 * account" and "one checkout per account" true under concurrency.
 */
export function createWorkflowService({
  database,
  users,
  audit,
  clock,
  vault,
  settings,
  checkinRotation,
}: WorkflowServiceDeps) {
  const db = database.db;

  /**
   * Reset on check-in: on the target (queued, runs after the check-in commits) when the account's
   * resource has a remote reset configuration, else the password stored in the vault, in the check-in.
   */
  async function resetOnCheckin(trx: Executor, actor: AuditActor, account: RequestableAccount) {
    if (checkinRotation && (await checkinRotation.appliesTo(trx, account))) {
      await checkinRotation.queue(trx, actor, account);
    } else {
      await vault.resetToGenerated(trx, actor, account);
    }
  }

  const isOwner = (principal: Principal, account: RequestableAccount) =>
    principal.userId === account.ownerId || principal.userId === account.resource.ownerId;
  /** May name the approvers of an account: administrators and its owners. */
  const mayNameApprovers = (principal: Principal, account: RequestableAccount) =>
    can(principal, 'decidePasswordRequests') || isOwner(principal, account);

  const event = (
    operation: string,
    account: RequestableAccount,
    reason?: string | null,
    ticketId?: string | null,
  ): AuditEvent => ({
    auditType: 'Resource',
    operation,
    resourceId: account.resource.id,
    resourceName: account.resource.name,
    accountId: account.id,
    accountName: account.name,
    reason: reason ?? null,
    ticketId: ticketId ?? null,
  });

  /**
   * A transaction whose unique-index violation (a concurrent request or checkout on PostgreSQL,
   * where both transactions saw the account free) becomes the answer the loser would have got.
   */
  async function inTransaction<T>(conflict: string, work: (trx: Executor) => Promise<T>): Promise<T> {
    try {
      return await db.transaction().execute(work);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(conflict);
      throw err;
    }
  }

  /**
   * The account as an approver acts on it. Every approver must see the account (a super
   * administrator sees all): administrators and named approvers decide on the accounts they can
   * see, never on others (issue 11); owners and the rest are refused.
   */
  async function accountForApprover(executor: Executor, caller: Caller, accountId: number) {
    const account = await vault.requestableAccount(executor, caller, accountId);
    const privileged =
      can(caller.principal, 'decidePasswordRequests') ||
      isOwner(caller.principal, account) ||
      (await repo.isNamedApprover(executor, account.id, caller.principal.userId));
    if (!privileged) {
      throw new NotPermittedError(
        `Only administrators, the owner and the named approvers of account ${account.name} may decide on its password requests`,
      );
    }
    return account;
  }

  /** Whether the caller sees the account (the approver's listing shows nothing else). */
  async function sees(caller: Caller, accountId: number): Promise<boolean> {
    try {
      await vault.requestableAccount(db, caller, accountId);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof NotPermittedError) return false;
      throw err;
    }
  }

  /** Closes an expired checkout (automatic check-in), resetting the password if configured. */
  async function expireCheckout(
    trx: Executor,
    checkout: { id: number; account_id: number; checkout_expires_at: number | null },
  ): Promise<void> {
    const at = checkout.checkout_expires_at ?? clock.now();
    if (
      !(await repo.transition(trx, checkout.id, 'checked_out', 'checked_in', {
        checked_in_at: at,
        checked_in_by: null,
      }))
    ) {
      return;
    }
    const account = await vault.accountById(trx, checkout.account_id);
    if (!account) return;
    await audit.append(trx, SYSTEM_ACTOR, event(AuditOperation.passwordCheckedInAutomatically, account));
    if (settings.resetOnCheckin) await resetOnCheckin(trx, SYSTEM_ACTOR, account);
  }

  return {
    /** Endpoint 10. */
    async request(
      caller: Caller,
      accountId: number,
      why: { reason: string | null; ticketId: string | null },
    ) {
      return db.transaction().execute(async (trx) => {
        const account = await vault.requestableAccount(trx, caller, accountId);
        if (!account.accessControl) {
          throw new OperationNotAvailableError(
            `Password access control is not enabled for account ${account.name}; retrieve its password directly`,
          );
        }
        if (isOwner(caller.principal, account)) {
          throw new OperationNotAvailableError(
            `You own account ${account.name}; its password needs no request`,
          );
        }
        const open = await repo.openRequest(trx, account.id, caller.principal.userId);
        if (open) {
          throw new ConflictError(
            `You already have a request for account ${account.name} (${open.status === 'waiting' ? 'waiting for approval' : open.status === 'approved' ? 'approved, ready to check out' : 'checked out'})`,
          );
        }
        await repo.insert(trx, {
          accountId: account.id,
          requesterId: caller.principal.userId,
          reason: why.reason,
          ticketId: why.ticketId,
          at: clock.now(),
        });
        await audit.append(
          trx,
          actorOf(caller),
          event(AuditOperation.passwordRequested, account, why.reason, why.ticketId),
        );
        return { status: 'WAITING FOR APPROVAL' };
      });
    },

    /** The approvers named on an account (native GET /accounts/{id}/approvers). */
    async approvers(caller: Caller, accountId: number) {
      const account = await vault.requestableAccount(db, caller, accountId);
      return { account, approvers: await repo.approversOf(db, account.id) };
    },

    /** Replaces the approvers named on an account (native PUT); administrators and owners only. */
    async nameApprovers(caller: Caller, accountId: number, userIds: readonly number[]): Promise<string[]> {
      return db.transaction().execute(async (trx) => {
        const account = await vault.requestableAccount(trx, caller, accountId);
        if (!mayNameApprovers(caller.principal, account)) {
          throw new NotPermittedError(
            `Only administrators and the owner of account ${account.name} may name its approvers`,
          );
        }
        const names: string[] = [];
        for (const userId of userIds) {
          const user = await users.findById(trx, userId);
          if (!user) throw new NotFoundError(`User with ID ${userId} does not exist`);
          names.push(user.username);
        }
        await repo.replaceApprovers(trx, account.id, userIds);
        await audit.append(
          trx,
          actorOf(caller),
          event(
            AuditOperation.approversNamed,
            account,
            names.length > 0 ? `Approvers: ${names.join(', ')}` : 'Approvers: none',
          ),
        );
        return names;
      });
    },

    /**
     * The caller's own requests (the console): open ones first, then the latest 50 closed.
     * Only their own, so nothing here needs more than having made them; an account that has
     * since been unshared still shows, by name, as the audit trail does.
     */
    async mine(caller: Caller) {
      const rows = await repo.ofRequester(db, caller.principal.userId, 100);
      const now = clock.now();
      return rows.map((r) => ({
        accountId: r.account_id,
        accountName: r.account_name,
        resourceId: r.resource_id,
        resourceName: r.resource_name,
        // A checkout past its end counts as checked in before the sweeper closes it.
        status:
          r.status === 'checked_out' && r.checkout_expires_at !== null && r.checkout_expires_at <= now
            ? ('checked_in' as const)
            : r.status,
        requestedAt: r.requested_at,
        reason: r.reason,
        ticketId: r.ticket_id,
        checkoutExpiresAt: r.status === 'checked_out' ? r.checkout_expires_at : null,
      }));
    },

    /** Endpoint 11: the requests waiting for this caller's decision. */
    async waitingFor(caller: Caller): Promise<PasswordRequestView[]> {
      const rows = await repo.waiting(
        db,
        can(caller.principal, 'decidePasswordRequests') ? undefined : caller.principal.userId,
      );
      const visible: typeof rows = [];
      for (const r of rows) {
        if (r.requester_id === caller.principal.userId) continue;
        if (caller.principal.isSuperAdmin || (await sees(caller, r.account_id))) visible.push(r);
      }
      return visible.map((r) => ({
        requesterId: r.requester_id,
        requesterName: r.requester_name,
        requesterFullName: r.requester_full_name,
        accountId: r.account_id,
        accountName: r.account_name,
        resourceId: r.resource_id,
        resourceName: r.resource_name,
        status: r.status,
        requestedAt: r.requested_at,
        reason: r.reason,
        ticketId: r.ticket_id,
      }));
    },

    /** Endpoints 13 (approve) and 12 (reject). */
    async decide(caller: Caller, accountId: number, requesterId: number, approve: boolean): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const account = await accountForApprover(trx, caller, accountId);
        if (requesterId === caller.principal.userId) {
          throw new NotPermittedError('You cannot approve or reject your own password request');
        }
        const open = await repo.openRequest(trx, account.id, requesterId);
        if (!open) {
          throw new NotFoundError(
            `User with ID ${requesterId} has no open request for account ${account.name}`,
          );
        }
        if (open.status !== 'waiting') {
          throw new ConflictError(
            `The request of user with ID ${requesterId} for account ${account.name} was already approved`,
          );
        }
        const to = approve ? 'approved' : 'rejected';
        const changed = await repo.transition(trx, open.id, 'waiting', to, {
          decided_by: caller.principal.userId,
          decided_at: clock.now(),
        });
        if (!changed) throw new ConflictError('The request was decided by someone else meanwhile');
        await audit.append(
          trx,
          actorOf(caller),
          event(
            approve ? AuditOperation.passwordRequestApproved : AuditOperation.passwordRequestRejected,
            account,
            `Requested by user ID ${requesterId}`,
          ),
        );
      });
    },

    /** Endpoint 15: exclusive, for the approved requester, for `checkoutMinutes`. */
    async checkout(caller: Caller, accountId: number, reason: string | null): Promise<void> {
      await inTransaction(
        'The password is in use by another user; try again after it is checked in',
        async (trx) => {
          const account = await vault.requestableAccount(trx, caller, accountId);
          const now = clock.now();
          const holder = await repo.checkoutOf(trx, account.id);
          if (holder && holder.checkout_expires_at !== null && holder.checkout_expires_at <= now) {
            await expireCheckout(trx, holder);
          } else if (holder) {
            throw new ConflictError(
              holder.requester_id === caller.principal.userId
                ? `You have checked out account ${account.name} already`
                : `The password of account ${account.name} is in use by another user; try again after it is checked in`,
            );
          }
          const open = await repo.openRequest(trx, account.id, caller.principal.userId);
          if (open?.status === 'checked_out') {
            throw new ConflictError(`You have checked out account ${account.name} already`);
          }
          if (!open || open.status !== 'approved') {
            throw new NotPermittedError(
              open
                ? `Your request for account ${account.name} is not approved yet`
                : `You have no approved request for account ${account.name}; request it first`,
            );
          }
          const changed = await repo.transition(trx, open.id, 'approved', 'checked_out', {
            checked_out_at: now,
            checkout_expires_at: now + settings.checkoutMinutes * 60_000,
          });
          // A concurrent checkout of the same request committed first.
          if (!changed) throw new ConflictError(`You have checked out account ${account.name} already`);
          await audit.append(trx, actorOf(caller), event(AuditOperation.passwordCheckedOut, account, reason));
        },
      );
    },

    /** Endpoint 14: by the requester, or by an approver on their behalf. */
    async checkin(caller: Caller, accountId: number, requesterId: number): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const account =
          requesterId === caller.principal.userId
            ? await vault.requestableAccount(trx, caller, accountId)
            : await accountForApprover(trx, caller, accountId);
        const holder = await repo.checkoutOf(trx, account.id);
        if (!holder || holder.requester_id !== requesterId) {
          throw new NotFoundError(
            `Account ${account.name} is not checked out by user with ID ${requesterId}`,
          );
        }
        const changed = await repo.transition(trx, holder.id, 'checked_out', 'checked_in', {
          checked_in_at: clock.now(),
          checked_in_by: caller.principal.userId,
        });
        if (!changed) throw new ConflictError(`Account ${account.name} was checked in meanwhile`);
        await audit.append(trx, actorOf(caller), event(AuditOperation.passwordCheckedIn, account));
        if (settings.resetOnCheckin) await resetOnCheckin(trx, actorOf(caller), account);
      });
    },

    /**
     * Checks in every expired checkout (resetting the password if configured); the server runs it
     * periodically. Answers how many were closed.
     */
    async checkInExpired(): Promise<number> {
      const expired = await repo.expiredCheckouts(db, clock.now());
      for (const checkout of expired) {
        await db.transaction().execute((trx) => expireCheckout(trx, checkout));
      }
      return expired.length;
    },

    /**
     * The sweeper as a periodic job (ADR 024): {@link checkInExpired} a few seconds after each
     * run (half a checkout, between 1 and 30 seconds), run by exactly one node of the cluster at
     * a time. Each check-in is a conditional update anyway, so a run overlapping a manual
     * check-in cannot close a checkout twice.
     */
    registerJobs(jobs: JobRunner): void {
      const checkoutMs = settings.checkoutMinutes * 60_000;
      const everyMs = Math.max(1000, Math.min(30_000, Math.floor(checkoutMs / 2)));
      jobs.register(CHECK_IN_EXPIRED_JOB, async () => ({ checkedIn: await this.checkInExpired() }), {
        maxAttempts: 1,
      });
      jobs.every(CHECK_IN_EXPIRED_JOB, everyMs);
    },
  };
}
