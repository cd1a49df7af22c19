import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import { nameField, withFieldErrors } from '../../http/native-fields.js';
import type { ResourceGroupsService } from './resource-groups.service.js';
import { criterion, RESOURCE_GROUP_LIMITS as LIMITS } from './resource-groups.types.js';

/** The criteria builder's fields, as the console names them, and the condition each one is. */
const FIELD_CONDITIONS = {
  name: 'RESOURCENAME',
  type: 'RESOURCETYPE',
  dnsName: 'DNSNAME',
  description: 'DESCRIPTION',
  department: 'DEPARTMENT',
  location: 'LOCATION',
  accountName: 'LOGINNAME',
} as const;
const OPERATORS = ['CONTAINS', 'NOT CONTAINS', 'EQUALS', 'NOT EQUALS', 'STARTS WITH', 'ENDS WITH'] as const;

const newGroup = z
  .object({
    name: nameField(LIMITS.name),
    description: z
      .string()
      .trim()
      .max(LIMITS.description, `At most ${LIMITS.description} characters`)
      .optional(),
    type: z.enum(['static', 'dynamic']),
    /** Dynamic groups: every criterion (true) or any of them (false). */
    matchAll: z.boolean().default(true),
    criteria: z
      .array(
        z.object({
          field: z.enum(Object.keys(FIELD_CONDITIONS) as [keyof typeof FIELD_CONDITIONS]),
          operator: z.enum(OPERATORS),
          value: z.string().trim().min(1, 'Enter a value').max(LIMITS.criterionValue),
        }),
      )
      .max(LIMITS.criteria, `At most ${LIMITS.criteria} criteria`)
      .default([]),
  })
  .refine((g) => g.type === 'static' || g.criteria.length > 0, {
    message: 'A dynamic group needs at least one criterion',
    path: ['criteria'],
  });

const members = z.object({
  resourceIds: z.array(z.number().int().positive()).min(1, 'Choose resources').max(LIMITS.bulkIds),
  add: z.boolean(),
});

/** Resource groups in the console (ADR 012, 042): list, create with the criteria builder, members. */
export function registerResourceGroupConsoleRoutes(
  router: NativeRouter,
  deps: { resourceGroups: ResourceGroupsService },
): void {
  const { resourceGroups } = deps;

  router.add({
    method: 'GET',
    url: '/api/v1/resource-groups',
    summary: 'The resource groups the caller may see, with their type and the access they give',
    tag: 'resource-groups',
    access: 'signed-in',
    async handle({ caller }) {
      const groups = await resourceGroups.list(caller);
      return {
        items: groups.map((g) => ({
          id: g.id,
          name: g.name,
          description: g.description,
          type: g.type,
          parentId: g.parentId,
          isOwner: g.isOwner,
          access: g.access,
        })),
        fields: Object.keys(FIELD_CONDITIONS),
        operators: OPERATORS,
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/resource-groups',
    summary: 'Create a static group, or a dynamic one from criteria evaluated live',
    tag: 'resource-groups',
    access: 'signed-in',
    status: 201,
    body: newGroup,
    async handle({ caller, body }) {
      const id = await withFieldErrors({ conflict: 'name' }, () =>
        resourceGroups.create(caller, {
          name: body.name,
          description: body.description || null,
          type: body.type,
          parentId: null,
          policy: null,
          noHelpDeskRetrieval: false,
          matchAll: body.matchAll,
          criteria:
            body.type === 'dynamic'
              ? body.criteria.map((c, i) => criterion(FIELD_CONDITIONS[c.field], c.operator, c.value, i + 1))
              : [],
        }),
      );
      return { id };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/resource-groups/:groupId/resources',
    summary: 'Add resources to a static group, or remove them',
    tag: 'resource-groups',
    access: 'signed-in',
    body: members,
    async handle({ caller, params, body }) {
      const outcomes = await resourceGroups.changeMembers(
        caller,
        parseId(params.groupId, 'resource group'),
        body.resourceIds,
        body.add,
      );
      return { items: outcomes.map((o) => ({ id: o.id, ok: o.ok, message: o.message })) };
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/resource-groups/:groupId',
    summary: 'Delete a resource group (its resources stay)',
    tag: 'resource-groups',
    access: 'signed-in',
    async handle({ caller, params }) {
      await resourceGroups.delete(caller, parseId(params.groupId, 'resource group'));
      return {};
    },
  });
}
