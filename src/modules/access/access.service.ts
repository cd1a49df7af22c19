import type { Executor } from '../../platform/db/database.js';
import type { Principal } from '../../platform/principal.js';
import { broadest, type Permission, type ResourceScope } from './access.types.js';

/**
 * The single place that answers "may this caller do that to this object". Every service
 * asks it for every object it touches; routes never decide.
 *
 * Today: a super administrator (access scope "All passwords") may do everything; an owner
 * has full access to what they own. Sharing (to users and user groups, of resources and
 * accounts) adds grants here without changing any caller.
 */
export interface AccessPolicy {
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
  /** The resources a listing may show to this caller. */
  resourceScope(principal: Principal): ResourceScope;
}

export function createAccessPolicy(): AccessPolicy {
  const ownerOrSuper = (principal: Principal, ownerId: number): Permission =>
    principal.isSuperAdmin || principal.userId === ownerId ? 'full' : 'none';

  return {
    async resourcePermission(_db, principal, resource) {
      return ownerOrSuper(principal, resource.ownerId);
    },
    async accountPermission(_db, principal, account) {
      // A grant on the resource covers its accounts; the account's own owner has full access too.
      return broadest(
        ownerOrSuper(principal, account.resource.ownerId),
        ownerOrSuper(principal, account.ownerId),
      );
    },
    resourceScope(principal) {
      return principal.isSuperAdmin ? { kind: 'all' } : { kind: 'user', userId: principal.userId };
    },
  };
}
