import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import { NativeFile, type NativeRouter } from '../../http/native.js';
import { pageFields } from '../../http/native-fields.js';
import type { Clock } from '../../platform/clock.js';
import {
  addFieldErrors,
  addInputOf,
  passwordField,
  keystoreBody,
  newCertificate,
} from './certificate-forms.console.js';
import { daysLeft } from './certificate-expiry.service.js';
import type { CertificatesService } from './certificates.service.js';
import { LIMITS, type CertificateView } from './certificates.types.js';
import type { InternalCa } from './internal-ca.js';

/**
 * The console's certificate repository (ADR 036, 042): the certificates the caller may see,
 * paged and searched on the server, one certificate's parsed fields and where it was found, the
 * certificate file, adding (PEM, DER or a PKCS#12 / JKS keystore read in the browser), deleting,
 * and the internal CA's certificate. Every call goes to the certificates service, which scopes
 * and audits as for the PKI endpoints (32–39).
 */

const listQuery = z.object({
  search: z.string().trim().max(200, 'At most 200 characters').optional(),
  expiringWithinDays: z.coerce
    .number()
    .int('A whole number of days')
    .min(0, 'Zero days or more')
    .max(LIMITS.maxDays, `At most ${LIMITS.maxDays} days`)
    .optional(),
  ...pageFields,
});

const sans = z.object({ dns: z.array(z.string()), ip: z.array(z.string()) });

export const certificateItem = z.object({
  id: z.number(),
  commonName: z.string(),
  issuerCommonName: z.string(),
  serial: z.string(),
  sans,
  sha256: z.string(),
  keyAlgorithm: z.string(),
  keyBits: z.number(),
  curve: z.string().nullable(),
  signatureAlgorithm: z.string(),
  notBefore: z.number(),
  notAfter: z.number(),
  daysLeft: z.number(),
  source: z.string(),
  hasPrivateKey: z.boolean(),
});

const certificateDetails = certificateItem.extend({
  subject: z.string(),
  issuer: z.string(),
  sha1: z.string(),
  selfSigned: z.boolean(),
  isCa: z.boolean(),
  issuerId: z.number().nullable(),
  hasPassphrase: z.boolean(),
  addedBy: z.string(),
  addedAt: z.number(),
  pem: z.string(),
  foundOn: z.array(
    z.object({
      host: z.string(),
      port: z.number(),
      servername: z.string(),
      firstSeen: z.number(),
      lastSeen: z.number(),
    }),
  ),
});

function pemOf(der: Buffer): string {
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}

const fileNameOf = (view: CertificateView) =>
  `${(view.commonName || `certificate-${view.id}`).replace(/[^A-Za-z0-9._-]/g, '_')}.pem`;

/** A certificate as the console lists it: the listed fields and the whole days left now. */
export function listedCertificate(view: CertificateView, now: number) {
  return {
    id: view.id,
    commonName: view.commonName,
    issuerCommonName: view.issuerCommonName,
    serial: view.serial,
    sans: view.sans,
    sha256: view.sha256,
    keyAlgorithm: view.keyAlgorithm,
    keyBits: view.keyBits,
    curve: view.curve,
    signatureAlgorithm: view.signatureAlgorithm,
    notBefore: view.notBefore,
    notAfter: view.notAfter,
    daysLeft: daysLeft(view.notAfter, now),
    source: view.source,
    hasPrivateKey: view.hasPrivateKey,
  };
}

export function registerCertificateConsoleRoutes(
  router: NativeRouter,
  deps: { certificates: CertificatesService; internalCa: InternalCa; clock: Clock },
): void {
  const { certificates, internalCa, clock } = deps;

  router.add({
    method: 'GET',
    url: '/api/v1/certificates',
    summary: 'One page of the certificates the caller may see, by common name; search and expiry filter',
    tag: 'certificates',
    access: 'signed-in',
    query: listQuery,
    response: z.object({ items: z.array(certificateItem), total: z.number() }),
    async handle({ caller, query }) {
      const page = await certificates.page(caller, {
        ...(query.search ? { search: query.search } : {}),
        ...(query.expiringWithinDays === undefined ? {} : { expiringWithinDays: query.expiringWithinDays }),
        offset: query.offset,
        limit: query.limit,
      });
      const now = clock.now();
      return { items: page.items.map((c) => listedCertificate(c, now)), total: page.total };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificates',
    summary: 'Add a certificate (PEM, DER, or a PKCS#12 / JKS keystore with its password)',
    tag: 'certificates',
    access: 'signed-in',
    status: 201,
    body: newCertificate,
    response: z.object({ certificate: certificateItem, chain: z.array(certificateItem) }),
    async handle({ caller, body }) {
      const input = addInputOf(body);
      const added = await addFieldErrors(() => certificates.add(caller, input));
      const now = clock.now();
      return {
        certificate: listedCertificate(added.certificate, now),
        chain: added.chain.map((c) => listedCertificate(c, now)),
      };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/certificates/internal-ca',
    summary: "The internal CA's certificate (PEM; the CA is created at its first use)",
    tag: 'certificates',
    access: 'signed-in',
    async handle({ caller }) {
      const ca = await internalCa.certificate(caller);
      return new NativeFile(
        'bulwark-internal-ca.pem',
        'application/x-pem-file',
        Buffer.from(ca.certificatePem, 'utf8'),
      );
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/certificates/:certificateId',
    summary: "A certificate's parsed fields, its PEM and where discovery found it",
    tag: 'certificates',
    access: 'signed-in',
    response: certificateDetails,
    async handle({ caller, params }) {
      const id = parseId(params.certificateId, 'certificate');
      const [view] = await certificates.details(caller, { id });
      const { der } = await certificates.file(caller, { id });
      const found = (await certificates.locations([id])).get(id) ?? [];
      return {
        ...listedCertificate(view!, clock.now()),
        subject: view!.subject,
        issuer: view!.issuer,
        sha1: view!.sha1,
        selfSigned: view!.selfSigned,
        isCa: view!.isCa,
        issuerId: view!.issuerId,
        hasPassphrase: view!.hasPassphrase,
        addedBy: view!.addedBy,
        addedAt: view!.addedAt,
        pem: pemOf(der),
        foundOn: found,
      };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/certificates/:certificateId/file',
    summary: 'Download a certificate as a PEM file (public material)',
    tag: 'certificates',
    access: 'signed-in',
    async handle({ caller, params }) {
      const { view, der } = await certificates.file(caller, {
        id: parseId(params.certificateId, 'certificate'),
      });
      return new NativeFile(fileNameOf(view), 'application/x-pem-file', Buffer.from(pemOf(der), 'utf8'));
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificates/:certificateId/keystore',
    summary:
      'Export the certificate with its private key and chain as PKCS#12 or JKS (through the release gate, audited)',
    tag: 'certificates',
    access: 'signed-in',
    body: keystoreBody,
    async handle({ caller, params, body }) {
      const file = await passwordField(() =>
        certificates.keystore(
          caller,
          { id: parseId(params.certificateId, 'certificate') },
          { format: body.format, ...(body.password ? { password: body.password } : {}) },
        ),
      );
      const base = (file.view.commonName || `certificate-${file.view.id}`).replace(/[^A-Za-z0-9._-]/g, '_');
      return new NativeFile(`${base}.${file.extension}`, file.contentType, file.content);
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/certificates/:certificateId',
    summary: 'Delete a certificate (full access needed)',
    tag: 'certificates',
    access: 'signed-in',
    async handle({ caller, params }) {
      await certificates.remove(caller, { id: parseId(params.certificateId, 'certificate') });
      return {};
    },
  });
}
