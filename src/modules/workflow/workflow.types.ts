import type { Executor } from '../../platform/db/database.js';
import type { Caller } from '../../platform/principal.js';
import type { AuditActor } from '../audit/index.js';
import type { PasswordRequestStatus } from '../../platform/db/schema.js';

/** An account as the workflow sees it, after the vault checked the caller may view it. */
export interface RequestableAccount {
  readonly id: number;
  readonly name: string;
  readonly ownerId: number;
  readonly accessControl: boolean;
  readonly resource: { readonly id: number; readonly name: string; readonly ownerId: number };
}

/** A request as endpoint 11 lists it. */
export interface PasswordRequestView {
  readonly requesterId: number;
  readonly requesterName: string;
  readonly requesterFullName: string | null;
  readonly accountId: number;
  readonly accountName: string;
  readonly resourceId: number;
  readonly resourceName: string;
  readonly status: PasswordRequestStatus;
  readonly requestedAt: number;
  readonly reason: string | null;
  readonly ticketId: string | null;
}

export interface WorkflowSettings {
  /** How long a checkout lasts before it is checked in automatically. */
  readonly checkoutMinutes: number;
  /** Whether a check-in (by hand or automatic) changes the password to a fresh one. */
  readonly resetOnCheckin: boolean;
}

/** The words endpoint 11 shows for each status. */
export const STATUS_TEXT: Record<PasswordRequestStatus, string> = {
  waiting: 'Waiting for approval',
  approved: 'Approved',
  rejected: 'Rejected',
  checked_out: 'Checked out',
  checked_in: 'Checked in',
};

/** Statuses of a request that is still open (at most one per requester and account). */
export const OPEN_STATUSES: readonly PasswordRequestStatus[] = ['waiting', 'approved', 'checked_out'];

/** What the workflow needs from the vault (implemented there; injected by the composition root). */
export interface WorkflowVault {
  /** The account, if the caller may view it; the vault's not-visible answer otherwise. */
  requestableAccount(executor: Executor, caller: Caller, accountId: number): Promise<RequestableAccount>;
  /** The account without authorization (approvers, the sweeper); undefined if it does not exist. */
  accountById(executor: Executor, accountId: number): Promise<RequestableAccount | undefined>;
  /** Changes the password to a fresh one conforming to the account's policy (reset on check-in). */
  resetToGenerated(executor: Executor, actor: AuditActor, account: { id: number }): Promise<void>;
}

/**
 * Reset on check-in for accounts whose resource changes passwords on the target (remote reset
 * configured, ADR 028): the rotation runs on the target after the check-in commits, not in it.
 */
export interface CheckinRotation {
  /** Whether the account's password is changed on its target rather than only in the vault. */
  appliesTo(executor: Executor, account: RequestableAccount): Promise<boolean>;
  /** In the check-in's transaction: queues the rotation (a job that exists only if it commits). */
  queue(executor: Executor, actor: AuditActor, account: RequestableAccount): Promise<void>;
}
