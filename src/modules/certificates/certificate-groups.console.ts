import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import { withFieldErrors } from '../../http/native-fields.js';
import { FieldInputError, NotFoundError } from '../../platform/errors.js';
import type { CertificateGroups } from './certificate-groups.service.js';
import { GROUP_LIMITS, type ShareGrantee } from './certificate-groups.types.js';
import type { CertificateShares } from './certificate-shares.service.js';

/**
 * The console's certificate groups and the sharing of groups and certificates (ADR 040, 042):
 * the same services as endpoints 65–75, which decide who may do what (only the owner or a super
 * administrator manages a group; a certificate is shared by an independent full holder, never
 * beyond what they hold) and audit every change. These routes only read the forms and name the
 * field a refusal is about.
 */

const id = z.number().int('A whole number').positive('A positive id').max(Number.MAX_SAFE_INTEGER);

const members = z
  .array(id)
  .max(GROUP_LIMITS.members, `At most ${GROUP_LIMITS.members} certificates in a group`);

const name = z
  .string()
  .trim()
  .min(1, 'Enter a name for the group')
  .max(GROUP_LIMITS.name, `At most ${GROUP_LIMITS.name} characters`);
const description = z
  .string()
  .trim()
  .max(GROUP_LIMITS.description, `At most ${GROUP_LIMITS.description} characters`);

const newGroup = z
  .object({ name, description: description.optional(), certificateIds: members.optional() })
  .strict();
const groupEdit = z.object({ name: name.optional(), description: description.optional() }).strict();
const addition = z.object({ certificateIds: members.min(1, 'Choose a certificate to add') }).strict();

/** A grant as the console's share dialog sends it; `revoke` removes the grantee's share. */
export const shareBody = z
  .object({
    grantee: z.object({ kind: z.enum(['user', 'group']), id }).strict(),
    permission: z.enum(['view', 'modify', 'full', 'revoke']),
  })
  .strict();

export const granteeOf = (g: z.infer<typeof shareBody>['grantee']): ShareGrantee =>
  g.kind === 'user' ? { kind: 'user', id: g.id } : { kind: 'group', id: g.id };

export const changeOf = (permission: z.infer<typeof shareBody>['permission']) =>
  permission === 'revoke' ? ({ revoke: true } as const) : { grant: permission };

const groupView = z.object({
  id: z.number(),
  name: z.string(),
  description: z.string().nullable(),
  certificateIds: z.array(z.number()),
  createdBy: z.string(),
  createdAt: z.number(),
  modifiedAt: z.number(),
});

const groupListing = z.object({
  id: z.number(),
  name: z.string(),
  description: z.string().nullable(),
  owner: z.string().nullable(),
  access: z.enum(['owner', 'all', 'view', 'modify', 'full']),
  createdAt: z.number(),
  modifiedAt: z.number(),
  members: z.array(
    z.object({ id: z.number(), commonName: z.string(), serial: z.string(), notAfter: z.number() }),
  ),
});

/** A refusal naming a user, user group or certificate that does not exist belongs to its field. */
export async function shareFieldErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof NotFoundError && /^(User|User group) /.test(err.message))
      throw new FieldInputError('grantee', err.message, err.code);
    throw err;
  }
}

/** "Certificate(s) with ID … do(es) not exist" in a group's member list belongs to that list. */
async function memberFieldErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await withFieldErrors({ conflict: 'name' }, work);
  } catch (err) {
    if (err instanceof NotFoundError && /^Certificates? with IDs? /.test(err.message))
      throw new FieldInputError('certificateIds', err.message, err.code);
    throw err;
  }
}

const viewOf = (g: {
  id: number;
  name: string;
  description: string | null;
  certificateIds: readonly number[];
  createdBy: string;
  createdAt: number;
  modifiedAt: number;
}) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  certificateIds: [...g.certificateIds],
  createdBy: g.createdBy,
  createdAt: g.createdAt,
  modifiedAt: g.modifiedAt,
});

export function registerCertificateGroupConsoleRoutes(
  router: NativeRouter,
  deps: { groups: CertificateGroups; shares: CertificateShares },
): void {
  const { groups, shares } = deps;
  const groupId = (params: Readonly<Record<string, string>>) => parseId(params.groupId, 'certificate group');

  router.add({
    method: 'GET',
    url: '/api/v1/certificate-groups',
    summary: 'The certificate groups the caller owns or reaches through a share, with the members they see',
    tag: 'certificates',
    access: 'signed-in',
    response: z.object({ items: z.array(groupListing) }),
    async handle({ caller }) {
      const items = await groups.list(caller);
      return {
        items: items.map((g) => ({
          id: g.id,
          name: g.name,
          description: g.description,
          owner: g.owner,
          access: g.access,
          createdAt: g.createdAt,
          modifiedAt: g.modifiedAt,
          members: g.members.map((m) => ({ ...m })),
        })),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificate-groups',
    summary: 'Create a certificate group (endpoint 73) with certificates the caller can see',
    tag: 'certificates',
    access: 'signed-in',
    status: 201,
    body: newGroup,
    response: groupView,
    async handle({ caller, body }) {
      const group = await memberFieldErrors(() =>
        groups.create(caller, {
          name: body.name,
          ...(body.description ? { description: body.description } : {}),
          certificateIds: body.certificateIds ?? [],
        }),
      );
      return viewOf(group);
    },
  });

  router.add({
    method: 'PUT',
    url: '/api/v1/certificate-groups/:groupId',
    summary:
      'Rename a certificate group or change its description (endpoint 75; owner or super administrator)',
    tag: 'certificates',
    access: 'signed-in',
    body: groupEdit,
    response: groupView,
    async handle({ caller, params, body }) {
      const group = await memberFieldErrors(() =>
        groups.edit(caller, {
          group: { id: groupId(params) },
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
        }),
      );
      return viewOf(group);
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificate-groups/:groupId/certificates',
    summary:
      'Add certificates the caller can see to a certificate group (endpoint 75; its other members kept)',
    tag: 'certificates',
    access: 'signed-in',
    body: addition,
    response: groupView,
    async handle({ caller, params, body }) {
      const group = await memberFieldErrors(() =>
        groups.edit(caller, { group: { id: groupId(params) }, addCertificateIds: body.certificateIds }),
      );
      return viewOf(group);
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/certificate-groups/:groupId/certificates/:certificateId',
    summary: 'Remove a certificate from a certificate group (the certificate stays in the vault)',
    tag: 'certificates',
    access: 'signed-in',
    response: groupView,
    async handle({ caller, params }) {
      const group = await groups.edit(caller, {
        group: { id: groupId(params) },
        removeCertificateIds: [parseId(params.certificateId, 'certificate')],
      });
      return viewOf(group);
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/certificate-groups/:groupId',
    summary:
      'Delete a certificate group, its members list and its shares; the certificates stay (endpoint 74)',
    tag: 'certificates',
    access: 'signed-in',
    async handle({ caller, params }) {
      await groups.remove(caller, { id: groupId(params) });
      return {};
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificate-groups/:groupId/shares',
    summary:
      'Share a certificate group with a user or a user group, or revoke the share (endpoints 67, 68, 71, 72)',
    tag: 'certificates',
    access: 'signed-in',
    body: shareBody,
    response: z.object({ group: z.string(), grantee: z.string() }),
    async handle({ caller, params, body }) {
      return shareFieldErrors(() =>
        shares.group(caller, { id: groupId(params) }, granteeOf(body.grantee), changeOf(body.permission)),
      );
    },
  });
}
