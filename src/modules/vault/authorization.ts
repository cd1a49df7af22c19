import type { Executor } from '../../platform/db/database.js';
import { NotFoundError, NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { allows, type AccessPolicy, type Permission } from '../access/index.js';
import { vaultRepository as repo } from './vault.repository.js';

export function resourceNotFound(resourceId: number | string): NotFoundError {
  return new NotFoundError(`Resource with ID ${resourceId} does not exist or is not accessible to you`);
}

export function accountNotFound(accountId: number | string): NotFoundError {
  return new NotFoundError(
    `Account with ID ${accountId} does not exist in this resource or is not accessible to you`,
  );
}

/** The refusal of a permission, in the words of what it allows. */
export function describePermission(permission: Permission): string {
  return permission === 'modify'
    ? 'change the password of'
    : permission === 'full'
      ? 'edit or delete'
      : 'view';
}

export type VaultAuthorization = ReturnType<typeof createVaultAuthorization>;

/**
 * Which resources and accounts a caller may see and act on. An object the caller may not see
 * answers exactly like one that does not exist.
 */
export function createVaultAuthorization(access: AccessPolicy) {
  /** A resource is visible with a grant on it, or with a grant on (or ownership of) one of its accounts. */
  async function resourceIsVisible(
    executor: Executor,
    caller: Caller,
    resource: { id: number; ownerId: number },
  ): Promise<boolean> {
    const reach = await access.reachableAccounts(executor, caller.principal, resource);
    return reach === 'all' || reach.size > 0;
  }

  /**
   * The error for an account the caller may not see (or that does not exist): whether the
   * resource itself is visible decides which of the two answers is given.
   */
  async function invisibleAccount(
    executor: Executor,
    caller: Caller,
    resource: { id: number; ownerId: number } | undefined,
    resourceId: number,
    accountId: number,
  ): Promise<NotFoundError> {
    const visible = resource !== undefined && (await resourceIsVisible(executor, caller, resource));
    return visible ? accountNotFound(accountId) : resourceNotFound(resourceId);
  }

  /**
   * A resource the caller may see, and which of its accounts they reach: all of them with a grant
   * on the resource, else only those owned or shared individually.
   */
  async function visibleResource(executor: Executor, caller: Caller, resourceId: number) {
    const resource = await repo.findResource(executor, resourceId);
    if (!resource) throw resourceNotFound(resourceId);
    const reach = await access.reachableAccounts(executor, caller.principal, {
      id: resource.id,
      ownerId: resource.owner_id,
    });
    if (reach !== 'all' && reach.size === 0) throw resourceNotFound(resourceId);
    return { resource, reach };
  }

  /**
   * A resource the caller holds `needed` on, and whether that access releases its passwords
   * (`mayRetrieve`, read in the same grant query).
   */
  async function authorizedResourceRelease(
    executor: Executor,
    caller: Caller,
    resourceId: number,
    needed: Permission,
  ) {
    const resource = await repo.findResource(executor, resourceId);
    if (!resource) throw resourceNotFound(resourceId);
    const owner = { id: resource.id, ownerId: resource.owner_id };
    const { permission, mayRetrieve } = await access.resourceRelease(executor, caller.principal, owner);
    if (permission === 'none' && !(await resourceIsVisible(executor, caller, owner))) {
      throw resourceNotFound(resourceId);
    }
    if (!allows(permission, needed)) {
      throw new NotPermittedError(
        `You are not allowed to ${describePermission(needed)} resource ${resource.name}`,
      );
    }
    return { resource, mayRetrieve };
  }

  async function authorizedResource(
    executor: Executor,
    caller: Caller,
    resourceId: number,
    needed: Permission,
  ) {
    return (await authorizedResourceRelease(executor, caller, resourceId, needed)).resource;
  }

  async function authorizedAccount(
    executor: Executor,
    caller: Caller,
    resourceId: number,
    accountId: number,
    needed: Permission,
  ) {
    const resource = await repo.findResource(executor, resourceId);
    if (!resource) throw resourceNotFound(resourceId);
    const account = await repo.findAccount(executor, resourceId, accountId);
    const { permission, mayRetrieve } = account
      ? await access.accountRelease(executor, caller.principal, {
          id: account.id,
          ownerId: account.owner_id,
          resource: { id: resource.id, ownerId: resource.owner_id },
        })
      : { permission: 'none' as const, mayRetrieve: false };
    if (!account || permission === 'none') {
      throw await invisibleAccount(
        executor,
        caller,
        { id: resource.id, ownerId: resource.owner_id },
        resourceId,
        accountId,
      );
    }
    if (!allows(permission, needed)) {
      throw new NotPermittedError(
        `You are not allowed to ${describePermission(needed)} account ${account.name}`,
      );
    }
    return { resource, account, mayRetrieve };
  }

  return {
    resourceIsVisible,
    invisibleAccount,
    visibleResource,
    authorizedResource,
    authorizedResourceRelease,
    authorizedAccount,
  };
}
