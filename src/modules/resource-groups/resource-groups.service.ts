import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { SharePermission } from '../../platform/db/schema.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { Caller, Principal } from '../../platform/principal.js';
import { actorOf, AuditOperation, type AuditEvent, type AuditService } from '../audit/index.js';
import { can } from '../access/index.js';
import type { UserDirectory } from '../identity/index.js';
import type { PolicyCatalog } from '../policies/index.js';
import type { UserGroupsService } from '../user-groups/index.js';
import type { VaultService } from '../vault/index.js';
import { resourceGroupsRepository as repo, type Grantee } from './resource-groups.repository.js';
import {
  groupNameKey,
  RESOURCE_GROUP_LIMITS,
  type ItemOutcome,
  type NewResourceGroup,
  type ResourceGroupPatch,
  type ResourceGroupView,
} from './resource-groups.types.js';

type GroupRow = NonNullable<Awaited<ReturnType<typeof repo.findById>>>;

/** What the caller may do with a group: owner and super administrator full; else the broadest share. */
async function permissionOn(
  db: Executor,
  principal: Principal,
  group: GroupRow,
): Promise<SharePermission | 'none'> {
  if (principal.isSuperAdmin || Number(group.owner_id) === principal.userId) return 'full';
  return (await repo.reachedByUser(db, principal.userId)).get(Number(group.id)) ?? 'none';
}

const unknownGroup = (id: number | string) =>
  new NotFoundError(`Resource group ${id} does not exist or is not accessible to you`);

/** A group the caller may manage (full): owner, super administrator, fullaccess grantee. */
async function managedGroup(db: Executor, caller: Caller, groupId: number): Promise<GroupRow> {
  const group = await repo.findById(db, groupId);
  if (!group) throw unknownGroup(groupId);
  const permission = await permissionOn(db, caller.principal, group);
  if (permission === 'none') throw unknownGroup(groupId);
  if (permission !== 'full')
    throw new NotPermittedError(`You are not allowed to manage resource group ${group.name}`);
  return group;
}

/**
 * What the vault asks of resource groups, inside its own transaction (no dependency on the
 * resource-groups service, which depends on the vault): RESOURCEGROUPNAME on resource creation,
 * ACCOUNT_RESOURCE_GROUP_IDS on accounts, and the group policy of a resource.
 */
export interface GroupMembership {
  addCreatedResource(trx: Executor, caller: Caller, resourceId: number, groupName: string): Promise<void>;
  addAccount(trx: Executor, caller: Caller, accountId: number, groupIds: readonly number[]): Promise<void>;
  policyOf(db: Executor, resourceId: number): Promise<string | undefined>;
}

export function createGroupMembership({ clock }: { clock: Clock }): GroupMembership {
  return {
    async addCreatedResource(trx, caller, resourceId, groupName) {
      let group = await repo.findByKey(trx, groupNameKey(groupName));
      if (!group) {
        if (!can(caller.principal, 'createResourceGroups')) {
          throw new NotPermittedError(
            `RESOURCEGROUPNAME: resource group ${groupName} does not exist and you may not create groups`,
          );
        }
        const id = await repo.insert(trx, {
          name: groupName,
          nameKey: groupNameKey(groupName),
          description: null,
          type: 'static',
          parentId: null,
          policy: null,
          noHelpDeskRetrieval: false,
          matchAll: true,
          criteria: [],
          ownerId: caller.principal.userId,
          createdAt: clock.now(),
        });
        group = (await repo.findById(trx, id))!;
      } else {
        const permission = await permissionOn(trx, caller.principal, group);
        if (permission === 'none')
          throw new InvalidInputError(`RESOURCEGROUPNAME: ${unknownGroup(groupName).message}`);
        if (permission !== 'full')
          throw new NotPermittedError(`You are not allowed to add resources to resource group ${group.name}`);
      }
      if (group.group_type !== 'static') {
        throw new InvalidInputError(
          `RESOURCEGROUPNAME: resource group ${group.name} is dynamic; its members come from its criteria`,
        );
      }
      await repo.addResource(trx, Number(group.id), resourceId);
    },

    async addAccount(trx, caller, accountId, groupIds) {
      for (const groupId of groupIds) {
        const group = await repo.findById(trx, groupId);
        const permission = group ? await permissionOn(trx, caller.principal, group) : 'none';
        if (!group || permission === 'none')
          throw new InvalidInputError(`ACCOUNT_RESOURCE_GROUP_IDS: ${unknownGroup(groupId).message}`);
        if (permission !== 'full')
          throw new NotPermittedError(`You are not allowed to add accounts to resource group ${group.name}`);
        if (group.group_type !== 'static')
          throw new InvalidInputError(`ACCOUNT_RESOURCE_GROUP_IDS: resource group ${group.name} is dynamic`);
        await repo.addAccount(trx, groupId, accountId);
      }
    },

    policyOf(db, resourceId) {
      return repo.policyOfResource(db, resourceId);
    },
  };
}

export interface ResourceGroupsServiceDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly users: UserDirectory;
  readonly userGroups: Pick<UserGroupsService, 'findById'>;
  readonly policies: Pick<PolicyCatalog, 'resolve'>;
  readonly vault: Pick<VaultService, 'shareableObject' | 'visibleResourceName'>;
}

export type ResourceGroupsService = ReturnType<typeof createResourceGroupsService>;

/** A bulk share (60, 61): each (group, grantee) pair. */
export interface GroupShareRequest {
  readonly groupIds: readonly number[];
  readonly grantees: readonly Grantee[];
  readonly action: SharePermission | 'revoke';
}

/**
 * Resource groups (ADR 012): static and dynamic, nested, shared. Services authorise first, act in
 * one transaction, audit in it (type User, reason naming the group; never a secret).
 */
export function createResourceGroupsService(deps: ResourceGroupsServiceDeps) {
  const { database, audit, clock, users, userGroups, policies, vault } = deps;
  const db = database.db;

  const event = (operation: string, group: string, detail?: string): AuditEvent => ({
    auditType: 'User',
    operation,
    reason: `Resource group: ${group}${detail ? `; ${detail}` : ''}`.slice(0, 1000),
  });

  async function canonicalPolicy(executor: Executor, name: string | null): Promise<string | null> {
    if (name === null) return null;
    const canonical = await policies.resolve(executor, name);
    if (canonical === undefined)
      throw new InvalidInputError(`POLICY: there is no password policy named "${name.slice(0, 60)}"`);
    return canonical;
  }

  /** Refuses a parent that is the group itself or one of its descendants. */
  async function assertNoCycle(executor: Executor, groupId: number, parentId: number): Promise<void> {
    let current: number | null | undefined = parentId;
    for (let depth = 0; current !== null && current !== undefined; depth++) {
      if (current === groupId)
        throw new InvalidInputError(
          `PARENTGROUPID: group ${parentId} is group ${groupId} or one of its subgroups; groups cannot nest in a cycle`,
        );
      if (depth > RESOURCE_GROUP_LIMITS.depth)
        throw new InvalidInputError(
          `PARENTGROUPID: groups nest at most ${RESOURCE_GROUP_LIMITS.depth} levels deep`,
        );
      current = await repo.parentOf(executor, current);
    }
  }

  function view(group: GroupRow, principal: Principal, access: SharePermission): ResourceGroupView {
    return {
      id: Number(group.id),
      name: group.name,
      description: group.description,
      type: group.group_type,
      parentId: group.parent_id === null ? null : Number(group.parent_id),
      ownerId: Number(group.owner_id),
      createdAt: Number(group.created_at),
      isOwner: Number(group.owner_id) === principal.userId,
      access,
    };
  }

  async function visibleGroup(executor: Executor, caller: Caller, groupId: number) {
    const group = await repo.findById(executor, groupId);
    if (!group || (await permissionOn(executor, caller.principal, group)) === 'none')
      throw unknownGroup(groupId);
    return group;
  }

  return {
    /** Endpoint 54. */
    async create(caller: Caller, group: NewResourceGroup): Promise<number> {
      if (!can(caller.principal, 'createResourceGroups')) {
        throw new NotPermittedError(
          'Only administrators and password administrators may create resource groups',
        );
      }
      try {
        return await db.transaction().execute(async (trx) => {
          if (await repo.findByKey(trx, groupNameKey(group.name)))
            throw new ConflictError(`Resource group ${group.name} already exists`);
          if (group.parentId !== null) await managedGroup(trx, caller, group.parentId);
          const policy = await canonicalPolicy(trx, group.policy);
          const id = await repo.insert(trx, {
            ...group,
            policy,
            nameKey: groupNameKey(group.name),
            ownerId: caller.principal.userId,
            createdAt: clock.now(),
          });
          await audit.append(
            trx,
            actorOf(caller),
            event(AuditOperation.resourceGroupCreated, group.name, group.type),
          );
          return id;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`Resource group ${group.name} already exists`);
        throw err;
      }
    },

    /** Native edit: description, parent (cycles refused), policy, NoHelpDeskRetrieval. */
    async edit(caller: Caller, groupId: number, patch: ResourceGroupPatch): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const group = await managedGroup(trx, caller, groupId);
        // A share never gives more than the sharer holds (ADR 019): a fullaccess grantee may not
        // widen what the group releases to them, which its owner's access bounds.
        const owner = caller.principal.isSuperAdmin || Number(group.owner_id) === caller.principal.userId;
        const set: Record<string, unknown> = {};
        if (patch.description !== undefined) set.description = patch.description;
        if (patch.parentId !== undefined) {
          if (patch.parentId !== null) {
            await managedGroup(trx, caller, patch.parentId);
            await assertNoCycle(trx, groupId, patch.parentId);
          }
          set.parent_id = patch.parentId;
        }
        if (patch.policy !== undefined) set.password_policy = await canonicalPolicy(trx, patch.policy);
        if (patch.noHelpDeskRetrieval !== undefined) {
          if (!patch.noHelpDeskRetrieval && Number(group.no_helpdesk_retrieval) === 1 && !owner) {
            throw new NotPermittedError(
              `Only the owner of resource group ${group.name} may lift its NoHelpDeskRetrieval`,
            );
          }
          set.no_helpdesk_retrieval = patch.noHelpDeskRetrieval ? 1 : 0;
        }
        if (patch.rules !== undefined) {
          if (group.group_type !== 'dynamic') {
            throw new InvalidInputError(
              `Resource group ${group.name} is static; criteria apply to dynamic groups only`,
            );
          }
          if (!owner) {
            throw new NotPermittedError(
              `Only the owner of resource group ${group.name} may change its criteria`,
            );
          }
          set.match_all = patch.rules.matchAll ? 1 : 0;
          await repo.replaceCriteria(trx, groupId, patch.rules.criteria);
        }
        await repo.update(trx, groupId, set);
        await audit.append(
          trx,
          actorOf(caller),
          event(AuditOperation.resourceGroupModified, group.name, 'edited'),
        );
        return group.name;
      });
    },

    /** Endpoints 79 (add) and 80 (remove): each id on its own; the resource needs full access. */
    async changeMembers(
      caller: Caller,
      groupId: number,
      resourceIds: readonly number[],
      add: boolean,
    ): Promise<ItemOutcome[]> {
      return db.transaction().execute(async (trx) => {
        const group = await managedGroup(trx, caller, groupId);
        if (group.group_type !== 'static') {
          throw new InvalidInputError(
            `Resource group ${group.name} is dynamic: its members come from its criteria`,
          );
        }
        const outcomes: ItemOutcome[] = [];
        for (const resourceId of resourceIds) {
          let name: string;
          try {
            name = (await vault.shareableObject(trx, caller, resourceId, undefined)).resource.name;
          } catch (err) {
            if (!(err instanceof NotFoundError) && !(err instanceof NotPermittedError)) throw err;
            outcomes.push({ id: resourceId, ok: false, message: err.message });
            continue;
          }
          const changed = add
            ? await repo.addResource(trx, groupId, resourceId)
            : await repo.removeResource(trx, groupId, resourceId);
          if (!changed) {
            outcomes.push({
              id: resourceId,
              ok: false,
              message: add
                ? `Resource ${name} is already in the group`
                : `Resource ${name} is not in the group`,
            });
            continue;
          }
          outcomes.push({
            id: resourceId,
            ok: true,
            message: add
              ? 'Resource added to group successfully.'
              : 'Resource removed from group successfully.',
          });
          await audit.append(trx, actorOf(caller), {
            ...event(
              AuditOperation.resourceGroupModified,
              group.name,
              add ? 'resource added' : 'resource removed',
            ),
            resourceId,
            resourceName: name,
          });
        }
        return outcomes;
      });
    },

    /** Endpoint 81: the groups holding a visible resource, dynamic matches included. */
    async groupsOfResource(caller: Caller, resourceId: number): Promise<{ id: number; name: string }[]> {
      await vault.visibleResourceName(db, caller, resourceId);
      return repo.groupsOfResource(db, resourceId);
    },

    /** Endpoint 82: owner or super administrator; members stay (only memberships go). */
    async delete(caller: Caller, groupId: number): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const group = await visibleGroup(trx, caller, groupId);
        if (!caller.principal.isSuperAdmin && Number(group.owner_id) !== caller.principal.userId) {
          throw new NotPermittedError(`Only the owner of resource group ${group.name} may delete it`);
        }
        await repo.delete(trx, groupId);
        await audit.append(trx, actorOf(caller), event(AuditOperation.resourceGroupDeleted, group.name));
        return group.name;
      });
    },

    /** Endpoint 83: a group the caller owns or reaches. */
    async idByName(caller: Caller, name: string): Promise<number> {
      const group = await repo.findByKey(db, groupNameKey(name));
      if (!group || (await permissionOn(db, caller.principal, group)) === 'none') {
        throw new NotFoundError(`Resource group ${name} does not exist or is not accessible to you`);
      }
      return Number(group.id);
    },

    /**
     * A group the caller may manage (owner, super administrator, fullaccess grantee): rotation
     * schedules and bulk rotation of a group (ADR 029). NotFound / NotPermitted otherwise. Read on
     * `executor` when the caller is inside a transaction: on SQLite's one connection, a query on
     * the database beside an open transaction waits for it forever.
     */
    async managed(
      caller: Caller,
      groupId: number,
      executor: Executor = db,
    ): Promise<{ id: number; name: string }> {
      const group = await managedGroup(executor, caller, groupId);
      return { id: Number(group.id), name: group.name };
    },

    /** Endpoint 85: owned and shared groups (all of them for a super administrator). */
    async list(caller: Caller): Promise<ResourceGroupView[]> {
      const all = await repo.listAll(db);
      if (caller.principal.isSuperAdmin) return all.map((g) => view(g, caller.principal, 'full'));
      const reached = await repo.reachedByUser(db, caller.principal.userId);
      const out: ResourceGroupView[] = [];
      for (const g of all) {
        const access = Number(g.owner_id) === caller.principal.userId ? 'full' : reached.get(Number(g.id));
        if (access) out.push(view(g, caller.principal, access));
      }
      return out;
    },

    /**
     * Endpoints 60 and 61: every (group, grantee) pair. All or nothing: a group the caller may not
     * share or an unknown grantee fails the request and changes nothing.
     */
    async share(caller: Caller, request: GroupShareRequest): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const groups: GroupRow[] = [];
        for (const id of request.groupIds) groups.push(await managedGroup(trx, caller, id));
        const labels: string[] = [];
        for (const grantee of request.grantees) {
          if (grantee.kind === 'group') {
            const g = await userGroups.findById(trx, grantee.id);
            if (!g) throw new NotFoundError(`User group with ID ${grantee.id} does not exist`);
            labels.push(`user group ${g.name}`);
          } else {
            const u = await users.findById(trx, grantee.id);
            if (!u) throw new NotFoundError(`User with ID ${grantee.id} does not exist`);
            if (u.id === caller.principal.userId)
              throw new InvalidInputError('You cannot share to yourself', RESULT_CODES.shareToSelf.code);
            labels.push(`user ${u.username}`);
          }
        }
        for (const group of groups) {
          // Sharing a group back to whoever shared it to you would make each of you the other's
          // sharer: neither would reach anything through it any more (ADR 019). Refused.
          if (request.action !== 'revoke') {
            const sharer = await repo.sharerOf(trx, Number(group.id), caller.principal.userId);
            const back = request.grantees.find((g) => g.kind === 'user' && g.id === sharer);
            if (back) {
              throw new InvalidInputError(
                `User ${labels[request.grantees.indexOf(back)]!.slice('user '.length)} shared resource group ${group.name} to you; sharing it back would leave neither of you any access through it`,
              );
            }
          }
          for (const [i, grantee] of request.grantees.entries()) {
            if (request.action === 'revoke') await repo.revoke(trx, Number(group.id), grantee);
            else
              await repo.grant(
                trx,
                Number(group.id),
                grantee,
                request.action,
                clock.now(),
                caller.principal.userId,
              );
            await audit.append(trx, actorOf(caller), {
              ...event(
                request.action === 'revoke'
                  ? AuditOperation.resourceGroupShareRevoked
                  : AuditOperation.resourceGroupShared,
                group.name,
                request.action === 'revoke'
                  ? `revoked from ${labels[i]}`
                  : `${request.action} to ${labels[i]}`,
              ),
              targetUser: grantee.kind === 'user' ? labels[i]!.slice('user '.length) : null,
            });
          }
        }
      });
    },
  };
}
