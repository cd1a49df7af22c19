import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { InvalidInputError } from '../../platform/errors.js';
import type { Secret } from '../../platform/crypto/secret.js';
import type { ObservedHostKey } from '../rotation/connectors/connector.js';
import { LIMITS } from './remote-reset.types.js';

/** Host names compare ignoring case and surrounding spaces; pins are per host:port. */
export function hostKey(host: string): string {
  return host.trim().toLowerCase();
}

/** `SHA256:<base64 without padding>` of a public key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** A fingerprint as given by a person: with or without `SHA256:`, base64 padding optional. */
export function normalizeFingerprint(text: string): string {
  const trimmed = text.trim();
  const body = trimmed.replace(/^sha256:/i, '').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]{43}$/.test(body)) {
    throw new InvalidInputError(
      `FINGERPRINT must be a SHA256 fingerprint as ssh-keygen -l prints it (SHA256:<43 base64 characters>); got "${trimmed.slice(0, LIMITS.fingerprint)}"`,
    );
  }
  return `SHA256:${body}`;
}

/** Keys as the rotation observed them, normalised and without duplicates. */
export function distinctObserved(observed: readonly ObservedHostKey[]): ObservedHostKey[] {
  const seen = new Map<string, ObservedHostKey>();
  for (const key of observed) {
    const normal = { ...key, host: hostKey(key.host) };
    seen.set(`${normal.host}|${normal.port}|${normal.fingerprint}`, normal);
  }
  return [...seen.values()];
}

/**
 * Reads a private key (OpenSSH or PEM text) with its passphrase, only to refuse one that cannot
 * be used and to derive the fingerprint of its public half; the key is never kept in clear.
 * The message never quotes the key.
 */
export function inspectPrivateKey(
  privateKey: Secret,
  passphrase: Secret | undefined,
): { fingerprint: string } {
  // ssh2 is CommonJS: its named exports exist only on the default export under Node's ESM loader.
  const parsed = ssh2.utils.parseKey(privateKey.reveal(), passphrase?.reveal());
  const key = Array.isArray(parsed) ? (parsed as unknown[])[0] : parsed;
  if (key === undefined || key instanceof Error) {
    const encrypted = key instanceof Error && /encrypted|passphrase|decrypt/i.test(key.message);
    throw new InvalidInputError(
      encrypted
        ? 'PRIVATEKEY is encrypted and PASSPHRASE does not open it'
        : 'PRIVATEKEY is not a private key in a format Bulwark reads (OpenSSH or PEM: RSA, ECDSA, Ed25519), or PASSPHRASE does not open it',
    );
  }
  const typed = key as { isPrivateKey(): boolean; getPublicSSH(): Buffer };
  if (!typed.isPrivateKey()) {
    throw new InvalidInputError('PRIVATEKEY holds a public key; give the login account’s private key');
  }
  return { fingerprint: fingerprintOf(typed.getPublicSSH()) };
}
