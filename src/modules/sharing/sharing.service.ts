import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { Caller } from '../../platform/principal.js';
import { actorOf, AuditOperation, type AuditService } from '../audit/index.js';
import type { UserDirectory } from '../identity/index.js';
import type { UserGroupsService } from '../user-groups/index.js';
import type { ShareableObject, VaultService } from '../vault/index.js';
import { sharingRepository as repo } from './sharing.repository.js';
import type { Grantee, ShareAction, ShareTarget } from './sharing.types.js';

export interface SharingServiceDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly users: UserDirectory;
  readonly userGroups: Pick<UserGroupsService, 'findById'>;
  readonly vault: Pick<VaultService, 'shareableObject'>;
}

export interface ShareRequest {
  readonly resourceId: number | undefined;
  readonly accountId: number | undefined;
  readonly grantee: Grantee;
  readonly action: ShareAction;
}

export type SharingService = ReturnType<typeof createSharingService>;

/**
 * Sharing of resources and accounts to users and user groups (endpoints 56–59). Who may share:
 * whoever has full access to the object (its owner, a super administrator, a fullaccess
 * grantee). A grant replaces the grantee's previous one on that object; revoke removes it.
 * Grants are evaluated live by the access policy, so a resource share covers accounts added
 * later and a group share covers members added later. Audited as User records, in the
 * transaction of the change.
 */
export function createSharingService({
  database,
  audit,
  clock,
  users,
  userGroups,
  vault,
}: SharingServiceDeps) {
  /**
   * A share never gives more than the sharer holds (ADR 019): whoever reaches the object only
   * through resource groups with NoHelpDeskRetrieval may not retrieve its password, so may not
   * give anyone a share that would. `mayRetrieve` comes with the object, from the same grant query.
   */
  function requireReleases(object: ShareableObject) {
    if (!object.mayRetrieve) {
      const what = object.account ? `account ${object.account.name}` : `resource ${object.resource.name}`;
      throw new NotPermittedError(
        `You may not share ${what}: your access to it does not release its passwords (NoHelpDeskRetrieval)`,
      );
    }
  }

  async function granteeName(executor: Executor, caller: Caller, object: ShareableObject, grantee: Grantee) {
    if (grantee.kind === 'group') {
      const group = await userGroups.findById(executor, grantee.id);
      if (!group) throw new NotFoundError(`User group with ID ${grantee.id} does not exist`);
      return { userName: null, label: `user group ${group.name}` };
    }
    const user = await users.findById(executor, grantee.id);
    if (!user) throw new NotFoundError(`User with ID ${grantee.id} does not exist`);
    if (user.id === caller.principal.userId) {
      throw new InvalidInputError('You cannot share to yourself', RESULT_CODES.shareToSelf.code);
    }
    const ownerId = object.account?.ownerId ?? object.resource.ownerId;
    if (user.id === ownerId) {
      const what = object.account ? `account ${object.account.name}` : `resource ${object.resource.name}`;
      throw new ConflictError(`User ${user.username} owns ${what} and has full access to it already`);
    }
    return { userName: user.username, label: `user ${user.username}` };
  }

  return {
    async share(caller: Caller, request: ShareRequest): Promise<{ target: ShareTarget }> {
      return database.db.transaction().execute(async (trx) => {
        const object = await vault.shareableObject(trx, caller, request.resourceId, request.accountId);
        const target: ShareTarget = object.account ? 'account' : 'resource';
        const table = object.account ? 'account_shares' : 'resource_shares';
        const objectId = object.account?.id ?? object.resource.id;
        const { userName, label } = await granteeName(trx, caller, object, request.grantee);
        const describe = () =>
          object.account ? `account ${object.account.name}` : `resource ${object.resource.name}`;

        if (request.action === 'revoke') {
          if (!(await repo.revoke(trx, table, objectId, request.grantee))) {
            throw new NotFoundError(
              `${label[0]!.toUpperCase()}${label.slice(1)} has no share of ${describe()} to revoke`,
            );
          }
        } else {
          requireReleases(object);
          await repo.grant(
            trx,
            table,
            objectId,
            request.grantee,
            request.action,
            clock.now(),
            caller.principal.userId,
          );
        }
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: request.action === 'revoke' ? AuditOperation.shareRevoked : AuditOperation.shareGranted,
          resourceId: object.resource.id,
          resourceName: object.resource.name,
          accountId: object.account?.id ?? null,
          accountName: object.account?.name ?? null,
          targetUser: userName,
          reason:
            request.action === 'revoke' ? `Revoked from ${label}` : `Access ${request.action} to ${label}`,
        });
        return { target };
      });
    },
  };
}
