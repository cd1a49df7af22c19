import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import { nameField, withFieldErrors } from '../../http/native-fields.js';
import { FieldInputError } from '../../platform/errors.js';
import type { UserGroupsService } from './user-groups.service.js';

const newGroup = z.object({
  name: nameField(255),
  description: z.string().trim().max(1000, 'At most 1000 characters').optional(),
});
const member = z.object({ username: z.string().trim().min(1, 'Choose a user').max(255) });

/** User groups in the console (ADR 042): the list for everyone (sharing), changes for administrators. */
export function registerUserGroupConsoleRoutes(
  router: NativeRouter,
  deps: { userGroups: UserGroupsService },
): void {
  const { userGroups } = deps;

  router.add({
    method: 'GET',
    url: '/api/v1/user-groups',
    summary: 'Every user group with its member count (groups are share targets for everyone)',
    tag: 'user-groups',
    access: 'signed-in',
    response: z.object({
      items: z.array(
        z.object({
          id: z.number(),
          name: z.string(),
          description: z.string().nullable(),
          members: z.number(),
        }),
      ),
    }),
    async handle({ caller }) {
      return { items: await userGroups.list(caller) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/user-groups',
    summary: 'Create a user group (administrators)',
    tag: 'user-groups',
    access: 'signed-in',
    status: 201,
    body: newGroup,
    async handle({ caller, body }) {
      const id = await withFieldErrors({ conflict: 'name' }, () =>
        userGroups.create(caller, { name: body.name, description: body.description || null }),
      );
      return { id };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/user-groups/:groupId/members',
    summary: "A user group's members (administrators)",
    tag: 'user-groups',
    access: 'signed-in',
    response: z.object({
      items: z.array(z.object({ id: z.number(), username: z.string(), fullName: z.string().nullable() })),
    }),
    async handle({ caller, params }) {
      return { items: await userGroups.members(caller, parseId(params.groupId, 'user group')) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/user-groups/:groupId/members',
    summary: 'Add a user to a group (administrators)',
    tag: 'user-groups',
    access: 'signed-in',
    body: member,
    async handle({ caller, params, body }) {
      const groupId = parseId(params.groupId, 'user group');
      const group = (await userGroups.list(caller)).find((g) => g.id === groupId);
      if (!group) throw new FieldInputError('groupId', `User group with ID ${groupId} does not exist`, 40400);
      await userGroups.addUser(caller, body.username, group.name);
      return {};
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/user-groups/:groupId/members/:userId',
    summary: 'Remove a user from a group (administrators)',
    tag: 'user-groups',
    access: 'signed-in',
    async handle({ caller, params }) {
      const [outcome] = await userGroups.removeUsers(
        caller,
        [parseId(params.userId, 'user')],
        [parseId(params.groupId, 'user group')],
      );
      if (!outcome!.removed) throw new FieldInputError('userId', outcome!.message, 40400);
      return {};
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/user-groups/:groupId',
    summary: 'Delete a user group (administrators); its shares go with it',
    tag: 'user-groups',
    access: 'signed-in',
    async handle({ caller, params }) {
      const [outcome] = await userGroups.delete(caller, [parseId(params.groupId, 'user group')]);
      if (!outcome!.deleted) throw new FieldInputError('groupId', outcome!.message, 40400);
      return {};
    },
  });
}
