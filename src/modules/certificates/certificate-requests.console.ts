import { isIP } from 'node:net';
import { z } from 'zod';
import { pageFields } from '../../http/native-fields.js';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import type { Clock } from '../../platform/clock.js';
import { FieldInputError, InvalidInputError } from '../../platform/errors.js';
import type { CertificateRequestsService } from './certificate-requests.service.js';
import {
  KEYSTORE_TYPES,
  REQUEST_LIMITS,
  VALIDITY_TYPES,
  type CertificateRequestInput,
  type CertificateRequestView,
} from './certificate-requests.types.js';
import { certificateItem, listedCertificate } from './certificates.console.js';
import { KEY_ALGORITHMS, SIGNATURE_HASHES } from './crypto/keys.js';

/**
 * CSRs and the internal CA in the console (ADR 039, 042): create a CSR (the key made and sealed
 * on the server), list them, sign one with the internal CA, or have the CA issue a key and a
 * certificate directly; the same service calls as the PKI endpoints 42–45.
 */

const CONTROL_CHARACTERS = /^[^\x00-\x1f\x7f]*$/;
const subjectField = (label: string) =>
  z
    .string()
    .trim()
    .max(REQUEST_LIMITS.subjectField, `At most ${REQUEST_LIMITS.subjectField} characters`)
    .regex(CONTROL_CHARACTERS, `The ${label} must not hold control characters`)
    .optional()
    .transform((v) => (v === '' ? undefined : v));

const requestBody = z
  .object({
    commonName: z
      .string()
      .trim()
      .min(1, 'Enter the common name')
      .max(REQUEST_LIMITS.subjectField, `At most ${REQUEST_LIMITS.subjectField} characters`)
      .regex(CONTROL_CHARACTERS, 'Control characters are not allowed'),
    /** DNS names and IP addresses, as typed: separated by commas, spaces or new lines. */
    altNames: z
      .string()
      .max(REQUEST_LIMITS.altNames, `At most ${REQUEST_LIMITS.altNames} characters`)
      .default(''),
    organization: subjectField('organization'),
    organizationalUnit: subjectField('organizational unit'),
    locality: subjectField('locality'),
    state: subjectField('state'),
    country: z
      .string()
      .trim()
      .regex(/^([A-Za-z]{2})?$/, 'Two letters (ISO 3166), such as GB')
      .optional()
      .transform((v) => (v ? v.toUpperCase() : undefined)),
    keyAlgorithm: z.enum(KEY_ALGORITHMS).default('RSA-2048'),
    signatureHash: z.enum(SIGNATURE_HASHES).default('SHA-256'),
    validity: z
      .number()
      .int('A whole number')
      .min(1, 'At least 1')
      .max(REQUEST_LIMITS.maxDays * 24 * 60),
    validityType: z.enum(VALIDITY_TYPES).default('days'),
    password: z
      .string()
      .max(REQUEST_LIMITS.password, `At most ${REQUEST_LIMITS.password} characters`)
      .optional(),
    keystoreType: z.enum(KEYSTORE_TYPES).default('PKCS12'),
  })
  .strict();

const NAME =
  /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*$/;

function inputOf(body: z.infer<typeof requestBody>): CertificateRequestInput {
  const names = [...new Set(body.altNames.split(/[,\s]+/).filter((n) => n !== ''))];
  if (names.length > REQUEST_LIMITS.altNameCount) {
    throw new FieldInputError('altNames', `At most ${REQUEST_LIMITS.altNameCount} names`);
  }
  const bad = names.find((n) => isIP(n) === 0 && !NAME.test(n));
  if (bad !== undefined) {
    throw new FieldInputError('altNames', `"${bad.slice(0, 80)}" is not a DNS name or an IP address`);
  }
  return {
    commonName: body.commonName,
    dnsNames: names.filter((n) => isIP(n) === 0),
    ipAddresses: names.filter((n) => isIP(n) !== 0),
    ...(body.organization ? { organization: body.organization } : {}),
    ...(body.organizationalUnit ? { organizationalUnit: body.organizationalUnit } : {}),
    ...(body.locality ? { locality: body.locality } : {}),
    ...(body.state ? { state: body.state } : {}),
    ...(body.country ? { country: body.country } : {}),
    ...(body.password ? { password: body.password } : {}),
    validity: body.validity,
    validityType: body.validityType,
    keyAlgorithm: body.keyAlgorithm,
    signatureHash: body.signatureHash,
    keystoreType: body.keystoreType,
  };
}

/** The service's refusal of a validity out of range, as the validity field. */
async function validityErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (
      err instanceof InvalidInputError &&
      !(err instanceof FieldInputError) &&
      /^VALIDITY/.test(err.message)
    ) {
      throw new FieldInputError('validity', err.message.replace(/^VALIDITY/, 'The validity'), err.code);
    }
    throw err;
  }
}

const requestItem = z.object({
  id: z.number(),
  commonName: z.string(),
  subject: z.string(),
  sans: z.object({ dns: z.array(z.string()), ip: z.array(z.string()) }),
  keyAlgorithm: z.string(),
  keyBits: z.number(),
  signatureAlgorithm: z.string(),
  validity: z.number(),
  validityType: z.string(),
  hasPassword: z.boolean(),
  csrPem: z.string(),
  createdBy: z.string(),
  createdAt: z.number(),
  certificateId: z.number().nullable(),
  signedAt: z.number().nullable(),
});

const requestOf = (r: CertificateRequestView) => ({
  id: r.id,
  commonName: r.commonName,
  subject: r.subject,
  sans: r.sans,
  keyAlgorithm: r.keyAlgorithm,
  keyBits: r.keyBits,
  signatureAlgorithm: r.signatureAlgorithm,
  validity: r.validity,
  validityType: r.validityType,
  hasPassword: r.hasPassword,
  csrPem: r.csrPem,
  createdBy: r.createdBy,
  createdAt: r.createdAt,
  certificateId: r.certificateId,
  signedAt: r.signedAt,
});

const listQuery = z.object({ unsigned: z.enum(['true', 'false']).optional(), ...pageFields });

export function registerCertificateRequestConsoleRoutes(
  router: NativeRouter,
  deps: { requests: CertificateRequestsService; clock: Clock },
): void {
  const { requests, clock } = deps;

  router.add({
    method: 'GET',
    url: '/api/v1/certificate-requests',
    summary:
      'One page of the CSRs the caller may see (their own; super administrators all), newest first; `unsigned` for those not signed yet',
    tag: 'certificates',
    access: 'signed-in',
    query: listQuery,
    response: z.object({ items: z.array(requestItem), total: z.number() }),
    async handle({ caller, query }) {
      const page = await requests.page(caller, {
        unsigned: query.unsigned === 'true',
        offset: query.offset,
        limit: query.limit,
      });
      return { items: page.items.map(requestOf), total: page.total };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificate-requests',
    summary: 'Create a CSR: the key pair is made and sealed on the server',
    tag: 'certificates',
    access: 'signed-in',
    status: 201,
    body: requestBody,
    response: requestItem,
    async handle({ caller, body }) {
      const input = inputOf(body);
      return requestOf(await validityErrors(() => requests.create(caller, input)));
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificate-requests/:requestId/sign',
    summary: 'Sign a CSR with the internal CA: the certificate joins the repository with its key',
    tag: 'certificates',
    access: 'signed-in',
    response: z.object({ request: requestItem, certificate: certificateItem }),
    async handle({ caller, params }) {
      const signed = await requests.sign(caller, parseId(params.requestId, 'CSR'));
      return {
        request: requestOf(signed.request),
        certificate: listedCertificate(signed.certificate, clock.now()),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificates/issue',
    summary: 'Have the internal CA make a key and a certificate for it directly',
    tag: 'certificates',
    access: 'signed-in',
    status: 201,
    body: requestBody,
    response: z.object({ certificate: certificateItem }),
    async handle({ caller, body }) {
      const input = inputOf(body);
      const certificate = await validityErrors(() => requests.issue(caller, input));
      return { certificate: listedCertificate(certificate, clock.now()) };
    },
  });
}
