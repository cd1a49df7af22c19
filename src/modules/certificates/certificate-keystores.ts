import { X509Certificate } from 'node:crypto';
import { InvalidInputError } from '../../platform/errors.js';
import { privateKeyPem, readPrivateKey } from './crypto/keys.js';
import { readKeystore, writeKeystore, type KeystoreFormat } from './crypto/keystores.js';
import type { AddCertificateInput } from './certificates.types.js';
import { KeystorePasswordError } from './crypto/password-error.js';

/**
 * Keystores in and out of the repository (ADR 038): endpoint 38's KEYSTORE input becomes the same
 * input as a PEM add (the chain and the private key with its passphrase), and endpoint 36 writes a
 * stored certificate's key and chain into a PKCS#12 or JKS file. Pure: no database, no release.
 */

/** KEYSTORE_TYPE as clients spell it (the reference's CSR list shows "JKS"); PKCS#12 by default. */
export function keystoreFormat(text: string | undefined): KeystoreFormat {
  const t = (text ?? '')
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '');
  if (t === '' || t === 'PKCS12' || t === 'P12' || t === 'PFX') return 'PKCS12';
  if (t === 'JKS') return 'JKS';
  throw new InvalidInputError(`KEYSTORE_TYPE must be PKCS12 or JKS; got "${(text ?? '').slice(0, 20)}"`);
}

/**
 * Endpoint 38 with fileType KEYSTORE: the keystore opened with its password, as a PEM add would
 * give it. The key is kept encrypted with the keystore password, and that password becomes the
 * key's passphrase (what getCertificatePassphrase later answers, as the reference's product does);
 * a keystore without a password gives an unencrypted key and no passphrase.
 */
export function addInputFromKeystore(data: Buffer, password: string): AddCertificateInput {
  // A PEM sent as a keystore: say which fileType it needs.
  if (data.subarray(0, 1024).toString('latin1').includes('-----BEGIN')) {
    throw new InvalidInputError(
      'The file is PEM, not a PKCS#12 or JKS keystore: send it with fileType CERTFILE, not KEYSTORE',
    );
  }
  const content = readKeystore(data, password);
  const certificate = Buffer.from(content.chain.join(''), 'utf8');
  if (content.privateKeyPem === undefined) return { certificate };
  const key = readPrivateKey(content.privateKeyPem);
  return password === ''
    ? { certificate, privateKey: privateKeyPem(key) }
    : { certificate, privateKey: privateKeyPem(key, password), passphrase: password };
}

export interface KeystoreExport {
  readonly format: KeystoreFormat;
  /** The stored key (PEM, as added) and its passphrase when it is encrypted. */
  readonly privateKeyPem: string;
  readonly keyPassphrase?: string;
  /** The certificate first, then its issuers as linked in the repository. */
  readonly chainDer: readonly Buffer[];
  readonly password: string;
  readonly alias: string;
}

/** Endpoint 36: the keystore file, protected by `password`. */
export function keystoreFile(input: KeystoreExport): {
  content: Buffer;
  extension: string;
  contentType: string;
} {
  if (input.password.length === 0) throw new KeystorePasswordError('The keystore password must not be empty');
  const content = writeKeystore(input.format, {
    privateKeyPem: input.privateKeyPem,
    ...(input.keyPassphrase ? { keyPassphrase: input.keyPassphrase } : {}),
    chain: input.chainDer.map((der) => new X509Certificate(der).toString()),
    password: input.password,
    alias: input.alias,
  });
  return input.format === 'JKS'
    ? { content, extension: 'jks', contentType: 'application/x-java-keystore' }
    : { content, extension: 'p12', contentType: 'application/x-pkcs12' };
}
