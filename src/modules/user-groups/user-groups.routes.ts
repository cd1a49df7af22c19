import type { PmpRouter } from '../../http/server.js';
import { SUCCESS_CODE } from '../../http/envelope.js';
import { MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { UserGroupsService } from './user-groups.service.js';
import { GROUP_LIMITS } from './user-groups.types.js';

const V1 = '/restapi/json/v1';
const INVALID_ID_CODE = RESULT_CODES.userGroupItemFailed.code;

/**
 * Endpoints 48, 62, 87 and 90, and the creation call compat.md asks for (the twin of 87).
 * Names, messages and answer shapes as in the reference.
 */
export function registerUserGroupRoutes(
  router: PmpRouter,
  { userGroups }: { userGroups: UserGroupsService },
): void {
  router.add({
    method: 'POST',
    url: `${V1}/userGroup`,
    operation: 'CREATE_USERGROUP',
    async handle({ caller, input }) {
      const name = input.value('USERGROUPNAME', GROUP_LIMITS.name);
      if (!name) throw new MissingFieldError('USERGROUPNAME');
      const description = input.value('DESCRIPTION', GROUP_LIMITS.description) || null;
      const id = await userGroups.create(caller, { name, description });
      return { message: `User group ${name} created successfully`, details: { USERGROUPID: String(id) } };
    },
  });

  // 87
  router.add({
    method: 'DELETE',
    url: `${V1}/userGroup`,
    operation: 'DELETE_USERGROUP',
    async handle({ caller, input }) {
      const ids = input.details().idList('userGroupIds', 'user group', {
        required: true,
        maxItems: GROUP_LIMITS.bulkIds,
      });
      const outcomes = await userGroups.delete(caller, ids);
      const details: Record<string, unknown> = {};
      for (const o of outcomes) {
        details[String(o.groupId)] = {
          message: o.message,
          status: o.deleted ? 'Success' : 'Failed',
          statusCode: o.deleted ? SUCCESS_CODE : INVALID_ID_CODE,
        };
      }
      const deleted = outcomes.some((o) => o.deleted);
      return deleted
        ? { message: 'User group(s) has been deleted successfully.', details }
        : {
            status: 'Failed',
            statusCode: INVALID_ID_CODE,
            message: 'No user group was deleted; see Details',
            details,
          };
    },
  });

  // 48
  router.add({
    method: 'POST',
    url: `${V1}/user/addUserToUserGroup`,
    operation: 'ADD USER TO USERGROUP',
    async handle({ caller, input }) {
      const username = input.value('USERNAME', GROUP_LIMITS.name);
      if (!username) throw new MissingFieldError('USERNAME');
      const groupName = input.value('USERGROUPNAME', GROUP_LIMITS.name);
      if (!groupName) throw new MissingFieldError('USERGROUPNAME');
      const { user, group } = await userGroups.addUser(caller, username, groupName);
      return { message: `User ${user} added to User Group ${group} successfully` };
    },
  });

  // 90
  router.add({
    method: 'POST',
    url: `${V1}/user/removeUserFromUserGroup`,
    operation: 'REMOVE USER FROM USER_GROUP',
    async handle({ caller, input }) {
      const details = input.details();
      const userIds = details.idList('USERIDS', 'user', { required: true, maxItems: GROUP_LIMITS.bulkIds });
      const groupIds = details.idList('USERGROUPIDS', 'user group', {
        required: true,
        maxItems: GROUP_LIMITS.bulkIds,
      });
      const outcomes = await userGroups.removeUsers(caller, userIds, groupIds);
      const result = outcomes.map((o) => ({
        USERID: String(o.userId),
        message: o.message,
        USERGROUPID: String(o.groupId),
        status: o.removed ? 'Success' : 'Failed',
      }));
      return outcomes.some((o) => o.removed)
        ? { message: 'Users removed from User Group Successfully', details: { RESULT: result } }
        : {
            status: 'Failed',
            statusCode: INVALID_ID_CODE,
            message: 'No user was removed from a user group; see Details',
            details: { RESULT: result },
          };
    },
  });

  // 62
  router.add({
    method: 'GET',
    url: `${V1}/user/getUserGroupId`,
    operation: 'GET_USERGROUPID',
    async handle({ caller, input }) {
      const name = input.value('USERGROUPNAME', GROUP_LIMITS.name);
      if (!name) throw new MissingFieldError('USERGROUPNAME');
      const id = await userGroups.idByName(caller, name);
      return {
        message: 'Usergroup Id for the specified usergroup name have been fetched successfully. ',
        details: { USERGROUPID: String(id) },
      };
    },
  });
}
