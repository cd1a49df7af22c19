import { InvalidInputError } from '../../platform/errors.js';
import type { SharePermission } from '../../platform/db/schema.js';

export const RESOURCE_GROUP_LIMITS = {
  name: 200,
  description: 1000,
  criterionValue: 500,
  criteria: 20,
  bulkIds: 1000,
  depth: 32,
} as const;

/** The resource columns a criterion may test (plus the account login name and custom fields). */
export type CriterionField =
  'name' | 'resource_type' | 'dns_name' | 'description' | 'department' | 'location' | 'login_name' | 'custom';

/**
 * condition_n as sent (canonical: upper case, spaces and underscores removed) → the field. Maps,
 * here and below: a caller's text is never looked up in a plain object.
 */
const FIELDS: ReadonlyMap<string, CriterionField> = new Map<string, CriterionField>([
  ['RESOURCENAME', 'name'],
  ['RESOURCETYPE', 'resource_type'],
  ['OSTYPE', 'resource_type'],
  ['DNSNAME', 'dns_name'],
  ['IPADDRESS', 'dns_name'],
  ['RESOURCEDESCRIPTION', 'description'],
  ['DESCRIPTION', 'description'],
  ['DEPARTMENT', 'department'],
  ['LOCATION', 'location'],
  ['LOGINNAME', 'login_name'],
  ['ACCOUNTNAME', 'login_name'],
  ['USERACCOUNT', 'login_name'],
]);

export type CriterionOperator =
  'CONTAINS' | 'NOT CONTAINS' | 'EQUALS' | 'NOT EQUALS' | 'STARTS WITH' | 'ENDS WITH';

const OPERATORS: ReadonlyMap<string, CriterionOperator> = new Map<string, CriterionOperator>([
  ['CONTAINS', 'CONTAINS'],
  ['NOTCONTAINS', 'NOT CONTAINS'],
  ['DOESNOTCONTAIN', 'NOT CONTAINS'],
  ['EQUALS', 'EQUALS'],
  ['IS', 'EQUALS'],
  ['NOTEQUALS', 'NOT EQUALS'],
  ['NOTEQUAL', 'NOT EQUALS'],
  ['ISNOT', 'NOT EQUALS'],
  ['STARTSWITH', 'STARTS WITH'],
  ['BEGINSWITH', 'STARTS WITH'],
  ['ENDSWITH', 'ENDS WITH'],
]);

/** One condition of a dynamic group, with the stored LIKE pattern it compiles to. */
export interface Criterion {
  readonly field: CriterionField;
  /** Canonical label (nameKey) of the resource custom field, for field 'custom'. */
  readonly customLabelKey: string | null;
  readonly operator: CriterionOperator;
  readonly value: string;
  readonly pattern: string;
  readonly negate: boolean;
}

/** The prefix that names a resource additional field in condition_n: `CUSTOMFIELD:<label>`. */
export const CUSTOM_FIELD_PREFIX = 'CUSTOMFIELD:';

/** Escapes a value for LIKE ... ESCAPE '!' (lower case: both sides are compared in lower case). */
export function likeLiteral(value: string): string {
  return value.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`);
}

export function criterion(condition: string, operator: string, value: string, position: number): Criterion {
  const where = `criterion ${position}`;
  let field: CriterionField | undefined;
  let customLabelKey: string | null = null;
  const trimmed = condition.trim();
  if (trimmed.toUpperCase().startsWith(CUSTOM_FIELD_PREFIX)) {
    const label = trimmed.slice(CUSTOM_FIELD_PREFIX.length).normalize('NFC').trim().toLowerCase();
    if (label === '') throw new InvalidInputError(`${where}: ${CUSTOM_FIELD_PREFIX} needs a field label`);
    field = 'custom';
    customLabelKey = label;
  } else {
    field = FIELDS.get(trimmed.toUpperCase().replace(/[\s_]+/g, ''));
  }
  if (field === undefined) {
    throw new InvalidInputError(
      `${where}: unknown condition "${trimmed.slice(0, 60)}"; use one of ${[...FIELDS.keys()].join(', ')} or ${CUSTOM_FIELD_PREFIX}<label>`,
    );
  }
  const op = OPERATORS.get(operator.toUpperCase().replace(/[\s_]+/g, ''));
  if (op === undefined) {
    throw new InvalidInputError(
      `${where}: unknown operator "${operator.slice(0, 40)}"; use CONTAINS, NOT CONTAINS, EQUALS, NOT EQUALS, STARTS WITH or ENDS WITH`,
    );
  }
  const literal = likeLiteral(value);
  const pattern =
    op === 'CONTAINS' || op === 'NOT CONTAINS'
      ? `%${literal}%`
      : op === 'STARTS WITH'
        ? `${literal}%`
        : op === 'ENDS WITH'
          ? `%${literal}`
          : literal;
  return { field, customLabelKey, operator: op, value, pattern, negate: op.startsWith('NOT ') };
}

export type GroupType = 'static' | 'dynamic';

export interface NewResourceGroup {
  readonly name: string;
  readonly description: string | null;
  readonly type: GroupType;
  readonly parentId: number | null;
  readonly policy: string | null;
  readonly noHelpDeskRetrieval: boolean;
  readonly matchAll: boolean;
  readonly criteria: readonly Criterion[];
}

/** A change to a group (native edit): undefined leaves a field as it is; parentId null detaches. */
export interface ResourceGroupPatch {
  readonly description?: string | null;
  readonly parentId?: number | null;
  readonly policy?: string | null;
  readonly noHelpDeskRetrieval?: boolean;
  /** New criteria of a dynamic group, replacing all of its criteria. */
  readonly rules?: { readonly matchAll: boolean; readonly criteria: readonly Criterion[] };
}

export interface ResourceGroupView {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly type: GroupType;
  readonly parentId: number | null;
  readonly ownerId: number;
  readonly createdAt: number;
  readonly isOwner: boolean;
  readonly access: SharePermission;
}

/** The outcome for one id of a bulk call (79, 80, 60, 61). */
export interface ItemOutcome {
  readonly id: number;
  readonly ok: boolean;
  readonly message: string;
}

export function groupNameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}
