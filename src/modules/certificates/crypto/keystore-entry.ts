import { X509Certificate, type KeyObject } from 'node:crypto';
import { InvalidInputError } from '../../../platform/errors.js';
import { readPrivateKey } from './keys.js';

/** What a keystore writer needs of its one key entry: the key and its chain, leaf first. */
export interface KeystoreEntryInput {
  readonly chain: readonly string[];
  readonly privateKeyPem: string;
  readonly keyPassphrase?: string;
}

/**
 * The key entry a keystore writer (PKCS#12, JKS) stores, read and checked once for both: each
 * certificate of the chain as DER, the key, and the key belonging to the first certificate.
 * `format` names the file in the refusals.
 */
export function keystoreEntry(
  input: KeystoreEntryInput,
  format: string,
): { readonly key: KeyObject; readonly certs: Buffer[] } {
  if (input.chain.length === 0) throw new InvalidInputError(`${format} needs at least the key’s certificate`);
  const key = readPrivateKey(input.privateKeyPem, input.keyPassphrase);
  const certs = input.chain.map((pem) => {
    try {
      return Buffer.from(new X509Certificate(pem).raw);
    } catch {
      throw new InvalidInputError('A certificate of the chain is not a readable PEM certificate');
    }
  });
  if (!new X509Certificate(certs[0]!).checkPrivateKey(key))
    throw new InvalidInputError('The private key does not belong to the first certificate of the chain');
  return { key, certs };
}
