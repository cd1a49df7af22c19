import { createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { InvalidInputError } from '../../../platform/errors.js';
import {
  describeKey,
  generateKeyPair,
  keyObjectOf,
  privateKeyPem,
  publicCryptoKey,
  signingAlgorithm,
  signingKey,
  type KeyAlgorithm,
  type KeyDescription,
  type SignatureHash,
} from './keys.js';
import { x509 } from './x509-lib.js';

/** Subject fields of a CSR or certificate (the usual distinguished-name attributes). */
export interface SubjectFields {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly locality?: string;
  readonly state?: string;
  /** Two-letter country code. */
  readonly country?: string;
  readonly email?: string;
}

export interface SubjectAltNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export interface CsrRequest {
  readonly subject: SubjectFields;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly keyAlgorithm: KeyAlgorithm;
  readonly signatureHash: SignatureHash;
  /** Encrypts the returned private key (PKCS#8, AES-256-CBC) when given. */
  readonly passphrase?: string;
}

export interface CreatedCsr {
  readonly csrPem: string;
  /** PKCS#8 PEM, encrypted when a passphrase was given. */
  readonly privateKeyPem: string;
}

export interface ParsedCsr {
  readonly subject: SubjectFields;
  /** RFC 4514 form, as @peculiar/x509 prints it. */
  readonly subjectText: string;
  readonly subjectAltNames: SubjectAltNames;
  readonly key: KeyDescription;
  readonly publicKey: KeyObject;
  /** e.g. sha256WithRSAEncryption, ecdsa-with-SHA384 (openssl's names). */
  readonly signatureAlgorithm: string;
  readonly signatureHash: SignatureHash;
  /** The request itself, DER. */
  readonly der: Buffer;
}

const FIELD_OIDS: Record<keyof SubjectFields, string> = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  locality: '2.5.4.7',
  state: '2.5.4.8',
  country: '2.5.4.6',
  email: '1.2.840.113549.1.9.1',
};
// Written in the conventional order (most significant first, as openssl -subj /C=/ST=/…/CN= does).
const FIELD_ORDER: readonly (keyof SubjectFields)[] = [
  'country',
  'state',
  'locality',
  'organization',
  'organizationalUnit',
  'commonName',
  'email',
];

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function checkSubject(subject: SubjectFields): void {
  if (!subject.commonName?.trim()) throw new InvalidInputError('The subject needs a common name (CN)');
  for (const field of FIELD_ORDER) {
    const value = subject[field];
    if (value === undefined) continue;
    if (value.length > 64 && field !== 'email')
      throw new InvalidInputError(`The subject ${field} is longer than 64 characters`);
    // Control characters have no place in a name and confuse every tool that prints it.

    if (/[\u0000-\u001f\u007f]/.test(value))
      throw new InvalidInputError(`The subject ${field} holds control characters`);
  }
  if (subject.country !== undefined && !/^[A-Z]{2}$/.test(subject.country)) {
    throw new InvalidInputError('The country must be a two-letter code such as DE or US');
  }
  if (subject.email !== undefined && !/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(subject.email)) {
    throw new InvalidInputError('The subject email is not an address');
  }
}

/** Refuses names that are neither host names nor IP addresses where they are expected. */
export function checkAltNames(names: SubjectAltNames): void {
  for (const dns of names.dnsNames) {
    if (dns.length > 253 || !HOSTNAME.test(dns)) throw new InvalidInputError(`'${dns}' is not a DNS name`);
  }
  for (const ip of names.ipAddresses) {
    if (isIP(ip) === 0) throw new InvalidInputError(`'${ip}' is not an IP address`);
    // @peculiar/x509 writes ::ffff:127.0.0.1 as ::ffff:127 and drops a zone: the certificate
    // would name another address than the one asked for.
    if (isIP(ip) === 6 && /[.%]/.test(ip)) {
      throw new InvalidInputError(
        `'${ip}': write an IPv6 address in hex groups only (::ffff:7f00:1, not ::ffff:127.0.0.1), without a zone (%eth0)`,
      );
    }
  }
}

/** A subject name with explicit string types: PrintableString for C, IA5String for email, UTF8 otherwise. */
export function subjectName(subject: SubjectFields): x509.Name {
  const rdns: x509.JsonNameParams = [];
  for (const field of FIELD_ORDER) {
    const value = subject[field];
    if (value === undefined || value === '') continue;
    const typed =
      field === 'country'
        ? { printableString: value }
        : field === 'email'
          ? { ia5String: value }
          : { utf8String: value };
    rdns.push({ [FIELD_OIDS[field]]: [typed] });
  }
  return new x509.Name(rdns);
}

export function subjectFieldsOf(name: x509.Name): SubjectFields {
  const one = (field: keyof SubjectFields): string | undefined => name.getField(FIELD_OIDS[field])[0];
  const fields: Record<string, string> = {};
  for (const field of FIELD_ORDER) {
    const value = one(field);
    if (value !== undefined) fields[field] = value;
  }
  return { commonName: '', ...fields };
}

export function altNamesExtension(names: SubjectAltNames): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension([
    ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ]);
}

const SUBJECT_ALT_NAME_OID = '2.5.29.17';

export function altNamesOf(extensions: readonly x509.Extension[]): SubjectAltNames {
  const san = extensions.find((e) => e.type === SUBJECT_ALT_NAME_OID);
  if (!san) return { dnsNames: [], ipAddresses: [] };
  const items = new x509.SubjectAlternativeNameExtension(san.rawData).names.items;
  return {
    dnsNames: items.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: items.filter((n) => n.type === 'ip').map((n) => n.value),
  };
}

/** Creates a key pair and a CSR signed with it. */
export async function createCsr(request: CsrRequest): Promise<CreatedCsr> {
  checkSubject(request.subject);
  const names = { dnsNames: request.dnsNames ?? [], ipAddresses: request.ipAddresses ?? [] };
  checkAltNames(names);
  const pair = await generateKeyPair(request.keyAlgorithm);
  const key = await keyObjectOf(pair.privateKey);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectName(request.subject),
    extensions: names.dnsNames.length + names.ipAddresses.length > 0 ? [altNamesExtension(names)] : [],
    signingAlgorithm: signingAlgorithm(request.keyAlgorithm, request.signatureHash),
    keys: {
      privateKey: await signingKey(key, request.signatureHash),
      publicKey: await publicCryptoKey(key, request.signatureHash),
    } as never,
  });
  return { csrPem: csr.toString('pem'), privateKeyPem: privateKeyPem(key, request.passphrase) };
}

const SIGNATURE_OIDS: Record<string, { name: string; hash: SignatureHash }> = {
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'SHA-512' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'SHA-384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'SHA-512' },
};

function csrDer(input: string | Uint8Array): Buffer {
  if (typeof input !== 'string') return Buffer.from(input);
  const match =
    /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (NEW )?CERTIFICATE REQUEST-----/.exec(
      input,
    );
  if (!match?.[2])
    throw new InvalidInputError('The text holds no PEM certificate request (BEGIN CERTIFICATE REQUEST)');
  return Buffer.from(match[2].replace(/\s+/g, ''), 'base64');
}

/**
 * Reads a CSR (PEM or DER) and checks its self-signature. A request whose signature does not
 * verify with its own key, or that uses a weak hash or key, is refused with the reason.
 */
export async function parseCsr(input: string | Uint8Array): Promise<ParsedCsr> {
  const der = csrDer(input);
  let csr: x509.Pkcs10CertificateRequest;
  let signatureOid: string;
  try {
    signatureOid = AsnConvert.parse(der, CertificationRequest).signatureAlgorithm.algorithm;
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch {
    throw new InvalidInputError('The certificate request is not a readable PKCS#10 structure');
  }
  const signature = SIGNATURE_OIDS[signatureOid];
  if (!signature) {
    throw new InvalidInputError(
      `The certificate request is signed with an unsupported algorithm (${signatureOid}); SHA-256, SHA-384 or SHA-512 with RSA or ECDSA are accepted`,
    );
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new InvalidInputError('The public key in the certificate request is not readable');
  }
  const key = describeKey(publicKey);
  if (signature.name.startsWith('ecdsa') !== (key.type === 'EC')) {
    throw new InvalidInputError('The certificate request signature algorithm does not match its key type');
  }
  const valid = await csr.verify().catch(() => false);
  if (!valid) {
    throw new InvalidInputError(
      'The certificate request signature does not verify with its own public key (the request was altered or is corrupt)',
    );
  }
  let subject: SubjectFields;
  let subjectAltNames: SubjectAltNames;
  try {
    // A request can be validly self-signed and still hold a name or extension that does not
    // decode: @peculiar/x509 then throws a plain Error, which would answer 5xx.
    subject = subjectFieldsOf(csr.subjectName);
    subjectAltNames = altNamesOf(csr.extensions);
  } catch {
    throw new InvalidInputError(
      'The certificate request holds a subject or extension (subject alternative names) that is not readable',
    );
  }
  return {
    subject,
    subjectText: csr.subject,
    subjectAltNames,
    key,
    publicKey,
    signatureAlgorithm: signature.name,
    signatureHash: signature.hash,
    der,
  };
}
