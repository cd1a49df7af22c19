import type { Database } from '../../platform/db/database.js';
import type { Secret } from '../../platform/crypto/secret.js';
import { hashLoginPassword, verifyLoginPassword } from '../../platform/crypto/password-hash.js';
import { AuthenticationError, FieldInputError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { Caller } from '../../platform/principal.js';
import { actorOf, AuditOperation, type AuditService } from '../audit/index.js';
import type { PolicyCatalog } from '../policies/index.js';
import type { AuthThrottle } from './auth-throttle.js';
import { sessionsRepository as repo } from './sessions.repository.js';

export interface OwnPasswordDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly throttle: AuthThrottle;
  readonly policies: PolicyCatalog;
  /** The throttle's key of console sign-in for a user name (shared with the sign-in). */
  readonly credentialOf: (username: string) => string;
}

const WRONG_CURRENT = 'The current password is not right';

/**
 * A signed-in user changes their own console password (ADR 042): the current one verified like a
 * sign-in (scrypt; a wrong one counted in the same throttle and lockout as wrong sign-ins), the new
 * one checked against the user's password policy as user creation does, stored as a new scrypt
 * hash, audited, and every other console session of the user ended (the one making the change
 * stays). API users have no password and are refused.
 */
export function createOwnPasswordChange(deps: OwnPasswordDeps) {
  const { database, audit, throttle, policies, credentialOf } = deps;
  const db = database.db;

  return async function changeOwnPassword(
    caller: Caller,
    keepTokenHash: string,
    current: Secret,
    next: Secret,
  ): Promise<{ otherSessionsEnded: number }> {
    const { principal } = caller;
    if (principal.isApiUser) {
      throw new FieldInputError(
        'currentPassword',
        'API users have no sign-in password; they use their API key',
      );
    }
    const credential = credentialOf(principal.username);
    const origin = { clientIp: caller.clientIp, client: caller.client };
    try {
      throttle.refuseIfLockedOut(caller.clientIp, credential);
    } catch (err) {
      if (err instanceof AuthenticationError) throw new FieldInputError('currentPassword', err.message);
      throw err;
    }
    const user = await repo.loginUserById(db, principal.userId);
    if (user === undefined) throw new AuthenticationError('Your session has ended; sign in again');
    if (user.passwordHash === null) {
      throw new FieldInputError(
        'currentPassword',
        'API users have no sign-in password; they use their API key',
      );
    }
    if (!(await verifyLoginPassword(current.reveal(), user.passwordHash))) {
      try {
        await throttle.refuse(
          caller.clientIp,
          credential,
          { reason: 'change login password: wrong current password', message: WRONG_CURRENT },
          (why) => audit.recordAuthenticationFailure(origin, { id: user.id, name: user.username }, why),
        );
      } catch (err) {
        // The throttle's refusal is a 401, which would end the console; it belongs to the field.
        if (err instanceof AuthenticationError) throw new FieldInputError('currentPassword', err.message);
        throw err;
      }
    }

    const policy = await policies.effective(db, [await repo.passwordPolicyOf(db, user.id)]);
    const problem =
      next.reveal() === current.reveal()
        ? 'the new password must differ from the current one'
        : policies.violation(policy, next, { loginName: user.username, previous: [current.reveal()] });
    if (problem !== undefined) {
      throw new FieldInputError(
        'newPassword',
        `The password does not satisfy the password policy ${policy.name}: ${problem}`,
        RESULT_CODES.policyRefused.code,
      );
    }

    const hash = await hashLoginPassword(next.reveal());
    const outcome = await db.transaction().execute(async (trx) => {
      await repo.setPasswordHash(trx, user.id, hash);
      const ended = await repo.deleteOtherSessions(trx, user.id, keepTokenHash);
      await audit.append(trx, actorOf(caller), {
        auditType: 'User',
        operation: AuditOperation.loginPasswordChanged,
        targetUser: user.username,
        reason: ended > 0 ? `${ended} other console session(s) ended` : null,
      });
      return { otherSessionsEnded: ended };
    });
    // The current password proved right: earlier wrong ones no longer count toward a lockout.
    throttle.succeeded(caller.clientIp, credential);
    return outcome;
  };
}
