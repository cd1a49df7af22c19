import type { Executor } from '../../platform/db/database.js';
import { NotPermittedError } from '../../platform/errors.js';
import type { Caller, Principal } from '../../platform/principal.js';
import { actorOf, type AuditActor } from '../audit/index.js';
import { accessRepository } from './access.repository.js';
import { can } from './capabilities.js';
import {
  broadest,
  type CertificateScope,
  type Permission,
  type AccountScope,
  type ResourceScope,
  type SshKeyScope,
} from './access.types.js';
import { certificateGrants } from './certificate-grants.js';

/**
 * The single place that answers "may this caller do that to this object". Every service
 * asks it for every object it touches; routes never decide.
 *
 * - A super administrator (access scope "All passwords") has full access to everything.
 * - An owner has full access to what they own; the owner of a resource to all its accounts.
 * - Shares add grants: to the user or to a group the user is in, on a resource (covering all
 *   its accounts, present and future), on one account, or on a resource group (covering its
 *   static members, dynamic matches and subgroups, present and future; ADR 012). The broadest
 *   grant wins.
 * - Seeing a resource without a grant on it: holding a grant on one of its accounts shows the
 *   resource with only those accounts (`reachableAccounts`).
 */
export interface AccessPolicy {
  /**
   * The grant on the resource itself and whether it releases passwords: false when every grant
   * reaching the caller comes through a resource group with NoHelpDeskRetrieval (ADR 012).
   */
  resourceRelease(
    db: Executor,
    principal: Principal,
    resource: { id: number; ownerId: number },
  ): Promise<{ permission: Permission; mayRetrieve: boolean }>;
  /** The grant on the resource itself (owner, super admin, resource shares). */
  resourcePermission(
    db: Executor,
    principal: Principal,
    resource: { id: number; ownerId: number },
  ): Promise<Permission>;
  accountPermission(
    db: Executor,
    principal: Principal,
    account: { id: number; ownerId: number; resource: { id: number; ownerId: number } },
  ): Promise<Permission>;
  /**
   * The permission on an account and whether it releases the password: false when every grant
   * reaching the caller comes through a resource group with NoHelpDeskRetrieval (ADR 012).
   */
  accountRelease(
    db: Executor,
    principal: Principal,
    account: { id: number; ownerId: number; resource: { id: number; ownerId: number } },
  ): Promise<{ permission: Permission; mayRetrieve: boolean }>;
  /**
   * Which accounts of a resource the caller reaches: all of them with a grant on the resource,
   * else the ones owned or shared individually (possibly none: then the resource is invisible).
   */
  reachableAccounts(
    db: Executor,
    principal: Principal,
    resource: { id: number; ownerId: number },
  ): Promise<'all' | ReadonlySet<number>>;
  /** The resources a listing may show to this caller. */
  resourceScope(principal: Principal): ResourceScope;
  /** The accounts the principal may see, for summaries over many accounts. */
  accountScope(principal: Principal): AccountScope;
  /**
   * The grant on a key of the SSH key store (ADR 031): full to its owner and to super
   * administrators, else the broadest share to the user or one of the user's groups.
   */
  sshKeyPermission(
    db: Executor,
    principal: Principal,
    key: { id: number; ownerId: number },
  ): Promise<Permission>;
  /** The SSH keys a listing may show: all, or the ids the subquery yields. */
  sshKeyScope(principal: Principal): SshKeyScope;
  /**
   * The grant on a certificate of the repository (ADR 040): full to its owner and to super
   * administrators, else the broadest of its shares and of the certificate-group shares holding
   * it (each bounded by its sharer and by who added it to the group) reaching the user.
   */
  certificatePermission(
    db: Executor,
    principal: Principal,
    certificate: { id: number; ownerId: number },
  ): Promise<Permission>;
  /** The certificates a listing may show: all, or the ids the subquery yields. */
  certificateScope(principal: Principal): CertificateScope;
  /**
   * For a listing: how many accounts of each listed resource the caller reaches, in two queries
   * whatever the number of resources (a grant on the resource reaches all of them).
   */
  listingReach(
    db: Executor,
    principal: Principal,
  ): Promise<(resourceId: number, accountCount: number) => number>;
}

export function createAccessPolicy(): AccessPolicy {
  const ownerOrSuper = (principal: Principal, ownerId: number): Permission =>
    principal.isSuperAdmin || principal.userId === ownerId ? 'full' : 'none';

  async function resourceRelease(
    db: Executor,
    principal: Principal,
    resource: { id: number; ownerId: number },
  ): Promise<{ permission: Permission; mayRetrieve: boolean }> {
    const own = ownerOrSuper(principal, resource.ownerId);
    if (own === 'full') return { permission: own, mayRetrieve: true };
    const grants = await accessRepository.resourceGrants(db, principal.userId, resource.id);
    return {
      permission: broadest(...grants.map((g) => g.permission)),
      mayRetrieve: grants.some((g) => g.retrieve),
    };
  }

  async function resourcePermission(
    db: Executor,
    principal: Principal,
    resource: { id: number; ownerId: number },
  ): Promise<Permission> {
    return (await resourceRelease(db, principal, resource)).permission;
  }

  async function accountRelease(
    db: Executor,
    principal: Principal,
    account: { id: number; ownerId: number; resource: { id: number; ownerId: number } },
  ): Promise<{ permission: Permission; mayRetrieve: boolean }> {
    // The owner check needs no query: the retrieval hot path of owners and super admins stays one lookup.
    const own = broadest(
      ownerOrSuper(principal, account.resource.ownerId),
      ownerOrSuper(principal, account.ownerId),
    );
    if (own === 'full') return { permission: own, mayRetrieve: true };
    const grants = await accessRepository.accountReleaseGrants(
      db,
      principal.userId,
      account.resource.id,
      account.id,
    );
    return {
      permission: broadest(...grants.map((g) => g.permission)),
      mayRetrieve: grants.some((g) => g.retrieve),
    };
  }

  return {
    resourceRelease,
    resourcePermission,
    accountRelease,

    async accountPermission(db, principal, account) {
      return (await accountRelease(db, principal, account)).permission;
    },

    async reachableAccounts(db, principal, resource) {
      if ((await resourcePermission(db, principal, resource)) !== 'none') return 'all';
      return new Set(await accessRepository.accountsReachedIndividually(db, principal.userId, resource.id));
    },

    async listingReach(db, principal) {
      if (principal.isSuperAdmin) return (_id, accountCount) => accountCount;
      const [granted, reached] = await Promise.all([
        accessRepository.resourcesGranted(db, principal.userId),
        accessRepository.accountsReachedPerResource(db, principal.userId),
      ]);
      return (resourceId, accountCount) =>
        granted.has(resourceId) ? accountCount : (reached.get(resourceId) ?? 0);
    },

    async sshKeyPermission(db, principal, key) {
      const own = ownerOrSuper(principal, key.ownerId);
      if (own === 'full') return own;
      return broadest(...(await accessRepository.sshKeyGrants(db, principal.userId, key.id)));
    },

    sshKeyScope(principal) {
      return principal.isSuperAdmin
        ? { kind: 'all' }
        : { kind: 'user', keyIds: (db: Executor) => accessRepository.visibleSshKeyIds(db, principal.userId) };
    },

    async certificatePermission(db, principal, certificate) {
      const own = ownerOrSuper(principal, certificate.ownerId);
      if (own === 'full') return own;
      return broadest(...(await certificateGrants.on(db, principal.userId, certificate.id)));
    },

    certificateScope(principal) {
      return principal.isSuperAdmin
        ? { kind: 'all' }
        : {
            kind: 'user',
            certificateIds: (db: Executor) => certificateGrants.visibleIds(db, principal.userId),
          };
    },

    accountScope(principal) {
      return principal.isSuperAdmin
        ? { kind: 'all' }
        : {
            kind: 'user',
            accountIds: (db: Executor) => accessRepository.visibleAccountIds(db, principal.userId),
          };
    },

    resourceScope(principal) {
      return principal.isSuperAdmin
        ? { kind: 'all' }
        : {
            kind: 'user',
            userId: principal.userId,
            resourceIds: (db: Executor) => accessRepository.visibleResourceIds(db, principal.userId),
          };
    },
  };
}

/**
 * Who changes instance-wide settings (password policies, registered applications): an API
 * caller, authorised by {@link authoriseAdministrator}, or the local operator of the CLI, who
 * holds the data directory and its master key and is trusted like `rotate-master-key`.
 */
export type Administrator = { readonly caller: Caller } | { readonly operator: AuditActor };

/**
 * The actor to audit for `administrator`; throws NotPermittedError, naming what `managed` is,
 * when an API caller may not manage the instance ({@link can} `manageInstance`).
 */
export function authoriseAdministrator(administrator: Administrator, managed: string): AuditActor {
  if ('operator' in administrator) return administrator.operator;
  if (!can(administrator.caller.principal, 'manageInstance')) {
    throw new NotPermittedError(`Only administrators may manage ${managed}`);
  }
  return actorOf(administrator.caller);
}
