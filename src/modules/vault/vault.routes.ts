import { parseId } from '../../http/ids.js';
import type { PmpRouter } from '../../http/server.js';
import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { Secret } from '../../platform/crypto/secret.js';
import type { Caller } from '../../platform/principal.js';
import { resourceTypesContaining, type ResourceTypeDefinition } from './resource-types.js';
import {
  readAccountList,
  readAccountPatch,
  readCreateResource,
  readJustification,
  readResourcePatch,
  readResourceSearch,
} from './vault.input.js';
import type { NameCandidates, ResetType, VaultService } from './vault.service.js';
import { formDecode } from '../../http/form.js';
import {
  ACCOUNT_EXISTS,
  ACCOUNT_FLAGS,
  JustificationRequiredError,
  LIMITS,
  type AccessJustification,
  type AccountControls,
  type AccountFlagName,
  type AccountView,
  type CustomFieldValue,
  type ResourceView,
} from './vault.types.js';

const V1 = '/restapi/json/v1';
const NA = 'N/A';
const MASKED = '*****';
const IN_USE = '[In Use]';
/** Older than its policy's validity period (ADR 029); `[In Use]` is shown first. */
const EXPIRED = '[Expired]';

/** PASSWORD STATUS and EXPIRY STATUS of an account in listings (2) and details (3). */
function passwordStatus(a: { inUse: boolean; expired: boolean | undefined }) {
  return {
    'PASSWORD STATUS': a.inUse ? IN_USE : a.expired ? EXPIRED : MASKED,
    'EXPIRY STATUS': a.expired === undefined ? 'Never Expires' : a.expired ? 'Expired' : 'Valid',
  };
}

export interface VaultRouteDeps {
  readonly vault: VaultService;
  readonly time: TimeFormatter;
  /** RESETTYPE REMOTE of endpoint 5: the rotation service (ADR 028); without it REMOTE is refused. */
  readonly remoteReset?: {
    resetRemote(
      caller: Caller,
      resourceId: number,
      accountId: number,
      newPassword: Secret,
      why: AccessJustification,
    ): Promise<void>;
  };
}

/**
 * Endpoints 1–9, 18–22 and 78 of the PMP API, plus the lookups clients use beyond the
 * document (compat.md). Names, messages and answer shapes are those clients match on.
 */
/** RESETTYPE LOCAL (the default) changes the stored password; REMOTE also the target system. */
const RESET_TYPE = f.choice('RESETTYPE', ['LOCAL', 'REMOTE'] as const);

/**
 * The A2A operation CHANGE PASSWORD performs, read through the same field as its schema: the
 * router checks it before the schema runs, and an unreadable RESETTYPE names no operation.
 */
function a2aResetOperation(input: PmpInput): string | undefined {
  try {
    const type = RESET_TYPE.read(input) ?? 'LOCAL';
    return type === 'LOCAL' ? 'RESET_LOCAL' : 'RESET_REMOTE';
  } catch {
    return undefined;
  }
}

/** The reason and ticket a release of secret material may require (ADR 018). */
const JUSTIFICATION = f.group(['REASON', 'TICKETID'], readJustification);
const JUSTIFIED = inputSchema({ justification: JUSTIFICATION });

const RESOURCE_FIELDS = [
  'RESOURCENAME',
  'RESOURCETYPE',
  'DNSNAME',
  'RESOURCEDESCRIPTION',
  'DESCRIPTION',
  'DEPARTMENT',
  'LOCATION',
  'RESOURCEURL',
  'RESOURCEPASSWORDPOLICY',
  'RESOURCECUSTOMFIELD',
];
const ACCOUNT_FIELDS = [
  'ACCOUNTNAME',
  'PASSWORD',
  'ACCOUNTPASSWORDPOLICY',
  'ACCOUNTDESCRIPTION',
  'NOTES',
  'ACCOUNTCUSTOMFIELD',
  'ACCOUNT_RESOURCE_GROUP_IDS',
  'TOTP_SECRET',
  'TOTP_ALGORITHM',
  'TOTP_DIGITS',
  'TOTP_VALIDITY',
  ...Object.keys(ACCOUNT_FLAGS),
];

export function registerVaultRoutes(router: PmpRouter, { vault, time, remoteReset }: VaultRouteDeps): void {
  const ids = (params: Readonly<Record<string, string>>) => ({
    resourceId: parseId(params.resourceId, 'resource'),
    accountId: params.accountId === undefined ? 0 : parseId(params.accountId, 'account'),
  });

  // 1 (and resource search)
  router.add({
    method: 'GET',
    url: `${V1}/resources`,
    operation: 'GET RESOURCES',
    schema: inputSchema({
      search: f.group(['SEARCHVALUE', 'SEARCHCOLUMN', 'SEARCHTYPE'], readResourceSearch),
    }),
    async handle({ caller, fields }) {
      const resources = await vault.listResources(caller, fields.search);
      return {
        message: 'Resources fetched successfully',
        details: resources.map((r) => ({
          'RESOURCE DESCRIPTION': r.description ?? NA,
          'RESOURCE NAME': r.name,
          'RESOURCE ID': String(r.id),
          'RESOURCE TYPE': r.type,
          'DNS NAME': r.dnsName ?? NA,
          NOOFACCOUNTS: String(r.accountCount),
        })),
        totalRows: resources.length,
      };
    },
  });

  // 2
  router.add({
    method: 'GET',
    url: `${V1}/resources/:resourceId/accounts`,
    operation: 'GET RESOURCE ACCOUNTLIST',
    // PMP_API CREATE reads the resource's password policy to generate a conforming password.
    a2aOperation: ['RETRIEVE', 'CREATE'],
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const { resource, accounts } = await vault.getResource(caller, ids(params).resourceId);
      return {
        message: 'Resource details with account list fetched successfully',
        details: {
          ...presentResource(resource),
          'ACCOUNT LIST': accounts.map((a) => ({
            ISFAVPASS: 'false',
            'ACCOUNT NAME': a.name,
            PASSWDID: String(a.id),
            ...passwordStatus(a),
            'ACCOUNT ID': String(a.id),
            ...presentControls(a.controls),
          })),
        },
        totalRows: accounts.length,
      };
    },
  });

  // 3
  router.add({
    method: 'GET',
    url: `${V1}/resources/:resourceId/accounts/:accountId`,
    operation: 'GET RESOURCE ACCOUNT DETAILS',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const { resourceId, accountId } = ids(params);
      const { account } = await vault.getAccount(caller, resourceId, accountId);
      return { message: 'Account details fetched successfully', details: presentAccount(account, time) };
    },
  });

  // 4
  router.add({
    method: 'GET',
    url: `${V1}/resources/:resourceId/accounts/:accountId/password`,
    operation: 'GET PASSWORD',
    a2aOperation: 'RETRIEVE',
    schema: JUSTIFIED,
    async handle({ caller, params, fields }) {
      const { resourceId, accountId } = ids(params);
      const password = await vault.retrievePassword(caller, resourceId, accountId, fields.justification);
      return { message: 'Password fetched successfully', details: { PASSWORD: password.reveal() } };
    },
  });

  // 5
  router.add({
    method: 'PUT',
    url: `${V1}/resources/:resourceId/accounts/:accountId/password`,
    operation: 'CHANGE PASSWORD',
    a2aOperation: a2aResetOperation,
    // Its effects are the vault's transaction, or a remote reset that records its pending
    // rotation (a commit) before it reaches the target (ADR 028).
    replayableBeforeCommit: true,
    schema: inputSchema({
      newPassword: f.secret('NEWPASSWORD', { required: true, maxLength: LIMITS.password }),
      resetType: RESET_TYPE,
      justification: JUSTIFICATION,
    }),
    async handle({ caller, params, fields }) {
      const { resourceId, accountId } = ids(params);
      const resetType: ResetType = fields.resetType ?? 'LOCAL';
      if (resetType === 'REMOTE' && remoteReset) {
        // Changed on the target first, verified, then in the vault (two-phase, ADR 028).
        await remoteReset.resetRemote(
          caller,
          resourceId,
          accountId,
          fields.newPassword,
          fields.justification,
        );
        return { message: 'Password changed successfully' };
      }
      await vault.changePassword(
        caller,
        resourceId,
        accountId,
        fields.newPassword,
        resetType,
        fields.justification,
      );
      return { message: 'Password changed successfully' };
    },
  });

  // Native (not in the PMP document): earlier passwords, newest first. Owners and administrators.
  router.add({
    method: 'GET',
    url: `${V1}/resources/:resourceId/accounts/:accountId/passwordhistory`,
    operation: 'GET PASSWORD HISTORY',
    schema: JUSTIFIED,
    async handle({ caller, params, fields }) {
      const { resourceId, accountId } = ids(params);
      const history = await vault.passwordHistory(caller, resourceId, accountId, fields.justification);
      return {
        message: 'Password history fetched successfully',
        details: history.map((h) => ({
          PASSWORD: h.password?.reveal() ?? NA,
          'REPLACED TIME': time.pmpDateTime(h.replacedAt),
        })),
        totalRows: history.length,
      };
    },
  });

  // 6
  router.add({
    method: 'POST',
    url: `${V1}/resources`,
    operation: 'CREATE RESOURCE',
    a2aOperation: 'CREATE',
    schema: inputSchema({
      created: f.group(
        [...RESOURCE_FIELDS, ...ACCOUNT_FIELDS, 'OWNERNAME', 'RESOURCEGROUPNAME'],
        readCreateResource,
      ),
    }),
    async handle({ caller, fields }) {
      const { resource, account, ownerName, groupName } = fields.created;
      const created = await vault.createResource(caller, resource, account, ownerName, groupName);
      return {
        message: `Resource ${resource.name} has been added successfully`,
        details: { RESOURCEID: String(created.resourceId), ACCOUNTID: String(created.accountId) },
      };
    },
  });

  // 7, and the path form clients use: resourcename/{r}/accounts/accountname/{a}
  const idsByName = {
    operation: 'GET_RESOURCEACCOUNTID',
    // The first step of every PMP_API command on an account.
    a2aOperation: ['RETRIEVE', 'RESET_LOCAL', 'RESET_REMOTE'],
    message: 'Resource ID and account ID fetched successfully for the given resource name and account name.',
  };
  router.add({
    method: 'GET',
    url: `${V1}/resources/getResourceIdAccountId`,
    operation: idsByName.operation,
    a2aOperation: idsByName.a2aOperation,
    schema: inputSchema({
      resourceName: f.group(['RESOURCENAME'], (input) =>
        requiredName(input.value('RESOURCENAME', LIMITS.name), 'RESOURCENAME'),
      ),
      accountName: f.group(['ACCOUNTNAME'], (input) =>
        requiredName(input.value('ACCOUNTNAME', LIMITS.name), 'ACCOUNTNAME'),
      ),
    }),
    async handle({ caller, fields }) {
      const found = await vault.accountIdsByName(caller, [fields.resourceName], [fields.accountName]);
      return {
        message: idsByName.message,
        details: { RESOURCEID: String(found.resourceId), ACCOUNTID: String(found.accountId) },
      };
    },
  });
  router.add({
    method: 'GET',
    url: `${V1}/resources/resourcename/:resourceName/accounts/accountname/:accountName`,
    operation: idsByName.operation,
    a2aOperation: idsByName.a2aOperation,
    schema: NO_INPUT,
    async handle({ caller, params, rawParams }) {
      const found = await vault.accountIdsByName(
        caller,
        pathName(params.resourceName, rawParams.resourceName, 'resource name'),
        pathName(params.accountName, rawParams.accountName, 'account name'),
      );
      return {
        message: idsByName.message,
        details: { RESOURCEID: String(found.resourceId), ACCOUNTID: String(found.accountId) },
      };
    },
  });

  // 8
  router.add({
    method: 'GET',
    url: `${V1}/resources/resourcename/:resourceName`,
    operation: 'GET_RESOURCEID',
    // PMP_API CREATE looks the resource up to add an account to it.
    a2aOperation: ['RETRIEVE', 'CREATE'],
    schema: NO_INPUT,
    async handle({ caller, params, rawParams }) {
      const resourceId = await vault.resourceIdByName(
        caller,
        pathName(params.resourceName, rawParams.resourceName, 'resource name'),
      );
      return {
        message: 'Resource ID fetched successfully for the given resource name.',
        details: { RESOURCEID: String(resourceId) },
      };
    },
  });

  // getResourceAccountDetails (Ansible): resource details and a JSON *string* of account details with the password
  router.add({
    method: 'GET',
    url: `${V1}/resources/getResourceAccountDetails`,
    operation: 'GET RESOURCE ACCOUNT DETAILS',
    a2aOperation: 'RETRIEVE',
    schema: inputSchema({
      target: f.group(['RESOURCEID', 'ACCOUNTID', 'RESOURCENAME', 'ACCOUNTNAME'], readTarget),
      justification: JUSTIFICATION,
    }),
    async handle({ caller, fields: { target, justification } }) {
      let resourceId: number;
      let accountId: number;
      if (target.kind === 'ids') {
        ({ resourceId, accountId } = target);
      } else {
        const found = await vault.accountIdsByName(caller, [target.resourceName], [target.accountName]);
        ({ resourceId, accountId } = found);
      }
      let retrieved: Awaited<ReturnType<VaultService['retrieveAccountWithPassword']>>;
      try {
        retrieved = await vault.retrieveAccountWithPassword(caller, resourceId, accountId, justification);
      } catch (err) {
        // The shape the original answers when a reason is required and missing (compat.md):
        // PASSWORD_REASON in the account details string instead of PASSWORD. Nothing else is shown.
        if (!(err instanceof JustificationRequiredError) || err.missing !== 'REASON') throw err;
        return {
          status: 'Failed',
          statusCode: err.code,
          message: err.message,
          details: {
            ACCOUNTDETAILS: JSON.stringify({
              'RESOURCE ID': String(resourceId),
              'ACCOUNT ID': String(accountId),
              PASSWORD_REASON: err.message,
            }),
          },
        };
      }
      const { resource, account, password } = retrieved;
      return {
        message: 'Resource and account details fetched successfully',
        details: {
          RESOURCEDETAILS: presentResource(resource),
          ACCOUNTDETAILS: JSON.stringify({ ...presentAccount(account, time), PASSWORD: password.reveal() }),
        },
      };
    },
  });

  // 9
  router.add({
    method: 'DELETE',
    url: `${V1}/resources/:resourceId`,
    operation: 'DELETE RESOURCE',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const name = await vault.deleteResource(caller, ids(params).resourceId);
      return { message: 'Resources deleted successfully.', details: { RESOURCENAME: name } };
    },
  });

  // 18
  router.add({
    method: 'PUT',
    url: `${V1}/resources/:resourceId`,
    operation: 'EDIT RESOURCE',
    schema: inputSchema({ patch: f.group(RESOURCE_FIELDS, readResourcePatch) }),
    async handle({ caller, params, fields }) {
      const name = await vault.editResource(caller, ids(params).resourceId, fields.patch);
      return { message: `Resource ${name} modified successfully.` };
    },
  });

  // 19
  router.add({
    method: 'DELETE',
    url: `${V1}/resources/:resourceId/accounts/:accountId`,
    operation: 'DELETE ACCOUNT',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const { resourceId, accountId } = ids(params);
      const name = await vault.deleteAccount(caller, resourceId, accountId);
      return { message: `Account ${name} deleted successfully.` };
    },
  });

  // 20
  router.add({
    method: 'GET',
    url: `${V1}/resources/:resourceId/accounts/:accountId/downloadfile`,
    operation: 'DOWNLOAD FILE',
    schema: inputSchema({
      customField: f.group(['ISCUSTOMFIELD'], (input) => {
        if (input.details().boolean('ISCUSTOMFIELD')) {
          throw new InvalidInputError(
            'this vault stores files on the account itself, not in additional fields; omit ISCUSTOMFIELD',
          );
        }
        return false;
      }),
      justification: JUSTIFICATION,
    }),
    async handle({ caller, params, fields }) {
      const { resourceId, accountId } = ids(params);
      return { file: await vault.downloadFile(caller, resourceId, accountId, fields.justification) };
    },
  });

  // 21
  router.add({
    method: 'POST',
    url: `${V1}/resources/:resourceId/accounts`,
    operation: 'ADD ACCOUNTS',
    a2aOperation: 'CREATE',
    schema: inputSchema({
      accounts: f.group(['ACCOUNTLIST', ...ACCOUNT_FIELDS.map((n) => `ACCOUNTLIST[].${n}`)], readAccountList),
    }),
    async handle({ caller, params, fields }) {
      const outcomes = await vault.addAccounts(caller, ids(params).resourceId, fields.accounts);
      // Keyed by the names as sent: a Map (and Object.fromEntries, which defines properties), so
      // that an account named __proto__ is an entry like any other.
      const perAccount = new Map<string, unknown>();
      for (const outcome of outcomes) {
        // A name given twice: the first entry's outcome (the one that may have been added) stands.
        if (perAccount.has(outcome.name)) continue;
        perAccount.set(
          outcome.name,
          outcome.added
            ? { STATUS: 'Account added successfully', ACCOUNTID: String(outcome.accountId) }
            : { STATUS: outcome.reason },
        );
      }
      const added = outcomes.filter((o) => o.added).length;
      if (added === 0) {
        const allExist = outcomes.every((o) => !o.added && o.reason === ACCOUNT_EXISTS);
        return {
          status: 'Failed',
          statusCode: allExist ? 40900 : 40001,
          message: allExist
            ? 'No account was added: they all exist already'
            : 'No account was added; see Details for the reason of each',
          details: [Object.fromEntries(perAccount)],
        };
      }
      return {
        message:
          added === outcomes.length
            ? 'Account added successfully'
            : `${added} of ${outcomes.length} accounts added; see Details`,
        details: [Object.fromEntries(perAccount)],
      };
    },
  });

  // 22
  router.add({
    method: 'PUT',
    url: `${V1}/resources/:resourceId/accounts/:accountId`,
    operation: 'EDIT ACCOUNT',
    schema: inputSchema({ patch: f.group(ACCOUNT_FIELDS, readAccountPatch) }),
    async handle({ caller, params, fields }) {
      const { resourceId, accountId } = ids(params);
      const name = await vault.editAccount(caller, resourceId, accountId, fields.patch);
      return { message: `Account ${name} modified successfully` };
    },
  });

  // 91: the current TOTP code of an account (never its secret)
  router.add({
    method: 'GET',
    url: `${V1}/accounts/:accountId/totp`,
    operation: 'FETCH_CURRENT_TOTP',
    schema: JUSTIFIED,
    async handle({ caller, params, fields }) {
      const accountId = parseId(params.accountId, 'account');
      const code = await vault.currentTotp(caller, accountId, fields.justification);
      return { message: 'TOTP has been successfully fetched.', details: { TOTP: code.reveal() } };
    },
  });

  // 78; also the health check of several clients (Details must be non-empty)
  router.add({
    method: 'GET',
    url: `${V1}/resources/resourcetypes`,
    operation: 'GET RESOURCE TYPES',
    schema: inputSchema({
      filters: f.group(['RESOURCETYPE_CONTAINING'], (input) => {
        const raw = input.details().raw('RESOURCETYPE_CONTAINING');
        return (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).map((v) => {
          if (typeof v === 'object' && v !== null)
            throw new InvalidInputError('RESOURCETYPE_CONTAINING must be a list of text');
          return String(v);
        });
      }),
    }),
    async handle({ fields }) {
      const types = resourceTypesContaining(fields.filters);
      return {
        message: 'Resource Types fetched successfully',
        details: { RESOURCETYPES: types.map(presentResourceType) },
        totalRows: types.length,
      };
    },
  });
}

/** A name from a path segment, decoded both as a path and as a form value (see NameCandidates). */
function pathName(decoded: string | undefined, raw: string | undefined, what: string): NameCandidates {
  const name = requiredName(decoded, what);
  return raw === undefined ? [name] : [name, formDecode(raw).trim()];
}

function requiredName(value: string | undefined, what: string): string {
  const name = value?.trim();
  if (!name) throw new MissingFieldError(what);
  return name;
}

function presentCustomFields(fields: readonly CustomFieldValue[]) {
  return fields.map((f) => ({
    CUSTOMFIELDVALUE: f.value,
    CUSTOMFIELDTYPE: f.type,
    CUSTOMFIELDLABEL: f.label,
    CUSTOMFIELDCOLUMNNAME: f.columnName,
  }));
}

function presentResource(r: ResourceView) {
  return {
    'RESOURCE ID': String(r.id),
    'RESOURCE NAME': r.name,
    'RESOURCE DESCRIPTION': r.description ?? NA,
    'RESOURCE TYPE': r.type,
    'DNS NAME': r.dnsName ?? NA,
    'PASSWORD POLICY': r.passwordPolicy,
    DEPARTMENT: r.department ?? NA,
    LOCATION: r.location ?? NA,
    'RESOURCE URL': r.url ?? NA,
    'RESOURCE OWNER': r.ownerName,
    ...(r.customFields.length > 0 ? { 'CUSTOM FIELD': presentCustomFields(r.customFields) } : {}),
  };
}

function presentAccount(a: AccountView, time: TimeFormatter) {
  const flags: Record<string, string> = {};
  for (const name of Object.keys(ACCOUNT_FLAGS) as AccountFlagName[]) flags[name] = String(a.flags[name]);
  return {
    'ACCOUNT ID': String(a.id),
    'ACCOUNT NAME': a.name,
    'RESOURCE ID': String(a.resourceId),
    DESCRIPTION: a.description ?? NA,
    NOTES: a.notes ?? NA,
    'LAST ACCESSED TIME': a.lastAccessedAt === undefined ? NA : time.pmpDateTime(a.lastAccessedAt),
    'LAST MODIFIED TIME': time.pmpDateTime(a.modifiedAt),
    ...passwordStatus(a),
    PASSWDID: String(a.id),
    'PASSWORD POLICY': a.passwordPolicy,
    'ACCOUNT OWNER': a.ownerName,
    'HAS FILE': String(a.hasFile),
    ...flags,
    ...(a.customFields.length > 0 ? { 'CUSTOM FIELD': presentCustomFields(a.customFields) } : {}),
  };
}

/** The retrieval controls as PMP lists them per account ("true"/"false"). */
function presentControls(c: AccountControls) {
  return {
    ISREASONREQUIRED: String(c.reasonRequired),
    IS_TICKETID_REQD: String(c.ticketIdRequired),
    IS_TICKETID_REQD_MANDATORY: String(c.ticketIdMandatory),
    ACCESS_CONTROL: String(c.accessControl),
  };
}

function presentResourceType(t: ResourceTypeDefinition) {
  return {
    COMMAND_SET: t.commandSet,
    ISSYNCSUPPORTED: String(t.syncSupported),
    CUSTOMRESOURCETYPE: t.customResourceTypeOf,
    ISCERTIFICATE: String(t.isCertificate),
    CATEGORY: t.category,
    SYNCTYPE: t.syncType,
    ISDEFAULT_SUPPORTED_RESOURCETYPE: 'true',
    OSID: String(t.osId),
    RESOURCE_ATTRIBUTES: t.resourceAttributes,
    ACCOUNT_ATTRIBUTES: t.accountAttributes,
    RESOURCETYPE: t.name,
    DEFAULTRESOURCETYPE: 'false',
  };
}

/** getResourceAccountDetails: the account by its IDs, else by its names. */
function readTarget(
  input: PmpInput,
):
  | { kind: 'ids'; resourceId: number; accountId: number }
  | { kind: 'names'; resourceName: string; accountName: string } {
  const rawResourceId = input.value('RESOURCEID', 40);
  const rawAccountId = input.value('ACCOUNTID', 40);
  if (rawResourceId || rawAccountId) {
    return {
      kind: 'ids',
      resourceId: parseId(rawResourceId ?? '', 'resource'),
      accountId: parseId(rawAccountId ?? '', 'account'),
    };
  }
  return {
    kind: 'names',
    resourceName: requiredName(input.value('RESOURCENAME', LIMITS.name), 'RESOURCEID or RESOURCENAME'),
    accountName: requiredName(input.value('ACCOUNTNAME', LIMITS.name), 'ACCOUNTID or ACCOUNTNAME'),
  };
}
