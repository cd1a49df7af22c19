import type { Executor } from '../../platform/db/database.js';
import { TOTP_DEFAULTS } from '../../platform/crypto/totp.js';
import { InvalidInputError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { actorOf, AuditOperation, type AuditEvent } from '../audit/index.js';
import type { PasswordPolicy } from '../policies/index.js';
import { eventOn } from './audit-events.js';
import type { CustomFields } from './custom-fields.js';
import { sealedAt } from './sealing.js';
import { flagColumns, policyRefusal, type VaultContext } from './vault.context.js';
import { vaultRepository as repo } from './vault.repository.js';
import { nameKey, type NewAccount, type TotpInput } from './vault.types.js';

export type AccountRecords = ReturnType<typeof createAccountRecords>;

/** Shared by the accounts of one bulk add (see insertAccount). */
export interface AccountBatch {
  readonly policies: Map<string | null, PasswordPolicy>;
  readonly events: AuditEvent[];
}

/** Writing a new account (password, fields, TOTP, file, groups, audit) and its TOTP columns. */
export function createAccountRecords(ctx: VaultContext, { applyCustomFields }: CustomFields) {
  const { keyring, audit, policies, groups, canonicalPolicy, effectivePolicy } = ctx;

  /**
   * The column values a TOTP input sets: an empty secret clears all four; a new secret takes the
   * parameters given, the defaults (SHA1, 6 digits, 30 s) for the others; parameters alone change
   * an existing TOTP's parameters.
   */
  function totpColumns(accountId: number, accountName: string, input: TotpInput, hasSecret: boolean) {
    if (input.secret === null) {
      return { totp_secret_sealed: null, totp_algorithm: null, totp_digits: null, totp_period: null };
    }
    if (input.secret === undefined) {
      if (!hasSecret) {
        throw new InvalidInputError(
          `Account ${accountName} has no TOTP: give TOTP_SECRET with TOTP_ALGORITHM, TOTP_DIGITS or TOTP_VALIDITY`,
        );
      }
      const update: Record<string, unknown> = {};
      if (input.algorithm !== undefined) update.totp_algorithm = input.algorithm;
      if (input.digits !== undefined) update.totp_digits = input.digits;
      if (input.period !== undefined) update.totp_period = input.period;
      return update;
    }
    return {
      totp_secret_sealed: keyring.seal(input.secret, sealedAt.totpSecret(accountId)),
      totp_algorithm: input.algorithm ?? TOTP_DEFAULTS.algorithm,
      totp_digits: input.digits ?? TOTP_DEFAULTS.digits,
      totp_period: input.period ?? TOTP_DEFAULTS.period,
    };
  }

  /**
   * `batch`, when adding many accounts to one resource in one transaction: the effective
   * policies already looked up, and the audit events to append together at the end (one
   * append instead of one per account; on PostgreSQL the chain head's row lock is then held
   * for the end of the transaction only, not across every account).
   */
  async function insertAccount(
    trx: Executor,
    caller: Caller,
    resource: { id: number; name: string; password_policy: string | null },
    account: NewAccount,
    now: number,
    batch?: AccountBatch,
  ): Promise<number> {
    const flags = flagColumns(account.flags);
    const accountPolicy =
      account.passwordPolicy === null
        ? null
        : await canonicalPolicy(trx, account.passwordPolicy, 'ACCOUNTPASSWORDPOLICY');
    let policy = batch?.policies.get(accountPolicy);
    if (policy === undefined) {
      policy = await effectivePolicy(trx, accountPolicy, resource);
      batch?.policies.set(accountPolicy, policy);
    }
    const problem = policies.violation(policy, account.password, { loginName: account.name });
    if (problem !== undefined) throw policyRefusal(policy.name, problem);
    const accountId = await repo.insertAccount(trx, {
      resource_id: resource.id,
      name: account.name,
      name_key: nameKey(account.name),
      password_sealed: null,
      password_policy: accountPolicy,
      description: account.description,
      notes: account.notes,
      owner_id: caller.principal.userId,
      ...flags,
      created_at: now,
      modified_at: now,
      password_changed_at: now,
    });
    // The password is sealed bound to the new row's id, known only after the insert.
    await repo.setAccountPassword(
      trx,
      accountId,
      keyring.seal(account.password.reveal(), sealedAt.accountPassword(accountId)),
      now,
    );
    await applyCustomFields(trx, 'account', accountId, account.customFields);
    if (account.groupIds && account.groupIds.length > 0) {
      await groups.addAccount(trx, caller, accountId, account.groupIds);
    }
    if (account.totp) {
      await repo.updateAccount(trx, accountId, totpColumns(accountId, account.name, account.totp, false));
    }
    if (account.file) {
      await repo.insertFile(trx, {
        accountId,
        fileName: account.file.fileName,
        contentType: account.file.contentType,
        size: account.file.content.length,
        sealed: keyring.seal(account.file.content, sealedAt.file(accountId)),
        at: now,
      });
    }
    const added = eventOn(AuditOperation.accountAdded, resource, { id: accountId, name: account.name });
    if (batch) batch.events.push(added);
    else await audit.append(trx, actorOf(caller), added);
    return accountId;
  }

  return { totpColumns, insertAccount };
}
