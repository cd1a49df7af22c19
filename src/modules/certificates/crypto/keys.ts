import { createPrivateKey, createPublicKey, type KeyObject, webcrypto } from 'node:crypto';
import { InvalidInputError } from '../../../platform/errors.js';
import { subtle } from './x509-lib.js';

/** Key types a CSR or certificate made here can have (ADR 038). */
export const KEY_ALGORITHMS = ['RSA-2048', 'RSA-4096', 'EC-P256', 'EC-P384'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export const SIGNATURE_HASHES = ['SHA-256', 'SHA-384', 'SHA-512'] as const;
export type SignatureHash = (typeof SIGNATURE_HASHES)[number];

type WebCryptoKeyPair = webcrypto.CryptoKeyPair;
type WebCryptoKey = webcrypto.CryptoKey;

/** The WebCrypto signing algorithm for a key of this type with this hash. */
export function signingAlgorithm(
  key: KeyAlgorithm | 'RSA' | 'EC',
  hash: SignatureHash,
): webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams {
  return key.startsWith('RSA') ? { name: 'RSASSA-PKCS1-v1_5', hash } : { name: 'ECDSA', hash };
}

function generationParams(
  algorithm: KeyAlgorithm,
): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  switch (algorithm) {
    case 'RSA-2048':
    case 'RSA-4096':
      return {
        name: 'RSASSA-PKCS1-v1_5',
        // The hash is fixed per key by WebCrypto; the signing hash is chosen again at import.
        hash: 'SHA-256',
        publicExponent: new Uint8Array([1, 0, 1]),
        modulusLength: algorithm === 'RSA-2048' ? 2048 : 4096,
      };
    case 'EC-P256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'EC-P384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
  }
}

/** A fresh key pair, extractable (it is exported once as PKCS#8 and never kept as a CryptoKey). */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<WebCryptoKeyPair> {
  return await subtle.generateKey(generationParams(algorithm), true, ['sign', 'verify']);
}

/**
 * PKCS#8 PEM of a private key; with a passphrase, encrypted PKCS#8 (PBES2: PBKDF2 with
 * HMAC-SHA-256 and AES-256-CBC, what OpenSSL 3 writes by default).
 */
export function privateKeyPem(key: KeyObject, passphrase?: string): string {
  if (passphrase !== undefined && passphrase.length > 0) {
    return key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string;
  }
  return key.export({ format: 'pem', type: 'pkcs8' }) as string;
}

export async function keyObjectOf(key: WebCryptoKey): Promise<KeyObject> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/**
 * Reads a private key (PKCS#8, PKCS#1 or SEC1 PEM, optionally encrypted). A wrong or missing
 * passphrase is refused with a message that does not say more than that.
 */
export function readPrivateKey(pem: string, passphrase?: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase: passphrase ?? '' });
  } catch {
    if (/ENCRYPTED/.test(pem)) {
      throw new InvalidInputError(
        passphrase
          ? 'The private key passphrase is wrong'
          : 'The private key is encrypted: a passphrase is needed',
      );
    }
    throw new InvalidInputError('The private key is not a readable PEM key');
  }
}

/** What a key is, in the terms the API and openssl use. */
export interface KeyDescription {
  readonly type: 'RSA' | 'EC';
  /** RSA modulus length or EC field size in bits. */
  readonly bits: number;
  /** EC only: P-256 or P-384. */
  readonly curve?: 'P-256' | 'P-384';
}

const CURVES: Record<string, { curve: 'P-256' | 'P-384'; bits: number }> = {
  prime256v1: { curve: 'P-256', bits: 256 },
  secp384r1: { curve: 'P-384', bits: 384 },
};

/**
 * Describes a public (or private) key and refuses what this server does not accept: RSA below
 * 2048 bits, curves other than P-256 and P-384, other key types.
 */
export function describeKey(key: KeyObject): KeyDescription {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const details = pub.asymmetricKeyDetails ?? {};
  if (pub.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < 2048) throw new InvalidInputError(`A ${bits}-bit RSA key is too weak (at least 2048 bits)`);
    return { type: 'RSA', bits };
  }
  if (pub.asymmetricKeyType === 'ec') {
    const curve = CURVES[details.namedCurve ?? ''];
    if (!curve)
      throw new InvalidInputError(
        `The EC curve ${details.namedCurve ?? '?'} is not supported (P-256 or P-384)`,
      );
    return { type: 'EC', bits: curve.bits, curve: curve.curve };
  }
  throw new InvalidInputError(
    `Keys of type ${pub.asymmetricKeyType ?? 'unknown'} are not supported (RSA or EC)`,
  );
}

/** Imports a private key for signing with the given hash through WebCrypto. */
export async function signingKey(key: KeyObject, hash: SignatureHash): Promise<WebCryptoKey> {
  const described = describeKey(key);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const params =
    described.type === 'RSA'
      ? { name: 'RSASSA-PKCS1-v1_5', hash }
      : { name: 'ECDSA', namedCurve: described.curve as string };
  return subtle.importKey('pkcs8', der, params, false, ['sign']);
}

/** The public half as a WebCrypto key (for certificate generation, which needs the SPKI). */
export async function publicCryptoKey(key: KeyObject, hash: SignatureHash): Promise<WebCryptoKey> {
  const described = describeKey(key);
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  const params =
    described.type === 'RSA'
      ? { name: 'RSASSA-PKCS1-v1_5', hash }
      : { name: 'ECDSA', namedCurve: described.curve as string };
  return subtle.importKey('spki', der, params, true, ['verify']);
}

export function randomSerialHex(): string {
  // 128 random bits, top bit cleared so the DER INTEGER is positive, and never zero in the first nibble
  // (a leading zero byte would be dropped and the serial be shorter than announced).
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return Buffer.from(bytes).toString('hex');
}
