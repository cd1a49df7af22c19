import { X509Certificate } from 'node:crypto';
import { InvalidInputError } from '../../../platform/errors.js';
import { checkAltNames, createCsr, parseCsr, subjectName, type SubjectFields } from './csr.js';
import {
  describeKey,
  generateKeyPair,
  keyObjectOf,
  privateKeyPem,
  publicCryptoKey,
  randomSerialHex,
  readPrivateKey,
  signingAlgorithm,
  signingKey,
  type KeyAlgorithm,
  type SignatureHash,
} from './keys.js';
import { x509 } from './x509-lib.js';

/** The internal CA: its certificate and its private key (PKCS#8 PEM, unencrypted: the vault seals it). */
export interface CaMaterial {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface IssuedCertificate {
  readonly certificatePem: string;
  /** The same certificate, DER (what the repository stores). */
  readonly der: Buffer;
  /** Hex, lower case, as openssl prints it without colons. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CreateCaOptions {
  readonly subject: SubjectFields;
  /** Default 10 years. */
  readonly validityDays?: number;
  readonly now?: Date;
}

/** The CA key (ADR 038): EC P-384 signing with ECDSA-SHA-384. */
const CA_KEY: KeyAlgorithm = 'EC-P384';
const CA_HASH: SignatureHash = 'SHA-384';
const DAY_MS = 86_400_000;
// A minute of back-dating absorbs small clock differences between us and the client.
const BACKDATE_MS = 60_000;
const MAX_LEAF_DAYS = 3650;

function checkDays(days: number, max: number): void {
  if (!Number.isInteger(days) || days < 1 || days > max) {
    throw new InvalidInputError(`The validity must be a whole number of days from 1 to ${max}`);
  }
}

/** Creates the CA key and its self-signed certificate. */
export async function createCa(options: CreateCaOptions): Promise<CaMaterial> {
  const days = options.validityDays ?? 3650;
  checkDays(days, 30 * 365);
  const now = options.now ?? new Date();
  const pair = await generateKeyPair(CA_KEY);
  const key = await keyObjectOf(pair.privateKey);
  const name = subjectName(options.subject);
  if (!options.subject.commonName?.trim())
    throw new InvalidInputError('The CA subject needs a common name (CN)');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: name,
    issuer: name,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + days * DAY_MS),
    signingAlgorithm: signingAlgorithm(CA_KEY, CA_HASH),
    publicKey: pair.publicKey as never,
    signingKey: pair.privateKey as never,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(pair.publicKey),
    ],
  });
  return { certificatePem: cert.toString('pem'), privateKeyPem: privateKeyPem(key) };
}

interface LoadedCa {
  readonly cert: x509.X509Certificate;
  readonly signingKey: Awaited<ReturnType<typeof signingKey>>;
  readonly hash: SignatureHash;
  readonly keyType: 'RSA' | 'EC';
  readonly keyId: string;
}

/** Reads the CA material and checks that the key belongs to the certificate and may sign certificates. */
async function loadCa(ca: CaMaterial): Promise<LoadedCa> {
  let nodeCert: X509Certificate;
  try {
    nodeCert = new X509Certificate(ca.certificatePem);
  } catch {
    throw new InvalidInputError('The CA certificate is not readable');
  }
  const key = readPrivateKey(ca.privateKeyPem);
  if (!nodeCert.checkPrivateKey(key)) {
    throw new InvalidInputError('The CA private key does not belong to the CA certificate');
  }
  if (!nodeCert.ca)
    throw new InvalidInputError('The CA certificate is not a CA certificate (basicConstraints CA:false)');
  const cert = new x509.X509Certificate(ca.certificatePem);
  const described = describeKey(key);
  // Sign with a hash that matches the CA key's strength (P-384 → SHA-384, RSA → SHA-256).
  const hash: SignatureHash = described.curve === 'P-384' ? 'SHA-384' : 'SHA-256';
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski?.keyId ?? Buffer.from(await cert.publicKey.getKeyIdentifier()).toString('hex');
  return { cert, signingKey: await signingKey(key, hash), hash, keyType: described.type, keyId };
}

/**
 * The leaf's validity: whole days, or an exact span (the reference's VALIDITY_TYPE hours and
 * minutes, ADR 039) from one minute to the longest leaf validity.
 */
export type SignOptions = { readonly now?: Date } & (
  { readonly validityDays: number } | { readonly validityMs: number }
);

/** The validity span of a leaf in milliseconds, checked. */
function leafSpanMs(options: SignOptions): number {
  if (!('validityMs' in options)) {
    checkDays(options.validityDays, MAX_LEAF_DAYS);
    return options.validityDays * DAY_MS;
  }
  const ms = options.validityMs;
  if (!Number.isInteger(ms) || ms < 60_000 || ms > MAX_LEAF_DAYS * DAY_MS) {
    throw new InvalidInputError(`The validity must be from one minute to ${MAX_LEAF_DAYS} days`);
  }
  return ms;
}

/**
 * Signs a CSR into a TLS server/client certificate. The CSR's signature is checked first
 * (parseCsr refuses a request that does not verify); of its extensions only the subject
 * alternative names are taken over, everything else is set here.
 */
export async function signCsr(
  ca: CaMaterial,
  csrInput: string | Uint8Array,
  options: SignOptions,
): Promise<IssuedCertificate> {
  const spanMs = leafSpanMs(options);
  const parsed = await parseCsr(csrInput);
  checkAltNames(parsed.subjectAltNames);
  const loaded = await loadCa(ca);
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(now.getTime() + spanMs);
  if (notAfter > loaded.cert.notAfter) {
    throw new InvalidInputError(
      `The certificate would be valid after the CA certificate expires (${loaded.cert.notAfter.toISOString()}); choose fewer days`,
    );
  }
  const csr = new x509.Pkcs10CertificateRequest(parsed.der);
  const names = parsed.subjectAltNames;
  const serialNumber = randomSerialHex();
  const leafPublicKey = await publicCryptoKey(parsed.publicKey, 'SHA-256');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    // keyEncipherment only for RSA keys: RFC 5480 forbids it for EC keys (ECDHE needs digitalSignature only).
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature |
        (parsed.key.type === 'RSA' ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(leafPublicKey),
    new x509.AuthorityKeyIdentifierExtension(loaded.keyId),
  ];
  if (names.dnsNames.length + names.ipAddresses.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: csr.subjectName,
    issuer: loaded.cert.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: signingAlgorithm(loaded.keyType, loaded.hash),
    publicKey: leafPublicKey as never,
    signingKey: loaded.signingKey as never,
    extensions,
  });
  return {
    certificatePem: cert.toString('pem'),
    der: Buffer.from(cert.rawData),
    serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

export type IssueOptions = SignOptions & {
  readonly subject: SubjectFields;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly keyAlgorithm: KeyAlgorithm;
  /** The hash of the intermediate CSR's self-signature; SHA-256 when not given. */
  readonly signatureHash?: SignatureHash;
  /** Encrypts the returned private key when given. */
  readonly passphrase?: string;
};

/** Generates a key and a certificate for it in one step (a CSR made and signed here). */
export async function issueCertificate(
  ca: CaMaterial,
  options: IssueOptions,
): Promise<IssuedCertificate & { readonly privateKeyPem: string }> {
  leafSpanMs(options);
  const csr = await createCsr({
    subject: options.subject,
    dnsNames: options.dnsNames ?? [],
    ipAddresses: options.ipAddresses ?? [],
    keyAlgorithm: options.keyAlgorithm,
    signatureHash: options.signatureHash ?? 'SHA-256',
    passphrase: options.passphrase,
  });
  const issued = await signCsr(ca, csr.csrPem, options);
  return { ...issued, privateKeyPem: csr.privateKeyPem };
}
