import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { Keyring, SealContext } from '../../platform/crypto/keyring.js';
import { Secret } from '../../platform/crypto/secret.js';
import { TOTP_DEFAULTS } from '../../platform/crypto/totp.js';
import {
  ConflictError,
  InvalidInputError,
  MissingFieldError,
  NotFoundError,
  NotPermittedError,
  OperationNotAvailableError,
} from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { can, type AccessPolicy } from '../access/index.js';
import type { CheckoutGate, RequestableAccount } from '../workflow/index.js';
import type { GroupMembership } from '../resource-groups/index.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import type { UserDirectory } from '../identity/index.js';
import { generatePassword, type PolicyCatalog } from '../policies/index.js';
import type { TicketSystem } from '../ticketing/index.js';
import { findResourceType, type ResourceTypeDefinition } from './resource-types.js';
import { eventOn } from './audit-events.js';
import { accountNotFound, createVaultAuthorization } from './authorization.js';
import { createReleaseGate, type EarlierPassword } from './release-gate.js';
import { sealedAt, unsealWith } from './sealing.js';
import {
  vaultRepository as repo,
  controlsOf,
  type AccountRow,
  type CustomFieldRow,
  type ResourceRow,
  type SearchFilter,
} from './vault.repository.js';
import {
  ACCOUNT_EXISTS,
  ACCOUNT_FLAGS,
  CUSTOM_FIELD_COLUMN_PREFIX,
  LIMITS,
  nameKey,
  type AccessJustification,
  type AccountFlagName,
  type AccountPatch,
  type AccountSummary,
  type AccountView,
  type AddAccountOutcome,
  type CustomFieldInput,
  type CustomFieldType,
  type CustomFieldValue,
  type NewAccount,
  type ResourceFields,
  type ResourcePatch,
  type ResourceSummary,
  type ShareableObject,
  type ResourceView,
  type TotpInput,
  type UploadedSecretFile,
} from './vault.types.js';

export interface VaultServiceDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly policies: PolicyCatalog;
  readonly users: UserDirectory;
  readonly clock: Clock;
  /** Asked before any password of an access-controlled account leaves (the workflow module). */
  readonly checkouts: CheckoutGate;
  /** Validates ticket ids of retrievals from accounts that ask for one (ADR 010). */
  readonly tickets: TicketSystem;
  /** Resource groups: RESOURCEGROUPNAME, ACCOUNT_RESOURCE_GROUP_IDS, the group policy (ADR 012). */
  readonly groups: GroupMembership;
}

/** An entry of an ADD ACCOUNTS request: readable, or refused with the reason. */
export type AccountDraft =
  | { readonly ok: true; readonly account: NewAccount }
  | { readonly ok: false; readonly name: string; readonly reason: string };

export type ResetType = 'LOCAL' | 'REMOTE';

/**
 * The spellings of one name a lookup should try, most literal first; the first is the name
 * as shown in messages. A path segment has two: decoded as a path (`+` is a plus) and as a
 * form value (`+` is a space, `%2B` a plus), since clients encode names both ways.
 */
export type NameCandidates = readonly [string, ...string[]];

export type VaultService = ReturnType<typeof createVaultService>;

const ACCESS_OPERATIONS = [AuditOperation.passwordRetrieved, AuditOperation.fileDownloaded] as const;

/**
 * Resources, their accounts, passwords, files and additional fields. Every operation
 * authorises the caller on the object first (an object the caller may not see answers exactly
 * like one that does not exist), then acts in one transaction that also writes the audit
 * record. Reads of secrets are audited before the secret is returned.
 */
export function createVaultService(deps: VaultServiceDeps) {
  const { database, keyring, audit, access, policies, users, clock, checkouts, tickets, groups } = deps;
  const authorization = createVaultAuthorization(access);
  /** Every release of secret material goes through it (ADR 018). */
  const gate = createReleaseGate({
    keyring,
    audit,
    access,
    clock,
    checkouts,
    tickets,
    authorization,
    executor: database.db,
  });

  /**
   * The policy that governs an account: its own, else its resource's, else that of the first
   * resource group (by id) holding the resource that names one (ADR 012), else the default.
   */
  async function effectivePolicy(
    executor: Executor,
    accountPolicy: string | null,
    resource: { id: number; password_policy: string | null },
  ) {
    const groupPolicy =
      accountPolicy === null && resource.password_policy === null
        ? await groups.policyOf(executor, resource.id)
        : undefined;
    return policies.effective(executor, [accountPolicy, resource.password_policy, groupPolicy]);
  }
  const db = database.db;

  const { resourceIsVisible, visibleResource, authorizedResource, authorizedAccount } = authorization;
  const unseal = (envelope: Buffer, context: SealContext, what: string): Buffer =>
    unsealWith(keyring, envelope, context, what);

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

  function requestable(account: AccountRow, resource: ResourceRow): RequestableAccount {
    return {
      id: account.id,
      name: account.name,
      ownerId: account.owner_id,
      accessControl: account.access_control === 1,
      resource: { id: resource.id, name: resource.name, ownerId: resource.owner_id },
    };
  }

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

  // ---- views ---------------------------------------------------------------------------

  async function customFieldValues(executor: Executor, kind: 'resource' | 'account', ownerId: number) {
    const rows = await repo.listCustomFields(executor, kind, ownerId);
    return presentCustomFields(rows, storedCustomValue);
  }

  async function resourceView(executor: Executor, row: ResourceRow): Promise<ResourceView> {
    return {
      id: row.id,
      name: row.name,
      type: row.resource_type,
      dnsName: row.dns_name,
      description: row.description,
      department: row.department,
      location: row.location,
      url: row.url,
      passwordPolicy: (await effectivePolicy(executor, null, row)).name,
      ownerName: row.owner_name,
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
      customFields: await customFieldValues(executor, 'resource', row.id),
    };
  }

  async function accountView(
    executor: Executor,
    row: AccountRow,
    resource: ResourceRow,
  ): Promise<AccountView> {
    const flags = {} as Record<AccountFlagName, boolean>;
    for (const [name, column] of Object.entries(ACCOUNT_FLAGS) as [
      AccountFlagName,
      (typeof ACCOUNT_FLAGS)[AccountFlagName],
    ][]) {
      flags[name] = row[column] === 1;
    }
    return {
      inUse: row.access_control === 1 && (await checkouts.inUse(executor, [row.id])).has(row.id),
      id: row.id,
      resourceId: row.resource_id,
      name: row.name,
      description: row.description,
      notes: row.notes,
      passwordPolicy: (await effectivePolicy(executor, row.password_policy, resource)).name,
      ownerName: row.owner_name,
      flags,
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
      passwordChangedAt: row.password_changed_at,
      lastAccessedAt: await audit.lastOperationAt(row.id, ACCESS_OPERATIONS),
      hasFile: await repo.hasFile(executor, row.id),
      customFields: await customFieldValues(executor, 'account', row.id),
    };
  }

  /** Password-type additional fields are secrets: showing them is an audited access. */
  async function auditRevealedFields(
    caller: Caller,
    fields: readonly CustomFieldValue[],
    resource: { id: number; name: string },
    account?: { id: number; name: string },
  ) {
    const revealed = fields.filter((f) => f.type === 'Password').map((f) => f.label);
    if (revealed.length === 0) return;
    const reason = `Fields: ${revealed.join(', ')}`.slice(0, LIMITS.reason);
    await audit.recordAccess(
      actorOf(caller),
      eventOn(AuditOperation.customFieldRetrieved, resource, account, { reason, ticketId: null }),
    );
  }

  // ---- writes: shared pieces -----------------------------------------------------------

  async function canonicalPolicy(executor: Executor, name: string, field: string): Promise<string> {
    const policy = await policies.resolve(executor, name);
    if (policy === undefined)
      throw new InvalidInputError(`${field}: there is no password policy named "${name}"`);
    return policy;
  }

  /** A password refused by its policy: the rule it breaks, never the password. */
  function policyRefusal(policyName: string, problem: string): InvalidInputError {
    return new InvalidInputError(
      `The password does not satisfy the password policy ${policyName}: ${problem}`,
      40020,
    );
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

  function resourceType(name: string): ResourceTypeDefinition {
    const type = findResourceType(name);
    if (!type) {
      throw new InvalidInputError(
        `RESOURCETYPE "${name}" is not a known resource type; GET /restapi/json/v1/resources/resourcetypes lists them`,
      );
    }
    return type;
  }

  /** Adds or updates additional fields by label (case-insensitive), keeping the others. */
  async function applyCustomFields(
    trx: Executor,
    kind: 'resource' | 'account',
    ownerId: number,
    inputs: readonly CustomFieldInput[],
  ) {
    if (inputs.length === 0) return;
    const existing = await repo.listCustomFields(trx, kind, ownerId);
    const byLabel = new Map(existing.map((row) => [row.label_key, row]));
    let nextPosition = existing.reduce((max, row) => Math.max(max, row.position), 0) + 1;
    const seen = new Set<string>();
    for (const input of inputs) {
      const labelKey = nameKey(input.label);
      if (seen.has(labelKey))
        throw new InvalidInputError(`the additional field "${input.label}" is given twice`);
      seen.add(labelKey);
      const current = byLabel.get(labelKey);
      const type = input.type ?? (current?.field_type as CustomFieldType | undefined) ?? 'Character';
      // No CUSTOMVALUE on an existing field keeps its value (a change of type only).
      const value = input.value?.reveal() ?? (current ? storedCustomValue(current) : '');
      validateCustomValue(input.label, type, value);
      let rowId = current?.id;
      if (rowId === undefined) {
        if (byLabel.size + 1 > LIMITS.customFieldsPerObject) {
          throw new InvalidInputError(
            `a ${kind} can have at most ${LIMITS.customFieldsPerObject} additional fields`,
          );
        }
        rowId = await repo.insertCustomField(trx, {
          owner_kind: kind,
          owner_id: ownerId,
          position: nextPosition++,
          label: input.label,
          label_key: labelKey,
          field_type: type,
          value_text: null,
          value_sealed: null,
        });
        byLabel.set(labelKey, { id: rowId } as CustomFieldRow);
      }
      const secretType = type === 'Password';
      await repo.updateCustomField(trx, rowId, {
        field_type: type,
        value_text: secretType ? null : value,
        value_sealed: secretType ? keyring.seal(value, sealedAt.customField(rowId)) : null,
      });
    }
  }

  function storedCustomValue(row: CustomFieldRow): string {
    if (row.value_sealed === null) return row.value_text ?? '';
    return unseal(row.value_sealed, sealedAt.customField(row.id), `additional field ${row.label}`).toString(
      'utf8',
    );
  }

  async function insertAccount(
    trx: Executor,
    caller: Caller,
    resource: { id: number; name: string; password_policy: string | null },
    account: NewAccount,
    now: number,
  ): Promise<number> {
    const flags = flagColumns(account.flags);
    const accountPolicy =
      account.passwordPolicy === null
        ? null
        : await canonicalPolicy(trx, account.passwordPolicy, 'ACCOUNTPASSWORDPOLICY');
    const policy = await effectivePolicy(trx, accountPolicy, resource);
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
    await audit.append(
      trx,
      actorOf(caller),
      eventOn(AuditOperation.accountAdded, resource, { id: accountId, name: account.name }),
    );
    return accountId;
  }

  async function transaction<T>(work: (trx: Executor) => Promise<T>, conflictMessage: string): Promise<T> {
    try {
      return await db.transaction().execute(work);
    } catch (err) {
      // Two writers racing for one name on PostgreSQL: the constraint decides, the loser hears why.
      if (isUniqueViolation(err)) throw new ConflictError(conflictMessage);
      throw err;
    }
  }

  /**
   * Looks a name up under each spelling a client may have meant, in order: the candidates
   * given (see NameCandidates), then each with `+` read as a space (names arrive with spaces
   * as %20 or as +; a literal + is tried first).
   */
  async function findByName<T>(
    lookup: (name: string) => Promise<T | undefined>,
    candidates: NameCandidates,
  ): Promise<T | undefined> {
    const spellings = new Set<string>();
    for (const name of candidates) spellings.add(name);
    for (const name of candidates) if (name.includes('+')) spellings.add(name.replaceAll('+', ' '));
    for (const name of spellings) {
      const found = await lookup(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  // ---- the service ----------------------------------------------------------------------

  return {
    async listResources(caller: Caller, search?: SearchFilter): Promise<ResourceSummary[]> {
      const scope = access.resourceScope(caller.principal);
      const [rows, reach] = await Promise.all([
        repo.listResources(db, scope, search),
        access.listingReach(db, caller.principal),
      ]);
      // A resource seen through some of its accounts counts only those.
      const summaries: ResourceSummary[] = rows.map((r) => ({
        id: r.id,
        name: r.name,
        type: r.resource_type,
        description: r.description,
        dnsName: r.dns_name,
        accountCount: reach(r.id, Number(r.account_count)),
      }));
      return summaries;
    },

    async getResource(
      caller: Caller,
      resourceId: number,
    ): Promise<{ resource: ResourceView; accounts: AccountSummary[] }> {
      const { resource: row, reach } = await visibleResource(db, caller, resourceId);
      const resource = await resourceView(db, row);
      const accounts = (await repo.listAccounts(db, resourceId))
        .filter((a) => reach === 'all' || reach.has(a.id))
        .map((a) => ({ id: a.id, name: a.name, controls: controlsOf(a) }));
      const inUse = await checkouts.inUse(
        db,
        accounts.filter((a) => a.controls.accessControl).map((a) => a.id),
      );
      await auditRevealedFields(caller, resource.customFields, resource);
      return { resource, accounts: accounts.map((a) => ({ ...a, inUse: inUse.has(a.id) })) };
    },

    async getAccount(
      caller: Caller,
      resourceId: number,
      accountId: number,
    ): Promise<{ resource: ResourceView; account: AccountView }> {
      const { resource: resourceRow, account: accountRow } = await authorizedAccount(
        db,
        caller,
        resourceId,
        accountId,
        'view',
      );
      const account = await accountView(db, accountRow, resourceRow);
      const resource = await resourceView(db, resourceRow);
      await auditRevealedFields(caller, account.customFields, resource, account);
      return { resource, account };
    },

    /** GET PASSWORD: through the release gate (ADR 018). */
    async retrievePassword(
      caller: Caller,
      resourceId: number,
      accountId: number,
      why: AccessJustification,
    ): Promise<Secret> {
      return gate.release(caller, 'password', { resourceId, accountId }, why);
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
      const { resource, account } = await this.getAccount(caller, resourceId, accountId);
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
     * For the workflow (reset on check-in): a fresh password generated for the account's effective
     * policy, never one of its recent passwords, stored like a change and audited as `actor`.
     */
    async resetToGenerated(executor: Executor, actor: AuditActor, target: { id: number }): Promise<void> {
      const resourceId = await repo.resourceIdOfAccount(executor, target.id);
      const resource = resourceId === undefined ? undefined : await repo.findResource(executor, resourceId);
      const account = resource && (await repo.findAccount(executor, resource.id, target.id));
      if (!resource || !account) return;
      const policy = await effectivePolicy(executor, account.password_policy, resource);
      const previous = await recentPasswords(
        executor,
        account,
        Math.max(policy.rules.reuseLast, policy.rules.checkSimilarity ? policy.rules.similarityLast : 0),
      );
      const fresh = new Secret(generatePassword(policy.rules, { loginName: account.name, previous }));
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

    async createResource(
      caller: Caller,
      fields: ResourceFields,
      firstAccount: NewAccount,
      ownerName: string | undefined,
      groupName?: string,
    ): Promise<{ resourceId: number; accountId: number }> {
      const type = resourceType(fields.type);
      if (type.name === 'File Store' && !firstAccount.file) {
        throw new MissingFieldError(
          'file',
          'for a File Store resource (send it as multipart/form-data, part "file")',
        );
      }
      return transaction(async (trx) => {
        if (await repo.resourceNameTaken(trx, nameKey(fields.name))) {
          throw new ConflictError(`Resource ${fields.name} already exists`);
        }
        let ownerId = caller.principal.userId;
        if (ownerName !== undefined && nameKey(ownerName) !== nameKey(caller.principal.username)) {
          if (!can(caller.principal, 'assignOwners')) {
            throw new NotPermittedError(
              'Only administrators may create resources owned by another user (OWNERNAME)',
            );
          }
          const owner = await users.findByName(trx, ownerName);
          if (!owner) throw new InvalidInputError(`OWNERNAME: there is no user named ${ownerName}`);
          ownerId = owner.id;
        }
        const now = clock.now();
        // Without RESOURCEPASSWORDPOLICY, none of its own: a resource group's policy, else the
        // default, applies (ADR 012).
        const resourcePolicy =
          fields.passwordPolicy === null
            ? null
            : await canonicalPolicy(trx, fields.passwordPolicy, 'RESOURCEPASSWORDPOLICY');
        const resourceId = await repo.insertResource(trx, {
          name: fields.name,
          name_key: nameKey(fields.name),
          resource_type: type.name,
          dns_name: fields.dnsName,
          description: fields.description,
          department: fields.department,
          location: fields.location,
          url: fields.url,
          password_policy: resourcePolicy,
          owner_id: ownerId,
          created_at: now,
          modified_at: now,
        });
        await applyCustomFields(trx, 'resource', resourceId, fields.customFields);
        await audit.append(
          trx,
          actorOf(caller),
          eventOn(AuditOperation.resourceAdded, { id: resourceId, name: fields.name }),
        );
        if (groupName !== undefined) await groups.addCreatedResource(trx, caller, resourceId, groupName);
        const accountId = await insertAccount(
          trx,
          caller,
          { id: resourceId, name: fields.name, password_policy: resourcePolicy },
          firstAccount,
          now,
        );
        return { resourceId, accountId };
      }, `Resource ${fields.name} already exists`);
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
        const namesInRequest = new Set<string>();
        for (const draft of drafts) {
          if (!draft.ok) {
            outcomes.push({ name: draft.name, added: false, reason: draft.reason });
            continue;
          }
          const key = nameKey(draft.account.name);
          if (namesInRequest.has(key) || (await repo.accountNameTaken(trx, resourceId, key))) {
            outcomes.push({
              name: draft.account.name,
              added: false,
              reason: ACCOUNT_EXISTS,
            });
            continue;
          }
          // Each entry in a savepoint: one refused half-way leaves nothing behind.
          await sql`savepoint add_account`.execute(trx);
          try {
            const accountId = await insertAccount(trx, caller, resource, draft.account, now);
            await sql`release savepoint add_account`.execute(trx);
            namesInRequest.add(key);
            outcomes.push({ name: draft.account.name, added: true, accountId });
          } catch (err) {
            await sql`rollback to savepoint add_account`.execute(trx);
            await sql`release savepoint add_account`.execute(trx);
            if (!(err instanceof InvalidInputError)) throw err;
            outcomes.push({ name: draft.account.name, added: false, reason: err.message });
          }
        }
        return outcomes;
      }, 'an account with that name was added concurrently; try again');
    },

    async editResource(caller: Caller, resourceId: number, patch: ResourcePatch): Promise<string> {
      return transaction(
        async (trx) => {
          const resource = await authorizedResource(trx, caller, resourceId, 'full');
          const update: Record<string, unknown> = {};
          if (patch.name !== undefined && patch.name !== resource.name) {
            if (await repo.resourceNameTaken(trx, nameKey(patch.name), resourceId)) {
              throw new ConflictError(`Resource ${patch.name} already exists`);
            }
            update.name = patch.name;
            update.name_key = nameKey(patch.name);
          }
          if (patch.type !== undefined) {
            const next = resourceType(patch.type);
            const current = findResourceType(resource.resource_type);
            if (next.name !== resource.resource_type && (next.typeLocked || current?.typeLocked)) {
              throw new InvalidInputError(
                `the resource type cannot be changed from ${resource.resource_type} to ${next.name} (Key Store, File Store, License Store, Rackspace and AWS IAM types are fixed)`,
              );
            }
            update.resource_type = next.name;
          }
          if (patch.passwordPolicy !== undefined && patch.passwordPolicy !== null)
            update.password_policy = await canonicalPolicy(
              trx,
              patch.passwordPolicy,
              'RESOURCEPASSWORDPOLICY',
            );
          if (patch.dnsName !== undefined) update.dns_name = patch.dnsName;
          if (patch.description !== undefined) update.description = patch.description;
          if (patch.department !== undefined) update.department = patch.department;
          if (patch.location !== undefined) update.location = patch.location;
          if (patch.url !== undefined) update.url = patch.url;
          update.modified_at = clock.now();
          await repo.updateResource(trx, resourceId, update);
          await applyCustomFields(trx, 'resource', resourceId, patch.customFields ?? []);
          const name = patch.name ?? resource.name;
          await audit.append(
            trx,
            actorOf(caller),
            eventOn(AuditOperation.resourceModified, { id: resourceId, name }),
          );
          return name;
        },
        `Resource ${patch.name ?? ''} already exists`,
      );
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

    async deleteResource(caller: Caller, resourceId: number): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const resource = await authorizedResource(trx, caller, resourceId, 'full');
        await repo.deleteResource(trx, resourceId);
        await audit.append(trx, actorOf(caller), eventOn(AuditOperation.resourceDeleted, resource));
        return resource.name;
      });
    },

    async deleteAccount(caller: Caller, resourceId: number, accountId: number): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const { resource, account } = await authorizedAccount(trx, caller, resourceId, accountId, 'full');
        await repo.deleteAccount(trx, accountId);
        await audit.append(trx, actorOf(caller), eventOn(AuditOperation.accountDeleted, resource, account));
        return account.name;
      });
    },

    /**
     * For the sharing module: the resource, or one of its accounts, that the caller may share
     * (full access), inside the caller's transaction. Invisible objects answer as missing ones.
     * Without a resource id (`PUT /accounts/{id}/share`) the account's own resource is used.
     */
    async shareableObject(
      executor: Executor,
      caller: Caller,
      resourceId: number | undefined,
      accountId: number | undefined,
    ): Promise<ShareableObject> {
      if (accountId === undefined) {
        if (resourceId === undefined)
          throw new InvalidInputError('A resource or an account to share is needed');
        const resource = await authorizedResource(executor, caller, resourceId, 'full');
        return { resource: { id: resource.id, name: resource.name, ownerId: resource.owner_id } };
      }
      const inResource = resourceId ?? (await repo.resourceIdOfAccount(executor, accountId));
      if (inResource === undefined) throw accountNotFound(accountId);
      const { resource, account } = await authorizedAccount(executor, caller, inResource, accountId, 'full');
      return {
        resource: { id: resource.id, name: resource.name, ownerId: resource.owner_id },
        account: { id: account.id, name: account.name, ownerId: account.owner_id },
      };
    },

    /** For resource groups: the name of a resource the caller may see (the not-visible answer otherwise). */
    async visibleResourceName(executor: Executor, caller: Caller, resourceId: number): Promise<string> {
      return (await visibleResource(executor, caller, resourceId)).resource.name;
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

    async resourceIdByName(caller: Caller, resourceNames: NameCandidates): Promise<number> {
      const resourceName = resourceNames[0];
      const resource = await findByName((name) => repo.findResourceByName(db, nameKey(name)), resourceNames);
      const notFound = () =>
        new NotFoundError(`Resource ${resourceName} does not exist or is not accessible to you`);
      if (!resource) throw notFound();
      if (!(await resourceIsVisible(db, caller, { id: resource.id, ownerId: resource.owner_id }))) {
        throw notFound();
      }
      return resource.id;
    },

    async accountIdsByName(
      caller: Caller,
      resourceNames: NameCandidates,
      accountNames: NameCandidates,
    ): Promise<{ resourceId: number; accountId: number }> {
      const [resourceName, accountName] = [resourceNames[0], accountNames[0]];
      const resourceId = await this.resourceIdByName(caller, resourceNames);
      const accountId = await findByName(
        (name) => repo.findAccountIdByName(db, resourceId, nameKey(name)),
        accountNames,
      );
      const notFound = () =>
        new NotFoundError(
          `Account ${accountName} does not exist in resource ${resourceName} or is not accessible to you`,
        );
      if (accountId === undefined) throw notFound();
      await authorizedAccount(db, caller, resourceId, accountId, 'view').catch((err: unknown) => {
        throw err instanceof NotFoundError ? notFound() : err;
      });
      return { resourceId, accountId };
    },

    /** Endpoint 91: the account's current TOTP code, through the release gate (ADR 018). */
    async currentTotp(caller: Caller, accountId: number, why: AccessJustification): Promise<Secret> {
      const resourceId = await repo.resourceIdOfAccount(db, accountId);
      if (resourceId === undefined) throw accountNotFound(accountId);
      return gate.release(caller, 'totp', { resourceId, accountId }, why);
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

function flagColumns(flags: Partial<Record<AccountFlagName, boolean>>): Record<string, number> {
  const columns: Record<string, number> = {};
  for (const [name, value] of Object.entries(flags) as [AccountFlagName, boolean | undefined][]) {
    if (value !== undefined) columns[ACCOUNT_FLAGS[name]] = value ? 1 : 0;
  }
  return columns;
}

function presentCustomFields(
  rows: CustomFieldRow[],
  valueOf: (row: CustomFieldRow) => string,
): CustomFieldValue[] {
  const counters = new Map<string, number>();
  return rows.map((row) => {
    const type = row.field_type as CustomFieldType;
    const n = (counters.get(type) ?? 0) + 1;
    counters.set(type, n);
    return {
      label: row.label,
      type,
      columnName: `${CUSTOM_FIELD_COLUMN_PREFIX[type] ?? 'COLUMN_CHAR'}${n}`,
      value: valueOf(row),
    };
  });
}

const NUMERIC = /^-?\d+(\.\d+)?$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function validateCustomValue(label: string, type: CustomFieldType, value: string): void {
  if (value === '') return;
  const fail = (what: string) =>
    new InvalidInputError(`the additional field "${label}" is of type ${type} and needs ${what}`);
  if (type === 'Numeric' && !NUMERIC.test(value.trim())) throw fail('a number');
  if (type === 'Date' && Number.isNaN(Date.parse(value)))
    throw fail('a date such as 2026-11-23 or Nov 23, 2026');
  if (type === 'Email' && !EMAIL.test(value.trim())) throw fail('an e-mail address');
  if (type === 'URL' && !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value.trim())) throw fail('a URL');
}
