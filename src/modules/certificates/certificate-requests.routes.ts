import { isIP } from 'node:net';
import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { CertificateRequestsService } from './certificate-requests.service.js';
import {
  KEYSTORE_TYPES,
  REQUEST_LIMITS,
  VALIDITY_TYPES,
  type CertificateRequestInput,
  type CertificateRequestView,
} from './certificate-requests.types.js';
import { javaSignatureName } from './certificates.routes.js';
import type { CertificateView } from './certificates.types.js';
import type { KeyAlgorithm, SignatureHash } from './crypto/keys.js';
import type { InternalCa } from './internal-ca.js';

const PKI = '/api/pki/restapi';
const V1 = '/restapi/json/v1';

/** LEN per ALG: RSA modulus bits, EC curve size (P-256, P-384). */
function keyAlgorithmOf(alg: string, len: string | undefined): KeyAlgorithm {
  const bits = len === undefined || len === '' ? undefined : len.toUpperCase().replace(/^(P-?|SECP)/, '');
  if (alg === 'RSA') {
    if (bits === undefined || bits === '2048') return 'RSA-2048';
    if (bits === '4096') return 'RSA-4096';
    throw new InvalidInputError(`LEN ${len} is not supported for RSA keys: 2048 or 4096`);
  }
  if (bits === undefined || bits === '256' || bits === '256R1') return 'EC-P256';
  if (bits === '384' || bits === '384R1') return 'EC-P384';
  throw new InvalidInputError(`LEN ${len} is not supported for EC keys: 256 (P-256) or 384 (P-384)`);
}

/** SIGALG: SHA256, SHA384 or SHA512 (also as SHA-256 or SHA256withRSA); SHA-1 and MD5 refused. */
function signatureHashOf(sigalg: string | undefined): SignatureHash {
  if (sigalg === undefined || sigalg === '') return 'SHA-256';
  const hash = /^(SHA-?(\d+)|MD5|MD2)(WITH(RSA|ECDSA|RSAENCRYPTION))?$/i.exec(sigalg.replace(/\s+/g, ''));
  const bits = hash?.[2];
  if (bits === '256' || bits === '384' || bits === '512') return `SHA-${bits}`;
  if (hash && (bits === '1' || bits === undefined)) {
    throw new InvalidInputError(
      `SIGALG ${sigalg} is refused: ${bits === '1' ? 'SHA-1' : 'MD5'} signatures are broken; use SHA256, SHA384 or SHA512`,
    );
  }
  throw new InvalidInputError(`SIGALG ${sigalg.slice(0, 40)} is not supported: SHA256, SHA384 or SHA512`);
}

/** ALT_NAMES: comma-separated DNS names and IP addresses. */
function altNamesOf(text: string | undefined): { dnsNames: string[]; ipAddresses: string[] } {
  const names = (text ?? '')
    .split(/[,\s]+/)
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length > REQUEST_LIMITS.altNameCount) {
    throw new InvalidInputError(
      `ALT_NAMES holds ${names.length} names; at most ${REQUEST_LIMITS.altNameCount}`,
    );
  }
  const unique = [...new Set(names)];
  return {
    dnsNames: unique.filter((n) => isIP(n) === 0),
    ipAddresses: unique.filter((n) => isIP(n) !== 0),
  };
}

const FIELDS = [
  'CNAME',
  'ALT_NAMES',
  'ORGUNIT',
  'ORG',
  'LOCATION',
  'STATE',
  'COUNTRY',
  'PASSWORD',
  'VALIDITY',
  'VALIDITY_TYPE',
  'ALG',
  'LEN',
  'SIGALG',
  'StoreType',
] as const;

/** The Details of createCSR (42) and createCertificate (45), as the reference names them. */
const requestInput = f.group([...FIELDS], (input: PmpInput): CertificateRequestInput => {
  const d = input.details();
  const text = (name: string) => d.string(name, { maxLength: REQUEST_LIMITS.subjectField }) || undefined;
  const commonName = text('CNAME');
  if (!commonName) throw new MissingFieldError('CNAME');
  const validityText = d.string('VALIDITY', { maxLength: 12 });
  let validity = 365;
  if (validityText) {
    if (!/^\d{1,9}$/.test(validityText)) {
      throw new InvalidInputError(`VALIDITY must be a whole number; got "${validityText.slice(0, 20)}"`);
    }
    validity = Number(validityText);
  }
  const alg = d.choice('ALG', ['RSA', 'EC'] as const) ?? 'RSA';
  const len = d.string('LEN', { maxLength: 16 });
  const password = d.secret('PASSWORD', { maxLength: REQUEST_LIMITS.password })?.reveal();
  return {
    commonName,
    ...altNamesOf(d.string('ALT_NAMES', { maxLength: REQUEST_LIMITS.altNames })),
    organizationalUnit: text('ORGUNIT'),
    organization: text('ORG'),
    locality: text('LOCATION'),
    state: text('STATE'),
    country: text('COUNTRY')?.toUpperCase(),
    ...(password ? { password } : {}),
    validity,
    validityType: d.choice('VALIDITY_TYPE', VALIDITY_TYPES) ?? 'days',
    keyAlgorithm: keyAlgorithmOf(alg, len),
    signatureHash: signatureHashOf(d.string('SIGALG', { maxLength: 40 })),
    keystoreType: d.choice('StoreType', KEYSTORE_TYPES) ?? 'PKCS12',
  };
});

const csrId = f.group(['CSR_ID'], (input: PmpInput): number => {
  const text = input.details().string('CSR_ID', { maxLength: 20 });
  if (!text) throw new MissingFieldError('CSR_ID');
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) {
    throw new InvalidInputError(`CSR_ID must be a CSR's number; got "${text.slice(0, 20)}"`);
  }
  return Number(text);
});

/** "May 15, 2020 19:51", as the reference's CSR list shows dates. */
function csrDate(time: TimeFormatter, ms: number): string {
  const day = time.pmpDateTime(ms).split(' ').slice(0, 3).join(' ');
  return `${day} ${time.auditTime(ms).slice(11, 16)}`;
}

/** One CSR as getCSRList (43) shows it (the reference's sample), and a few more. */
function listedRequest(r: CertificateRequestView, time: TimeFormatter) {
  return {
    CREATED_BY: r.createdBy,
    KEYALGORITHM: r.keyAlgorithm,
    KEYSTORE_TYPE: r.keystoreType,
    isPassword: r.hasPassword,
    CSR_ID: r.id,
    CREATED_DATE: csrDate(time, r.createdAt),
    LOGIN_ID: r.ownerId,
    KEY_STRENGTH: r.keyBits,
    DOMAIN_NAME: r.commonName,
    VALIDITY: String(r.validity),
    VALIDITY_TYPE: r.validityType,
    SIGNATURE_ALGORITHM: javaSignatureName(r.signatureAlgorithm),
    SUBJECT: r.subject,
    ALT_NAMES: [...r.sans.dns, ...r.sans.ip].join(','),
    SIGNED: r.signedAt !== null,
    CERTIFICATE_ID: r.certificateId,
    CSR: r.csrPem,
  };
}

const issuedRow = (c: CertificateView, time: TimeFormatter) => ({
  CertID: c.id,
  'Common Name': c.commonName,
  Issuer: c.issuerCommonName,
  serialNumber: c.serial,
  ExpiryDate: time.pmpDateTime(c.notAfter),
  SHA256Fingerprint: c.sha256,
});

/**
 * CSRs and the internal CA in the PKI API (42–45; ADR 039, docs/certificates.md), answered as
 * the reference's samples, and the CA's certificate as a native download. No A2A operation:
 * applications are refused.
 */
export function registerCertificateRequestRoutes(
  router: PmpRouter,
  deps: { requests: CertificateRequestsService; internalCa: InternalCa; time: TimeFormatter },
): void {
  const { requests, internalCa, time } = deps;

  router.add({
    method: 'POST',
    url: `${PKI}/createCSR`,
    operation: 'CreateCSR',
    schema: inputSchema({ request: requestInput }),
    async handle({ caller, fields }) {
      const created = await requests.create(caller, fields.request);
      return { message: 'CSR saved successfully', totalRows: 1, details: [{ CSR_ID: created.id }] };
    },
  });

  router.add({
    method: 'GET',
    url: `${PKI}/getCSRList`,
    operation: 'GetCSRList',
    schema: inputSchema({ commonName: f.string('common_name', { maxLength: 1024 }) }),
    async handle({ caller, fields }) {
      const list = await requests.list(caller, fields.commonName || undefined);
      return {
        message: 'Fetched all CSRs successfully',
        totalRows: list.length,
        details: list.map((r) => listedRequest(r, time)),
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/signCSR`,
    operation: 'SignCSR',
    schema: inputSchema({
      csrId,
      caName: f.string('caName', { maxLength: 256 }),
      // The reference's Microsoft CA fields: read so that clients sending them are served;
      // only the internal CA signs here (ADR 039).
      serverName: f.string('serverName', { maxLength: 256 }),
      templateName: f.string('templateName', { maxLength: 256 }),
    }),
    async handle({ caller, fields }) {
      const { request, certificate } = await requests.sign(caller, fields.csrId, fields.caName || undefined);
      return {
        message: `Successfully ${request.commonName} certificate signed`,
        totalRows: 1,
        details: [{ CSR_ID: request.id, ...issuedRow(certificate, time) }],
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/createCertificate`,
    operation: 'CreateCertificate',
    schema: inputSchema({ request: requestInput }),
    async handle({ caller, fields }) {
      const certificate = await requests.issue(caller, fields.request);
      return {
        message: 'Certificate saved successfully',
        totalRows: 1,
        details: [issuedRow(certificate, time)],
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${V1}/certificates/internalCA`,
    operation: 'GET INTERNAL CA',
    schema: NO_INPUT,
    async handle({ caller }) {
      const ca = await internalCa.certificate(caller);
      return {
        file: {
          fileName: 'bulwark-internal-ca.pem',
          contentType: 'application/x-pem-file',
          content: Buffer.from(ca.certificatePem, 'utf8'),
        },
      };
    },
  });
}
