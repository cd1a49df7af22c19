import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { InvalidInputError } from '../../platform/errors.js';
import type { ParsedCertificate } from './certificate-parsing.js';
import { LIMITS } from './certificates.types.js';
import * as der from './crypto/der.js';
import { TAG, type Node } from './crypto/der.js';

/**
 * Key-derivation work an uploaded encrypted private key may ask for. The file names its own
 * PBKDF2 iteration count (or scrypt cost), and node derives synchronously on the event loop: a
 * count of 2^31 froze the whole server for minutes. Real keys ask 2048 (openssl) to 600 000
 * (OWASP's PBKDF2-SHA256 advice); PKCS#12 files are bounded likewise (crypto/pkcs12.ts).
 */
export const MAX_KEY_ITERATIONS = 1_000_000;
/** scrypt's N·r·p (openssl's default 16384·8·1 = 131 072). */
const MAX_SCRYPT_WORK = 1 << 20;

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  scrypt: '1.3.6.1.4.1.11591.4.11',
  /** PBES1 (1.2.840.113549.1.5.x) and PKCS#12 PBE (1.2.840.113549.1.12.1.x): params (salt, count). */
  pbes1: /^1\.2\.840\.113549\.1\.(5\.\d+|12\.1\.\d+)$/,
} as const;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * The encryption algorithm of a PEM block holding an EncryptedPrivateKeyInfo (RFC 5958): any
 * block, whatever its label, since OpenSSL's decoders look past the label. Undefined for anything
 * else (a plain key, traditional `Proc-Type: 4,ENCRYPTED` PEM, whose derivation is one MD5 round).
 */
function encryptionOf(base64: string): Node | undefined {
  try {
    const info = der.parse(Buffer.from(base64.replace(/\s+/g, ''), 'base64'), 'private key');
    const algorithm = der.child(info, 0, 'private key', TAG.sequence);
    der.child(info, 1, 'private key', TAG.octetString);
    der.oidOf(der.child(algorithm, 0, 'private key'), 'private key');
    return algorithm;
  } catch {
    return undefined;
  }
}

/** Refuses, before any derivation runs, an encrypted key asking for more work than real keys do. */
export function refuseCostlyKeyEncryption(keyText: string): void {
  const what = "private key's encryption parameters";
  for (const [, , body] of keyText.matchAll(PEM_BLOCK)) {
    const algorithm = encryptionOf(body ?? '');
    if (!algorithm) continue;
    const id = der.oidOf(der.child(algorithm, 0, what), what);
    let work: number;
    if (id === OID.pbes2) {
      const kdf = der.child(der.child(algorithm, 1, what, TAG.sequence), 0, what, TAG.sequence);
      const kdfId = der.oidOf(der.child(kdf, 0, what), what);
      const params = der.child(kdf, 1, what, TAG.sequence);
      if (kdfId === OID.pbkdf2) work = der.intOf(der.child(params, 1, what), what);
      else if (kdfId === OID.scrypt) {
        const [n, r, p] = [1, 2, 3].map((i) => der.intOf(der.child(params, i, what), what)) as [
          number,
          number,
          number,
        ];
        if (n * r * p > MAX_SCRYPT_WORK) {
          throw new InvalidInputError(
            `The private key's scrypt cost (N·r·p ${n * r * p}) is above ${MAX_SCRYPT_WORK}: re-encrypt it with openssl's defaults`,
          );
        }
        continue;
      } else throw new InvalidInputError("The private key's key derivation is not supported");
    } else if (OID.pbes1.test(id)) {
      work = der.intOf(der.child(der.child(algorithm, 1, what, TAG.sequence), 1, what), what);
    } else {
      throw new InvalidInputError("The private key's encryption is not supported");
    }
    if (work > MAX_KEY_ITERATIONS) {
      throw new InvalidInputError(
        `The private key's iteration count ${work} is above ${MAX_KEY_ITERATIONS}: re-encrypt it with openssl's defaults`,
      );
    }
  }
}

/**
 * The private key must read (with its passphrase when encrypted) and be the certificate's: a
 * key of another certificate would be released later as if it were this one's.
 */
export function checkPrivateKey(
  cert: ParsedCertificate,
  keyText: string,
  passphrase: string | undefined,
): void {
  if (keyText.length > LIMITS.keyFile) throw new InvalidInputError('The private key file is too large');
  refuseCostlyKeyEncryption(keyText);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyText, format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch {
    if (/ENCRYPTED/.test(keyText)) {
      throw new InvalidInputError(
        passphrase
          ? 'The private key could not be decrypted: wrong passphrase'
          : 'The private key is encrypted: give its passphrase',
      );
    }
    throw new InvalidInputError('The private key is not a PEM private key (PKCS#8, PKCS#1 or SEC1)');
  }
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  const certificateKey = new X509Certificate(cert.der).publicKey;
  if (!spki(createPublicKey(key)).equals(spki(certificateKey))) {
    throw new InvalidInputError(
      `The private key does not belong to certificate ${cert.commonName || cert.subject}`,
    );
  }
}
