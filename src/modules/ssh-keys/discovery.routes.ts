import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { TimeFormatter } from '../../platform/time.js';
import { DiscoveryFailedError, type SshKeyDiscovery } from './discovery.service.js';
import {
  discoveredKeyName,
  DISCOVERY_LIMITS,
  storeTypeOf,
  type FoundOn,
  type ResourceFindings,
} from './discovery.types.js';

const PKI = '/api/pki/restapi';
const NAME_LIMIT = 255;

/** Where a key was found, as 27 and 28 show it (`FoundOn`). */
export function foundOnDetails(found: readonly FoundOn[], time: TimeFormatter) {
  return found.map((f) => ({
    ResourceName: f.resourceName,
    UserName: f.userName,
    Line: f.line,
    Options: f.options,
    LastSeen: time.auditTime(f.lastSeen),
  }));
}

/** A resource's last discovery as the PKI API answers it (discoverSSHKeys, getDiscoveredSSHKeys). */
function findingsDetails(found: ResourceFindings, time: TimeFormatter) {
  const at = (ms: number | undefined) => (ms === undefined ? '' : time.auditTime(ms));
  return {
    ResourceName: found.resourceName,
    DiscoveredAt: at(found.discoveredAt),
    DiscoveredBy: found.discoveredBy ?? '',
    Host: found.host ?? '',
    LastAttemptAt: at(found.attemptedAt),
    LastError: found.lastError ? { Reason: found.lastError.reason, Message: found.lastError.message } : null,
    Accounts: found.accounts.map((a) => ({
      UserName: a.userName,
      File: a.file,
      Keys: found.keys.filter((k) => k.userName === a.userName).length,
      InvalidLines: a.invalid.map((l) => ({ Line: l.line, Text: l.text, Problem: l.problem })),
    })),
    Keys: found.keys.map((k) => ({
      UserName: k.userName,
      Line: k.line,
      // A store key's name when the caller may see it; the discovered name of an unknown key.
      KeyName: k.vaultKeys[0] ?? (k.known ? '' : discoveredKeyName(k.fingerprint)),
      KeyType: storeTypeOf(k.keyType),
      SSHKeyType: k.keyType,
      KeyLength: String(k.bits),
      FingerPrint: k.fingerprint,
      Comment: k.comment,
      Options: k.options,
      PublicKey: k.publicKey,
      Known: k.known,
      VaultKeys: k.vaultKeys,
      FirstSeen: time.auditTime(k.firstSeen),
      LastSeen: time.auditTime(k.lastSeen),
    })),
  };
}

const text = (input: PmpInput, name: string) => {
  const value = input.details().string(name, { maxLength: NAME_LIMIT });
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

/** `resourceName` or `resourceGroupName`: exactly one. */
const discoveryTarget = f.group(
  ['resourceName', 'resourceGroupName'],
  (input: PmpInput): { resource: string } | { group: string } => {
    const resource = text(input, 'resourceName');
    const group = text(input, 'resourceGroupName');
    if (resource !== undefined && group !== undefined)
      throw new InvalidInputError('Give resourceName or resourceGroupName, not both');
    if (resource !== undefined) return { resource };
    if (group !== undefined) return { group };
    throw new MissingFieldError('resourceName');
  },
);

const resourceName = f.group(['resourceName'], (input: PmpInput) => {
  const name = text(input, 'resourceName');
  if (name === undefined) throw new MissingFieldError('resourceName');
  return name;
});

/** A whole number from `min` to `max`, as a number or text; undefined when absent. */
function wholeNumber(name: string, min: number, max: number) {
  return f.group([name], (input: PmpInput) => {
    const value = input.details().string(name, { maxLength: 10 });
    if (value === undefined || value.trim() === '') return undefined;
    const n = Number(value.trim());
    if (!/^\d{1,7}$/.test(value.trim()) || n < min || n > max)
      throw new InvalidInputError(
        `${name} must be a whole number from ${min} to ${max}; got "${value.slice(0, 20)}"`,
      );
    return n;
  });
}

/**
 * Native PKI endpoints of SSH key discovery (ADR 034, docs/ssh-keys.md "Discovery"): run it on a
 * resource (answered at once) or on a resource group (a job), and read a resource's findings.
 * Applications are refused (no A2A operation).
 */
export function registerDiscoveryRoutes(
  router: PmpRouter,
  deps: { discovery: SshKeyDiscovery; time: TimeFormatter },
): void {
  const { discovery, time } = deps;

  router.add({
    method: 'POST',
    url: `${PKI}/discoverSSHKeys`,
    operation: 'DiscoverSSHKeys',
    schema: inputSchema({
      target: discoveryTarget,
      concurrency: wholeNumber('concurrency', 1, DISCOVERY_LIMITS.maxConcurrency),
      timeout: wholeNumber(
        'timeout',
        DISCOVERY_LIMITS.minTimeoutMs / 1000,
        DISCOVERY_LIMITS.maxTimeoutMs / 1000,
      ),
    }),
    async handle({ caller, fields }) {
      const { target } = fields;
      if ('group' in target) {
        const started = await discovery.startGroup(caller, target.group, {
          ...(fields.concurrency !== undefined ? { concurrency: fields.concurrency } : {}),
          ...(fields.timeout !== undefined ? { timeoutMs: fields.timeout * 1000 } : {}),
        });
        return {
          message: `SSH key discovery of resource group ${started.group} started`,
          details: {
            JobId: String(started.jobId),
            ResourceGroupName: started.group,
            Resources: started.total,
            Permitted: started.permitted,
            // Progress and per-host results: GET /restapi/json/v1/jobs/{JobId}, `bulwark jobs show`.
            Progress: `/restapi/json/v1/jobs/${started.jobId}`,
          },
        };
      }
      if (fields.concurrency !== undefined || fields.timeout !== undefined)
        throw new InvalidInputError('concurrency and timeout apply to a resource group only');
      try {
        const found = await discovery.discoverResource(caller, target.resource);
        const unknown = found.keys.filter((k) => !k.known).length;
        return {
          message: `SSH keys discovered on resource ${found.resourceName}: ${found.keys.length} key(s), ${unknown} unknown to the vault`,
          totalRows: found.keys.length,
          details: findingsDetails(found, time),
        };
      } catch (err) {
        if (!(err instanceof DiscoveryFailedError)) throw err;
        // Failed, with the reason as a field clients can test besides the message.
        return {
          status: 'Failed',
          statusCode: RESULT_CODES.notAvailable.code,
          message: err.message,
          details: { ResourceName: err.resource, Reason: err.reason },
        };
      }
    },
  });

  for (const method of ['GET', 'POST'] as const) {
    router.add({
      method,
      url: `${PKI}/getDiscoveredSSHKeys`,
      operation: 'GetDiscoveredSSHKeys',
      schema: inputSchema({ resourceName }),
      async handle({ caller, fields }) {
        const found = await discovery.findings(caller, fields.resourceName);
        return {
          message: `SSH keys found on resource ${found.resourceName} fetched successfully`,
          totalRows: found.keys.length,
          details: findingsDetails(found, time),
        };
      },
    });
  }
}
