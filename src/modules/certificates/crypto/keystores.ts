import { InvalidInputError } from '../../../platform/errors.js';
import { isJceks, isJks, readJks, writeJks } from './jks.js';
import { readPkcs12, writePkcs12, type KeystoreContent, type Pkcs12Input } from './pkcs12.js';

export type { KeystoreContent, Pkcs12Input as KeystoreInput } from './pkcs12.js';

/** The keystore formats the repository reads and writes (ADR 038). */
export const KEYSTORE_FORMATS = ['PKCS12', 'JKS'] as const;
export type KeystoreFormat = (typeof KEYSTORE_FORMATS)[number];

/** Bounds an upload before any key derivation runs on it. */
export const MAX_KEYSTORE_BYTES = 256 * 1024;

/** Which format a keystore file is in, from its first bytes (a `.jks` may well be PKCS#12). */
export function keystoreFormatOf(data: Uint8Array): KeystoreFormat {
  if (isJks(data)) return 'JKS';
  if (isJceks(data)) {
    throw new InvalidInputError(
      'JCEKS keystores are not supported: convert it with keytool -importkeystore -deststoretype pkcs12',
    );
  }
  if (data[0] === 0x30) return 'PKCS12';
  throw new InvalidInputError('The file is not a PKCS#12 or JKS keystore');
}

/** Reads a PKCS#12 or JKS keystore with its password; a wrong password is refused as such. */
export function readKeystore(
  data: Uint8Array,
  password: string,
): KeystoreContent & { format: KeystoreFormat } {
  if (data.length > MAX_KEYSTORE_BYTES) {
    throw new InvalidInputError(`The keystore is larger than ${MAX_KEYSTORE_BYTES} bytes`);
  }
  const format = keystoreFormatOf(data);
  const content = format === 'JKS' ? readJks(data, password) : readPkcs12(data, password);
  if (content.chain.length === 0) throw new InvalidInputError('The keystore holds no certificate');
  return { ...content, format };
}

/** Writes a password-protected keystore with a private key and its chain (key's certificate first). */
export function writeKeystore(format: KeystoreFormat, input: Pkcs12Input): Buffer {
  return format === 'JKS' ? writeJks(input) : writePkcs12(input);
}
