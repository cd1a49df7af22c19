import { z } from 'zod';
import type { NativeRouter } from '../../http/native.js';
import { FieldInputError } from '../../platform/errors.js';
import { asField } from './certificate-forms.console.js';
import { DISCOVERY_LIMITS, timeoutMsOf, type CertificateDiscovery } from './discovery.service.js';
import { RangeInputError } from './ip-range.js';

/**
 * Certificate discovery from the console (ADR 037, 042): one host answered in the request, or an
 * IPv4 range queued as a job whose progress the console polls at /api/v1/jobs/{id}. The same
 * service calls as the PKI endpoints 40 and 41 (audited there; applications refused).
 */

const { minTimeoutSeconds: MIN, maxTimeoutSeconds: MAX } = DISCOVERY_LIMITS;
const timeoutSeconds = z
  .number()
  .int('A whole number of seconds')
  .min(MIN, `At least ${MIN} second`)
  .max(MAX, `At most ${MAX} seconds`)
  .default(DISCOVERY_LIMITS.defaultTimeoutSeconds);
const ipv4 = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `Enter the ${what} address`)
    .max(15, 'An IPv4 address, such as 192.0.2.10')
    .regex(
      /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
      'An IPv4 address, such as 192.0.2.10',
    );
const ports = z
  .string()
  .trim()
  .min(1, 'Enter a port')
  .max(200, 'At most 200 characters')
  .regex(/^\d{1,5}(\s*,\s*\d{1,5})*$/, 'A port, or ports separated by commas (443, 8443)')
  .refine(
    (text) => text.split(',').every((p) => Number(p) >= 1 && Number(p) <= 65_535),
    'Ports are 1 to 65535',
  );

const hostBody = z
  .object({
    host: z.string().trim().min(1, 'Enter a host name or an IP address').max(DISCOVERY_LIMITS.hostLength),
    port: z.number().int('A whole number').min(1, 'Ports are 1 to 65535').max(65_535, 'Ports are 1 to 65535'),
    timeoutSeconds,
  })
  .strict();
const rangeBody = z.object({ start: ipv4('first'), end: ipv4('last'), ports, timeoutSeconds }).strict();

export function registerCertificateDiscoveryConsoleRoutes(
  router: NativeRouter,
  deps: { discovery: CertificateDiscovery },
): void {
  const { discovery } = deps;

  router.add({
    method: 'POST',
    url: '/api/v1/certificate-discovery/host',
    summary: 'Discover the certificates one host serves on one port (answered in the request)',
    tag: 'certificates',
    access: 'signed-in',
    body: hostBody,
    response: z.object({
      host: z.string(),
      port: z.number(),
      status: z.enum(['SUCCESS', 'FAILURE']),
      message: z.string(),
      added: z.number(),
      known: z.number(),
      commonName: z.string().optional().describe("the served leaf certificate's common name"),
    }),
    async handle({ caller, body }) {
      const report = await asField('host', () =>
        discovery.discoverHost(caller, {
          host: body.host,
          port: body.port,
          timeoutMs: timeoutMsOf(body.timeoutSeconds),
        }),
      );
      return {
        host: report.host,
        port: report.port,
        status: report.status,
        message: report.message,
        added: report.added,
        known: report.known,
        ...(report.commonName === undefined ? {} : { commonName: report.commonName }),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificate-discovery/range',
    summary: 'Discover an IPv4 range on some ports as a background job; its progress at /api/v1/jobs/{id}',
    tag: 'certificates',
    access: 'signed-in',
    status: 201,
    body: rangeBody,
    response: z.object({ jobId: z.number(), total: z.number() }),
    async handle({ caller, body }) {
      try {
        return await discovery.startRange(caller, {
          start: body.start,
          end: body.end,
          ports: body.ports.replace(/\s+/g, ''),
          timeoutMs: timeoutMsOf(body.timeoutSeconds),
        });
      } catch (err) {
        // Reversed, or more targets than allowed: the last address is what to change.
        if (err instanceof RangeInputError) throw new FieldInputError('end', err.message, err.code);
        throw err;
      }
    },
  });
}
