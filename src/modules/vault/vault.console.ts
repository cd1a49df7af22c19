import { z } from 'zod';
import type { NativeRouter } from '../../http/native.js';
import { nameField, pageFields, withFieldErrors } from '../../http/native-fields.js';
import type { Caller } from '../../platform/principal.js';
import { secret } from '../../platform/crypto/secret.js';
import { FieldInputError } from '../../platform/errors.js';
import { parseId } from '../../http/ids.js';
import { findResourceType, RESOURCE_TYPES } from './resource-types.js';
import { asConsoleRelease } from './accounts.console.js';
import { LIMITS } from './vault.types.js';
import type { VaultService } from './vault.service.js';

/**
 * The console's resources and accounts (ADR 042): the native JSON shape over the same vault
 * service as the PMP endpoints, so every read is authorised the same way and every password
 * leaves through the same release gate.
 */

// No control characters in names: they would show in the console and in the audit trail.
const NAME = nameField(LIMITS.name);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `At most ${max} characters`)
    .optional()
    .transform((v) => (v === undefined || v === '' ? null : v));

const optionalEdit = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `At most ${max} characters`)
    .optional()
    .transform((v) => (v === undefined ? undefined : v === '' ? null : v));

const listQuery = z.object({
  search: z.string().max(LIMITS.name, `At most ${LIMITS.name} characters`).optional(),
  type: z.string().max(100).optional(),
  group: z.coerce
    .number()
    .int('A resource group id')
    .positive('A resource group id')
    .max(Number.MAX_SAFE_INTEGER)
    .optional(),
  ...pageFields,
});

const resourceSummary = z.object({
  id: z.number(),
  name: z.string(),
  type: z.string(),
  dnsName: z.string().nullable(),
  description: z.string().nullable(),
  accountCount: z.number(),
});

const newResource = z.object({
  name: NAME,
  type: z
    .string()
    .trim()
    .min(1, 'Choose a resource type')
    .refine((t) => findResourceType(t) !== undefined, 'Not a known resource type'),
  dnsName: optionalText(LIMITS.shortText),
  description: optionalText(LIMITS.description),
  url: optionalText(LIMITS.url),
  accounts: z
    .array(
      z.object({
        name: NAME,
        password: z
          .string()
          .min(1, 'Enter the password')
          .max(LIMITS.password, `At most ${LIMITS.password} characters`),
        notes: optionalText(LIMITS.notes),
        reasonRequired: z.boolean().optional(),
      }),
    )
    .min(1, 'A resource is created with its first account')
    .max(1, 'Add further accounts on the resource page'),
});

/** Only the fields sent change; an empty text clears it. */
const resourceEdit = z.object({
  name: NAME.optional(),
  type: newResource.shape.type.optional(),
  dnsName: optionalEdit(LIMITS.shortText),
  description: optionalEdit(LIMITS.description),
  url: optionalEdit(LIMITS.url),
});

const release = z.object({
  reason: z.string().trim().max(LIMITS.reason, `At most ${LIMITS.reason} characters`).optional(),
  ticketId: z.string().trim().max(LIMITS.ticketId, `At most ${LIMITS.ticketId} characters`).optional(),
});

/** The resource groups a caller may see (the resource-groups module decides). */
export interface VisibleResourceGroups {
  list(caller: Caller): Promise<readonly { id: number }[]>;
}

export function registerVaultConsoleRoutes(
  router: NativeRouter,
  deps: { vault: VaultService; resourceGroups: VisibleResourceGroups },
): void {
  const { vault } = deps;
  /** A group the caller cannot see filters like one that does not exist. */
  async function visibleGroup(caller: Caller, groupId: number): Promise<number> {
    if (!(await deps.resourceGroups.list(caller)).some((g) => g.id === groupId)) {
      throw new FieldInputError('query.group', `Resource group with ID ${groupId} does not exist`, 40400);
    }
    return groupId;
  }

  router.add({
    method: 'GET',
    url: '/api/v1/resources',
    summary: 'One page of the resources the caller can see, by name; search and filter by type',
    tag: 'resources',
    access: 'signed-in',
    query: listQuery,
    response: z.object({ total: z.number(), items: z.array(resourceSummary) }),
    async handle({ caller, query }) {
      return vault.pageResources(caller, {
        search: query.search?.trim() || undefined,
        type: query.type?.trim() || undefined,
        groupId: query.group === undefined ? undefined : await visibleGroup(caller, query.group),
        offset: query.offset,
        limit: query.limit,
      });
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/resource-types',
    summary: 'The resource types a resource can have',
    tag: 'resources',
    access: 'signed-in',
    response: z.object({ items: z.array(z.string()) }),
    async handle() {
      return { items: RESOURCE_TYPES.map((t) => t.name) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/resources',
    summary: 'Create a resource with its first account',
    tag: 'resources',
    access: 'signed-in',
    status: 201,
    body: newResource,
    response: z.object({ id: z.number(), accountId: z.number() }),
    async handle({ caller, body }) {
      const first = body.accounts[0]!;
      const created = await withFieldErrors({ conflict: 'name', passwordPolicy: 'accounts.0.password' }, () =>
        vault.createResource(
          caller,
          {
            name: body.name,
            type: body.type,
            dnsName: body.dnsName,
            description: body.description,
            department: null,
            location: null,
            url: body.url,
            passwordPolicy: null,
            customFields: [],
          },
          {
            name: first.name,
            password: secret(first.password),
            passwordPolicy: null,
            description: null,
            notes: first.notes,
            flags: first.reasonRequired === undefined ? {} : { ISREASONREQUIRED: first.reasonRequired },
            customFields: [],
          },
          undefined,
        ),
      );
      return { id: created.resourceId, accountId: created.accountId };
    },
  });

  router.add({
    method: 'PUT',
    url: '/api/v1/resources/:resourceId',
    summary: "Edit a resource's name, type, DNS name, description and URL (full access needed)",
    tag: 'resources',
    access: 'signed-in',
    body: resourceEdit,
    async handle({ caller, params, body }) {
      await withFieldErrors({ conflict: 'name' }, () =>
        vault.editResource(caller, parseId(params.resourceId, 'resource'), {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.type !== undefined ? { type: body.type } : {}),
          ...(body.dnsName !== undefined ? { dnsName: body.dnsName } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.url !== undefined ? { url: body.url } : {}),
        }),
      );
      return {};
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/resources/:resourceId',
    summary: 'Delete a resource with its accounts (full access needed)',
    tag: 'resources',
    access: 'signed-in',
    async handle({ caller, params }) {
      await vault.deleteResource(caller, parseId(params.resourceId, 'resource'));
      return {};
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/resources/:resourceId',
    summary: 'A resource and the accounts of it the caller can see',
    tag: 'resources',
    access: 'signed-in',
    async handle({ caller, params }) {
      const { resource, accounts, permission } = await vault.getResource(
        caller,
        parseId(params.resourceId, 'resource'),
      );
      return {
        resource: {
          id: resource.id,
          name: resource.name,
          type: resource.type,
          dnsName: resource.dnsName,
          description: resource.description,
          url: resource.url,
          owner: resource.ownerName,
          /** The caller's grant on the resource itself: 'full' may edit, delete and add accounts. */
          permission,
        },
        accounts: accounts.map((a) => ({
          id: a.id,
          name: a.name,
          reasonRequired: a.controls.reasonRequired,
          ticketRequired: a.controls.ticketIdRequired,
          ticketRequiredMandatory: a.controls.ticketIdMandatory,
          accessControl: a.controls.accessControl,
          checkoutRequired: a.checkoutRequired,
          totpPeriod: a.totpPeriod,
          passwordStatus: a.inUse ? 'in use' : a.expired ? 'expired' : 'current',
        })),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/accounts/:accountId/password',
    summary: 'Release the password of an account (reason and ticket when the account asks for them)',
    tag: 'resources',
    access: 'signed-in',
    body: release,
    response: z.object({ password: z.string() }),
    async handle({ caller, params, body }) {
      const password = await asConsoleRelease(() =>
        vault.retrievePasswordOfAccount(caller, parseId(params.accountId, 'account'), {
          reason: body.reason || null,
          ticketId: body.ticketId || null,
        }),
      );
      return { password: password.reveal() };
    },
  });
}
