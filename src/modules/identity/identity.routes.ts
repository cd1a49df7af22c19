import { parseId } from '../../http/ids.js';
import type { PmpRouter } from '../../http/server.js';
import type { IdentityService } from './identity.service.js';
import { readUserDraft, readUsername } from './identity.input.js';

const V1 = '/restapi/json/v1';

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
    async handle({ caller, input }) {
      const created = await identity.createUser(caller, readUserDraft(input));
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
    async handle({ caller, input }) {
      const { username } = await identity.deleteUser(caller, { name: readUsername(input) });
      return { message: `User ${username} deleted successfully` };
    },
  });

  // 46
  router.add({
    method: 'GET',
    url: `${V1}/user/getUserId`,
    operation: 'get_USERID',
    async handle({ caller, input }) {
      const user = await identity.getUserId(caller, readUsername(input));
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
    async handle({ caller, input }) {
      const { username } = await identity.setLocked(caller, readUsername(input), true);
      return { message: `User account ${username} locked successfully.` };
    },
  });

  // 50
  router.add({
    method: 'PUT',
    url: `${V1}/user/unlock`,
    operation: 'UNLOCK USER',
    async handle({ caller, input }) {
      const { username } = await identity.setLocked(caller, readUsername(input), false);
      return { message: `User account ${username} unlocked successfully. ` };
    },
  });

  // 84
  router.add({
    method: 'PUT',
    url: `${V1}/user/resetMFA`,
    operation: 'Reset MFA',
    async handle({ caller, input }) {
      await identity.resetMfa(caller, readUsername(input));
      return { message: 'Two Factor Authentication reset successfully' };
    },
  });

  // 92 (PAM360 integration guide): the caller's own token.
  router.add({
    method: 'PUT',
    url: `${V1}/user/regenerateAuthtoken`,
    operation: 'REGENERATE AUTHTOKEN',
    async handle({ caller }) {
      const { authToken } = await identity.regenerateToken(caller);
      return { message: 'Auth token regenerated successfully', details: { AUTHTOKEN: authToken } };
    },
  });
}
