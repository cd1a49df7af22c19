import { z } from 'zod';
import type { NativeRouter } from '../../http/native.js';
import { nameField, pageFields, withFieldErrors } from '../../http/native-fields.js';
import { Secret } from '../../platform/crypto/secret.js';
import type { IdentityService } from './identity.service.js';
import { ROLES } from './identity.types.js';

const listQuery = z.object({
  search: z.string().max(255, 'At most 255 characters').optional(),
  ...pageFields,
});

const newUser = z
  .object({
    username: nameField(100, 'Enter a user name'),
    fullName: z.string().trim().max(255, 'At most 255 characters').optional(),
    email: z.union([z.literal(''), z.email('Not an email address')]).optional(),
    role: z.enum(ROLES, { error: 'Choose a role' }),
    superAdmin: z.boolean().default(false),
    apiUser: z.boolean().default(false),
    password: z.string().max(1024, 'At most 1024 characters').optional(),
  })
  .refine((u) => u.apiUser || (u.password !== undefined && u.password !== ''), {
    message: 'Enter a login password (API users have none)',
    path: ['password'],
  });

const username = z.object({ username: z.string().trim().min(1, 'Name the user').max(100) });

/** Users in the console (ADR 042): the directory for everyone, management for administrators. */
export function registerUserConsoleRoutes(router: NativeRouter, deps: { identity: IdentityService }): void {
  const { identity } = deps;

  router.add({
    method: 'GET',
    url: '/api/v1/users',
    summary: 'Users by name: everyone sees names (sharing needs them), administrators see the rest',
    tag: 'users',
    access: 'signed-in',
    query: listQuery,
    async handle({ caller, query }) {
      return identity.directory(caller, {
        search: query.search?.trim() || undefined,
        offset: query.offset,
        limit: query.limit,
      });
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/users',
    summary: "Create a user; an API user's key is answered here once and never again",
    tag: 'users',
    access: 'signed-in',
    status: 201,
    body: newUser,
    async handle({ caller, body }) {
      const created = await withFieldErrors({ conflict: 'username', passwordPolicy: 'password' }, () =>
        identity.createUser(caller, {
          username: body.username,
          firstName: undefined,
          lastName: undefined,
          fullName: body.fullName || undefined,
          email: body.email || undefined,
          policy: undefined,
          role: body.role,
          isSuperAdmin: body.superAdmin,
          password: body.apiUser || !body.password ? undefined : new Secret(body.password),
          department: undefined,
          location: undefined,
          isApiUser: body.apiUser,
          hostName: undefined,
          expiry: { kind: 'never' },
        }),
      );
      return { id: created.userId, username: created.username, authToken: created.authToken ?? null };
    },
  });

  for (const [verb, summary] of [
    ['lock', 'Lock a user: their sessions end and their key stops working'],
    ['unlock', 'Unlock a user'],
    ['reset-mfa', "Forget a user's second factor: they enrol again at the next sign-in"],
  ] as const) {
    router.add({
      method: 'POST',
      url: `/api/v1/users/${verb}`,
      summary,
      tag: 'users',
      access: 'signed-in',
      body: username,
      async handle({ caller, body }) {
        if (verb === 'reset-mfa') await identity.resetMfa(caller, body.username);
        else await identity.setLocked(caller, body.username, verb === 'lock');
        return {};
      },
    });
  }
}
