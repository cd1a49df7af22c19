import { parseId } from '../../http/ids.js';
import type { PmpRouter } from '../../http/server.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import type { IdentityService } from './identity.service.js';
import { readUserDraft, USER_DRAFT_FIELDS } from './identity.input.js';
import { LIMITS } from './identity.types.js';

const V1 = '/restapi/json/v1';

/** The USERNAME of endpoints 46, 47, 49, 50 and 84 (query parameter or INPUT_DATA). */
const USERNAME_ONLY = inputSchema({ username: f.value('USERNAME', LIMITS.username, { required: true }) });

/**
 * Endpoints 17, 23, 24, 46, 47, 49, 50, 84 and 92: users and API users. Operation names and
 * messages are the document's (including its inconsistent capitals and the trailing space of
 * UNLOCK USER), since clients match on them.
 */
export function registerIdentityRoutes(router: PmpRouter, { identity }: { identity: IdentityService }): void {
  // 17 and 24: one URL; ISAPIUSER decides which answer.
  router.add({
    method: 'POST',
    url: `${V1}/user`,
    operation: 'CREATE_USER',
    schema: inputSchema({ draft: f.group(USER_DRAFT_FIELDS, readUserDraft) }),
    async handle({ caller, fields }) {
      const created = await identity.createUser(caller, fields.draft);
      if (created.authToken !== undefined) {
        return {
          message: 'SUCCESS',
          details: { AUTHTOKEN: created.authToken, USERID: String(created.userId) },
        };
      }
      return { message: 'User Created Successfully', details: { USERID: String(created.userId) } };
    },
  });

  // 23
  router.add({
    method: 'DELETE',
    url: `${V1}/user/:userId`,
    operation: 'DELETE USER',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const { username } = await identity.deleteUser(caller, { id: parseId(params.userId, 'user') });
      return { message: `User ${username} deleted Successfully` };
    },
  });

  // 47
  router.add({
    method: 'DELETE',
    url: `${V1}/user`,
    operation: 'DELETE USER',
    schema: USERNAME_ONLY,
    async handle({ caller, fields: { username: name } }) {
      const { username } = await identity.deleteUser(caller, { name });
      return { message: `User ${username} deleted successfully` };
    },
  });

  // 46
  router.add({
    method: 'GET',
    url: `${V1}/user/getUserId`,
    operation: 'get_USERID',
    schema: USERNAME_ONLY,
    async handle({ caller, fields: { username: name } }) {
      const user = await identity.getUserId(caller, name);
      return {
        message: 'User Id for the specified username have been fetched successfully',
        details: { USERID: String(user.id) },
      };
    },
  });

  // 49
  router.add({
    method: 'PUT',
    url: `${V1}/user/lock`,
    operation: 'LOCK USER',
    schema: USERNAME_ONLY,
    async handle({ caller, fields: { username: name } }) {
      const { username } = await identity.setLocked(caller, name, true);
      return { message: `User account ${username} locked successfully.` };
    },
  });

  // 50
  router.add({
    method: 'PUT',
    url: `${V1}/user/unlock`,
    operation: 'UNLOCK USER',
    schema: USERNAME_ONLY,
    async handle({ caller, fields: { username: name } }) {
      const { username } = await identity.setLocked(caller, name, false);
      return { message: `User account ${username} unlocked successfully. ` };
    },
  });

  // 84
  router.add({
    method: 'PUT',
    url: `${V1}/user/resetMFA`,
    operation: 'Reset MFA',
    schema: USERNAME_ONLY,
    async handle({ caller, fields: { username: name } }) {
      await identity.resetMfa(caller, name);
      return { message: 'Two Factor Authentication reset successfully' };
    },
  });

  // 92 (PAM360 integration guide): the caller's own token.
  router.add({
    method: 'PUT',
    url: `${V1}/user/regenerateAuthtoken`,
    operation: 'REGENERATE AUTHTOKEN',
    schema: NO_INPUT,
    async handle({ caller }) {
      const { authToken } = await identity.regenerateToken(caller);
      return { message: 'Auth token regenerated successfully', details: { AUTHTOKEN: authToken } };
    },
  });
}
