import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Clock } from '../../platform/clock.js';
import { AuthenticationError } from '../../platform/errors.js';
import { normaliseAddress } from './host-binding.js';

export interface AuthThrottleSettings {
  /** Failures of one credential (a token, a client certificate) from one address before it is locked out there. */
  readonly failureLimit: number;
  /** How long such a lockout lasts; also how long failures are remembered. */
  readonly lockoutMs: number;
  /** Answers to an address's failures beyond half the limit are delayed this much per extra failure (capped). */
  readonly delayStepMs: number;
}

export interface FailureOutcome {
  /** How long to wait before answering this failure. */
  readonly delayMs: number;
  /** This failure reached the limit: the credential is locked out from this address from now on. */
  readonly lockedOut: boolean;
}

/** The longest an answer to a failure is delayed. */
export const MAX_DELAY_MS = 2000;
const MAX_TRACKED = 10_000;

/**
 * Slows client addresses that present wrong API tokens or untrusted client certificates, and
 * locks out a credential that keeps failing (ADR 007, 014, 021). One throttle serves tokens and
 * certificates, so an address cannot double its attempts by alternating them.
 *
 * - **Per address, a delay**: the answer to each failure from an address comes later the more
 *   failures it had (beyond half of the limit, `delayStepMs` more per failure, at most 2 s). The
 *   count is forgotten once the address has had no failure for `lockoutMs`. A VALID credential is
 *   never delayed or refused because of failures from its address: behind a shared proxy or NAT,
 *   one client's wrong tokens must not lock everyone else out.
 * - **Per credential and address, a lockout**: the same wrong (or expired, or wrong-host) token or
 *   certificate failing `failureLimit` times from one address is refused there, without a lookup,
 *   for `lockoutMs`. Credentials are kept only as the callers' hashes or fingerprints.
 *
 * State is in memory, per process: with several servers behind a load balancer each counts on its
 * own, and a restart forgets. Tokens are 128-bit random and certificates are pinned by SHA-256,
 * so this is not what stops guessing; it keeps a misbehaving or probing client from hammering the
 * credential lookups and the audit trail. Addresses are compared normalised (an IPv4-mapped IPv6
 * address is its IPv4 one); which address a request comes from is the HTTP layer's (trusted
 * proxies, X-Forwarded-For).
 */
export interface AuthThrottle {
  /** Milliseconds left of the lockout of `credential` from `clientIp`, or 0. */
  lockedOutFor(clientIp: string, credential: string): number;
  /** Throws the AuthenticationError a locked-out credential gets from this address. */
  refuseIfLockedOut(clientIp: string, credential: string): void;
  /**
   * A failed authentication of `credential` (a hash or fingerprint, never the secret) from
   * `clientIp`: counts it, has it audited through `record` (the reason noting a lockout it
   * starts), waits the delay due to the address, then throws `message`.
   */
  refuse(
    clientIp: string,
    credential: string,
    failure: { readonly reason: string; readonly message: string },
    record: (reason: string) => Promise<void>,
  ): Promise<never>;
  /**
   * `credential` proved right from `clientIp` (a completed sign-in, one's own password changed
   * with the right current one): its failure count there starts again, so earlier mistakes do not
   * bring the next one closer to a lockout. A running lockout is not lifted (it refused the
   * request first), nor is the address's delay, which counts every credential from it.
   */
  succeeded(clientIp: string, credential: string): void;
}

interface AddressEntry {
  failures: number;
  lastFailureAt: number;
}

interface CredentialEntry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export function createAuthThrottle(
  settings: AuthThrottleSettings,
  clock: Clock,
  sleep: (ms: number) => Promise<unknown> = sleepFor,
  /** Told of every failure counted, and whether it started a lockout (the auth metrics). */
  onFailure: (lockedOut: boolean) => void = () => {},
): AuthThrottle {
  const addresses = new Map<string, AddressEntry>();
  const credentials = new Map<string, CredentialEntry>();
  const keyOf = (address: string, credential: string) => `${normaliseAddress(address)} ${credential}`;

  /** Forgets what has expired; if still too many (a flood), the oldest entries first. */
  const prune = <E extends { lastFailureAt: number; lockedUntil?: number }>(
    map: Map<string, E>,
    now: number,
  ) => {
    for (const [key, entry] of map) {
      if ((entry.lockedUntil ?? 0) <= now && now - entry.lastFailureAt >= settings.lockoutMs) map.delete(key);
    }
    while (map.size >= MAX_TRACKED) map.delete(map.keys().next().value!);
  };

  const lockedOutFor = (clientIp: string, credential: string): number => {
    const entry = credentials.get(keyOf(clientIp, credential));
    if (entry === undefined) return 0;
    return Math.max(0, entry.lockedUntil - clock.now());
  };

  const recordFailure = (clientIp: string, credential: string): FailureOutcome => {
    const now = clock.now();
    const address = normaliseAddress(clientIp);
    let byAddress = addresses.get(address);
    if (byAddress === undefined || now - byAddress.lastFailureAt >= settings.lockoutMs) {
      if (addresses.size >= MAX_TRACKED) prune(addresses, now);
      addresses.delete(address);
      byAddress = { failures: 0, lastFailureAt: now };
      addresses.set(address, byAddress);
    }
    byAddress.failures++;
    byAddress.lastFailureAt = now;
    const free = Math.floor(settings.failureLimit / 2);
    const delayMs = Math.min(MAX_DELAY_MS, Math.max(0, byAddress.failures - free) * settings.delayStepMs);

    const key = keyOf(clientIp, credential);
    let byCredential = credentials.get(key);
    if (
      byCredential === undefined ||
      (byCredential.lockedUntil <= now && now - byCredential.lastFailureAt >= settings.lockoutMs)
    ) {
      if (credentials.size >= MAX_TRACKED) prune(credentials, now);
      byCredential = { failures: 0, lastFailureAt: now, lockedUntil: 0 };
      credentials.set(key, byCredential);
    }
    byCredential.failures++;
    byCredential.lastFailureAt = now;
    if (byCredential.failures >= settings.failureLimit) {
      // After the lockout the credential gets the full limit again.
      byCredential.lockedUntil = now + settings.lockoutMs;
      byCredential.failures = 0;
      return { delayMs, lockedOut: true };
    }
    return { delayMs, lockedOut: false };
  };

  return {
    lockedOutFor,

    refuseIfLockedOut(clientIp, credential) {
      const lockedFor = lockedOutFor(clientIp, credential);
      if (lockedFor > 0) {
        throw new AuthenticationError(
          `Too many failed authentication attempts with this credential from this address; try again in ${Math.ceil(lockedFor / 1000)} seconds. Authentication failed.`,
        );
      }
    },

    succeeded(clientIp, credential) {
      const key = keyOf(clientIp, credential);
      const entry = credentials.get(key);
      if (entry !== undefined && entry.lockedUntil <= clock.now()) credentials.delete(key);
    },

    async refuse(clientIp, credential, failure, record) {
      const outcome = recordFailure(clientIp, credential);
      onFailure(outcome.lockedOut);
      await record(
        outcome.lockedOut
          ? `${failure.reason}; locked out from this address for ${settings.lockoutMs / 1000} seconds`
          : failure.reason,
      );
      if (outcome.delayMs > 0) await sleep(outcome.delayMs);
      throw new AuthenticationError(failure.message);
    },
  };
}
