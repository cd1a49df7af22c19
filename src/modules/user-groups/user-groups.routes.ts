import type { PmpRouter } from '../../http/server.js';
import { SUCCESS_CODE } from '../../http/envelope.js';
import { f, inputSchema } from '../../http/input-schema.js';
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
    schema: inputSchema({
      name: f.value('USERGROUPNAME', GROUP_LIMITS.name, { required: true }),
      description: f.value('DESCRIPTION', GROUP_LIMITS.description),
    }),
    async handle({ caller, fields }) {
      const { name } = fields;
      const description = fields.description ?? null;
      const id = await userGroups.create(caller, { name, description });
      return { message: `User group ${name} created successfully`, details: { USERGROUPID: String(id) } };
    },
  });

  // 87
  router.add({
    method: 'DELETE',
    url: `${V1}/userGroup`,
    operation: 'DELETE_USERGROUP',
    schema: inputSchema({
      ids: f.idList('userGroupIds', 'user group', { required: true, maxItems: GROUP_LIMITS.bulkIds }),
    }),
    async handle({ caller, fields }) {
      const outcomes = await userGroups.delete(caller, fields.ids);
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
    schema: inputSchema({
      username: f.value('USERNAME', GROUP_LIMITS.name, { required: true }),
      groupName: f.value('USERGROUPNAME', GROUP_LIMITS.name, { required: true }),
    }),
    async handle({ caller, fields }) {
      const { user, group } = await userGroups.addUser(caller, fields.username, fields.groupName);
      return { message: `User ${user} added to User Group ${group} successfully` };
    },
  });

  // 90
  router.add({
    method: 'POST',
    url: `${V1}/user/removeUserFromUserGroup`,
    operation: 'REMOVE USER FROM USER_GROUP',
    schema: inputSchema({
      userIds: f.idList('USERIDS', 'user', { required: true, maxItems: GROUP_LIMITS.bulkIds }),
      groupIds: f.idList('USERGROUPIDS', 'user group', { required: true, maxItems: GROUP_LIMITS.bulkIds }),
    }),
    async handle({ caller, fields }) {
      const outcomes = await userGroups.removeUsers(caller, fields.userIds, fields.groupIds);
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
    schema: inputSchema({ name: f.value('USERGROUPNAME', GROUP_LIMITS.name, { required: true }) }),
    async handle({ caller, fields }) {
      const id = await userGroups.idByName(caller, fields.name);
      return {
        message: 'Usergroup Id for the specified usergroup name have been fetched successfully. ',
        details: { USERGROUPID: String(id) },
      };
    },
  });
}
