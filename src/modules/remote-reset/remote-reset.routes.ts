import type { PmpRouter } from '../../http/server.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import type { FieldReader } from '../../http/field-reader.js';
import type { PmpInput } from '../../http/input.js';
import { parseId } from '../../http/ids.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { RemoteResetService } from './remote-reset.service.js';
import {
  LIMITS,
  RESOURCE_TYPE_NAMES,
  RESOURCE_TYPE_OF_KIND,
  type ConfigurationResult,
  type OfferedHostKey,
  type PinnedHostKey,
  type RemoteResetDraft,
  type RemoteResetView,
} from './remote-reset.types.js';

const V1 = '/restapi/json/v1';
const MAX_RESOURCES = 1000;

/** Every field of endpoint 63 (and of the native PUT), as the reference names them. */
export const DRAFT_FIELDS = [
  'REMOTEMODE',
  'LINUX_SSHTELNETPORT',
  'PORT',
  'LINUX_USERPROMPT',
  'LINUX_LANDINGSERVER',
  'RESOURCEIDENTIFIER',
  'WDRESOURCEID',
  'WDACCOUNTID',
  'REMOTELOGINACCOUNT',
  'AUTHENTICATION',
  'ELEVATIONTYPE',
  'ROOTACCOUNT',
  'LINUXROOTUSERPROMPT',
  'RESOURCETYPE',
  'REMOVEENTER',
  'DATABASE',
  'PRIVATEKEY',
  'PASSPHRASE',
] as const;

/** A TCP port: a whole number from 1 to 65535, as a number or text. */
export function readPort(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65_535) {
    throw new InvalidInputError(`${name} must be a port number from 1 to 65535; got "${value.slice(0, 40)}"`);
  }
  return Number(value);
}

/** The draft of endpoint 63 / the native PUT, every field validated before any lookup. */
export function readDraft(input: PmpInput): RemoteResetDraft {
  return readDraftFields(input.details());
}

/** The same fields from any reader (the CLI builds one from its options). */
export function readDraftFields(d: FieldReader): RemoteResetDraft {
  const text = (name: string, maxLength: number) => d.string(name, { maxLength });
  const sshPort = readPort(text('LINUX_SSHTELNETPORT', 10), 'LINUX_SSHTELNETPORT');
  const port = readPort(text('PORT', 10), 'PORT');
  const wdResource = text('WDRESOURCEID', 40);
  const wdAccount = text('WDACCOUNTID', 40);
  let resetAccount: RemoteResetDraft['resetAccount'];
  if (wdResource !== undefined || wdAccount !== undefined) {
    if (!wdResource && !wdAccount) resetAccount = null;
    else if (!wdAccount) throw new MissingFieldError('WDACCOUNTID');
    else if (!wdResource) throw new MissingFieldError('WDRESOURCEID');
    else {
      resetAccount = {
        resourceId: parseId(wdResource, 'resource'),
        accountId: parseId(wdAccount, 'account'),
      };
    }
  }
  const prompt = (name: string) => {
    const value = text(name, LIMITS.prompt);
    if (value === '') throw new InvalidInputError(`${name} is empty; give the prompt the shell shows`);
    return value;
  };
  const draft: RemoteResetDraft = {
    remoteMode: d.choice('REMOTEMODE', ['ssh', 'telnet'] as const),
    port: sshPort ?? port,
    userPrompt: prompt('LINUX_USERPROMPT'),
    rootPrompt: prompt('LINUXROOTUSERPROMPT'),
    landingServer: text('LINUX_LANDINGSERVER', LIMITS.name),
    resourceIdentifier: d.choice('RESOURCEIDENTIFIER', ['linux', 'others'] as const),
    resetAccount,
    loginAccount: text('REMOTELOGINACCOUNT', LIMITS.name),
    authentication: d.choice('AUTHENTICATION', ['passauth', 'keyauth'] as const),
    elevation: d.choice('ELEVATIONTYPE', ['su', 'sudo'] as const),
    rootAccount: text('ROOTACCOUNT', LIMITS.name),
    resourceType: d.choice('RESOURCETYPE', RESOURCE_TYPE_NAMES),
    removeEnter: d.boolean('REMOVEENTER'),
    database: text('DATABASE', LIMITS.database),
    privateKey: d.secret('PRIVATEKEY', { maxLength: LIMITS.privateKey }),
    passphrase: d.secret('PASSPHRASE', { maxLength: LIMITS.passphrase }),
  };
  // Absent fields stay absent (a PUT changes only what it names).
  return Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== undefined));
}

function resultLine(r: ConfigurationResult) {
  return {
    STATUS: r.ok ? 'SUCCESS' : 'FAILED',
    ...(r.resourceName !== undefined ? { RESOURCENAME: r.resourceName } : {}),
    RESOURCEID: String(r.resourceId),
    ...(r.message !== undefined ? { MESSAGE: r.message } : {}),
  };
}

/** A configuration as answered: the field names of endpoint 63, no secret (only whether a key is held). */
export function configurationDetails(v: RemoteResetView, time: TimeFormatter) {
  return {
    RESOURCEID: String(v.resourceId),
    RESOURCENAME: v.resourceName,
    RESOURCETYPE: RESOURCE_TYPE_OF_KIND[v.kind],
    REMOTEMODE: v.remoteMode,
    HOST: v.host,
    ...(v.unconfirmedDnsName !== undefined ? { UNCONFIRMED_DNSNAME: v.unconfirmedDnsName } : {}),
    ...(v.kind === 'linux' ? { LINUX_SSHTELNETPORT: String(v.port) } : { PORT: String(v.port) }),
    ...(v.kind === 'linux'
      ? {
          LINUX_USERPROMPT: v.userPrompt,
          LINUXROOTUSERPROMPT: v.rootPrompt,
          LINUX_LANDINGSERVER: v.landingServer?.name ?? '',
          RESOURCEIDENTIFIER: v.resourceIdentifier,
          REMOTELOGINACCOUNT: v.loginAccount?.name ?? '',
          ELEVATIONTYPE: v.elevation,
          ROOTACCOUNT: v.rootAccount?.name ?? '',
          REMOVEENTER: String(v.removeEnter),
          AUTHENTICATION: v.authentication,
          PRIVATEKEY_PRESENT: String(v.keyPresent),
          PASSPHRASE_PRESENT: String(v.passphrasePresent),
          ...(v.keyFingerprint ? { KEY_FINGERPRINT: v.keyFingerprint } : {}),
        }
      : { DATABASE: v.database ?? '' }),
    WDRESOURCEID: v.resetAccount ? String(v.resetAccount.resourceId) : '',
    WDACCOUNTID: v.resetAccount ? String(v.resetAccount.id) : '',
    WDACCOUNTNAME: v.resetAccount ? `${v.resetAccount.resourceName}/${v.resetAccount.name}` : '',
    CONFIGUREDAT: time.pmpDateTime(v.configuredAt),
  };
}

const pinnedDetails = (k: PinnedHostKey, time: TimeFormatter) => ({
  HOST: k.host,
  PORT: String(k.port),
  ALGORITHM: k.algorithm,
  FINGERPRINT: k.fingerprint,
  PUBLICKEY: k.key,
  PINNED: time.pmpDateTime(k.pinnedAt),
  PINNEDHOW: k.pinnedHow,
  PINNEDBY: k.pinnedBy,
});

const offeredDetails = (k: OfferedHostKey, time: TimeFormatter) => ({
  HOST: k.host,
  PORT: String(k.port),
  ALGORITHM: k.algorithm,
  FINGERPRINT: k.fingerprint,
  PUBLICKEY: k.key,
  FIRSTOFFERED: time.pmpDateTime(k.firstOfferedAt),
  LASTOFFERED: time.pmpDateTime(k.lastOfferedAt),
  TIMESOFFERED: String(k.timesOffered),
});

const hostAndPort = {
  host: f.value('HOST', LIMITS.host, { required: true }),
  port: f.group(['PORT'], (input) => {
    const port = readPort(input.value('PORT', 10), 'PORT');
    if (port === undefined) throw new MissingFieldError('PORT');
    return port;
  }),
};

/**
 * Endpoint 63 and the native configuration and host key endpoints (ADR 027). Services authorise;
 * routes only read input and shape answers.
 */
export function registerRemoteResetRoutes(
  router: PmpRouter,
  { remoteReset, time }: { remoteReset: RemoteResetService; time: TimeFormatter },
): void {
  // 63
  router.add({
    method: 'POST',
    url: `${V1}/resources/configureremotepasswordreset`,
    operation: 'CONFIGURE REMOTE PASSWORD RESET',
    schema: inputSchema({
      draft: f.group(DRAFT_FIELDS, readDraft),
      ids: f.idList('RESOURCEIDS', 'resource', { required: true, maxItems: MAX_RESOURCES }),
    }),
    async handle({ caller, fields: { draft, ids } }) {
      const results = await remoteReset.configure({ caller }, ids, draft);
      const details = { 'CONFIGURATION RESULT': results.map(resultLine) };
      const succeeded = results.filter((r) => r.ok).length;
      if (succeeded === 0) {
        return {
          status: 'Failed',
          statusCode: RESULT_CODES.noItemSucceeded.code,
          message: 'Password reset details could not be configured for any of the resources; see Details',
          details,
        };
      }
      return {
        message:
          succeeded === results.length
            ? 'Password reset details configured for the matching resources.'
            : `Password reset details configured for ${succeeded} of ${results.length} resources; see Details`,
        details,
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${V1}/resources/:resourceId/remotepasswordreset`,
    operation: 'GET REMOTE PASSWORD RESET CONFIGURATION',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const view = await remoteReset.show({ caller }, parseId(params.resourceId, 'resource'));
      return {
        message: 'Remote password reset configuration fetched successfully',
        details: configurationDetails(view, time),
      };
    },
  });

  router.add({
    method: 'PUT',
    url: `${V1}/resources/:resourceId/remotepasswordreset`,
    operation: 'CHANGE REMOTE PASSWORD RESET CONFIGURATION',
    schema: inputSchema({ draft: f.group(DRAFT_FIELDS, readDraft) }),
    async handle({ caller, params, fields: { draft } }) {
      const view = await remoteReset.change({ caller }, parseId(params.resourceId, 'resource'), draft);
      return {
        message: `Remote password reset configuration of ${view.resourceName} changed successfully`,
        details: configurationDetails(view, time),
      };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${V1}/resources/:resourceId/remotepasswordreset`,
    operation: 'REMOVE REMOTE PASSWORD RESET CONFIGURATION',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const name = await remoteReset.remove({ caller }, parseId(params.resourceId, 'resource'));
      return { message: `Remote password reset configuration of ${name} removed successfully` };
    },
  });

  router.add({
    method: 'GET',
    url: `${V1}/sshhostkeys`,
    operation: 'GET SSH HOST KEYS',
    schema: NO_INPUT,
    async handle({ caller }) {
      const { pinned, offered } = await remoteReset.listHostKeys({ caller });
      return {
        message: 'SSH host keys fetched successfully',
        details: {
          PINNED: pinned.map((k) => pinnedDetails(k, time)),
          OFFERED: offered.map((k) => offeredDetails(k, time)),
        },
        totalRows: pinned.length + offered.length,
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${V1}/sshhostkeys/accept`,
    operation: 'ACCEPT SSH HOST KEY',
    schema: inputSchema({
      ...hostAndPort,
      fingerprint: f.value('FINGERPRINT', LIMITS.fingerprint, { required: true }),
    }),
    async handle({ caller, fields: { host, port, fingerprint } }) {
      const pin = await remoteReset.acceptHostKey({ caller }, host, port, fingerprint);
      return {
        message: `The host key ${pin.fingerprint} of ${pin.host}:${pin.port} is now pinned`,
        details: pinnedDetails(pin, time),
      };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${V1}/sshhostkeys`,
    operation: 'REMOVE SSH HOST KEY PIN',
    schema: inputSchema(hostAndPort),
    async handle({ caller, fields: { host, port } }) {
      await remoteReset.removeHostKeyPin({ caller }, host, port);
      return {
        message: `The host key pin of ${host.trim().toLowerCase()}:${port} was removed; the next connection pins on first use`,
      };
    },
  });
}
