import type { Clock } from '../../platform/clock.js';

export interface AuthThrottleSettings {
  /** Failed token attempts from one address before it is locked out. */
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
 * Slows, then locks out, client addresses that present wrong API tokens. State is in memory,
 * per process (ADR 007): with several servers behind a load balancer each counts on its own,
 * and a restart forgets. Tokens are 128-bit random, so this is not what stops guessing; it
 * keeps a misbehaving or probing client from hammering the token lookup and the audit trail.
 *
 * A lockout refuses every token from the address, valid ones included, until it ends.
 */
export interface AuthThrottle {
  /** Milliseconds left of the address's lockout, or 0. */
  lockedOutFor(clientIp: string): number;
  recordFailure(clientIp: string): FailureOutcome;
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

  return {
    lockedOutFor(clientIp) {
      const entry = entries.get(clientIp);
      if (entry === undefined) return 0;
      return Math.max(0, entry.lockedUntil - clock.now());
    },

    recordFailure(clientIp) {
      const now = clock.now();
      let entry = entries.get(clientIp);
      if (
        entry === undefined ||
        (now - entry.windowStart >= settings.lockoutMs && entry.lockedUntil <= now)
      ) {
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
    },
  };
}
