import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError, PayloadTooLargeError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import { keystoreFormat } from './certificate-keystores.js';
import type { CertificatesService } from './certificates.service.js';
import {
  LIMITS,
  type CertificateLocation,
  type CertificateSelector,
  type CertificateView,
} from './certificates.types.js';

const PKI = '/api/pki/restapi';

/** The PMP spelling of a signature algorithm (`SHA256withRSA`), from openssl's. */
export function javaSignatureName(openssl: string): string {
  const rsa = /^(sha\d+|md5)WithRSAEncryption$/.exec(openssl);
  if (rsa) return `${rsa[1]!.toUpperCase()}withRSA`;
  const ec = /^ecdsa-with-(SHA\d+)$/.exec(openssl);
  if (ec) return `${ec[1]!}withECDSA`;
  return { ED25519: 'Ed25519', ED448: 'Ed448', rsassaPss: 'RSASSA-PSS' }[openssl] ?? openssl;
}

/** "Oct 13, 2015", as the reference's list shows dates. */
const pmpDate = (time: TimeFormatter, ms: number) => time.pmpDateTime(ms).split(' ').slice(0, 3).join(' ');

/** One certificate as getAllSSLCertificates lists it (endpoint 33's sample), and a few more. */
function listed(c: CertificateView, found: readonly CertificateLocation[], time: TimeFormatter) {
  const where = found[0];
  return {
    CertID: c.id,
    'DNS Name/FQDN': where ? where.servername || where.host : (c.sans.dns[0] ?? c.commonName),
    Port: where ? where.port : null,
    'Common Name': c.commonName,
    Issuer: c.issuerCommonName,
    FromDate: pmpDate(time, c.notBefore),
    ExpiryDate: pmpDate(time, c.notAfter),
    KeyStrength: String(c.keyBits),
    SignatureAlgorithm: javaSignatureName(c.signatureAlgorithm),
    serialNumber: c.serial,
    SHA256Fingerprint: c.sha256,
    Source: c.source,
    AddedBy: c.addedBy,
  };
}

/** One certificate as getCertificateDetails describes it (endpoint 35's sample), and more. */
function described(c: CertificateView, found: readonly CertificateLocation[], time: TimeFormatter) {
  const part = (dn: string, name: string) =>
    new RegExp(`(?:^|, )${name} = ("(?:[^"\\\\]|\\\\.)*"|[^,]*)`).exec(dn)?.[1]?.replace(/^"|"$/g, '') ?? '-';
  const where = found[0];
  return {
    certtype: c.isCa ? 'CA' : 'Domain',
    certificateTemplate: 'N/A',
    endpoint: {
      hostName: c.commonName,
      port: where ? String(where.port) : '-',
      expiry_date: time.auditTime(c.notAfter),
      from_date: time.auditTime(c.notBefore),
      certSignAlg: javaSignatureName(c.signatureAlgorithm),
      Sans: [...c.sans.dns, ...c.sans.ip].join(','),
      serial: c.serial.toLowerCase(),
      fingerPrint: c.sha1.replace(/:/g, '').toLowerCase(),
      sha256FingerPrint: c.sha256,
      keyalg: c.keyAlgorithm,
      PublicKeyLength: c.keyBits,
      curve: c.curve ?? '-',
      PrivateKey: c.hasPrivateKey,
      isAWS: false,
    },
    isCertInstalledMulipleServers: found.length > 1,
    issuer: { cname: c.issuerCommonName || '-', org: part(c.issuer, 'O'), orgunit: part(c.issuer, 'OU') },
    issuedto: { cname: c.commonName || '-', org: part(c.subject, 'O'), orgunit: part(c.subject, 'OU') },
    subject: c.subject,
    issuerDN: c.issuer,
    SubjectAlternativeNames: c.sans,
    selfSigned: c.selfSigned,
    source: c.source,
    intermediate: c.issuerId === null ? {} : { CertificateId: String(c.issuerId) },
    ipaddress: where?.host ?? '-',
    foundOn: found.map((l) => ({
      host: l.host,
      port: l.port,
      servername: l.servername,
      firstSeen: time.pmpDateTime(l.firstSeen),
      lastSeen: time.pmpDateTime(l.lastSeen),
    })),
    CertificateId: String(c.id),
  };
}

/** The certificate named by `common_name` (and `serial_number` when several share it). */
export const selector = f.group(['common_name', 'serial_number'], (input: PmpInput): CertificateSelector => {
  const d = input.details();
  const commonName = d.string('common_name', { maxLength: LIMITS.commonName })?.trim();
  if (!commonName) throw new MissingFieldError('common_name');
  const serial = d.string('serial_number', { maxLength: LIMITS.serial })?.trim();
  if (serial && !/^[0-9A-Fa-f: ]+$/.test(serial)) {
    throw new InvalidInputError(`serial_number must be hexadecimal; got "${serial.slice(0, 40)}"`);
  }
  return serial ? { commonName, serial } : { commonName };
});

/** A whole number of days or bits (PMP clients send numbers as text). */
function wholeNumber(name: string, max: number) {
  return f.group([name], (input: PmpInput) => {
    const text = input.details().string(name, { maxLength: 12 })?.trim();
    if (text === undefined || text === '') return undefined;
    if (!/^\d{1,9}$/.test(text) || Number(text) > max) {
      throw new InvalidInputError(`${name} must be a whole number up to ${max}; got "${text.slice(0, 20)}"`);
    }
    return Number(text);
  });
}

/** An uploaded part or a text field, bounded; the text of a PEM or the bytes of a DER file. */
function upload(input: PmpInput, parts: readonly string[], field: string, max: number, what: string) {
  const part = input.files.find((p) => parts.includes(p.fieldName.toLowerCase()));
  if (part) {
    if (part.content.length > max) throw new PayloadTooLargeError(`The ${what} is larger than ${max} bytes`);
    return part.content;
  }
  const text = input.details().secret(field, { maxLength: max });
  return text === undefined ? undefined : Buffer.from(text.reveal(), 'utf8');
}

/** Endpoint 38's file: the `File` part (or the only file sent), else the `certificate` text field. */
const certificateFile = f.group(['File', 'certificate'], (input: PmpInput) => {
  const file = input.file();
  if (file && !['privatekey', 'keyfile'].includes(file.fieldName.toLowerCase())) {
    if (file.content.length > LIMITS.certificateFile) {
      throw new PayloadTooLargeError(`The certificate file is larger than ${LIMITS.certificateFile} bytes`);
    }
    return file.content;
  }
  const text = upload(input, ['certificate'], 'certificate', LIMITS.certificateFile, 'certificate file');
  if (text === undefined) throw new MissingFieldError('File');
  return text;
});

/** The private key of 38: a `privateKey` (or `KeyFile`) part, else the `privateKey` text field. */
const privateKeyFile = f.group(['privateKey', 'KeyFile'], (input: PmpInput) => {
  const key = upload(input, ['privatekey', 'keyfile'], 'privateKey', LIMITS.keyFile, 'private key file');
  return key?.toString('utf8');
});

/**
 * The certificate repository endpoints of the PKI API (32–39; docs/certificates.md),
 * answered in the PKI envelope. None declares an A2A operation: applications are refused.
 */
export function registerCertificateRoutes(
  router: PmpRouter,
  deps: { certificates: CertificatesService; time: TimeFormatter },
): void {
  const { certificates, time } = deps;

  router.add({
    method: 'POST',
    url: `${PKI}/addCertificate`,
    operation: 'AddCertificate',
    schema: inputSchema({
      fileType: f.choice('fileType', ['CERTFILE', 'KEYSTORE'] as const),
      password: f.secret('PASSWORD', { maxLength: LIMITS.passphrase }),
      certificate: certificateFile,
      privateKey: privateKeyFile,
      passphrase: f.secret('passphrase', { maxLength: LIMITS.passphrase }),
    }),
    async handle({ caller, fields }) {
      // KEYSTORE (ADR 038): a PKCS#12 or JKS file opened with PASSWORD, then added like a PEM.
      let input;
      if (fields.fileType === 'KEYSTORE') {
        if (fields.privateKey !== undefined || fields.passphrase !== undefined) {
          throw new InvalidInputError(
            'A keystore carries its own private key: send no privateKey or passphrase',
          );
        }
        if (fields.password === undefined) throw new MissingFieldError('PASSWORD');
        input = { keystore: fields.certificate, password: fields.password.reveal() };
      } else {
        input = {
          certificate: fields.certificate,
          privateKey: fields.privateKey,
          passphrase: fields.passphrase?.reveal(),
        };
      }
      const { certificate, chain } = await certificates.add(caller, input);
      const name = certificate.commonName || certificate.subject;
      return {
        message: `Certificate ${name} added successfully`,
        details: [listed(certificate, [], time), ...chain.map((c) => listed(c, [], time))],
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${PKI}/getAllSSLCertificates`,
    operation: 'GetAllSSLCertificates',
    schema: inputSchema({
      days: wholeNumber('withExpiryDaysLessThan', LIMITS.maxDays),
      keyLength: wholeNumber('withKeyLength', 65_536),
      signature: f.string('withSignatureAlgorithm', { maxLength: 64 }),
    }),
    async handle({ caller, fields }) {
      const list = await certificates.list(caller, {
        expiringWithinDays: fields.days,
        keyLength: fields.keyLength,
        signatureAlgorithm: fields.signature?.trim() || undefined,
      });
      const found = await certificates.locations(list.map((c) => c.id));
      const rows = list.map((c) => listed(c, found.get(c.id) ?? [], time));
      // Clients read `SSLCertificates`; the reference's sample shows `details`: both.
      return {
        message: 'All SSL Certificates fetched successfully',
        totalRows: rows.length,
        details: rows,
        extra: { SSLCertificates: rows },
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${PKI}/getAllSSLCertsExpiryDate`,
    operation: 'GetAllSSLCertificatesExpiryDate',
    schema: inputSchema({
      days: wholeNumber('days', LIMITS.maxDays),
      within: wholeNumber('withExpiryDaysLessThan', LIMITS.maxDays),
    }),
    async handle({ caller, fields }) {
      const list = await certificates.list(caller, { expiringWithinDays: fields.days ?? fields.within });
      const rows = [...list]
        .sort((a, b) => a.notAfter - b.notAfter)
        .map((c) => ({
          'Common Name': c.commonName,
          serialNumber: c.serial,
          ExpiryDate: pmpDate(time, c.notAfter),
          CertID: c.id,
        }));
      return {
        message: 'Certificates expiry date fetched successfully',
        totalRows: rows.length,
        details: rows,
        extra: { SSLCertificates: rows },
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${PKI}/getCertificateDetails`,
    operation: 'GetCertificateDetails',
    schema: inputSchema({ selector }),
    async handle({ caller, fields }) {
      const list = await certificates.details(caller, fields.selector);
      const found = await certificates.locations(list.map((c) => c.id));
      const rows = list.map((c) => described(c, found.get(c.id) ?? [], time));
      // compat.md: keyed by certificate id at the top level, and nothing else beside name and
      // result. pypmp's get_certificate_details takes every top-level key but those two as the
      // answer (one key: that certificate; several: a list), so the reference sample's
      // `details` and a `totalRows` would come back to it as certificates (ADR 036).
      return {
        message: `Details of certificate ${fields.selector.commonName} fetched successfully`,
        extra: Object.fromEntries(rows.map((r) => [r.CertificateId, r])),
      };
    },
  });

  // The reference documents GET; clients built on POST for reads are served too.
  for (const method of ['GET', 'POST'] as const) {
    router.add({
      method,
      url: `${PKI}/getCertificate`,
      operation: 'GetCertificate',
      schema: inputSchema({ selector }),
      async handle({ caller, fields }) {
        const { view, der } = await certificates.file(caller, fields.selector);
        const base64 = der.toString('base64').replace(/.{64}/g, '$&\n');
        const pem = `-----BEGIN CERTIFICATE-----\n${base64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
        return {
          file: {
            fileName: `${(view.commonName || `certificate-${view.id}`).replace(/[^A-Za-z0-9._-]/g, '_')}.pem`,
            contentType: 'application/x-pem-file',
            content: Buffer.from(pem, 'utf8'),
          },
        };
      },
    });
  }

  // Endpoint 36: the reference gives only the certificate; PASSWORD and KEYSTORE_TYPE are ours
  // (without PASSWORD the keystore is protected by the key's stored passphrase, endpoint 37's).
  for (const method of ['GET', 'POST'] as const) {
    router.add({
      method,
      url: `${PKI}/getCertificateKeyStore`,
      operation: 'GetCertificateKeyStore',
      schema: inputSchema({
        selector,
        password: f.secret('PASSWORD', { maxLength: LIMITS.passphrase }),
        format: f.group(['KEYSTORE_TYPE'], (input: PmpInput) =>
          keystoreFormat(input.details().string('KEYSTORE_TYPE', { maxLength: 20 })),
        ),
      }),
      async handle({ caller, fields }) {
        const password = fields.password?.reveal();
        const file = await certificates.keystore(caller, fields.selector, {
          format: fields.format,
          ...(password ? { password } : {}),
        });
        const base = (file.view.commonName || `certificate-${file.view.id}`).replace(/[^A-Za-z0-9._-]/g, '_');
        return {
          file: {
            fileName: `${base}.${file.extension}`,
            contentType: file.contentType,
            content: file.content,
          },
        };
      },
    });
  }

  router.add({
    method: 'GET',
    url: `${PKI}/getCertificatePassphrase`,
    operation: 'GetCertificatePassphrase',
    schema: inputSchema({ selector }),
    async handle({ caller, fields }) {
      const { view, passphrase } = await certificates.passphrase(caller, fields.selector);
      // compat.md: clients read the passphrase from result.message.
      return { message: `Private key passphrase of certificate ${view.commonName} is ${passphrase}` };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${PKI}/deleteCertificate`,
    operation: 'DeleteCertificate',
    schema: inputSchema({ selector }),
    async handle({ caller, fields }) {
      const view = await certificates.remove(caller, fields.selector);
      return { message: `Certificate ${view.commonName} deleted successfully.` };
    },
  });
}
