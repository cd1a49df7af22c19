import type { Clock } from '../../platform/clock.js';
import type { Executor } from '../../platform/db/database.js';
import { NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { workflowRepository as repo } from './workflow.repository.js';

/** What the vault asks before it releases a password (a narrow view of the workflow). */
export interface CheckoutGate {
  /**
   * Resolves if the password may be released to the caller: the account is not under access
   * control, the caller owns it (or its resource), or holds a live checkout of it.
   */
  mayRelease(executor: Executor, caller: Caller, account: ControlledAccount): Promise<void>;
  /** Which of these accounts are checked out right now (`[In Use]` in the account list). */
  inUse(executor: Executor, accountIds: readonly number[]): Promise<ReadonlySet<number>>;
}

export interface ControlledAccount {
  readonly id: number;
  readonly name: string;
  readonly ownerId: number;
  readonly resourceOwnerId: number;
  readonly accessControl: boolean;
}

/**
 * Needs only the requests table and the clock, so the vault can depend on it while the workflow
 * service depends on the vault. An expired checkout releases nothing even before the sweeper
 * has closed it.
 */
export function createCheckoutGate({ clock }: { clock: Clock }): CheckoutGate {
  return {
    async mayRelease(executor, caller, account) {
      const { userId } = caller.principal;
      if (!account.accessControl || userId === account.ownerId || userId === account.resourceOwnerId) return;
      const holder = await repo.checkoutOf(executor, account.id);
      if (
        holder?.requester_id === userId &&
        holder.checkout_expires_at !== null &&
        holder.checkout_expires_at > clock.now()
      ) {
        return;
      }
      throw new NotPermittedError(
        `Account ${account.name} is under password access control: request its password (POST /restapi/json/v1/accounts/${account.id}/requestpassword) and check it out once approved`,
      );
    },
    async inUse(executor, accountIds) {
      return new Set(await repo.checkedOutAmong(executor, accountIds, clock.now()));
    },
  };
}
