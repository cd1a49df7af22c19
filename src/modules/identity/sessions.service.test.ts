import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../platform/crypto/secret.js';
import { decodeBase32, totp, TOTP_DEFAULTS } from '../../platform/crypto/totp.js';
import { AuthenticationError, FieldInputError } from '../../platform/errors.js';
import type { CallOrigin } from '../../platform/principal.js';
import { openInProcessServices, type InProcessServices } from '../../../test/helpers/in-process.js';

/**
 * Console sessions against the clock (ADR 042): what the API tests cannot wait for — the idle
 * and absolute ends, the second factor's five minutes, and the TOTP window.
 */
describe('console sessions over time', () => {
  const origin: CallOrigin = { clientIp: '127.0.0.1', client: 'Web Client' };
  const MINUTE = 60_000;
  let now = Date.UTC(2026, 11, 6, 9);
  let opened: InProcessServices;
  const password = 'Qz7#Session-Clock!';
  let secret = '';

  const codeAt = (at: number) => totp(decodeBase32(secret)!, Math.floor(at / 1000), TOTP_DEFAULTS);

  beforeAll(async () => {
    opened = await openInProcessServices({ now: () => now }, origin, {
      consoleSessions: { idleMs: 30 * MINUTE, maxMs: 12 * 60 * MINUTE, clipboardClearSeconds: 30 },
    });
    await opened.services.identity.createUser(opened.admin, {
      username: 'hana',
      firstName: undefined,
      lastName: undefined,
      fullName: undefined,
      email: undefined,
      policy: undefined,
      role: 'Password User',
      isSuperAdmin: false,
      password: new Secret(password),
      department: undefined,
      location: undefined,
      isApiUser: false,
      hostName: undefined,
      expiry: { kind: 'never' },
    });
    const sessions = opened.services.consoleSessions;
    const started = await sessions.signIn(origin, 'hana', password);
    secret = started.enrolment!.secret;
    await sessions.completeSignIn(origin, started.token, codeAt(now));
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
  });

  /** A full sign-in at the current time with the code of `codeTime`. */
  async function signInAt(codeTime: number) {
    const started = await opened.services.consoleSessions.signIn(origin, 'hana', password);
    return opened.services.consoleSessions.completeSignIn(origin, started.token, codeAt(codeTime));
  }

  it('ends a session idle for longer than the idle timeout, and any session at its absolute end', async () => {
    now += 2 * MINUTE;
    const { token } = await signInAt(now);
    const sessions = opened.services.consoleSessions;
    // Active every 29 minutes: alive until the absolute end, 12 hours after sign-in.
    const signedInAt = now;
    while (now + 29 * MINUTE < signedInAt + 12 * 60 * MINUTE) {
      now += 29 * MINUTE;
      expect((await sessions.sessionOf(token, origin)).stage).toBe('signed-in');
    }
    now = signedInAt + 12 * 60 * MINUTE;
    await expect(sessions.sessionOf(token, origin)).rejects.toBeInstanceOf(AuthenticationError);

    now += 2 * MINUTE;
    const idle = await signInAt(now);
    now += 30 * MINUTE + 1;
    await expect(sessions.sessionOf(idle.token, origin)).rejects.toThrow(/session has ended/);
  });

  it('says how long the session has left: from the idle timer the server wrote, never past the absolute end', async () => {
    now += 2 * MINUTE;
    const signed = await signInAt(now);
    const sessions = opened.services.consoleSessions;
    expect(signed.session.secondsLeft).toBe(30 * 60);
    const signedInAt = now;
    // Within 30 s of the last write the timer is not written again: the time left counts down.
    now += 20_000;
    expect((await sessions.sessionOf(signed.token, origin)).secondsLeft).toBe(30 * 60 - 20);
    now += 20_000;
    expect((await sessions.sessionOf(signed.token, origin)).secondsLeft).toBe(30 * 60);
    // Near the absolute end, activity no longer buys the full idle timeout.
    const nearEnd = signedInAt + 12 * 60 * MINUTE - 10 * MINUTE;
    while (now + 29 * MINUTE < nearEnd) {
      now += 29 * MINUTE;
      await sessions.sessionOf(signed.token, origin);
    }
    now = nearEnd;
    const late = await sessions.sessionOf(signed.token, origin);
    expect(late.secondsLeft).toBe(10 * 60);
    expect(sessions.describe(late).secondsLeft).toBe(10 * 60);
  });

  it('gives the second factor five minutes', async () => {
    now += 2 * MINUTE;
    const sessions = opened.services.consoleSessions;
    const started = await sessions.signIn(origin, 'hana', password);
    now += 5 * MINUTE;
    await expect(sessions.completeSignIn(origin, started.token, codeAt(now))).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  it('accepts a code of the step before or after, not two steps off, and each step once', async () => {
    now += 2 * MINUTE;
    const sessions = opened.services.consoleSessions;
    const tooOld = await sessions.signIn(origin, 'hana', password);
    await expect(sessions.completeSignIn(origin, tooOld.token, codeAt(now - 65_000))).rejects.toBeInstanceOf(
      FieldInputError,
    );
    await expect(sessions.completeSignIn(origin, tooOld.token, codeAt(now - 30_000))).resolves.toBeDefined();
    // The step just used, and the older one, are spent; the next one still works.
    const again = await sessions.signIn(origin, 'hana', password);
    await expect(sessions.completeSignIn(origin, again.token, codeAt(now - 30_000))).rejects.toBeInstanceOf(
      FieldInputError,
    );
    await expect(sessions.completeSignIn(origin, again.token, codeAt(now + 30_000))).resolves.toBeDefined();
  });

  it('never completes a sign-in twice with one token', async () => {
    now += 2 * MINUTE;
    const sessions = opened.services.consoleSessions;
    const started = await sessions.signIn(origin, 'hana', password);
    const code = codeAt(now);
    const results = await Promise.allSettled([
      sessions.completeSignIn(origin, started.token, code),
      sessions.completeSignIn(origin, started.token, code),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});
