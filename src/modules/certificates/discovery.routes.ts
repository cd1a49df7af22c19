import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import { detailsOf, DISCOVERY_LIMITS, timeoutMsOf, type CertificateDiscovery } from './discovery.service.js';
import { parsePorts } from './ip-range.js';

const PKI = '/api/pki/restapi';
const NAME = 'Get SSL Discovery';

/** TIMEOUT in seconds (PMP clients send it as text), bounded; the default when absent. */
const timeout = f.group(['TIMEOUT'], (input: PmpInput) => {
  const text = input.details().string('TIMEOUT', { maxLength: 10 })?.trim();
  if (text === undefined || text === '') return timeoutMsOf(undefined);
  const { minTimeoutSeconds: min, maxTimeoutSeconds: max } = DISCOVERY_LIMITS;
  if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new InvalidInputError(
      `TIMEOUT must be a whole number of seconds from ${min} to ${max}; got "${text.slice(0, 20)}"`,
    );
  }
  return timeoutMsOf(Number(text));
});

/** PORT: one port for 40; one or a comma-separated list for 41. */
function ports(single: boolean) {
  return f.group(['PORT'], (input: PmpInput) => {
    const text = input.details().string('PORT', { maxLength: 200 })?.trim();
    if (text === undefined || text === '') throw new MissingFieldError('PORT');
    const list = parsePorts(text);
    if (single && list.length !== 1)
      throw new InvalidInputError(`PORT must be one port; got "${text.slice(0, 40)}"`);
    return list.join(',');
  });
}

const required = (name: string, maxLength: number) =>
  f.group([name], (input: PmpInput) => {
    const text = input.details().string(name, { maxLength })?.trim();
    if (text === undefined || text === '') throw new MissingFieldError(name);
    return text;
  });

/**
 * SSL certificate discovery in the PKI API (40, 41; ADR 037, docs/certificates.md "Discovery"),
 * answered as the reference's samples: `details` maps each host to `[SUCCESS|FAILURE, text]`.
 * No A2A operation: applications are refused.
 */
export function registerCertificateDiscoveryRoutes(
  router: PmpRouter,
  deps: { discovery: CertificateDiscovery },
): void {
  const { discovery } = deps;

  router.add({
    method: 'POST',
    url: `${PKI}/sslCertSingleDiscovery`,
    // The reference's samples answer both 40 and 41 under this name.
    operation: NAME,
    schema: inputSchema({
      host: required('HOST', DISCOVERY_LIMITS.hostLength + 1),
      port: ports(true),
      timeoutMs: timeout,
    }),
    async handle({ caller, fields }) {
      const report = await discovery.discoverHost(caller, {
        host: fields.host,
        port: Number(fields.port),
        timeoutMs: fields.timeoutMs,
      });
      const details = detailsOf([report]);
      if (report.status === 'FAILURE') {
        // Failed, with the per-host answer clients read and the reason as a field of its own.
        return {
          status: 'Failed',
          statusCode: RESULT_CODES.notAvailable.code,
          message: `No certificate found at ${report.host}:${report.port}: ${report.message}`,
          totalRows: 1,
          details,
          extra: { Reason: report.reason },
        };
      }
      return {
        message: report.message,
        totalRows: 1,
        details,
        extra: { Added: report.added, Known: report.known, Protocol: report.protocol },
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/sslCertRangeDiscovery`,
    operation: NAME,
    schema: inputSchema({
      start: required('StartIpAddress', 64),
      end: required('EndIpAddress', 64),
      ports: ports(false),
      timeoutMs: timeout,
    }),
    async handle({ caller, fields }) {
      const started = await discovery.startRange(caller, fields);
      return {
        message: `SSL certificate discovery of ${started.total} target(s) from ${fields.start} to ${fields.end} started`,
        totalRows: started.total,
        details: {
          JobId: String(started.jobId),
          Targets: started.total,
          // Progress and per-host results (job result `details`): GET /restapi/json/v1/jobs/{JobId}.
          Progress: `/restapi/json/v1/jobs/${started.jobId}`,
        },
      };
    },
  });
}
