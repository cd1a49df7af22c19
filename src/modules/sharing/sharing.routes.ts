import { parseId } from '../../http/ids.js';
import type { PmpInput } from '../../http/input.js';
import type { PmpRouter } from '../../http/server.js';
import { f, inputSchema } from '../../http/input-schema.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import type { SharingService } from './sharing.service.js';
import { ACCESS_TYPES, type Grantee, type ShareAction, type ShareTarget } from './sharing.types.js';

const V1 = '/restapi/json/v1';

/** Endpoints 56–59 (and `PUT /accounts/{id}/share`, which the reference's sample shows). */
export function registerSharingRoutes(router: PmpRouter, { sharing }: { sharing: SharingService }): void {
  const routes: {
    url: string;
    operation: string;
    ids: (p: Readonly<Record<string, string>>) => [number | undefined, number | undefined];
  }[] = [
    {
      url: `${V1}/resources/:resourceId/share`,
      operation: 'SHARE RESOURCE',
      ids: (p) => [parseId(p.resourceId, 'resource'), undefined],
    },
    {
      url: `${V1}/resources/:resourceId/accounts/:accountId/share`,
      operation: 'SHARE ACCOUNT',
      ids: (p) => [parseId(p.resourceId, 'resource'), parseId(p.accountId, 'account')],
    },
    {
      url: `${V1}/accounts/:accountId/share`,
      operation: 'SHARE ACCOUNT',
      ids: (p) => [undefined, parseId(p.accountId, 'account')],
    },
  ];
  for (const route of routes) {
    router.add({
      method: 'PUT',
      url: route.url,
      operation: route.operation,
      schema: inputSchema({ share: f.group(['ACCESSTYPE', 'USERID', 'USERGROUPID'], readShare) }),
      async handle({ caller, params, fields }) {
        const [resourceId, accountId] = route.ids(params);
        const { action, grantee } = fields.share;
        const { target } = await sharing.share(caller, { resourceId, accountId, grantee, action });
        return { message: shareMessage(action, grantee, target) };
      },
    });
  }
}

function readShare(input: PmpInput): { action: ShareAction; grantee: Grantee } {
  const accessType = input.value('ACCESSTYPE', 40);
  if (!accessType) throw new MissingFieldError('ACCESSTYPE');
  const action = ACCESS_TYPES.get(accessType.toLowerCase().replace(/[\s_]+/g, ''));
  if (action === undefined) {
    throw new InvalidInputError(
      `ACCESSTYPE must be one of view, modify, fullaccess, revoke; got "${accessType.slice(0, 40)}"`,
    );
  }
  const userId = input.value('USERID', 40) || undefined;
  const groupId = input.value('USERGROUPID', 40) || undefined;
  if (userId !== undefined && groupId !== undefined) {
    throw new InvalidInputError('Give either USERID or USERGROUPID, not both');
  }
  if (userId !== undefined) return { action, grantee: { kind: 'user', id: parseId(userId, 'user') } };
  if (groupId !== undefined)
    return { action, grantee: { kind: 'group', id: parseId(groupId, 'user group') } };
  throw new MissingFieldError('USERID or USERGROUPID');
}

/** The reference's wording: "Read and Modify" on resources, "View and Modify" on accounts. */
function shareMessage(action: ShareAction, grantee: Grantee, target: ShareTarget): string {
  const to = grantee.kind === 'user' ? 'user' : 'user group(s)';
  switch (action) {
    case 'revoke':
      return `Permission revoked from ${to} successfully.`;
    case 'view':
      return `Read Only permission granted to ${to} successfully.`;
    case 'modify':
      return `${target === 'resource' ? 'Read and Modify' : 'View and Modify'} permission granted to ${to} successfully.`;
    case 'full':
      return `Full Access permission granted to ${to} successfully.`;
  }
}
