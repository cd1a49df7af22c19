import type { KeyAlgorithm, SignatureHash } from './crypto/keys.js';

/** Bounds of what the CSR and CA endpoints accept (ADR 023, 039). */
export const REQUEST_LIMITS = {
  /** A subject field (CN, O, OU, L, ST). */
  subjectField: 64,
  /** ALT_NAMES: the whole comma-separated list, and how many names. */
  altNames: 4096,
  altNameCount: 100,
  password: 1024,
  /** VALIDITY in days at most (as hours or minutes, the same span). */
  maxDays: 3650,
} as const;

export const VALIDITY_TYPES = ['days', 'hours', 'minutes'] as const;
export type ValidityType = (typeof VALIDITY_TYPES)[number];

export const KEYSTORE_TYPES = ['PKCS12', 'JKS'] as const;
export type KeystoreType = (typeof KEYSTORE_TYPES)[number];

/** The reference's Details of createCSR (42) and createCertificate (45), read and checked. */
export interface CertificateRequestInput {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly organizationalUnit?: string;
  readonly organization?: string;
  readonly locality?: string;
  readonly state?: string;
  readonly country?: string;
  /** Encrypts the private key (and later the keystore); released through getCertificatePassphrase. */
  readonly password?: string;
  readonly validity: number;
  readonly validityType: ValidityType;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly signatureHash: SignatureHash;
  readonly keystoreType: KeystoreType;
}

/** A CSR as getCSRList (43) shows it: never key material. */
export interface CertificateRequestView {
  readonly id: number;
  readonly commonName: string;
  readonly subject: string;
  readonly sans: { readonly dns: readonly string[]; readonly ip: readonly string[] };
  readonly keyAlgorithm: 'RSA' | 'EC';
  readonly keyBits: number;
  /** openssl's name. */
  readonly signatureAlgorithm: string;
  readonly validity: number;
  readonly validityType: ValidityType;
  readonly keystoreType: KeystoreType;
  readonly hasPassword: boolean;
  readonly csrPem: string;
  readonly ownerId: number;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly certificateId: number | null;
  readonly signedAt: number | null;
}

/** The internal CA as answers show it (public material only). */
export interface InternalCaView {
  readonly commonName: string;
  readonly certificatePem: string;
  readonly sha256: string;
  readonly notAfter: number;
  readonly createdBy: string;
  readonly createdAt: number;
}

export const MINUTE_MS = 60_000;
const SPAN_MS: Record<ValidityType, number> = {
  days: 86_400_000,
  hours: 3_600_000,
  minutes: MINUTE_MS,
};

/** The validity asked for, in milliseconds. */
export function validityMs(validity: number, type: ValidityType): number {
  return validity * SPAN_MS[type];
}
