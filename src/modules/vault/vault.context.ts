import type { Metrics } from '../../platform/metrics.js';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { Keyring, SealContext } from '../../platform/crypto/keyring.js';
import { ConflictError, InvalidInputError, UnknownReferenceError } from '../../platform/errors.js';
import type { AccessPolicy } from '../access/index.js';
import type { AuditService } from '../audit/index.js';
import type { UserDirectory } from '../identity/index.js';
import type { PolicyCatalog } from '../policies/index.js';
import type { GroupMembership } from '../resource-groups/index.js';
import type { TicketSystem } from '../ticketing/index.js';
import type { CheckoutGate, RequestableAccount } from '../workflow/index.js';
import { createVaultAuthorization } from './authorization.js';
import { createReleaseGate } from './release-gate.js';
import { findResourceType, type ResourceTypeDefinition } from './resource-types.js';
import { unsealWith } from './sealing.js';
import type { AccountRow, ResourceRow } from './vault.repository.js';
import { ACCOUNT_FLAGS, type AccountFlagName } from './vault.types.js';

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
  /** Releases counted by kind (GET /metrics). */
  readonly metrics?: Metrics;
}

/**
 * The spellings of one name a lookup should try, most literal first; the first is the name
 * as shown in messages. A path segment has two: decoded as a path (`+` is a plus) and as a
 * form value (`+` is a space, `%2B` a plus), since clients encode names both ways.
 */
export type NameCandidates = readonly [string, ...string[]];

export type VaultContext = ReturnType<typeof createVaultContext>;

/**
 * What every part of the vault service shares: its dependencies, the authorisation of objects,
 * the release gate (ADR 018), and the few helpers that need them.
 */
export function createVaultContext(deps: VaultServiceDeps) {
  const { database, keyring, audit, access, policies, clock, checkouts, tickets, groups } = deps;
  const db = database.db;
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
    executor: db,
    ...(deps.metrics ? { onRelease: (kind: string) => deps.metrics!.releases.inc({ kind }) } : {}),
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

  /** Opens a sealed value for the vault's own use (never a release: that is the gate's). */
  const unseal = (envelope: Buffer, context: SealContext, what: string): Buffer =>
    unsealWith(keyring, envelope, context, what);

  async function canonicalPolicy(executor: Executor, name: string, field: string): Promise<string> {
    const policy = await policies.resolve(executor, name);
    if (policy === undefined)
      throw new UnknownReferenceError(
        'passwordPolicy',
        `${field}: there is no password policy named "${name}"`,
      );
    return policy;
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

  return { ...deps, db, authorization, gate, effectivePolicy, unseal, canonicalPolicy, transaction };
}

/** A password refused by its policy: the rule it breaks, never the password. */
export function policyRefusal(policyName: string, problem: string): InvalidInputError {
  return new InvalidInputError(
    `The password does not satisfy the password policy ${policyName}: ${problem}`,
    40020,
  );
}

export function resourceType(name: string): ResourceTypeDefinition {
  const type = findResourceType(name);
  if (!type) {
    throw new InvalidInputError(
      `RESOURCETYPE "${name}" is not a known resource type; GET /restapi/json/v1/resources/resourcetypes lists them`,
    );
  }
  return type;
}

export function requestable(account: AccountRow, resource: ResourceRow): RequestableAccount {
  return {
    id: account.id,
    name: account.name,
    ownerId: account.owner_id,
    accessControl: account.access_control === 1,
    resource: { id: resource.id, name: resource.name, ownerId: resource.owner_id },
  };
}

/**
 * Looks a name up under each spelling a client may have meant, in order: the candidates
 * given (see NameCandidates), then each with `+` read as a space (names arrive with spaces
 * as %20 or as +; a literal + is tried first).
 */
export async function findByName<T>(
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

export function flagColumns(flags: Partial<Record<AccountFlagName, boolean>>): Record<string, number> {
  const columns: Record<string, number> = {};
  for (const [name, value] of Object.entries(flags) as [AccountFlagName, boolean | undefined][]) {
    if (value !== undefined) columns[ACCOUNT_FLAGS[name]] = value ? 1 : 0;
  }
  return columns;
}
