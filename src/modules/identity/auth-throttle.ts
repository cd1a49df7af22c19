import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../platform/clock.js';
import { AuthenticationError } from '../../platform/errors.js';
import { normaliseAddress } from './host-binding.js';

export interface AuthThrottleSettings {
  /** Failed authentications (tokens and client certificates together) from one address before it is locked out. */
  readonly failureLimit: number;
  /** How long a lockout lasts; also the window in which failures are counted. */
  readonly lockoutMs: number;
  /** Answers to failures beyond half the limit are delayed by this much per extra failure (capped). */
  readonly delayStepMs: number;
}

export interface FailureOutcome {
  /** How long to wait before answering this failure. */
  readonly delayMs: number;
  /** This failure reached the limit: the address is locked out from now on. */
  readonly lockedOut: boolean;
}

const MAX_DELAY_MS = 2000;
const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Slows, then locks out, client addresses that present wrong API tokens or untrusted client
 * certificates (ADR 007, ADR 014). One throttle serves both, so an address cannot double its
 * attempts by alternating them. State is in memory, per process: with several servers behind a
 * load balancer each counts on its own, and a restart forgets. Tokens are 128-bit random and
 * certificates are pinned by SHA-256, so this is not what stops guessing; it keeps a misbehaving
 * or probing client from hammering the credential lookups and the audit trail.
 *
 * A lockout refuses every token and certificate from the address, valid ones included, until
 * it ends. Addresses are compared normalised (an IPv4-mapped IPv6 address is its IPv4 one).
 */
export interface AuthThrottle {
  /** Milliseconds left of the address's lockout, or 0. */
  lockedOutFor(clientIp: string): number;
  /** Throws the AuthenticationError a locked-out address gets, whatever it presents. */
  refuseIfLockedOut(clientIp: string): void;
  /**
   * A failed authentication from `clientIp`: counts it, has it audited through `record` (the
   * reason noting a lockout it starts), waits the delay due, then throws `message`.
   */
  refuse(
    clientIp: string,
    failure: { readonly reason: string; readonly message: string },
    record: (reason: string) => Promise<void>,
  ): Promise<never>;
}

interface Entry {
  failures: number;
  windowStart: number;
  lockedUntil: number;
}

export function createAuthThrottle(settings: AuthThrottleSettings, clock: Clock): AuthThrottle {
  const entries = new Map<string, Entry>();

  const prune = (now: number) => {
    for (const [ip, entry] of entries) {
      if (entry.lockedUntil <= now && now - entry.windowStart >= settings.lockoutMs) entries.delete(ip);
    }
    // Still too many (a flood from many addresses): forget the oldest windows first.
    while (entries.size > MAX_TRACKED_ADDRESSES) entries.delete(entries.keys().next().value!);
  };

  const lockedOutFor = (clientIp: string): number => {
    const entry = entries.get(normaliseAddress(clientIp));
    if (entry === undefined) return 0;
    return Math.max(0, entry.lockedUntil - clock.now());
  };

  const recordFailure = (address: string): FailureOutcome => {
    const clientIp = normaliseAddress(address);
    const now = clock.now();
    let entry = entries.get(clientIp);
    if (entry === undefined || (now - entry.windowStart >= settings.lockoutMs && entry.lockedUntil <= now)) {
      if (entries.size >= MAX_TRACKED_ADDRESSES) prune(now);
      entry = { failures: 0, windowStart: now, lockedUntil: 0 };
      entries.set(clientIp, entry);
    }
    entry.failures++;
    if (entry.failures >= settings.failureLimit) {
      // A new window starts with the lockout: after it, the address gets the full limit again.
      entry.lockedUntil = now + settings.lockoutMs;
      entry.failures = 0;
      entry.windowStart = entry.lockedUntil;
      return { delayMs: 0, lockedOut: true };
    }
    const free = Math.floor(settings.failureLimit / 2);
    const delayMs = Math.min(MAX_DELAY_MS, Math.max(0, entry.failures - free) * settings.delayStepMs);
    return { delayMs, lockedOut: false };
  };

  return {
    lockedOutFor,

    refuseIfLockedOut(clientIp) {
      const lockedFor = lockedOutFor(clientIp);
      if (lockedFor > 0) {
        throw new AuthenticationError(
          `Too many failed authentication attempts from this address; try again in ${Math.ceil(lockedFor / 1000)} seconds. Authentication failed.`,
        );
      }
    },

    async refuse(clientIp, failure, record) {
      const outcome = recordFailure(clientIp);
      await record(
        outcome.lockedOut
          ? `${failure.reason}; address locked out for ${settings.lockoutMs / 1000} seconds`
          : failure.reason,
      );
      if (outcome.delayMs > 0) await sleep(outcome.delayMs);
      throw new AuthenticationError(failure.message);
    },
  };
}
