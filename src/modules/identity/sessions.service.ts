import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { hashLoginPassword, verifyLoginPassword } from '../../platform/crypto/password-hash.js';
import { AuthenticationError, FieldInputError } from '../../platform/errors.js';
import type { Caller, CallOrigin, Principal } from '../../platform/principal.js';
import type { ConsoleSession, SessionAuthenticator } from '../../http/native.js';
import { AuditOperation, actorOf, type AuditService } from '../audit/index.js';
import type { Secret } from '../../platform/crypto/secret.js';
import type { PolicyCatalog } from '../policies/index.js';
import type { AuthThrottle } from './auth-throttle.js';
import { createOwnPasswordChange } from './own-password.js';
import { usernameKey } from './identity.types.js';
import {
  enrolmentOf,
  openSecondFactor,
  sealSecondFactor,
  hashRecoveryCode,
  matchingStep,
  newRecoveryCodes,
  newTotpSecret,
  normaliseRecoveryCode,
  type Enrolment,
} from './second-factor.js';
import { sessionsRepository as repo, type LoginUser, type SessionRow } from './sessions.repository.js';

export interface SessionSettings {
  readonly idleMs: number;
  readonly maxMs: number;
  readonly clipboardClearSeconds: number;
}

export interface SignInStarted {
  readonly token: string;
  readonly csrfToken: string;
  readonly maxAgeSeconds: number;
  readonly next: 'totp' | 'enrol';
  readonly enrolment?: Enrolment;
}

export interface SignedIn {
  readonly token: string;
  readonly session: SessionView;
  readonly maxAgeSeconds: number;
  /** Only right after enrolment: shown once, stored hashed. */
  readonly recoveryCodes?: readonly string[];
}

/** What the console shows of its session (GET /api/v1/session). */
export interface SessionView {
  readonly user: { id: number; username: string; role: string; isSuperAdmin: boolean };
  readonly csrfToken: string;
  readonly expiresAt: number;
  /** Seconds until the session ends without another request (idle timeout, or its absolute end). */
  readonly secondsLeft: number;
  readonly idleTimeoutSeconds: number;
  readonly clipboardClearSeconds: number;
}

export interface ConsoleSessions extends SessionAuthenticator {
  /** Checks user name and password; starts a session that still owes the second factor. */
  signIn(origin: CallOrigin, username: string, password: string): Promise<SignInStarted>;
  /** A TOTP code (or a recovery code, or the first code of an enrolment) completes sign-in. */
  completeSignIn(origin: CallOrigin, token: string, code: string): Promise<SignedIn>;
  /** What the console shows of a session the router already resolved (no second lookup). */
  describe(session: ConsoleSession): SessionView;
  signOut(caller: Caller, token: string): Promise<void>;
  /**
   * The signed-in user changes their own password (own-password.ts): the current one verified
   * and throttled like a sign-in, the new one checked by the user's policy; the user's other
   * sessions end, the one of `token` stays.
   */
  changeOwnPassword(
    caller: Caller,
    token: string,
    current: Secret,
    next: Secret,
  ): Promise<{ otherSessionsEnded: number }>;
}

export interface ConsoleSessionsDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly throttle: AuthThrottle;
  readonly settings: SessionSettings;
  /** The policy a user's new login password must satisfy. */
  readonly policies: PolicyCatalog;
}

const MSG_WRONG_LOGIN = 'Wrong user name or password';
/** Between the password and the second factor. */
const SECOND_FACTOR_MS = 5 * 60_000;
/** Wrong codes in one sign-in before it must start again from the password. */
const SECOND_FACTOR_ATTEMPTS = 5;
/** The idle timer is written at most this often: not one write per request. */
const TOUCH_EVERY_MS = 30_000;

/**
 * Console sign-in and sessions (ADR 042). The cookie carries a random token; only its SHA-256 is
 * stored. Sign-in is two steps on two session tokens: the password opens a short-lived session
 * that can do nothing but present the second factor; the code replaces it with a new token
 * (rotation at sign-in: a token seen before the second factor is worthless after it). The CSRF
 * token is an HMAC of the session token, so every node derives it and nothing more is stored.
 */
export function createConsoleSessions(deps: ConsoleSessionsDeps): ConsoleSessions {
  const { database, keyring, audit, clock, throttle, settings, policies } = deps;
  const db = database.db;

  /**
   * The hash of a password nobody has: an unknown user costs the same scrypt as a known one. Made
   * at the first sign-in, not at start: every CLI command builds the services and none signs in.
   */
  let decoyHash: Promise<string> | undefined;
  const decoy = () => (decoyHash ??= hashLoginPassword(randomBytes(16).toString('hex')));
  const newToken = () => randomBytes(32).toString('base64url');
  const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
  const csrfOf = (token: string) =>
    createHmac('sha256', token).update('bulwark console csrf').digest('base64url');
  const principalOf = (user: LoginUser): Principal => ({
    userId: user.id,
    username: user.username,
    role: user.role,
    isSuperAdmin: user.isSuperAdmin,
    isApiUser: user.isApiUser,
  });

  async function liveSession(
    token: string,
    origin: CallOrigin,
  ): Promise<{ row: SessionRow; user: LoginUser }> {
    const tokenHash = hashOf(token);
    const row = await repo.session(db, tokenHash);
    const now = clock.now();
    if (row === undefined || row.expires_at <= now || row.last_seen_at <= now - settings.idleMs) {
      if (row !== undefined) await repo.deleteSession(db, tokenHash);
      throw new AuthenticationError('Your session has ended; sign in again');
    }
    const user = await repo.loginUserById(db, Number(row.user_id));
    if (user === undefined || user.locked) {
      await repo.deleteSession(db, tokenHash);
      if (user)
        await audit.recordAuthenticationFailure(
          origin,
          { id: user.id, name: user.username },
          'user account locked',
        );
      throw new AuthenticationError('User account is locked. Contact your administrator.');
    }
    if (now - row.last_seen_at < TOUCH_EVERY_MS) return { row, user };
    await repo.touchSession(db, tokenHash, now);
    return { row: { ...row, last_seen_at: now }, user };
  }

  const sessionFrom = (token: string, row: SessionRow, user: LoginUser): ConsoleSession => ({
    principal: principalOf(user),
    csrfToken: csrfOf(token),
    stage: row.stage,
    expiresAt: row.expires_at,
    // From what the server has written, not from when the caller last asked (the timer is
    // written at most every TOUCH_EVERY_MS): the console's warning must not promise more than
    // the server keeps. Relative, so the browser's clock does not matter.
    secondsLeft: Math.max(
      0,
      Math.round((Math.min(row.expires_at, row.last_seen_at + settings.idleMs) - clock.now()) / 1000),
    ),
  });

  function viewOf(session: ConsoleSession): SessionView {
    const { principal } = session;
    return {
      user: {
        id: principal.userId,
        username: principal.username,
        role: principal.role,
        isSuperAdmin: principal.isSuperAdmin,
      },
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
      secondsLeft: session.secondsLeft,
      idleTimeoutSeconds: Math.round(settings.idleMs / 1000),
      clipboardClearSeconds: settings.clipboardClearSeconds,
    };
  }

  /** Replaces the second-factor session by a signed-in one, audited, in one transaction. */
  async function signInWith(
    origin: CallOrigin,
    pending: SessionRow,
    user: LoginUser,
    how: string,
    extra: (trx: typeof db) => Promise<void>,
  ): Promise<{ token: string; row: SessionRow }> {
    const token = newToken();
    const now = clock.now();
    const row: SessionRow = {
      token_hash: hashOf(token),
      user_id: user.id,
      stage: 'signed-in',
      pending_totp_sealed: null,
      second_factor_failures: 0,
      client_ip: origin.clientIp,
      created_at: now,
      last_seen_at: now,
      expires_at: now + settings.maxMs,
    };
    await db.transaction().execute(async (trx) => {
      // Of two requests completing one sign-in, only the one that deletes the pending row goes on.
      if (!(await repo.deleteSession(trx, pending.token_hash))) {
        throw new AuthenticationError('This sign-in was already completed or has ended; sign in again');
      }
      await extra(trx);
      const { second_factor_failures: _failures, ...insert } = row;
      await repo.insertSession(trx, insert);
      await audit.append(
        trx,
        { userId: user.id, username: user.username, ...origin },
        {
          auditType: 'User',
          operation: AuditOperation.userLoggedIn,
          targetUser: user.username,
          reason: how,
        },
      );
    });
    // Signed in with both factors: the user's earlier failures here no longer count.
    throttle.succeeded(origin.clientIp, credentialOf(user.username));
    return { token, row };
  }

  /** The throttle's key for console sign-in: per user name (and, in the throttle, address). */
  const credentialOf = (username: string) => `console:${usernameKey(username)}`;
  const changeOwnPassword = createOwnPasswordChange({ database, audit, throttle, policies, credentialOf });

  /**
   * A wrong second factor: counted on the sign-in (five end it) and in the throttle with the
   * user's wrong passwords, so the code cannot be guessed by signing in again and again with a
   * known password (ADR 021's lockout applies to the code as to the password).
   */
  async function wrongCode(
    origin: CallOrigin,
    pending: SessionRow,
    user: LoginUser,
    reason: string,
  ): Promise<never> {
    const failures = await repo.countSecondFactorFailure(db, pending.token_hash);
    if (failures >= SECOND_FACTOR_ATTEMPTS) await repo.deleteSession(db, pending.token_hash);
    await throttle
      .refuse(origin.clientIp, credentialOf(user.username), { reason, message: reason }, (why) =>
        audit.recordAuthenticationFailure(origin, { id: user.id, name: user.username }, why),
      )
      .catch(() => undefined);
    if (failures >= SECOND_FACTOR_ATTEMPTS)
      throw new AuthenticationError('Too many wrong codes; sign in again');
    throw new FieldInputError('code', 'The code is not right; check the time on your device and try again');
  }

  return {
    async sessionOf(token, origin): Promise<ConsoleSession> {
      const { row, user } = await liveSession(token, origin);
      return sessionFrom(token, row, user);
    },

    async signIn(origin, username, password) {
      const key = usernameKey(username);
      // Throttled and locked out like API tokens (ADR 021), per user name and address.
      const credential = credentialOf(username);
      throttle.refuseIfLockedOut(origin.clientIp, credential);
      const user = await repo.loginUserByKey(db, key);
      const refuse = (reason: string) =>
        throttle.refuse(origin.clientIp, credential, { reason, message: MSG_WRONG_LOGIN }, (why) =>
          audit.recordAuthenticationFailure(origin, user && { id: user.id, name: user.username }, why),
        );
      const passwordRight = await verifyLoginPassword(password, user?.passwordHash ?? (await decoy()));
      if (user === undefined) return refuse('console sign-in: unknown user');
      if (user.passwordHash === null || !passwordRight) return refuse('console sign-in: wrong password');
      if (user.isApiUser) {
        // As in the original: API users call the API with their key and have no console.
        await audit.recordAuthenticationFailure(
          origin,
          { id: user.id, name: user.username },
          'console sign-in: API user',
        );
        throw new AuthenticationError('API users cannot sign in to the console; they use their API key');
      }
      if (user.locked) {
        await audit.recordAuthenticationFailure(
          origin,
          { id: user.id, name: user.username },
          'user account locked',
        );
        throw new AuthenticationError('User account is locked. Contact your administrator.');
      }
      const now = clock.now();
      await repo.deleteExpiredSessions(db, now, settings.idleMs);
      const token = newToken();
      const secret = user.totpSealed === null ? newTotpSecret() : undefined;
      await repo.insertSession(db, {
        token_hash: hashOf(token),
        user_id: user.id,
        stage: 'second-factor',
        pending_totp_sealed: secret ? sealSecondFactor(keyring, secret, user.id) : null,
        client_ip: origin.clientIp,
        created_at: now,
        last_seen_at: now,
        expires_at: now + SECOND_FACTOR_MS,
      });
      return {
        token,
        csrfToken: csrfOf(token),
        maxAgeSeconds: SECOND_FACTOR_MS / 1000,
        next: secret ? 'enrol' : 'totp',
        ...(secret ? { enrolment: await enrolmentOf(secret, user.username) } : {}),
      };
    },

    async completeSignIn(origin, token, code) {
      const { row: pending, user } = await liveSession(token, origin);
      if (pending.stage !== 'second-factor') {
        throw new AuthenticationError('This session is already signed in');
      }
      throttle.refuseIfLockedOut(origin.clientIp, credentialOf(user.username));
      const now = clock.now();
      const typed = code.trim();

      if (pending.pending_totp_sealed !== null) {
        // Enrolment: the first code proves the app holds the secret; only then is it the user's.
        const secret = openSecondFactor(keyring, pending.pending_totp_sealed, user.id);
        const step = matchingStep(secret, typed, now);
        if (step === undefined)
          return wrongCode(origin, pending, user, 'console sign-in: wrong enrolment code');
        const recoveryCodes = newRecoveryCodes();
        const signed = await signInWith(
          origin,
          pending,
          user,
          'password and new authenticator',
          async (trx) => {
            await repo.enrolTotp(trx, user.id, pending.pending_totp_sealed!, step);
            await repo.replaceRecoveryCodes(
              trx,
              user.id,
              recoveryCodes.map((c) => hashRecoveryCode(normaliseRecoveryCode(c)!)),
              now,
            );
            await audit.append(
              trx,
              { userId: user.id, username: user.username, ...origin },
              {
                auditType: 'User',
                operation: AuditOperation.mfaEnrolled,
                targetUser: user.username,
              },
            );
          },
        );
        return {
          token: signed.token,
          session: viewOf(sessionFrom(signed.token, signed.row, user)),
          maxAgeSeconds: settings.maxMs / 1000,
          recoveryCodes,
        };
      }

      if (user.totpSealed === null) {
        // The second factor was reset (84) after the password step: start again to enrol.
        await repo.deleteSession(db, pending.token_hash);
        throw new AuthenticationError('Your second factor was reset; sign in again to enrol a new one');
      }
      const secret = openSecondFactor(keyring, user.totpSealed, user.id);
      const step = matchingStep(secret, typed, now);
      let how: string;
      let extra: (trx: typeof db) => Promise<void>;
      if (step !== undefined) {
        how = 'password and authenticator code';
        extra = async (trx) => {
          // A code signs in once: its step must be later than the last one accepted.
          if (!(await repo.acceptTotpStep(trx, user.id, step))) {
            throw new FieldInputError('code', 'This code was already used; wait for the next one');
          }
        };
      } else {
        const recovery = normaliseRecoveryCode(typed);
        if (recovery === undefined) return wrongCode(origin, pending, user, 'console sign-in: wrong code');
        how = 'password and recovery code';
        extra = async (trx) => {
          if (!(await repo.useRecoveryCode(trx, user.id, hashRecoveryCode(recovery), now))) {
            throw new FieldInputError(
              'code',
              'The code is not right; check the time on your device and try again',
            );
          }
          await audit.append(
            trx,
            { userId: user.id, username: user.username, ...origin },
            {
              auditType: 'User',
              operation: AuditOperation.recoveryCodeUsed,
              targetUser: user.username,
              reason: `${await repo.unusedRecoveryCodes(trx, user.id)} recovery codes left`,
            },
          );
        };
      }
      let signed: { token: string; row: SessionRow };
      try {
        signed = await signInWith(origin, pending, user, how, extra);
      } catch (err) {
        if (err instanceof FieldInputError)
          return wrongCode(origin, pending, user, `console sign-in: ${err.message}`);
        throw err;
      }
      return {
        token: signed.token,
        session: viewOf(sessionFrom(signed.token, signed.row, user)),
        maxAgeSeconds: settings.maxMs / 1000,
      };
    },

    describe: viewOf,

    async changeOwnPassword(caller, token, current, next) {
      return changeOwnPassword(caller, hashOf(token), current, next);
    },

    async signOut(caller, token) {
      await db.transaction().execute(async (trx) => {
        if (!(await repo.deleteSession(trx, hashOf(token)))) return;
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: AuditOperation.userLoggedOut,
          targetUser: caller.principal.username,
        });
      });
    },
  };
}
