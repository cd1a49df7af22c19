import type { RemoteFailureReason } from '../rotation/index.js';

/**
 * SSH key discovery (issue 13, ADR 034): what the last run found in every account's
 * authorized_keys on a Linux resource, and the names a discovered key goes by in the PKI API.
 */

/** Why a discovery of one resource did not happen or did not finish. */
export type DiscoveryFailureReason =
  | RemoteFailureReason
  /** The resource has no remote reset configuration (endpoint 63). */
  | 'not-configured'
  /** The resource is configured as a database target, not a Linux host over SSH. */
  | 'not-linux'
  /** In a group run: the caller lacks full access to this resource (not attempted). */
  | 'not-permitted'
  /** In a group run: the run was cancelled before this resource was started. */
  | 'cancelled';

export type FileState = 'present' | 'missing' | 'unreadable' | 'symlink' | 'truncated';

export interface InvalidLine {
  readonly line: number;
  /** The line as found, control characters replaced, shortened. */
  readonly text: string;
  readonly problem: string;
}

export interface DiscoveredAccount {
  readonly userName: string;
  readonly file: FileState;
  readonly invalid: readonly InvalidLine[];
}

/** One key line found in an account's authorized_keys. */
export interface FoundKey {
  readonly userName: string;
  readonly line: number;
  /** As sshd names it: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ... */
  readonly keyType: string;
  readonly bits: number;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** `type base64 [comment]`, without the options. */
  readonly publicKey: string;
  readonly comment: string;
  /** The options before the key (e.g. `from="10.0.0.0/8",no-pty`), '' when none. */
  readonly options: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** A found key matched against the key store. */
export interface MatchedKey extends FoundKey {
  /** The key store holds a key with this fingerprint. */
  readonly known: boolean;
  /** The names of those keys the caller may see (may be empty even when known). */
  readonly vaultKeys: readonly string[];
}

/** The last discovery of one resource, as the listing shows it. */
export interface ResourceFindings {
  readonly resourceId: number;
  readonly resourceName: string;
  readonly discoveredAt: number | undefined;
  readonly discoveredBy: string | undefined;
  readonly host: string | undefined;
  readonly attemptedAt: number | undefined;
  readonly attemptedBy: string | undefined;
  /** How the last attempt failed (the findings are then those of the last success). */
  readonly lastError: { readonly reason: string; readonly message: string } | undefined;
  readonly accounts: readonly DiscoveredAccount[];
  readonly keys: readonly MatchedKey[];
}

/** Where a key was found, for listings of keys (27, 28). */
export interface FoundOn {
  readonly resourceName: string;
  readonly userName: string;
  readonly line: number;
  readonly options: string;
  readonly lastSeen: number;
}

/** A public key found by discovery that the key store does not hold (27's "discovered" keys). */
export interface DiscoveredKey {
  /** `discovered:SHA256:…` ({@link discoveredKeyName}). */
  readonly name: string;
  /** As the key store names types: ssh-rsa, ssh-dss, ed25519, ecdsa (others as sshd names them). */
  readonly type: string;
  readonly bits: number;
  readonly fingerprint: string;
  /** `type base64 [comment]` as first found. */
  readonly publicKey: string;
  readonly comment: string;
  readonly firstSeen: number;
  readonly foundOn: readonly FoundOn[];
}

/** One resource's outcome in a run (a group's per-host result, or the one resource's). */
export interface DiscoveryItem {
  readonly resource: string;
  readonly status: 'discovered' | 'failed' | 'skipped';
  readonly reason?: DiscoveryFailureReason;
  /** Never a secret. */
  readonly message: string;
  readonly accounts?: number;
  readonly keys?: number;
  readonly unknown?: number;
  readonly elapsedMs: number;
}

export interface GroupDiscoverySummary {
  readonly group: string;
  readonly total: number;
  readonly discovered: number;
  readonly failed: number;
  readonly skipped: number;
  /** Every resource's outcome, in the group's order. */
  readonly items: readonly DiscoveryItem[];
  readonly elapsedMs: number;
}

export const DISCOVERY_LIMITS = { maxConcurrency: 64, minTimeoutMs: 1000, maxTimeoutMs: 600_000 } as const;

const PREFIX = 'discovered:';
const NAME = /^discovered:(SHA256:[A-Za-z0-9+/]{43})$/;

/**
 * The stable KeyName of a discovered key in the PKI API: `discovered:` and its fingerprint, so a
 * client that listed it (27) fetches it again (28) by the same name on every later run.
 */
export function discoveredKeyName(fingerprint: string): string {
  return `${PREFIX}${fingerprint}`;
}

/** The fingerprint a discovered KeyName stands for, or undefined when it is not one. */
export function fingerprintOfDiscoveredName(name: string): string | undefined {
  return NAME.exec(name.trim())?.[1];
}

/** The key store's name of a type (endpoint 25's keyType), or the sshd name when it has none. */
export function storeTypeOf(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ed25519';
  if (keyType.startsWith('ecdsa-sha2-')) return 'ecdsa';
  return keyType;
}

/**
 * A key's size in bits as `ssh-keygen -l` prints it, from its blob: the modulus of RSA, the
 * prime p of DSA, the curve of ECDSA, 256 for Ed25519 (and security keys of either).
 */
export function bitsOfBlob(keyType: string, blob: string): number {
  if (keyType === 'ssh-ed25519' || keyType.startsWith('sk-')) return 256;
  const curve = /^ecdsa-sha2-nistp(256|384|521)$/.exec(keyType);
  if (curve) return Number(curve[1]);
  const fields: Buffer[] = [];
  const bytes = Buffer.from(blob, 'base64');
  for (let at = 0; at + 4 <= bytes.length;) {
    const length = bytes.readUInt32BE(at);
    fields.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  // ssh-rsa: type, e, n. ssh-dss: type, p, q, g, y.
  const number = keyType === 'ssh-rsa' ? fields[2] : keyType === 'ssh-dss' ? fields[1] : undefined;
  return number ? bitLength(number) : 0;
}

function bitLength(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i]!));
}
