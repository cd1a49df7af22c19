import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { ConflictError, InvalidInputError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import type { RequestableAccount } from '../workflow/index.js';
import { actorOf, AuditOperation } from '../audit/index.js';
import type { AccountBatch, AccountRecords } from './account-records.js';
import { eventOn } from './audit-events.js';
import { accountNotFound } from './authorization.js';
import type { CustomFields } from './custom-fields.js';
import { flagColumns, requestable, type VaultContext } from './vault.context.js';
import { vaultRepository as repo } from './vault.repository.js';
import {
  ACCOUNT_EXISTS,
  nameKey,
  type AccessJustification,
  type AccountDraft,
  type AccountPatch,
  type AccountView,
  type AddAccountOutcome,
  type NewAccount,
  type ResourceView,
} from './vault.types.js';
import type { Views } from './views.js';

/** Accounts of a resource: reading, adding, editing, deleting; the workflow's view of them. */
export function accountOperations(
  ctx: VaultContext,
  { applyCustomFields }: CustomFields,
  { resourceView, accountView }: Views,
  { totpColumns, insertAccount }: AccountRecords,
) {
  const { db, audit, clock, groups, authorization, canonicalPolicy, transaction } = ctx;
  const { authorizedResource, authorizedAccount } = authorization;

  return {
    /**
     * GET account details: the account alone. Its resource's view is not built: it would release
     * (and audit) the resource's Password-type additional fields, which this answer does not show.
     */
    async getAccount(
      caller: Caller,
      resourceId: number,
      accountId: number,
    ): Promise<{ account: AccountView }> {
      const { resource, account } = await authorizedAccount(db, caller, resourceId, accountId, 'view');
      return { account: await accountView(db, account, resource, caller) };
    },

    /**
     * getResourceAccountDetails: the account and its resource, both shown; the caller's reason
     * and ticket also release the account's Password-type additional fields.
     */
    async getAccountWithResource(
      caller: Caller,
      resourceId: number,
      accountId: number,
      why: AccessJustification,
    ): Promise<{ resource: ResourceView; account: AccountView }> {
      const { resource: resourceRow, account: accountRow } = await authorizedAccount(
        db,
        caller,
        resourceId,
        accountId,
        'view',
      );
      const account = await accountView(db, accountRow, resourceRow, caller, why);
      const resource = await resourceView(db, resourceRow, caller);
      return { resource, account };
    },

    /**
     * Adds accounts one by one: each entry gets its own outcome (a duplicate or a bad entry
     * does not stop the others), all in one transaction.
     */
    async addAccounts(
      caller: Caller,
      resourceId: number,
      drafts: readonly AccountDraft[],
    ): Promise<AddAccountOutcome[]> {
      return transaction(async (trx) => {
        const resource = await authorizedResource(trx, caller, resourceId, 'full');
        const now = clock.now();
        const outcomes: AddAccountOutcome[] = [];
        const batch: AccountBatch = { policies: new Map(), events: [] };
        // The names already taken, read once for the whole list rather than once per entry.
        const taken = await repo.takenAccountNames(
          trx,
          resourceId,
          drafts.flatMap((d) => (d.ok ? [nameKey(d.account.name)] : [])),
        );
        for (const draft of drafts) {
          if (!draft.ok) {
            outcomes.push({ name: draft.name, added: false, reason: draft.reason });
            continue;
          }
          const key = nameKey(draft.account.name);
          if (taken.has(key)) {
            outcomes.push({
              name: draft.account.name,
              added: false,
              reason: ACCOUNT_EXISTS,
            });
            continue;
          }
          // An entry refused half-way leaves nothing behind: one that writes more than the account
          // row and its password (fields, groups, TOTP, a file: each can be refused after the
          // insert) runs in a savepoint. A plain entry is refused, if at all, before its insert.
          const savepoint = writesBeyondTheRow(draft.account);
          if (savepoint) await sql`savepoint add_account`.execute(trx);
          try {
            const accountId = await insertAccount(trx, caller, resource, draft.account, now, batch);
            if (savepoint) await sql`release savepoint add_account`.execute(trx);
            taken.add(key);
            outcomes.push({ name: draft.account.name, added: true, accountId });
          } catch (err) {
            if (savepoint) {
              await sql`rollback to savepoint add_account`.execute(trx);
              await sql`release savepoint add_account`.execute(trx);
            }
            if (!(err instanceof InvalidInputError)) throw err;
            outcomes.push({ name: draft.account.name, added: false, reason: err.message });
          }
        }
        if (batch.events.length > 0) await audit.append(trx, actorOf(caller), ...batch.events);
        return outcomes;
      }, 'an account with that name was added concurrently; try again');
    },

    async editAccount(
      caller: Caller,
      resourceId: number,
      accountId: number,
      patch: AccountPatch,
    ): Promise<string> {
      return transaction(
        async (trx) => {
          const { resource, account } = await authorizedAccount(trx, caller, resourceId, accountId, 'full');
          const update: Record<string, unknown> = {};
          if (patch.name !== undefined && patch.name !== account.name) {
            if (await repo.accountNameTaken(trx, resourceId, nameKey(patch.name), accountId)) {
              throw new ConflictError(`Account ${patch.name} already exists in resource ${resource.name}`);
            }
            update.name = patch.name;
            update.name_key = nameKey(patch.name);
          }
          if (patch.passwordPolicy !== undefined)
            update.password_policy = await canonicalPolicy(
              trx,
              patch.passwordPolicy,
              'ACCOUNTPASSWORDPOLICY',
            );
          if (patch.description !== undefined) update.description = patch.description;
          if (patch.notes !== undefined) update.notes = patch.notes;
          Object.assign(update, flagColumns(patch.flags ?? {}));
          if (patch.groupIds && patch.groupIds.length > 0) {
            await groups.addAccount(trx, caller, accountId, patch.groupIds);
          }
          if (patch.totp) {
            Object.assign(
              update,
              totpColumns(accountId, account.name, patch.totp, account.totp_secret_sealed !== null),
            );
          }
          update.modified_at = clock.now();
          await repo.updateAccount(trx, accountId, update);
          await applyCustomFields(trx, 'account', accountId, patch.customFields ?? []);
          const name = patch.name ?? account.name;
          await audit.append(
            trx,
            actorOf(caller),
            eventOn(AuditOperation.accountModified, resource, { id: accountId, name }),
          );
          return name;
        },
        `Account ${patch.name ?? ''} already exists`,
      );
    },

    async deleteAccount(caller: Caller, resourceId: number, accountId: number): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const { resource, account } = await authorizedAccount(trx, caller, resourceId, accountId, 'full');
        await repo.deleteAccount(trx, accountId);
        await audit.append(trx, actorOf(caller), eventOn(AuditOperation.accountDeleted, resource, account));
        return account.name;
      });
    },

    /** For the workflow: an account the caller may view (the vault's not-visible answers otherwise). */
    async requestableAccount(
      executor: Executor,
      caller: Caller,
      accountId: number,
    ): Promise<RequestableAccount> {
      const resourceId = await repo.resourceIdOfAccount(executor, accountId);
      if (resourceId === undefined) throw accountNotFound(accountId);
      const { resource, account } = await authorizedAccount(executor, caller, resourceId, accountId, 'view');
      return requestable(account, resource);
    },

    /** For the workflow's approvers and sweeper: an account by id, without authorization. */
    async accountById(executor: Executor, accountId: number): Promise<RequestableAccount | undefined> {
      const resourceId = await repo.resourceIdOfAccount(executor, accountId);
      if (resourceId === undefined) return undefined;
      const [resource, account] = [
        await repo.findResource(executor, resourceId),
        await repo.findAccount(executor, resourceId, accountId),
      ];
      return resource && account ? requestable(account, resource) : undefined;
    },
  };
}

/** Whether adding the account writes more than its row and password (see addAccounts). */
function writesBeyondTheRow(account: NewAccount): boolean {
  return (
    account.customFields.length > 0 ||
    (account.groupIds?.length ?? 0) > 0 ||
    account.totp !== undefined ||
    account.file !== undefined
  );
}
