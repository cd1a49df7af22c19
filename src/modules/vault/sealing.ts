import { KeyringError, type Keyring, type SealContext } from '../../platform/crypto/keyring.js';
import { IntegrityError } from '../../platform/errors.js';

/** Where each sealed value of the vault lives: its envelope is bound to that row and column. */
export const PASSWORD_COLUMN = 'password_sealed';

export const sealedAt = {
  accountPassword: (accountId: number): SealContext => ({
    table: 'accounts',
    rowId: accountId,
    column: PASSWORD_COLUMN,
  }),
  earlierPassword: (historyId: number): SealContext => ({
    table: 'password_history',
    rowId: historyId,
    column: PASSWORD_COLUMN,
  }),
  /** The new password of a rotation while it is pending (ADR 028). */
  pendingPassword: (rotationId: number): SealContext => ({
    table: 'password_rotations',
    rowId: rotationId,
    column: PASSWORD_COLUMN,
  }),
  totpSecret: (accountId: number): SealContext => ({
    table: 'accounts',
    rowId: accountId,
    column: 'totp_secret_sealed',
  }),
  file: (accountId: number): SealContext => ({
    table: 'account_files',
    rowId: accountId,
    column: 'content_sealed',
  }),
  customField: (fieldId: number): SealContext => ({
    table: 'custom_fields',
    rowId: fieldId,
    column: 'value_sealed',
  }),
} as const;

/**
 * The login key (and its passphrase) of a remote reset configuration (issue 12, ADR 027), sealed
 * by the remote-reset module to the configuration's row (the resource id). Opened only for the
 * rotation service building a connection to the target, never for an answer: no endpoint
 * returns a key.
 */
export const remoteResetKeys = {
  privateKey: (resourceId: number): SealContext => ({
    table: 'remote_reset_configs',
    rowId: resourceId,
    column: 'private_key_sealed',
  }),
  passphrase: (resourceId: number): SealContext => ({
    table: 'remote_reset_configs',
    rowId: resourceId,
    column: 'passphrase_sealed',
  }),
  openForConnection(keyring: Keyring, envelope: Buffer, context: SealContext): Buffer {
    return unsealWith(keyring, envelope, context, 'SSH login key of the remote reset configuration');
  },
} as const;

/**
 * The private key and passphrase of a key of the SSH key store (issue 13, ADR 031), sealed by
 * the ssh-keys module to the key's row. Opened only by the release gate (`releaseSshKey`), which
 * decides, audits, then unseals.
 */
export const sshKeyMaterial = {
  privateKey: (keyId: number): SealContext => ({
    table: 'ssh_keys',
    rowId: keyId,
    column: 'private_key_sealed',
  }),
  passphrase: (keyId: number): SealContext => ({
    table: 'ssh_keys',
    rowId: keyId,
    column: 'passphrase_sealed',
  }),
} as const;

/**
 * A rotation of a key of the SSH key store (issue 13, ADR 035), sealed by the ssh-keys module to
 * the rotation's row: the new private key while it is pending (opened only by the vault's
 * `hostSecrets.openPendingSshKey`, to prove a login with it and to re-seal it into the key's row
 * at the switch), and the replaced one from the switch until no host holds its line (never
 * opened: kept so that no private key some host still trusts is lost).
 */
export const sshKeyRotationMaterial = {
  newPrivateKey: (rotationId: number): SealContext => ({
    table: 'ssh_key_rotations',
    rowId: rotationId,
    column: 'new_private_key_sealed',
  }),
  oldPrivateKey: (rotationId: number): SealContext => ({
    table: 'ssh_key_rotations',
    rowId: rotationId,
    column: 'old_private_key_sealed',
  }),
} as const;

/**
 * The private key and its passphrase of a certificate of the repository (issue 14, ADR 036),
 * sealed by the certificates module to the certificate's row. Opened by the release gate
 * (`releaseCertificate`), which decides, audits, then unseals; and for the server's own use by
 * `hostSecrets.openCertificateKey`, to write the key onto a server it is deployed to (ADR 041).
 */
export const certificateMaterial = {
  privateKey: (certificateId: number): SealContext => ({
    table: 'certificates',
    rowId: certificateId,
    column: 'private_key_sealed',
  }),
  passphrase: (certificateId: number): SealContext => ({
    table: 'certificates',
    rowId: certificateId,
    column: 'passphrase_sealed',
  }),
} as const;

/**
 * A CSR made here (issue 14, ADR 039): its private key and the password it is encrypted with,
 * sealed by the certificates module to the request's row. Never opened for an answer: when the
 * request is signed they are opened here and sealed again to the certificate's row
 * (`certificateMaterial`), where the release gate guards them; the plaintext never leaves.
 */
export const certificateRequestMaterial = {
  privateKey: (requestId: number): SealContext => ({
    table: 'certificate_requests',
    rowId: requestId,
    column: 'private_key_sealed',
  }),
  password: (requestId: number): SealContext => ({
    table: 'certificate_requests',
    rowId: requestId,
    column: 'password_sealed',
  }),
  resealForCertificate(
    keyring: Keyring,
    sealed: { readonly privateKey: Buffer; readonly password: Buffer | null },
    requestId: number,
    certificateId: number,
  ): { privateKey: Buffer; passphrase: Buffer | null } {
    const move = (envelope: Buffer, from: SealContext, to: SealContext, what: string): Buffer => {
      const plain = unsealWith(keyring, envelope, from, what);
      try {
        return keyring.seal(plain, to);
      } finally {
        plain.fill(0);
      }
    };
    return {
      privateKey: move(
        sealed.privateKey,
        certificateRequestMaterial.privateKey(requestId),
        certificateMaterial.privateKey(certificateId),
        `private key of CSR ${requestId}`,
      ),
      passphrase:
        sealed.password === null
          ? null
          : move(
              sealed.password,
              certificateRequestMaterial.password(requestId),
              certificateMaterial.passphrase(certificateId),
              `password of CSR ${requestId}`,
            ),
    };
  },
} as const;

/**
 * The internal CA's private key (issue 14, ADR 039), sealed to the one `internal_ca` row.
 * Opened only for the server's own use, signing a certificate inside `useForSigning`; no
 * endpoint or command answers it.
 */
export const internalCaKey = {
  privateKey: (): SealContext => ({ table: 'internal_ca', rowId: 1, column: 'private_key_sealed' }),
  async useForSigning<T>(
    keyring: Keyring,
    envelope: Buffer,
    sign: (privateKeyPem: string) => Promise<T>,
  ): Promise<T> {
    const plain = unsealWith(keyring, envelope, internalCaKey.privateKey(), 'private key of the internal CA');
    try {
      return await sign(plain.toString('utf8'));
    } finally {
      plain.fill(0);
    }
  },
} as const;

/** Opens a sealed value; a tampered or moved one becomes a clear refusal, never a release. */
export function unsealWith(keyring: Keyring, envelope: Buffer, context: SealContext, what: string): Buffer {
  try {
    return keyring.open(envelope, context);
  } catch (err) {
    if (!(err instanceof KeyringError)) throw err;
    throw new IntegrityError(
      `The stored ${what} failed its integrity check (altered or moved in the database) and was not released`,
    );
  }
}
