import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { NotFoundError, NotPermittedError } from '../../platform/errors.js';
import { allows, type AccessPolicy, type Administrator, type Permission } from '../access/index.js';
import { actorOf, type AuditActor, type AuditService } from '../audit/index.js';
import {
  remoteResetRepository as repo,
  type AccountRow,
  type ResourceRef,
} from './remote-reset.repository.js';

export interface RemoteResetServiceDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
}

/**
 * Who configures: an API caller (authorised on every object it names) or the local operator of
 * the CLI, who holds the data directory and its master key and is trusted like `rotate-master-key`.
 */
export type Configurer = Administrator;

const resourceNotFound = (id: number | string) =>
  new NotFoundError(`Resource with ID ${id} does not exist or is not accessible to you`);

export type RemoteResetContext = ReturnType<typeof createRemoteResetContext>;

/**
 * What every part of the remote reset service shares: its dependencies and the authorisation of
 * the objects a configurer names. An operator of the CLI passes every check; an API caller is
 * checked by the access policy, and a resource it cannot see answers like one that does not exist.
 */
export function createRemoteResetContext({
  database,
  keyring,
  audit,
  access,
  clock,
}: RemoteResetServiceDeps) {
  const db = database.db;

  const actorOfConfigurer = (who: Configurer): AuditActor =>
    'operator' in who ? who.operator : actorOf(who.caller);

  async function visible(trx: Executor, who: Configurer, resource: ResourceRef): Promise<boolean> {
    if ('operator' in who) return true;
    const reach = await access.reachableAccounts(trx, who.caller.principal, {
      id: resource.id,
      ownerId: resource.ownerId,
    });
    return reach === 'all' || reach.size > 0;
  }

  async function resourcePermission(
    trx: Executor,
    who: Configurer,
    resource: ResourceRef,
  ): Promise<Permission> {
    if ('operator' in who) return 'full';
    return access.resourcePermission(trx, who.caller.principal, {
      id: resource.id,
      ownerId: resource.ownerId,
    });
  }

  async function accountPermission(trx: Executor, who: Configurer, account: AccountRow): Promise<Permission> {
    if ('operator' in who) return 'full';
    const resource = await repo.findResource(trx, account.resourceId);
    if (!resource) return 'none';
    return access.accountPermission(trx, who.caller.principal, {
      id: account.id,
      ownerId: account.ownerId,
      resource: { id: resource.id, ownerId: resource.ownerId },
    });
  }

  /** The resource the configurer may see, holding at least `needed` on it. */
  async function authorizedResource(
    trx: Executor,
    who: Configurer,
    resourceId: number,
    needed: Permission,
  ): Promise<ResourceRef> {
    const resource = await repo.findResource(trx, resourceId);
    if (!resource || !(await visible(trx, who, resource))) throw resourceNotFound(resourceId);
    if (!allows(await resourcePermission(trx, who, resource), needed)) {
      throw new NotPermittedError(
        needed === 'view'
          ? `You are not allowed to view resource ${resource.name}`
          : `You are not allowed to configure remote password reset of resource ${resource.name}`,
      );
    }
    return resource;
  }

  return {
    db,
    keyring,
    audit,
    clock,
    actorOfConfigurer,
    visible,
    resourcePermission,
    accountPermission,
    authorizedResource,
  };
}
