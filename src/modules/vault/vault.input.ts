import type { FieldReader } from '../../http/field-reader.js';
import type { PmpInput } from '../../http/input.js';
import { DomainError, InvalidInputError } from '../../platform/errors.js';
import { decodeBase32, TOTP_ALGORITHMS, type TotpAlgorithm } from '../../platform/crypto/totp.js';
import type { SearchFilter } from './vault.repository.js';
import type { AccountDraft } from './vault.service.js';
import {
  ACCOUNT_FLAGS,
  CUSTOM_FIELD_TYPES,
  LIMITS,
  type AccessJustification,
  type AccountFlagName,
  type AccountFlags,
  type AccountPatch,
  type CustomFieldInput,
  type NewAccount,
  type ResourceFields,
  type ResourcePatch,
  type TotpInput,
} from './vault.types.js';

/**
 * Translation of PMP INPUT_DATA into the vault's own types. Field names are those of the API
 * document; limits and shapes are checked here so that the service receives only
 * well-formed values.
 */

// Control characters in names would break listings, logs and exports.
const CONTROL = /[\u0000-\u001f\u007f]/;

function name(details: FieldReader, field: string, required: true): string;
function name(details: FieldReader, field: string, required: false): string | undefined;
function name(details: FieldReader, field: string, required: boolean): string | undefined {
  const value = details.string(field, { required, maxLength: LIMITS.name });
  if (value === undefined) return undefined;
  if (value === '') throw new InvalidInputError(`${field} cannot be empty`);
  if (CONTROL.test(value)) throw new InvalidInputError(`${field} cannot contain control characters`);
  return value.normalize('NFC');
}

/** Optional text: absent stays undefined (unchanged), empty becomes null (cleared). */
function optionalText(
  details: FieldReader,
  field: string,
  maxLength: number,
  ...aliases: string[]
): string | null | undefined {
  for (const candidate of [field, ...aliases]) {
    if (!details.has(candidate)) continue;
    const value = details.string(candidate, { maxLength });
    return value === undefined || value === '' ? null : value;
  }
  return undefined;
}

function customFields(details: FieldReader, field: string): CustomFieldInput[] {
  return details.objectList(field, { maxItems: LIMITS.customFieldsPerObject }).map((entry) => {
    const label =
      entry.string('CUSTOMLABEL', { maxLength: LIMITS.customLabel }) ??
      entry.string('CUSTOMFIELDLABEL', { maxLength: LIMITS.customLabel });
    if (label === undefined || label === '')
      throw new InvalidInputError(`${field}: every additional field needs a CUSTOMLABEL`);
    const type = entry.has('CUSTOMTYPE')
      ? entry.choice('CUSTOMTYPE', CUSTOM_FIELD_TYPES)
      : entry.choice('CUSTOMFIELDTYPE', CUSTOM_FIELD_TYPES);
    const value = entry.has('CUSTOMVALUE')
      ? entry.secret('CUSTOMVALUE', { maxLength: LIMITS.customValue })
      : entry.secret('CUSTOMFIELDVALUE', { maxLength: LIMITS.customValue });
    return { label, type, value };
  });
}

function accountFlags(details: FieldReader): AccountFlags {
  const flags: AccountFlags = {};
  for (const flag of Object.keys(ACCOUNT_FLAGS) as AccountFlagName[]) {
    const value = details.boolean(flag);
    if (value !== undefined) flags[flag] = value;
  }
  return flags;
}

const TOTP_FIELDS = ['TOTP_SECRET', 'TOTP_ALGORITHM', 'TOTP_DIGITS', 'TOTP_VALIDITY'] as const;

function wholeNumber(details: FieldReader, field: string, min: number, max: number, what: string) {
  const text = details.string(field, { maxLength: 20 });
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new InvalidInputError(`${field} must be ${what}; got "${text}"`);
  }
  return value;
}

/**
 * The account's TOTP (build 12430+): an empty TOTP_SECRET removes it. The secret is never
 * repeated in a message.
 */
function totpInput(details: FieldReader): TotpInput | undefined {
  if (!TOTP_FIELDS.some((field) => details.has(field))) return undefined;
  let secret: Buffer | null | undefined;
  if (details.has('TOTP_SECRET')) {
    const text = details.string('TOTP_SECRET', { maxLength: LIMITS.totpSecret }) ?? '';
    if (text === '') secret = null;
    else {
      secret = decodeBase32(text);
      if (secret === undefined) {
        throw new InvalidInputError(
          'TOTP_SECRET is not a base32 secret (letters A-Z and digits 2-7, as authenticator apps show it)',
        );
      }
    }
  }
  let algorithm: TotpAlgorithm | undefined;
  const rawAlgorithm = details.string('TOTP_ALGORITHM', { maxLength: 40 });
  if (rawAlgorithm) {
    const canonical = rawAlgorithm
      .toUpperCase()
      .replace(/^HMAC/, '')
      .replace(/[-_\s]/g, '');
    algorithm = TOTP_ALGORITHMS.find((a) => a === canonical);
    if (algorithm === undefined) {
      throw new InvalidInputError(`TOTP_ALGORITHM must be SHA1, SHA256 or SHA512; got "${rawAlgorithm}"`);
    }
  }
  return {
    secret,
    algorithm,
    digits: wholeNumber(details, 'TOTP_DIGITS', 6, 8, '6, 7 or 8'),
    period: wholeNumber(details, 'TOTP_VALIDITY', 1, 86_400, 'a number of seconds from 1 to 86400'),
  };
}

function policyName(details: FieldReader, field: string): string | undefined {
  const value = details.string(field, { maxLength: LIMITS.policyName });
  return value === '' ? undefined : value;
}

/** REASON and TICKETID, from INPUT_DATA or the query string (GET clients use both). */
export function readJustification(input: PmpInput): AccessJustification {
  return {
    reason: input.value('REASON', LIMITS.reason) || null,
    ticketId: input.value('TICKETID', LIMITS.ticketId) || null,
  };
}

function newAccount(details: FieldReader): NewAccount {
  const totp = totpInput(details);
  if (totp && !totp.secret && (totp.algorithm || totp.digits || totp.period)) {
    throw new InvalidInputError('TOTP_ALGORITHM, TOTP_DIGITS and TOTP_VALIDITY need a TOTP_SECRET');
  }
  return {
    totp: totp?.secret ? totp : undefined,
    name: name(details, 'ACCOUNTNAME', true),
    password: details.secret('PASSWORD', { required: true, maxLength: LIMITS.password })!,
    passwordPolicy: policyName(details, 'ACCOUNTPASSWORDPOLICY') ?? null,
    description: optionalText(details, 'DESCRIPTION', LIMITS.description, 'ACCOUNTDESCRIPTION') ?? null,
    notes: optionalText(details, 'NOTES', LIMITS.notes) ?? null,
    flags: accountFlags(details),
    customFields: customFields(details, 'ACCOUNTCUSTOMFIELD'),
    groupIds: accountGroupIds(details),
  };
}

/** ACCOUNT_RESOURCE_GROUP_IDS (build 12230+): static resource groups to add the account to. */
function accountGroupIds(details: FieldReader): number[] | undefined {
  if (!details.has('ACCOUNT_RESOURCE_GROUP_IDS')) return undefined;
  return details.idList('ACCOUNT_RESOURCE_GROUP_IDS', 'resource group', { maxItems: 100 });
}

/** CREATE RESOURCE: the resource, its first account, and an optional owner. */
export function readCreateResource(input: PmpInput): {
  resource: ResourceFields;
  account: NewAccount;
  ownerName: string | undefined;
  groupName: string | undefined;
} {
  const details = input.details();
  const resource: ResourceFields = {
    name: name(details, 'RESOURCENAME', true),
    type: details.requiredString('RESOURCETYPE', 100),
    dnsName: optionalText(details, 'DNSNAME', LIMITS.shortText, 'DNS NAME', 'RESOURCEDNSNAME') ?? null,
    description: optionalText(details, 'RESOURCEDESCRIPTION', LIMITS.description, 'DESCRIPTION') ?? null,
    department: optionalText(details, 'DEPARTMENT', LIMITS.shortText) ?? null,
    location: optionalText(details, 'LOCATION', LIMITS.shortText) ?? null,
    url: optionalText(details, 'RESOURCEURL', LIMITS.url) ?? null,
    passwordPolicy: policyName(details, 'RESOURCEPASSWORDPOLICY') ?? null,
    customFields: customFields(details, 'RESOURCECUSTOMFIELD'),
  };
  const file = input.file();
  const account: NewAccount = {
    ...newAccount(details),
    // DESCRIPTION describes the resource here; the account has none of its own at creation.
    description: optionalText(details, 'ACCOUNTDESCRIPTION', LIMITS.description) ?? null,
    file: file && { fileName: file.fileName, contentType: file.contentType, content: file.content },
  };
  const ownerName = details.string('OWNERNAME', { maxLength: LIMITS.name });
  return {
    resource,
    account,
    ownerName: ownerName === '' ? undefined : ownerName,
    groupName: name(details, 'RESOURCEGROUPNAME', false),
  };
}

/** ADD ACCOUNTS: each entry read on its own, so one bad entry is reported, not fatal. */
export function readAccountList(input: PmpInput): AccountDraft[] {
  const details = input.details();
  const entries = details.objectList('ACCOUNTLIST', { required: true, maxItems: LIMITS.accountsPerRequest });
  return entries.map((entry, index) => {
    try {
      return { ok: true, account: newAccount(entry) };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const raw = entry.raw('ACCOUNTNAME');
      const label =
        typeof raw === 'string' && raw.trim() !== ''
          ? raw.trim().slice(0, LIMITS.name)
          : `ACCOUNTLIST[${index}]`;
      return { ok: false, name: label, reason: err.message };
    }
  });
}

export function readResourcePatch(input: PmpInput): ResourcePatch {
  const details = input.details();
  const patch = {
    name: name(details, 'RESOURCENAME', false),
    type: details.string('RESOURCETYPE', { maxLength: 100 }) || undefined,
    dnsName: optionalText(details, 'DNSNAME', LIMITS.shortText, 'DNS NAME', 'RESOURCEDNSNAME'),
    description: optionalText(details, 'RESOURCEDESCRIPTION', LIMITS.description, 'DESCRIPTION'),
    department: optionalText(details, 'DEPARTMENT', LIMITS.shortText),
    location: optionalText(details, 'LOCATION', LIMITS.shortText),
    url: optionalText(details, 'RESOURCEURL', LIMITS.url),
    passwordPolicy: policyName(details, 'RESOURCEPASSWORDPOLICY'),
    customFields: details.has('RESOURCECUSTOMFIELD')
      ? customFields(details, 'RESOURCECUSTOMFIELD')
      : undefined,
  };
  const defined = Object.fromEntries(
    Object.entries(patch).filter(([, v]) => v !== undefined),
  ) as ResourcePatch;
  if (Object.keys(defined).length === 0) {
    throw new InvalidInputError(
      'nothing to change: give at least one of RESOURCENAME, RESOURCETYPE, DNSNAME, RESOURCEDESCRIPTION, DEPARTMENT, LOCATION, RESOURCEURL, RESOURCEPASSWORDPOLICY, RESOURCECUSTOMFIELD',
    );
  }
  return defined;
}

export function readAccountPatch(input: PmpInput): AccountPatch {
  const details = input.details();
  const flags = accountFlags(details);
  const patch = {
    name: name(details, 'ACCOUNTNAME', false),
    passwordPolicy: policyName(details, 'ACCOUNTPASSWORDPOLICY'),
    description: optionalText(details, 'DESCRIPTION', LIMITS.description, 'ACCOUNTDESCRIPTION'),
    notes: optionalText(details, 'NOTES', LIMITS.notes),
    flags: Object.keys(flags).length > 0 ? flags : undefined,
    customFields: details.has('ACCOUNTCUSTOMFIELD') ? customFields(details, 'ACCOUNTCUSTOMFIELD') : undefined,
    totp: totpInput(details),
    groupIds: accountGroupIds(details),
  };
  const defined = Object.fromEntries(
    Object.entries(patch).filter(([, v]) => v !== undefined),
  ) as AccountPatch;
  if (Object.keys(defined).length === 0) {
    throw new InvalidInputError(
      `nothing to change: give at least one of ACCOUNTNAME, ACCOUNTPASSWORDPOLICY, DESCRIPTION, NOTES, ACCOUNTCUSTOMFIELD, ACCOUNT_RESOURCE_GROUP_IDS, ${TOTP_FIELDS.join(', ')}, ${Object.keys(ACCOUNT_FLAGS).join(', ')}`,
    );
  }
  return defined;
}

/** SEARCHCOLUMN as sent → the column (a Map: never a caller's text looked up in a plain object). */
const SEARCH_COLUMNS: ReadonlyMap<string, SearchFilter['column']> = new Map<string, SearchFilter['column']>([
  ['RESOURCENAME', 'name'],
  ['RESOURCEDESCRIPTION', 'description'],
  ['DESCRIPTION', 'description'],
  ['DNSNAME', 'dns_name'],
  ['RESOURCETYPE', 'resource_type'],
  ['DEPARTMENT', 'department'],
  ['LOCATION', 'location'],
  ['RESOURCEURL', 'url'],
]);

/** Resource search: SEARCHCOLUMN / SEARCHVALUE / SEARCHTYPE (RESOURCE). Absent: no filter. */
export function readResourceSearch(input: PmpInput): SearchFilter | undefined {
  const value = input.value('SEARCHVALUE', LIMITS.name);
  const columnName = (input.value('SEARCHCOLUMN', 50) || 'RESOURCENAME').toUpperCase().replace(/[\s_]/g, '');
  const searchType = (input.value('SEARCHTYPE', 50) || 'RESOURCE').toUpperCase();
  if (value === undefined || value === '') return undefined;
  if (searchType !== 'RESOURCE')
    throw new InvalidInputError(`SEARCHTYPE must be RESOURCE; got "${searchType.slice(0, 40)}"`);
  const column = SEARCH_COLUMNS.get(columnName);
  if (column === undefined) {
    throw new InvalidInputError(`SEARCHCOLUMN must be one of ${[...SEARCH_COLUMNS.keys()].join(', ')}`);
  }
  return { column, value };
}
