import { z } from 'zod';
import type { NativeRouter } from '../../http/native.js';
import type { SharingService } from './sharing.service.js';

const id = z.number().int('A whole number').positive('A positive id').max(Number.MAX_SAFE_INTEGER);

const share = z
  .object({
    resourceId: id.optional(),
    accountId: id.optional(),
    grantee: z.object({ kind: z.enum(['user', 'group']), id }),
    permission: z.enum(['view', 'modify', 'full', 'revoke']),
  })
  .refine((s) => s.resourceId !== undefined || s.accountId !== undefined, {
    message: 'Name the resource or the account to share',
    path: ['resourceId'],
  });

/**
 * The console's sharing dialog (ADR 042): the same grant as endpoints 56–59, bounded by what
 * the granter holds (ADR 019).
 */
export function registerSharingConsoleRoutes(router: NativeRouter, deps: { sharing: SharingService }): void {
  router.add({
    method: 'POST',
    url: '/api/v1/shares',
    summary: 'Share a resource or an account with a user or a user group, or revoke a share',
    tag: 'sharing',
    access: 'signed-in',
    body: share,
    response: z.object({ target: z.enum(['resource', 'account']) }),
    async handle({ caller, body }) {
      return deps.sharing.share(caller, {
        resourceId: body.resourceId,
        accountId: body.accountId,
        grantee: body.grantee,
        action: body.permission,
      });
    },
  });
}
