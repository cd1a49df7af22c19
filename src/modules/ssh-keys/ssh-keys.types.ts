/** The key types of endpoint 25, as clients name them. */
export const SSH_KEY_TYPES = ['ssh-rsa', 'ssh-dss', 'ed25519', 'ecdsa'] as const;
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

export const LIMITS = {
  keyName: 255,
  comment: 255,
  passphrase: 1024,
  /** A private key file, as text (an RSA 16384-bit OpenSSH key is under 13 KB). */
  keyFile: 64 * 1024,
} as const;

/** What every listing shows of a key; never key material. */
export interface SshKeyView {
  readonly id: number;
  readonly name: string;
  readonly type: SshKeyType;
  readonly bits: number;
  readonly fingerprint: string;
  readonly publicKey: string;
  readonly comment: string;
  readonly hasPassphrase: boolean;
  readonly ownerId: number;
  readonly createdBy: string;
  readonly createdAt: number;
  /** How the key came in: created here, or imported. */
  readonly origin: 'created' | 'imported';
}

/** A new key, as endpoint 25 asks for it. */
export interface CreateSshKeyInput {
  readonly name: string;
  readonly type: SshKeyType;
  readonly bits: number | undefined;
  readonly comment: string | undefined;
  readonly passphrase: string | undefined;
}

/** An existing private key, as endpoint 51 uploads it. */
export interface ImportSshKeyInput {
  readonly name: string;
  readonly keyText: string;
  readonly comment: string | undefined;
  readonly passphrase: string | undefined;
}
