import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { TimeFormatter } from '../../platform/time.js';
import { MAX_PATH, ownerProblem, pathProblem } from './certificate-deployment.connector.js';
import type { CertificateDeployment } from './certificate-deployment.service.js';
import { DEPLOYMENT_LIMITS, type DeploymentConfigurationInput } from './certificate-deployment.types.js';
import { selector } from './certificates.routes.js';
import { LIMITS, type CertificateSelector } from './certificates.types.js';

const PKI = '/api/pki/restapi';
const V1 = '/restapi/json/v1';

/** The certificate of a native GET: `common_name` (and `serial_number`) as query parameters or in INPUT_DATA. */
const querySelector = f.group(['common_name', 'serial_number'], (input: PmpInput): CertificateSelector => {
  const commonName = input.value('common_name', LIMITS.commonName);
  if (!commonName) throw new MissingFieldError('common_name');
  const serial = input.value('serial_number', LIMITS.serial);
  if (serial && !/^[0-9A-Fa-f: ]+$/.test(serial))
    throw new InvalidInputError(`serial_number must be hexadecimal; got "${serial.slice(0, 40)}"`);
  return serial ? { commonName, serial } : { commonName };
});

const text = (input: PmpInput, name: string, maxLength: number): string | undefined => {
  const value = input.details().string(name, { maxLength })?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** A path on the host: absolute, no `..`, a safe alphabet (checked again by the connector). */
const path = (name: string) =>
  f.group([name], (input: PmpInput) => {
    const value = text(input, name, MAX_PATH + 1);
    if (value === undefined) return undefined;
    const why = pathProblem(value);
    if (why) throw new InvalidInputError(`${name} ${why}; got "${value.slice(0, 80)}"`);
    return value;
  });

/** The paths, owner, reload command and where to verify: saved for the server when given. */
const configuration = f.group(
  [
    'certificatePath',
    'keyPath',
    'pfxPath',
    'fileOwner',
    'reloadCommand',
    'verifyHost',
    'verifyPort',
    'verifyServerName',
  ],
  (input: PmpInput): DeploymentConfigurationInput => {
    const owner = text(input, 'fileOwner', 100);
    if (owner !== undefined && ownerProblem(owner))
      throw new InvalidInputError(`fileOwner ${ownerProblem(owner)!}; got "${owner.slice(0, 40)}"`);
    const reload = input.details().string('reloadCommand', { maxLength: DEPLOYMENT_LIMITS.reloadCommand });
    if (reload !== undefined && /[\u0000\r]/.test(reload))
      throw new InvalidInputError('reloadCommand must not contain NUL or carriage-return characters');
    const host = text(input, 'verifyHost', DEPLOYMENT_LIMITS.host);
    if (host !== undefined && !/^[A-Za-z0-9.:_-]+$/.test(host))
      throw new InvalidInputError(
        `verifyHost must be a host name or an IP address; got "${host.slice(0, 60)}"`,
      );
    const servername = text(input, 'verifyServerName', DEPLOYMENT_LIMITS.host);
    if (servername !== undefined && !/^[A-Za-z0-9._-]+$/.test(servername))
      throw new InvalidInputError(`verifyServerName must be a DNS name; got "${servername.slice(0, 60)}"`);
    const port = text(input, 'verifyPort', 8);
    if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535))
      throw new InvalidInputError(
        `verifyPort must be a port number from 1 to 65535; got "${port.slice(0, 10)}"`,
      );
    return {
      certificatePath: path('certificatePath').read(input),
      keyPath: path('keyPath').read(input),
      pfxPath: path('pfxPath').read(input),
      owner,
      reloadCommand: reload?.trim() ? reload : undefined,
      verifyHost: host,
      verifyPort: port === undefined ? undefined : Number(port),
      verifyServername: servername,
    };
  },
);

/**
 * Endpoint 64 deployCertificate (ADR 041, docs/certificates.md "Deployment"), answered as the
 * reference's sample: `deployStatus` lists each server's outcome. No A2A operation: applications
 * are refused.
 */
export function registerCertificateDeploymentRoutes(
  router: PmpRouter,
  deps: { deployment: CertificateDeployment; time: TimeFormatter },
): void {
  const { deployment, time } = deps;

  // Native (ADR 041): the saved servers of a certificate, to whoever may see it.
  router.add({
    method: 'GET',
    url: `${V1}/certificates/deploymentTargets`,
    operation: 'GET CERTIFICATE DEPLOYMENT TARGETS',
    schema: inputSchema({ selector: querySelector }),
    async handle({ caller, fields }) {
      const { commonName, servers } = await deployment.savedServers(caller, fields.selector);
      return {
        message: `${servers.length} saved server(s) of certificate ${commonName} fetched successfully`,
        totalRows: servers.length,
        details: servers.map((s) => ({
          RESOURCEID: String(s.resourceId),
          SERVER: s.server,
          CERTIFICATEPATH: s.certificatePath,
          KEYPATH: s.keyPath ?? '',
          PFXPATH: s.pfxPath ?? '',
          FILEOWNER: s.owner ?? '',
          RELOADCOMMAND: s.reloadCommand ?? '',
          HASRELOADCOMMAND: s.hasReloadCommand,
          VERIFYHOST: s.verifyHost,
          VERIFYPORT: s.verifyPort,
          VERIFYSERVERNAME: s.verifyServername ?? '',
          LASTSTATUS: s.lastStatus ?? '',
          LASTMESSAGE: s.lastMessage ?? '',
          LASTDEPLOYEDTIME: s.lastDeployedAt === null ? '' : time.auditTime(s.lastDeployedAt),
          LASTDEPLOYEDBY: s.lastDeployedBy ?? '',
        })),
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/deployCertificate`,
    operation: 'DeployCertificate',
    schema: inputSchema({
      selector,
      serverName: f.string('serverName', { maxLength: 256 }),
      configuration,
    }),
    async handle({ caller, fields }) {
      const outcome = await deployment.deploy(caller, {
        selector: fields.selector,
        serverName: fields.serverName?.trim() || undefined,
        configuration: fields.configuration,
      });
      const failed = outcome.statuses.filter((s) => s.status === 'Failed');
      const deployStatus = outcome.statuses;
      if (failed.length > 0) {
        return {
          status: 'Failed',
          statusCode: RESULT_CODES.certificateDeploymentFailed.code,
          message:
            outcome.statuses.length === 1
              ? failed[0]!.message
              : `Certificate deployment failed on ${failed.length} of ${outcome.statuses.length} servers`,
          totalRows: deployStatus.length,
          extra: { deployStatus },
        };
      }
      return {
        message: 'Certificate deployment is successful.',
        totalRows: deployStatus.length,
        extra: { deployStatus },
      };
    },
  });
}
