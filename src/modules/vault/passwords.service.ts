import type { Executor } from '../../platform/db/database.js';
import { Secret } from '../../platform/crypto/secret.js';
import { TOTP_DEFAULTS } from '../../platform/crypto/totp.js';
import { NotFoundError, OperationNotAvailableError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { actorOf, AuditOperation, type AuditActor } from '../audit/index.js';
import { generatePassword, type PasswordPolicy } from '../policies/index.js';
import { eventOn } from './audit-events.js';
import { accountNotFound } from './authorization.js';
import type { EarlierPassword } from './release-gate.js';
import { sealedAt } from './sealing.js';
import { policyRefusal, type VaultContext } from './vault.context.js';
import { vaultRepository as repo, type AccountRow, type ResourceRow } from './vault.repository.js';
import type {
  AccessJustification,
  AccountView,
  ResetType,
  ResourceView,
  UploadedSecretFile,
} from './vault.types.js';

/**
 * Writing a password change (the replaced password to the history, sealed; the new one sealed; the
 * audit record) and the recent passwords the policy's reuse and similarity rules compare with. Used
 * by the local changes below and by the remote changes (remote-changes.ts, ADR 028).
 */
export function passwordChanges(ctx: VaultContext) {
  const { keyring, audit, clock, effectivePolicy, unseal } = ctx;

  /** Stores a new password: the old one to the history (sealed), the new one sealed, an audit record. */
  async function replacePassword(
    trx: Executor,
    actor: AuditActor,
    resource: ResourceRow,
    account: AccountRow,
    newPassword: Secret,
    why: AccessJustification,
  ): Promise<void> {
    const now = clock.now();
    if (account.password_sealed !== null) {
      const old = unseal(
        account.password_sealed,
        sealedAt.accountPassword(account.id),
        `password of account ${account.name}`,
      );
      const historyId = await repo.insertHistory(trx, account.id, now, actor.userId);
      await repo.setHistoryPassword(trx, historyId, keyring.seal(old, sealedAt.earlierPassword(historyId)));
    }
    await repo.setAccountPassword(
      trx,
      account.id,
      keyring.seal(newPassword.reveal(), sealedAt.accountPassword(account.id)),
      now,
    );
    await audit.append(trx, actor, eventOn(AuditOperation.passwordChanged, resource, account, why));
  }

  /**
   * The account's current password and its history, newest first, opened for the reuse and
   * similarity rules (at most `limit`). Stays inside the vault: the policy module only ever
   * sees the plain texts it compares, never sealed data or keys.
   */
  async function recentPasswords(trx: Executor, account: AccountRow, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const recent: string[] = [];
    if (account.password_sealed !== null) {
      recent.push(
        unseal(
          account.password_sealed,
          sealedAt.accountPassword(account.id),
          `password of account ${account.name}`,
        ).toString('utf8'),
      );
    }
    for (const row of await repo.listHistory(trx, account.id, limit)) {
      if (recent.length >= limit) break;
      if (row.password_sealed === null) continue;
      recent.push(
        unseal(row.password_sealed, sealedAt.earlierPassword(row.id), 'earlier password').toString('utf8'),
      );
    }
    return recent;
  }

  /** How many earlier passwords the policy compares a new one with. */
  const comparedCount = (rules: { reuseLast: number; checkSimilarity: boolean; similarityLast: number }) =>
    Math.max(rules.reuseLast, rules.checkSimilarity ? rules.similarityLast : 0);

  /**
   * A fresh password generated for the account's effective policy (returned beside it), never
   * one of its recent passwords.
   */
  async function generatedFor(
    executor: Executor,
    resource: ResourceRow,
    account: AccountRow,
  ): Promise<{ policy: PasswordPolicy; password: Secret }> {
    const policy = await effectivePolicy(executor, account.password_policy, resource);
    const previous = await recentPasswords(executor, account, comparedCount(policy.rules));
    return {
      policy,
      password: new Secret(generatePassword(policy.rules, { loginName: account.name, previous })),
    };
  }

  const freshPassword = async (executor: Executor, resource: ResourceRow, account: AccountRow) =>
    (await generatedFor(executor, resource, account)).password;

  return { replacePassword, recentPasswords, freshPassword, generatedFor, comparedCount };
}

/**
 * Passwords, TOTP codes and files: every release through the gate (ADR 018); changes keep the
 * replaced password, sealed, in the history.
 */
export function passwordOperations(
  ctx: VaultContext,
  accounts: {
    getAccountWithResource(
      caller: Caller,
      resourceId: number,
      accountId: number,
      why: AccessJustification,
    ): Promise<{ resource: ResourceView; account: AccountView }>;
  },
) {
  const { db, policies, gate, authorization, effectivePolicy, transaction } = ctx;
  const { authorizedAccount } = authorization;
  const { replacePassword, recentPasswords, freshPassword, generatedFor } = passwordChanges(ctx);

  return {
    /** GET PASSWORD: through the release gate (ADR 018). */
    async retrievePassword(
      caller: Caller,
      resourceId: number,
      accountId: number,
      why: AccessJustification,
    ): Promise<Secret> {
      return gate.release(caller, 'password', { resourceId, accountId }, why);
    },

    /** The console's copy and reveal: the account by id alone, its resource looked up. */
    async retrievePasswordOfAccount(
      caller: Caller,
      accountId: number,
      why: AccessJustification,
    ): Promise<Secret> {
      // An unknown account and one the caller may not see answer alike, naming only the
      // account id the caller gave (not the resource it belongs to).
      const resourceId = await repo.resourceIdOfAccount(db, accountId);
      if (resourceId === undefined) throw accountNotFound(accountId);
      try {
        return await gate.release(caller, 'password', { resourceId, accountId }, why);
      } catch (err) {
        if (err instanceof NotFoundError) throw accountNotFound(accountId);
        throw err;
      }
    },

    /** Account details with the password (getResourceAccountDetails): audited as a retrieval. */
    async retrieveAccountWithPassword(
      caller: Caller,
      resourceId: number,
      accountId: number,
      why: AccessJustification,
    ) {
      // The password first: the gate decides before any detail is shown.
      const password = await gate.release(caller, 'accountDetails', { resourceId, accountId }, why);
      const { resource, account } = await accounts.getAccountWithResource(caller, resourceId, accountId, why);
      return { resource, account, password };
    },

    async changePassword(
      caller: Caller,
      resourceId: number,
      accountId: number,
      newPassword: Secret,
      resetType: ResetType,
      why: AccessJustification,
    ): Promise<void> {
      await transaction(async (trx) => {
        const { resource, account } = await authorizedAccount(trx, caller, resourceId, accountId, 'modify');
        if (resetType === 'REMOTE') {
          throw new OperationNotAvailableError(
            `Remote password reset is not configured for resource ${resource.name}; use RESETTYPE LOCAL to change the password stored in the vault`,
          );
        }
        const policy = await effectivePolicy(trx, account.password_policy, resource);
        const previous = await recentPasswords(
          trx,
          account,
          Math.max(policy.rules.reuseLast, policy.rules.checkSimilarity ? policy.rules.similarityLast : 0),
        );
        const problem = policies.violation(policy, newPassword, { loginName: account.name, previous });
        if (problem !== undefined) throw policyRefusal(policy.name, problem);
        await replacePassword(trx, actorOf(caller), resource, account, newPassword, why);
      }, 'the password was changed concurrently; try again');
    },

    /**
     * The policy a new password of the account must follow (its own, its resource's, a group's,
     * else the default), to a caller who may change the password (modify): the change dialog's hint.
     */
    async passwordPolicyOf(caller: Caller, resourceId: number, accountId: number): Promise<PasswordPolicy> {
      const { resource, account } = await authorizedAccount(db, caller, resourceId, accountId, 'modify');
      return effectivePolicy(db, account.password_policy, resource);
    },

    /**
     * A fresh password for the account under its effective policy, never one of its recent
     * passwords nor containing its login name where the policy forbids it, to a caller who may
     * change the password (modify). Nothing is stored: the caller then changes the password.
     */
    async generatePasswordFor(
      caller: Caller,
      resourceId: number,
      accountId: number,
    ): Promise<{ policy: PasswordPolicy; password: Secret }> {
      const { resource, account } = await authorizedAccount(db, caller, resourceId, accountId, 'modify');
      return generatedFor(db, resource, account);
    },

    /**
     * For the workflow (reset on check-in): a fresh password generated for the account's effective
     * policy, never one of its recent passwords, stored like a change and audited as `actor`.
     */
    async resetToGenerated(executor: Executor, actor: AuditActor, target: { id: number }): Promise<void> {
      const resourceId = await repo.resourceIdOfAccount(executor, target.id);
      const resource = resourceId === undefined ? undefined : await repo.findResource(executor, resourceId);
      const account = resource && (await repo.findAccount(executor, resource.id, target.id));
      if (!resource || !account) return;
      const fresh = await freshPassword(executor, resource, account);
      await replacePassword(executor, actor, resource, account, fresh, {
        reason: 'Reset on check-in',
        ticketId: null,
      });
    },

    /**
     * Earlier passwords of an account, newest first (sealed at rest like the current one), through
     * the release gate like the current one (ADR 018; full access needed).
     */
    async passwordHistory(
      caller: Caller,
      resourceId: number,
      accountId: number,
      why: AccessJustification,
    ): Promise<EarlierPassword[]> {
      return gate.release(caller, 'passwordHistory', { resourceId, accountId }, why);
    },

    /** Endpoint 91: the account's current TOTP code, through the release gate (ADR 018). */
    async currentTotp(caller: Caller, accountId: number, why: AccessJustification): Promise<Secret> {
      const resourceId = await repo.resourceIdOfAccount(db, accountId);
      if (resourceId === undefined) throw accountNotFound(accountId);
      return gate.release(caller, 'totp', { resourceId, accountId }, why);
    },

    /**
     * The period of an account's TOTP and the seconds its current code has left: no secret, for
     * the console's countdown beside a code it was just released.
     */
    async totpTiming(accountId: number): Promise<{ period: number; validForSeconds: number }> {
      const resourceId = await repo.resourceIdOfAccount(db, accountId);
      const account =
        resourceId === undefined ? undefined : await repo.findAccount(db, resourceId, accountId);
      const period = Number(account?.totp_period ?? TOTP_DEFAULTS.period);
      const seconds = Math.floor(ctx.clock.now() / 1000);
      return { period, validForSeconds: period - (seconds % period) };
    },

    /** downloadfile: through the release gate (ADR 018). */
    async downloadFile(
      caller: Caller,
      resourceId: number,
      accountId: number,
      why: AccessJustification,
    ): Promise<UploadedSecretFile> {
      return gate.release(caller, 'file', { resourceId, accountId }, why);
    },
  };
}
