import { z } from 'zod';
import { ConflictError, FieldInputError, InvalidInputError } from '../../platform/errors.js';
import { KeystorePasswordError } from './crypto/password-error.js';
import { LIMITS, type AddCertificateInput, type AddKeystoreInput } from './certificates.types.js';

/**
 * What the console's certificate forms send (ADR 042), read and checked: a certificate to add
 * (PEM text, or DER or a keystore in base64) and a keystore export; and the service's refusals
 * of them as the field of the form they are about.
 */

const MAX_BASE64 = Math.ceil((LIMITS.certificateFile * 4) / 3) + 4;

export const newCertificate = z
  .object({
    /** `pem`: the text of the file; `der` and `keystore`: its bytes in base64. */
    format: z.enum(['pem', 'der', 'keystore']),
    certificate: z
      .string()
      .min(1, 'Choose a certificate file or paste the certificate')
      .max(Math.max(LIMITS.certificateFile, MAX_BASE64), `At most ${LIMITS.certificateFile} bytes`),
    /** The keystore's password (PKCS#12 or JKS). */
    password: z.string().max(LIMITS.passphrase, `At most ${LIMITS.passphrase} characters`).optional(),
    privateKey: z.string().max(LIMITS.keyFile, `At most ${LIMITS.keyFile} characters`).optional(),
    passphrase: z.string().max(LIMITS.passphrase, `At most ${LIMITS.passphrase} characters`).optional(),
  })
  .strict();

export const keystoreBody = z
  .object({
    format: z.enum(['PKCS12', 'JKS']).default('PKCS12'),
    /** Protects the file; without it, the key's stored passphrase does (endpoint 36). */
    password: z.string().max(LIMITS.passphrase, `At most ${LIMITS.passphrase} characters`).optional(),
  })
  .strict();

/** A refusal about the input (not a missing object or a permission), as the field it is about. */
export async function asField<T>(field: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InvalidInputError && !(err instanceof FieldInputError)) {
      throw new FieldInputError(field, err.message, err.code);
    }
    throw err;
  }
}

/**
 * The keystore export's refusal about its password (missing, empty) beside the password field;
 * any other refusal (the stored key unreadable, no key) stays the form's, not the password's.
 */
export async function passwordField<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof KeystorePasswordError) throw new FieldInputError('password', err.message, err.code);
    throw err;
  }
}

/** The input a form sends, as the certificates service takes it (endpoint 38's CERTFILE or KEYSTORE). */
export function addInputOf(body: z.infer<typeof newCertificate>): AddCertificateInput | AddKeystoreInput {
  const bytes = (text: string) => {
    const compact = text.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw new FieldInputError('certificate', 'The file could not be read (it was not sent as base64)');
    }
    return Buffer.from(compact, 'base64');
  };
  if (body.format === 'keystore') {
    if (body.privateKey !== undefined || body.passphrase !== undefined) {
      throw new FieldInputError('privateKey', 'A keystore carries its own private key: give none here');
    }
    // Opened by the service, after it has decided the caller may add (addFieldErrors maps its refusals).
    return { keystore: bytes(body.certificate), password: body.password ?? '' };
  }
  const certificate = body.format === 'pem' ? Buffer.from(body.certificate, 'utf8') : bytes(body.certificate);
  const privateKey = body.privateKey?.trim() ? body.privateKey : undefined;
  return {
    certificate,
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(privateKey !== undefined && body.passphrase ? { passphrase: body.passphrase } : {}),
  };
}

/** The service's refusal of an add, as the field of the form it is about. */
export async function addFieldErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InvalidInputError && !(err instanceof FieldInputError)) {
      const field =
        err instanceof KeystorePasswordError
          ? 'password'
          : /passphrase/i.test(err.message)
            ? 'passphrase'
            : /private key/i.test(err.message)
              ? 'privateKey'
              : 'certificate';
      throw new FieldInputError(field, err.message, err.code);
    }
    if (err instanceof ConflictError) throw new FieldInputError('certificate', err.message, err.code);
    throw err;
  }
}
