import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { ConflictError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { can } from '../access/index.js';
import { actorOf, AuditOperation, type AuditEvent, type AuditService } from '../audit/index.js';
import type { UserDirectory } from '../identity/index.js';
import { userGroupsRepository as repo } from './user-groups.repository.js';
import {
  groupNameKey,
  type GroupDeleteOutcome,
  type MembershipOutcome,
  type UserGroup,
} from './user-groups.types.js';

export interface UserGroupsServiceDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly users: UserDirectory;
  readonly clock: Clock;
}

export type UserGroupsService = ReturnType<typeof createUserGroupsService>;

/**
 * User groups: created, filled and deleted by administrators; any user may look a group's id up
 * by name (an owner needs it to share to the group). Every change is audited (type User) in its
 * transaction.
 */
export function createUserGroupsService({ database, audit, users, clock }: UserGroupsServiceDeps) {
  const db = database.db;

  function requireAdministrator(caller: Caller): void {
    if (!can(caller.principal, 'manageUsers')) {
      throw new NotPermittedError('Only administrators may manage user groups');
    }
  }

  const groupEvent = (operation: string, group: string, user?: string): AuditEvent => ({
    auditType: 'User',
    operation,
    targetUser: user ?? null,
    reason: `User group: ${group}`,
  });

  const unknownGroup = (name: string) => new NotFoundError(`User group ${name} does not exist`);

  async function groupByName(executor: Executor, name: string): Promise<UserGroup> {
    const group = await repo.findByKey(executor, groupNameKey(name));
    if (!group) throw unknownGroup(name);
    return group;
  }

  return {
    /** The group a share names, or undefined (for the sharing module). */
    findById(executor: Executor, groupId: number): Promise<UserGroup | undefined> {
      return repo.findById(executor, groupId);
    },

    async create(caller: Caller, group: { name: string; description: string | null }): Promise<number> {
      requireAdministrator(caller);
      try {
        return await db.transaction().execute(async (trx) => {
          const id = await repo.insert(trx, {
            name: group.name,
            nameKey: groupNameKey(group.name),
            description: group.description,
            createdAt: clock.now(),
            createdBy: caller.principal.userId,
          });
          await audit.append(trx, actorOf(caller), groupEvent(AuditOperation.userGroupCreated, group.name));
          return id;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`User group ${group.name} already exists`);
        throw err;
      }
    },

    /** Every group, as any user may look one up to share with it (as endpoint 89 does by name). */
    async list(_caller: Caller) {
      return repo.list(db);
    },

    /** Who is in a group: administrators, who manage membership. */
    async members(caller: Caller, groupId: number) {
      requireAdministrator(caller);
      const group = await repo.findById(db, groupId);
      if (!group) throw new NotFoundError(`User group with ID ${groupId} does not exist`);
      return repo.members(db, groupId);
    },

    async idByName(_caller: Caller, name: string): Promise<number> {
      return (await groupByName(db, name)).id;
    },

    /** Endpoint 48: by names. Adding a member twice is refused, so the answer never lies. */
    async addUser(
      caller: Caller,
      username: string,
      groupName: string,
    ): Promise<{ user: string; group: string }> {
      requireAdministrator(caller);
      return db.transaction().execute(async (trx) => {
        const user = await users.findByName(trx, username);
        if (!user) throw new NotFoundError(`User ${username} does not exist`);
        const group = await groupByName(trx, groupName);
        if (await repo.isMember(trx, group.id, user.id)) {
          throw new ConflictError(`User ${user.username} is already a member of User Group ${group.name}`);
        }
        await repo.addMember(trx, group.id, user.id, clock.now());
        await audit.append(
          trx,
          actorOf(caller),
          groupEvent(AuditOperation.userAddedToGroup, group.name, user.username),
        );
        return { user: user.username, group: group.name };
      });
    },

    /** Endpoint 90: every (user, group) pair, each with its own outcome; one transaction. */
    async removeUsers(caller: Caller, userIds: number[], groupIds: number[]): Promise<MembershipOutcome[]> {
      requireAdministrator(caller);
      return db.transaction().execute(async (trx) => {
        const outcomes: MembershipOutcome[] = [];
        for (const userId of userIds) {
          const user = await users.findById(trx, userId);
          for (const groupId of groupIds) {
            const group = await repo.findById(trx, groupId);
            const fail = (message: string) => outcomes.push({ userId, groupId, removed: false, message });
            if (!user) fail('Invalid User Id');
            else if (!group) fail('Invalid User group Id');
            else if (!(await repo.removeMember(trx, groupId, userId)))
              fail('User does not exist in the User Group');
            else {
              outcomes.push({ userId, groupId, removed: true, message: 'User Removed Successfully' });
              await audit.append(
                trx,
                actorOf(caller),
                groupEvent(AuditOperation.userRemovedFromGroup, group.name, user.username),
              );
            }
          }
        }
        return outcomes;
      });
    },

    /** Endpoint 87: each id deleted or refused on its own; members and shares to the group go with it. */
    async delete(caller: Caller, groupIds: number[]): Promise<GroupDeleteOutcome[]> {
      requireAdministrator(caller);
      return db.transaction().execute(async (trx) => {
        const outcomes: GroupDeleteOutcome[] = [];
        for (const groupId of groupIds) {
          const group = await repo.findById(trx, groupId);
          if (!group) {
            outcomes.push({ groupId, deleted: false, message: 'Invalid User group Id.' });
            continue;
          }
          await repo.delete(trx, groupId);
          await audit.append(trx, actorOf(caller), groupEvent(AuditOperation.userGroupDeleted, group.name));
          outcomes.push({ groupId, deleted: true, message: 'User group(s) has been deleted successfully.' });
        }
        return outcomes;
      });
    },
  };
}
