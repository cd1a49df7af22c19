import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  GeneralNames,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
  type Name,
} from '@peculiar/asn1-x509';
import { InvalidInputError } from '../../platform/errors.js';

/**
 * One certificate read once (ADR 036): every field the store filters on, the answers show and
 * the tests compare with `openssl x509 -text -noout`, so nothing downstream parses DER again.
 */
export interface ParsedCertificate {
  readonly der: Buffer;
  /** As openssl prints it (`C = US, O = "Acme, Inc", CN = www.example.com`). */
  readonly subject: string;
  readonly subjectComponents: readonly NameComponent[];
  readonly issuer: string;
  readonly issuerComponents: readonly NameComponent[];
  /** The subject's first CN (what lists show), or '' when it has none. */
  readonly commonName: string;
  readonly issuerCommonName: string;
  readonly sans: SubjectAltNames;
  /** Uppercase hex without separators, as `openssl x509 -serial` prints it. */
  readonly serial: string;
  /** Uppercase hex pairs joined by ':', as `openssl x509 -fingerprint -sha256` prints it. */
  readonly sha256: string;
  readonly sha1: string;
  readonly keyAlgorithm: KeyAlgorithm;
  /** Bits of the key (RSA modulus, EC field size; 256 for Ed25519, 456 for Ed448). */
  readonly keyBits: number;
  /** openssl's curve name (prime256v1, secp384r1, ...) for EC keys, else null. */
  readonly curve: string | null;
  /** openssl's name (sha256WithRSAEncryption, ecdsa-with-SHA256, ...) or the OID when unknown. */
  readonly signatureAlgorithm: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Subject equals issuer and the certificate's own key verifies its signature. */
  readonly selfSigned: boolean;
  /** Basic constraints CA:TRUE. */
  readonly isCa: boolean;
}

export type KeyAlgorithm = 'RSA' | 'RSA-PSS' | 'EC' | 'Ed25519' | 'Ed448' | 'DSA' | 'unknown';

export interface NameComponent {
  /** openssl's short name (CN, O, OU, C, ST, L, emailAddress, ...) or the OID. */
  readonly name: string;
  readonly oid: string;
  readonly value: string;
}

export interface SubjectAltNames {
  readonly dns: readonly string[];
  /** IPv4 dotted; IPv6 as openssl prints it (eight uncompressed uppercase groups). */
  readonly ip: readonly string[];
  readonly email: readonly string[];
  readonly uri: readonly string[];
}

/** The input is not a certificate: the message says why, never echoes the bytes. */
export class CertificateParseError extends InvalidInputError {}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
  '2.5.4.15': 'businessCategory',
};

const SIGNATURE_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '1.2.840.10040.4.3': 'dsa_with_SHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
};

const CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp256k1: 256,
  secp224r1: 224,
  prime192v1: 192,
};

const PEM_BLOCK =
  /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

/** Largest certificate input accepted: far beyond any real chain, small enough to parse safely. */
export const MAX_CERTIFICATE_BYTES = 256 * 1024;

/**
 * The DER of every certificate in `input`: PEM (one or more blocks, text around them ignored),
 * or one DER certificate. Anything else is a CertificateParseError.
 */
export function certificatesDerOf(input: Buffer | string): Buffer[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (bytes.length === 0) throw new CertificateParseError('The certificate is empty');
  if (bytes.length > MAX_CERTIFICATE_BYTES) {
    throw new CertificateParseError(`The certificate is larger than ${MAX_CERTIFICATE_BYTES} bytes`);
  }
  // DER starts with a SEQUENCE tag; PEM is text.
  if (bytes[0] === 0x30) return [bytes];
  const text = bytes.toString('latin1');
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => Buffer.from(m[1] ?? '', 'base64'));
  if (blocks.length === 0) {
    throw new CertificateParseError(
      'The file is neither a PEM certificate (-----BEGIN CERTIFICATE-----) nor a DER certificate',
    );
  }
  return blocks;
}

/** Parses the first certificate of `input` (PEM or DER). */
export function parseCertificate(input: Buffer | string): ParsedCertificate {
  const [first] = certificatesDerOf(input);
  return parseDer(first as Buffer);
}

/** Parses every certificate of `input` (a PEM chain, or one DER certificate). */
export function parseCertificates(input: Buffer | string): ParsedCertificate[] {
  return certificatesDerOf(input).map(parseDer);
}

/** Parses one DER certificate. */
export function parseDer(der: Buffer): ParsedCertificate {
  let cert: Certificate;
  let node: NodeX509;
  try {
    cert = AsnConvert.parse(der, Certificate);
    node = new NodeX509(der);
  } catch {
    throw new CertificateParseError(
      'The data is not a valid X.509 certificate (its DER structure does not parse)',
    );
  }
  try {
    return describe(der, cert, node);
  } catch (err) {
    if (err instanceof CertificateParseError) throw err;
    throw new CertificateParseError('The certificate could not be read: one of its fields is malformed');
  }
}

function describe(der: Buffer, cert: Certificate, node: NodeX509): ParsedCertificate {
  const tbs = cert.tbsCertificate;
  const subjectComponents = components(tbs.subject);
  const issuerComponents = components(tbs.issuer);
  const key = keyOf(node);
  const extensions = tbs.extensions ?? [];
  const ext = (oid: string) => extensions.find((e) => e.extnID === oid);
  const basic = ext(id_ce_basicConstraints);
  const isCa = basic ? AsnConvert.parse(basic.extnValue, BasicConstraints).cA : false;
  const sanExt = ext(id_ce_subjectAltName);
  const sans = sanExt ? altNames(AsnConvert.parse(sanExt.extnValue, GeneralNames)) : NO_SANS;
  const sameName = Buffer.from(AsnConvert.serialize(tbs.subject)).equals(
    Buffer.from(AsnConvert.serialize(tbs.issuer)),
  );
  let selfSigned = false;
  if (sameName) {
    try {
      selfSigned = node.verify(node.publicKey);
    } catch {
      selfSigned = false;
    }
  }
  const oid = cert.signatureAlgorithm.algorithm;
  return {
    der,
    subject: oneLine(subjectComponents),
    subjectComponents,
    issuer: oneLine(issuerComponents),
    issuerComponents,
    commonName: subjectComponents.find((c) => c.name === 'CN')?.value ?? '',
    issuerCommonName: issuerComponents.find((c) => c.name === 'CN')?.value ?? '',
    sans,
    serial: node.serialNumber.toUpperCase(),
    sha256: fingerprint(der, 'sha256'),
    sha1: fingerprint(der, 'sha1'),
    ...key,
    signatureAlgorithm: SIGNATURE_NAMES[oid] ?? oid,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    selfSigned,
    isCa,
  };
}

const NO_SANS: SubjectAltNames = { dns: [], ip: [], email: [], uri: [] };

function fingerprint(der: Buffer, algorithm: 'sha256' | 'sha1'): string {
  const hex = createHash(algorithm).update(der).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? '';
}

function keyOf(node: NodeX509): Pick<ParsedCertificate, 'keyAlgorithm' | 'keyBits' | 'curve'> {
  const key = node.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { keyAlgorithm: 'RSA', keyBits: details.modulusLength ?? 0, curve: null };
    case 'rsa-pss':
      return { keyAlgorithm: 'RSA-PSS', keyBits: details.modulusLength ?? 0, curve: null };
    case 'dsa':
      return { keyAlgorithm: 'DSA', keyBits: details.modulusLength ?? 0, curve: null };
    case 'ec': {
      const curve = details.namedCurve ?? null;
      return { keyAlgorithm: 'EC', keyBits: (curve && CURVE_BITS[curve]) || 0, curve };
    }
    case 'ed25519':
      return { keyAlgorithm: 'Ed25519', keyBits: 256, curve: null };
    case 'ed448':
      return { keyAlgorithm: 'Ed448', keyBits: 456, curve: null };
    default:
      return { keyAlgorithm: 'unknown', keyBits: 0, curve: null };
  }
}

function components(name: Name): NameComponent[] {
  const out: NameComponent[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      out.push({ name: SHORT_NAMES[atv.type] ?? atv.type, oid: atv.type, value: valueOf(atv.value) });
    }
  }
  return out;
}

function valueOf(value: { toString(): string; anyValue?: ArrayBuffer }): string {
  if (value.anyValue) return `#${Buffer.from(value.anyValue).toString('hex').toUpperCase()}`;
  return value.toString();
}

/**
 * openssl's `oneline`-style name (RFC 2253 escaping, `, ` between attributes, ` = ` between
 * type and value, in the certificate's order): a value holding a character RFC 2253 escapes is
 * quoted whole, with `"` and `\` escaped inside, as openssl does.
 */
export function oneLine(parts: readonly NameComponent[]): string {
  return parts.map((p) => `${p.name} = ${quoteValue(p.value)}`).join(', ');
}

function quoteValue(value: string): string {
  if (/[,+;<>"\\]/.test(value)) return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return value;
}

function altNames(names: GeneralNames): SubjectAltNames {
  const dns: string[] = [];
  const ip: string[] = [];
  const email: string[] = [];
  const uri: string[] = [];
  for (const n of names) {
    if (n.dNSName !== undefined) dns.push(n.dNSName);
    else if (n.iPAddress !== undefined) ip.push(ipText(n.iPAddress));
    else if (n.rfc822Name !== undefined) email.push(n.rfc822Name);
    else if (n.uniformResourceIdentifier !== undefined) uri.push(n.uniformResourceIdentifier);
  }
  return { dns, ip, email, uri };
}

/** IPv6 as openssl 3 prints it: eight groups, uppercase, no zero compression. */
function ipText(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const middle = address.includes('::') ? Array<string>(8 - left.length - right.length).fill('0') : [];
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16).toString(16).toUpperCase()).join(':');
}
