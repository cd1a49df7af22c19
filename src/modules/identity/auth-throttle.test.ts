import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../platform/errors.js';
import { createAuthThrottle, MAX_DELAY_MS } from './auth-throttle.js';

/** The throttle alone, with a clock the test moves and the delays it asks for recorded. */
function throttleWith(settings = { failureLimit: 4, lockoutMs: 60_000, delayStepMs: 100 }) {
  let now = 1_000_000;
  const delays: number[] = [];
  const audited: string[] = [];
  const throttle = createAuthThrottle(settings, { now: () => now }, (ms) => {
    delays.push(ms);
    return Promise.resolve();
  });
  const fail = (ip: string, credential: string) =>
    throttle.refuse(ip, credential, { reason: 'wrong', message: 'refused' }, (why) => {
      audited.push(why);
      return Promise.resolve();
    });
  return {
    throttle,
    delays,
    audited,
    fail,
    advance: (ms: number) => (now += ms),
  };
}

describe('authentication throttle (ADR 021)', () => {
  it('delays the answers to an address more with each failure, up to a bound', async () => {
    const t = throttleWith({ failureLimit: 4, lockoutMs: 60_000, delayStepMs: 700 });
    for (let i = 0; i < 8; i++) await expect(t.fail('10.0.0.1', `token:${i}`)).rejects.toThrow('refused');
    // Half the limit free, then 700 ms more per failure, capped.
    expect(t.delays).toEqual([700, 1400, MAX_DELAY_MS, MAX_DELAY_MS, MAX_DELAY_MS, MAX_DELAY_MS]);
    // Another address starts from nothing.
    await expect(t.fail('10.0.0.2', 'token:0')).rejects.toThrow('refused');
    expect(t.delays).toHaveLength(6);
    // An address quiet for the whole period is forgotten.
    t.advance(60_000);
    await expect(t.fail('10.0.0.1', 'token:x')).rejects.toThrow('refused');
    expect(t.delays).toHaveLength(6);
  });

  it("a success forgets the credential's failures there (not a running lockout, not other addresses)", async () => {
    const t = throttleWith({ failureLimit: 3, lockoutMs: 60_000, delayStepMs: 0 });
    // Two of three failures, then a success: two more failures do not lock it out.
    for (let i = 0; i < 2; i++) await expect(t.fail('10.0.0.1', 'user:ann')).rejects.toThrow('refused');
    await expect(t.fail('10.0.0.2', 'user:ann')).rejects.toThrow('refused');
    t.throttle.succeeded('10.0.0.1', 'user:ann');
    for (let i = 0; i < 2; i++) await expect(t.fail('10.0.0.1', 'user:ann')).rejects.toThrow('refused');
    expect(t.throttle.lockedOutFor('10.0.0.1', 'user:ann')).toBe(0);
    // The third since the success locks out; a success does not lift a running lockout.
    await expect(t.fail('10.0.0.1', 'user:ann')).rejects.toThrow('refused');
    expect(t.throttle.lockedOutFor('10.0.0.1', 'user:ann')).toBe(60_000);
    t.throttle.succeeded('10.0.0.1', 'user:ann');
    expect(t.throttle.lockedOutFor('10.0.0.1', 'user:ann')).toBe(60_000);
    // The other address kept its own count: two more there lock it out.
    t.throttle.succeeded('10.0.0.1', 'user:bob');
    for (let i = 0; i < 2; i++) await expect(t.fail('10.0.0.2', 'user:ann')).rejects.toThrow('refused');
    expect(t.throttle.lockedOutFor('10.0.0.2', 'user:ann')).toBe(60_000);
  });

  it('never refuses another credential from an address full of failures', async () => {
    const t = throttleWith();
    for (let i = 0; i < 25; i++) await expect(t.fail('10.0.0.1', `token:${i}`)).rejects.toThrow('refused');
    expect(t.throttle.lockedOutFor('10.0.0.1', 'token:valid')).toBe(0);
    expect(() => t.throttle.refuseIfLockedOut('10.0.0.1', 'token:valid')).not.toThrow();
  });

  it('locks out one credential failing again and again from one address, there only, for the period', async () => {
    const t = throttleWith();
    for (let i = 0; i < 4; i++)
      await expect(t.fail('::ffff:10.0.0.1', 'token:bad')).rejects.toThrow('refused');
    expect(t.audited.at(-1)).toBe('wrong; locked out from this address for 60 seconds');
    expect(t.audited.slice(0, 3)).toEqual(['wrong', 'wrong', 'wrong']);
    const refusal = (() => {
      try {
        t.throttle.refuseIfLockedOut('10.0.0.1', 'token:bad');
      } catch (err) {
        return err;
      }
    })();
    expect(refusal).toBeInstanceOf(AuthenticationError);
    expect((refusal as Error).message).toBe(
      'Too many failed authentication attempts with this credential from this address; try again in 60 seconds. Authentication failed.',
    );
    expect(t.throttle.lockedOutFor('10.0.0.2', 'token:bad')).toBe(0);
    expect(t.throttle.lockedOutFor('10.0.0.1', 'cert:bad')).toBe(0);
    t.advance(59_999);
    expect(t.throttle.lockedOutFor('10.0.0.1', 'token:bad')).toBe(1);
    t.advance(1);
    expect(() => t.throttle.refuseIfLockedOut('10.0.0.1', 'token:bad')).not.toThrow();
  });
});
