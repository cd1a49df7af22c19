import type { SubjectAltNames } from './certificate-parsing.js';

/** Bounds of what the certificate endpoints accept (ADR 023). */
export const LIMITS = {
  /** A certificate file (PEM chain or DER); a keystore. */
  certificateFile: 256 * 1024,
  /**
   * Certificates in one added file: the certificate and its chain (real chains hold 2–4). Each is
   * linked by checking signatures against every stored certificate of its issuer's name, inside
   * the add's transaction, so hundreds sharing one name cost a quadratic number of checks.
   */
  chain: 20,
  /** A private key file (PEM, PKCS#8 or traditional, possibly encrypted). */
  keyFile: 64 * 1024,
  passphrase: 1024,
  commonName: 1024,
  serial: 128,
  /** withExpiryDaysLessThan / days. */
  maxDays: 36_500,
} as const;

export const CERTIFICATE_SOURCES = ['added', 'discovered', 'issued'] as const;
export type CertificateSource = (typeof CERTIFICATE_SOURCES)[number];

/** Where discovery found a certificate. */
export interface CertificateLocation {
  readonly host: string;
  readonly port: number;
  /** The SNI name sent; '' for none. */
  readonly servername: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** A certificate of the repository as answers show it: never key material. */
export interface CertificateView {
  readonly id: number;
  readonly commonName: string;
  readonly subject: string;
  readonly issuer: string;
  readonly issuerCommonName: string;
  readonly serial: string;
  readonly sans: SubjectAltNames;
  readonly sha256: string;
  readonly sha1: string;
  readonly keyAlgorithm: string;
  readonly keyBits: number;
  readonly curve: string | null;
  readonly signatureAlgorithm: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly selfSigned: boolean;
  readonly isCa: boolean;
  readonly issuerId: number | null;
  readonly hasPrivateKey: boolean;
  readonly hasPassphrase: boolean;
  readonly source: CertificateSource;
  readonly ownerId: number;
  readonly addedBy: string;
  readonly addedAt: number;
}

/** The certificate endpoints' way to name one: its common name, and its serial when several share it. */
export interface CertificateSelector {
  readonly commonName: string;
  readonly serial?: string;
}

/** A certificate named by its selector (PMP) or its id (the console, which lists ids). */
export type CertificateRef = CertificateSelector | { readonly id: number };

/** The filters of getAllSSLCertificates (endpoint 33). */
export interface CertificateFilters {
  readonly expiringWithinDays?: number;
  readonly keyLength?: number;
  /** Matched in the signature algorithm's name, any case (`SHA1` matches sha1WithRSAEncryption). */
  readonly signatureAlgorithm?: string;
}

/** What endpoint 38 adds: certificate file (a PEM chain or DER), and optionally its private key. */
export interface AddCertificateInput {
  readonly certificate: Buffer;
  readonly privateKey?: string;
  readonly passphrase?: string;
}

/**
 * Endpoint 38's KEYSTORE: a PKCS#12 or JKS file and its password, opened by the service only
 * after it has decided the caller may add (nothing is parsed for one who may not).
 */
export interface AddKeystoreInput {
  readonly keystore: Buffer;
  readonly password: string;
}
