import type { FieldReader } from '../../http/field-reader.js';
import { parseId } from '../../http/ids.js';
import type { PmpInput } from '../../http/input.js';
import type { PmpRouter } from '../../http/server.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { SharePermission } from '../../platform/db/schema.js';
import type { Grantee } from './resource-groups.repository.js';
import type { ResourceGroupsService } from './resource-groups.service.js';
import {
  criterion,
  RESOURCE_GROUP_LIMITS as LIMITS,
  type Criterion,
  type ItemOutcome,
  type NewResourceGroup,
  type ResourceGroupPatch,
} from './resource-groups.types.js';

const V1 = '/restapi/json/v1';
const FAILED_ITEMS_CODE = RESULT_CODES.noItemSucceeded.code;

/** The first of `fields` present in Details (the document's names and the sample request's). */
function firstString(details: FieldReader, maxLength: number, ...fields: string[]): string | undefined {
  for (const field of fields) if (details.has(field)) return details.string(field, { maxLength });
  return undefined;
}

function optionalId(details: FieldReader, field: string, what: string): number | null | undefined {
  if (!details.has(field)) return undefined;
  const text = details.string(field, { maxLength: 40 });
  if (text === undefined || text === '' || text === '0' || text === '-1') return null;
  return parseId(text, what);
}

function readBoolean(details: FieldReader, field: string): boolean | undefined {
  return details.has(field) ? details.boolean(field) : undefined;
}

function readCriteria(details: FieldReader): { matchAll: boolean; criteria: Criterion[] } {
  const andor = (details.string('andor', { maxLength: 10 }) || 'and').toLowerCase();
  if (andor !== 'and' && andor !== 'or')
    throw new InvalidInputError(`andor must be "and" or "or"; got "${andor}"`);
  const countText = details.string('NoOfCriteria', { maxLength: 10 });
  const count = countText === undefined || countText === '' ? NaN : Number(countText);
  if (!Number.isInteger(count) || count < 1 || count > LIMITS.criteria) {
    throw new InvalidInputError(
      `NoOfCriteria must be a number from 1 to ${LIMITS.criteria} for a dynamic group`,
    );
  }
  const criteria: Criterion[] = [];
  for (let n = 1; n <= count; n++) {
    const condition = details.string(`condition_${n}`, { maxLength: 200 });
    const operator = details.string(`operator_${n}`, { maxLength: 40 });
    const value = details.string(`valuefield_${n}`, { maxLength: LIMITS.criterionValue });
    if (!condition) throw new MissingFieldError(`condition_${n}`);
    if (!operator) throw new MissingFieldError(`operator_${n}`);
    if (value === undefined) throw new MissingFieldError(`valuefield_${n}`);
    criteria.push(criterion(condition, operator, value, n));
  }
  return { matchAll: andor === 'and', criteria };
}

/** The fields of a dynamic group's criteria (`_N` is 1 to NoOfCriteria). */
const CRITERIA_FIELDS = ['andor', 'NoOfCriteria', 'condition_N', 'operator_N', 'valuefield_N'];

const NEW_GROUP_FIELDS = [
  'GROUPNAME',
  'critgroup',
  'RESOURCEGROUPNAME',
  'GROUPTYPE',
  ...CRITERIA_FIELDS,
  'DESCRIPTION',
  'critdesc',
  'PARENTGROUPID',
  'POLICY',
  'RuleCriteria',
  'NoHelpDeskRetrieval',
];

const PATCH_FIELDS = ['DESCRIPTION', 'PARENTGROUPID', 'POLICY', 'NoHelpDeskRetrieval', ...CRITERIA_FIELDS];

function readNewGroup(input: PmpInput): NewResourceGroup {
  const details = input.details();
  const name = firstString(details, LIMITS.name, 'GROUPNAME', 'critgroup', 'RESOURCEGROUPNAME');
  if (!name) throw new MissingFieldError('GROUPNAME');
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw new InvalidInputError('GROUPNAME cannot contain control characters');
  const typeText = details.string('GROUPTYPE', { maxLength: 20 });
  const type = typeText
    ? typeText.toLowerCase()
    : details.has('NoOfCriteria') || details.has('condition_1')
      ? 'dynamic'
      : 'static';
  if (type !== 'static' && type !== 'dynamic')
    throw new InvalidInputError(`GROUPTYPE must be STATIC or DYNAMIC; got "${typeText!.slice(0, 20)}"`);
  const { matchAll, criteria } =
    type === 'dynamic' ? readCriteria(details) : { matchAll: true, criteria: [] };
  return {
    name: name.normalize('NFC').trim(),
    description: firstString(details, LIMITS.description, 'DESCRIPTION', 'critdesc') || null,
    type,
    parentId: optionalId(details, 'PARENTGROUPID', 'parent group') ?? null,
    policy: firstString(details, 100, 'POLICY', 'RuleCriteria') || null,
    noHelpDeskRetrieval: readBoolean(details, 'NoHelpDeskRetrieval') ?? false,
    matchAll,
    criteria,
  };
}

function readPatch(input: PmpInput): ResourceGroupPatch {
  const details = input.details();
  const patch: ResourceGroupPatch = {
    description: details.has('DESCRIPTION')
      ? details.string('DESCRIPTION', { maxLength: LIMITS.description }) || null
      : undefined,
    parentId: optionalId(details, 'PARENTGROUPID', 'parent group'),
    policy: details.has('POLICY') ? details.string('POLICY', { maxLength: 100 }) || null : undefined,
    noHelpDeskRetrieval: readBoolean(details, 'NoHelpDeskRetrieval'),
    // The criteria are given whole, as at creation: they replace the group's criteria.
    rules: details.has('NoOfCriteria') || details.has('condition_1') ? readCriteria(details) : undefined,
  };
  if (Object.values(patch).every((v) => v === undefined))
    throw new InvalidInputError(
      'nothing to change: give DESCRIPTION, PARENTGROUPID, POLICY, NoHelpDeskRetrieval or the criteria of a dynamic group (andor, NoOfCriteria, condition_N, operator_N, valuefield_N)',
    );
  return patch;
}

/** accessType as sent → the action (a Map: never a caller's text looked up in a plain object). */
const ACCESS: ReadonlyMap<string, SharePermission | 'revoke'> = new Map<string, SharePermission | 'revoke'>([
  ['view', 'view'],
  ['modify', 'modify'],
  ['fullaccess', 'full'],
  ['full', 'full'],
  ['revoke', 'revoke'],
]);

const ACCESS_NAME: Record<SharePermission, string> = { view: 'view', modify: 'modify', full: 'fullaccess' };

function perItem(outcomes: readonly ItemOutcome[]): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const o of outcomes)
    details[String(o.id)] = { status: o.ok ? 'Success' : 'Failed', message: o.message };
  return details;
}

/** Endpoints 54, 60, 61, 79–83, 85, and a native edit (`PUT /resourcegroup/{id}`). */
export function registerResourceGroupRoutes(
  router: PmpRouter,
  { resourceGroups, time }: { resourceGroups: ResourceGroupsService; time: TimeFormatter },
): void {
  // 54
  router.add({
    method: 'POST',
    url: `${V1}/resourcegroup`,
    operation: 'CREATE RESOURCE GROUP',
    schema: inputSchema({ group: f.group(NEW_GROUP_FIELDS, readNewGroup) }),
    async handle({ caller, fields: { group } }) {
      const id = await resourceGroups.create(caller, group);
      return {
        message: `Group ${group.name} has been added successfully.`,
        details: { RESOURCEGROUPID: String(id) },
      };
    },
  });

  router.add({
    method: 'PUT',
    url: `${V1}/resourcegroup/:groupId`,
    operation: 'EDIT RESOURCE GROUP',
    schema: inputSchema({ patch: f.group(PATCH_FIELDS, readPatch) }),
    async handle({ caller, params, fields }) {
      const name = await resourceGroups.edit(caller, parseId(params.groupId, 'resource group'), fields.patch);
      return { message: `Group ${name} has been modified successfully.` };
    },
  });

  // 82
  router.add({
    method: 'DELETE',
    url: `${V1}/resourcegroup`,
    operation: 'DELETE RESOURCE GROUP',
    schema: inputSchema({ raw: f.value('RESOURCEGROUPID', 40, { required: true }) }),
    async handle({ caller, fields }) {
      await resourceGroups.delete(caller, parseId(fields.raw, 'resource group'));
      return { message: 'Resource Group deleted successfully.' };
    },
  });

  // 85
  router.add({
    method: 'GET',
    url: `${V1}/resourcegroup`,
    operation: 'GET RESOURCE GROUPS',
    schema: NO_INPUT,
    async handle({ caller }) {
      const groups = await resourceGroups.list(caller);
      return {
        message: 'Resource group list fetched successfully',
        details: groups.map((g) => ({
          resourceGroupDescription: g.description ?? '',
          accessType: ACCESS_NAME[g.access],
          resourceGroupName: g.name,
          isOwner: String(g.isOwner),
          resourceGroupType: g.type,
          resourceGroupId: String(g.id),
          timeCreated: time.auditTime(g.createdAt),
          subGroupOf: g.parentId === null ? '' : String(g.parentId),
          ownerId: String(g.ownerId),
        })),
        totalRows: groups.length,
      };
    },
  });

  // 83
  router.add({
    method: 'GET',
    url: `${V1}/resourcegroup/getResourceGroupId`,
    operation: 'GET RESOURCE GROUP ID',
    schema: inputSchema({ name: f.value('RESOURCEGROUPNAME', LIMITS.name, { required: true }) }),
    async handle({ caller, fields }) {
      const id = await resourceGroups.idByName(caller, fields.name);
      return {
        message: 'Resource Group Id for the specified Resource Group name have been fetched successfully.',
        details: { RESOURCEGROUPID: String(id) },
      };
    },
  });

  // 79, 80
  for (const [path, operation, add] of [
    ['associateResources', 'ASSOCIATE RESOURCES', true],
    ['disassociateResources', 'DISASSOCIATE RESOURCES', false],
  ] as const) {
    router.add({
      method: 'POST',
      url: `${V1}/resourcegroup/:groupId/${path}`,
      operation,
      schema: inputSchema({
        ids: f.idList('RESOURCEIDS', 'resource', { required: true, maxItems: LIMITS.bulkIds }),
      }),
      async handle({ caller, params, fields: { ids } }) {
        const groupId = parseId(params.groupId, 'resource group');
        const outcomes = await resourceGroups.changeMembers(caller, groupId, ids, add);
        const details = perItem(outcomes);
        if (outcomes.some((o) => o.ok)) {
          return {
            message: add
              ? 'Resource added to group successfully.'
              : 'Resource removed from group successfully.',
            details,
          };
        }
        return {
          status: 'Failed',
          statusCode: FAILED_ITEMS_CODE,
          message: add
            ? 'No resource was added to the group; see Details'
            : 'No resource was removed from the group; see Details',
          details,
        };
      },
    });
  }

  // 81
  router.add({
    method: 'GET',
    url: `${V1}/resources/:resourceId/associatedGroups`,
    operation: 'GET ASSOCIATED GROUPS',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const groups = await resourceGroups.groupsOfResource(caller, parseId(params.resourceId, 'resource'));
      return {
        message: 'Associated groups fetched successfully',
        details: { 'ASSOCIATED GROUPS': groups.map((g) => ({ 'GROUP ID': g.id, 'GROUP NAME': g.name })) },
      };
    },
  });

  // 60, 61
  router.add({
    method: 'PUT',
    url: `${V1}/resourcegroup/share`,
    operation: 'SHARE_RESOURCEGROUP(S)',
    operationKey: 'operationName',
    schema: inputSchema({
      share: f.group(['resourceGroupIds', 'userIds', 'userGroupIds', 'accessType'], readGroupShare),
    }),
    async handle({ caller, fields }) {
      await resourceGroups.share(caller, fields.share);
      return {
        message: `${fields.share.action === 'revoke' ? 'Revoke' : 'Share'} action triggered. Refer Audit for more details.`,
        statusCode: RESULT_CODES.shareTriggered.code,
      };
    },
  });
}

/** Endpoints 60 and 61: which groups, to whom, and the access given or revoked. */
function readGroupShare(input: PmpInput): {
  groupIds: number[];
  grantees: Grantee[];
  action: SharePermission | 'revoke';
} {
  const details = input.details();
  const groupIds = details.idList('resourceGroupIds', 'resource group', {
    required: true,
    maxItems: LIMITS.bulkIds,
  });
  const userIds = details.idList('userIds', 'user', { maxItems: LIMITS.bulkIds });
  const userGroupIds = details.idList('userGroupIds', 'user group', { maxItems: LIMITS.bulkIds });
  if (userIds.length === 0 && userGroupIds.length === 0)
    throw new MissingFieldError('userIds or userGroupIds');
  const accessText = details.string('accessType', { maxLength: 40 });
  if (!accessText) throw new MissingFieldError('accessType');
  const action = ACCESS.get(accessText.toLowerCase().replace(/[\s_]+/g, ''));
  if (action === undefined)
    throw new InvalidInputError(
      `accessType must be one of view, modify, fullaccess, revoke; got "${accessText.slice(0, 40)}"`,
    );
  const grantees: Grantee[] = [
    ...userIds.map((id) => ({ kind: 'user' as const, id })),
    ...userGroupIds.map((id) => ({ kind: 'group' as const, id })),
  ];
  return { groupIds, grantees, action };
}
