import { randomInt } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { hashLoginPassword } from '../../platform/crypto/password-hash.js';
import type { Secret } from '../../platform/crypto/secret.js';
import { generateApiToken, hashApiToken } from '../../platform/crypto/tokens.js';
import {
  AuthenticationError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  NotPermittedError,
} from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { Caller, CallOrigin, Principal } from '../../platform/principal.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { Authenticator } from '../../http/server.js';
import { can, roleCan } from '../access/index.js';
import { actorOf, AuditOperation, type AuditEvent, type AuditService } from '../audit/index.js';
import type { PolicyCatalog } from '../policies/index.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { HostResolver } from './host-binding.js';
import { identityRepository as repo, type UserRow } from './identity.repository.js';
import { sessionsRepository } from './sessions.repository.js';
import {
  ROLES,
  usernameKey,
  type BootstrapCredentials,
  type CreatedUser,
  type TokenExpiry,
  type UserDraft,
  type UserRef,
} from './identity.types.js';

export interface IdentityService extends Authenticator {
  /**
   * Creates the first user, `admin` (Administrator, access scope "All passwords"), with a
   * random login password and an API token. Returns both once; neither is stored in clear.
   */
  bootstrapAdmin(origin: CallOrigin): Promise<BootstrapCredentials>;
  /** Endpoints 17 and 24. An API user's token is returned here once and never again. */
  createUser(caller: Caller, draft: UserDraft): Promise<CreatedUser>;
  /** Endpoints 23 and 47. What the user owned passes to the deleting administrator. */
  deleteUser(caller: Caller, ref: UserRef): Promise<{ username: string }>;
  /** Endpoint 46. Any authenticated user may look an id up (sharing needs it). */
  getUserId(caller: Caller, username: string): Promise<{ id: number; username: string }>;
  /** Endpoints 49 and 50. */
  setLocked(caller: Caller, username: string, locked: boolean): Promise<{ username: string }>;
  /** Endpoint 84: forgets the user's enrolled TOTP secret, so they enrol again. */
  resetMfa(caller: Caller, username: string): Promise<{ username: string }>;
  /** Endpoint 92: replaces the caller's token; the old one stops working at once. */
  regenerateToken(caller: Caller): Promise<{ authToken: string }>;
  /**
   * The console's user list (ADR 042): everyone sees names and ids (sharing needs them, as
   * endpoint 46); user managers also see roles, state and the second factor.
   */
  directory(
    caller: Caller,
    filter: { search?: string; offset: number; limit: number },
  ): Promise<{ total: number; items: readonly object[] }>;
  /** Enrols a TOTP secret for a user (sealed, bound to the user's row). For the login issue and tests. */
  enrollTotp(userId: number, secret: Secret): Promise<void>;
}

export interface IdentityServiceDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly time: TimeFormatter;
  readonly policies: PolicyCatalog;
  readonly hosts: HostResolver;
  /** Shared with the client-certificate authentication of applications (ADR 014). */
  readonly throttle: AuthThrottle;
}

const MSG_UNKNOWN_TOKEN = 'API key received is not associated to any user. Authentication failed.';
/** compat.md: the exact text clients see for an API user bound to another host. */
export const MSG_WRONG_HOST = 'User is not allowed to access from this host';
const MSG_NOT_ADMIN = 'Only administrators may manage users';
const TOTP_COLUMN = 'totp_secret_sealed';

export function createIdentityService(deps: IdentityServiceDeps): IdentityService {
  const { database, keyring, audit, clock, time, policies, hosts, throttle } = deps;
  const db = database.db;

  function requireUserManager(principal: Principal): void {
    if (!can(principal, 'manageUsers')) {
      throw new NotPermittedError(MSG_NOT_ADMIN);
    }
  }

  /** An administrator without access scope "All passwords" may not act on one who has it. */
  function requireMayActOn(principal: Principal, target: UserRow, verb: string): void {
    if (target.isSuperAdmin && !principal.isSuperAdmin) {
      throw new NotPermittedError(
        `Only a super administrator may ${verb} the super administrator ${target.username}`,
      );
    }
  }

  async function findTarget(executor: Executor, ref: UserRef): Promise<UserRow> {
    if ('id' in ref) {
      const user = await repo.findUserById(executor, ref.id);
      if (user === undefined) throw new NotFoundError(`User with ID ${ref.id} does not exist`);
      return user;
    }
    const user = await repo.findUserByKey(executor, usernameKey(ref.name));
    if (user === undefined) throw new NotFoundError(`User ${ref.name} does not exist`);
    return user;
  }

  /** Refuses to leave the instance without an active super administrator. */
  async function requireAnotherSuperAdmin(trx: Executor, target: UserRow, what: string): Promise<void> {
    if (!target.isSuperAdmin || target.locked) return;
    const others = await repo.activeSuperAdminsExcept(trx, target.id, database.dialect === 'postgres');
    if (others.length === 0) {
      throw new ConflictError(
        `User ${target.username} is the last super administrator and cannot be ${what}`,
      );
    }
  }

  /** Epoch ms at which a token bounded by `expiry` stops working: the end of that day, server time. */
  function expiresAtOf(expiry: TokenExpiry): number | null {
    if (expiry.kind === 'never') return null;
    // Noon UTC names the intended calendar day in every zone within ±12 h of UTC.
    const noon = Date.UTC(expiry.year, expiry.month - 1, expiry.day, 12);
    return time.startOfDay(noon, 1);
  }

  return {
    async authenticate(token, origin) {
      if (token === undefined) {
        throw new AuthenticationError('No API key was sent (header AUTHTOKEN). Authentication failed.');
      }
      // Only this key is refused while it is locked out from this address; other keys from the
      // address are not (a valid key never pays for someone else's wrong ones; ADR 021).
      const tokenHash = hashApiToken(token);
      const credential = `token:${tokenHash}`;
      throttle.refuseIfLockedOut(origin.clientIp, credential);
      // Unknown, expired and host-bound-elsewhere keys are failed authentications (as wrong
      // client certificates are): the address's answers slowed, the key locked out from it. A
      // locked user is not: the key is right, the administrator said no.
      const refuse = (user: { id: number; name: string } | undefined, reason: string, message: string) =>
        throttle.refuse(origin.clientIp, credential, { reason, message }, (why) =>
          audit.recordAuthenticationFailure(origin, user, why),
        );
      const owner = await repo.findTokenOwner(db, tokenHash);
      if (owner === undefined) return refuse(undefined, 'unknown API key', MSG_UNKNOWN_TOKEN);
      const user = { id: owner.userId, name: owner.username };
      if (owner.expiresAt !== null && owner.expiresAt <= clock.now()) {
        return refuse(user, 'API key expired', 'The API key has expired. Authentication failed.');
      }
      if (owner.locked) {
        await audit.recordAuthenticationFailure(origin, user, 'user account locked');
        throw new AuthenticationError(
          'User account is locked. Contact your administrator. Authentication failed.',
        );
      }
      if (owner.allowedHost !== null && !(await hosts.matches(owner.allowedHost, origin.clientIp))) {
        return refuse(user, 'request from a host the user is not bound to', MSG_WRONG_HOST);
      }
      return {
        userId: owner.userId,
        username: owner.username,
        role: owner.role,
        isSuperAdmin: owner.isSuperAdmin,
        isApiUser: owner.isApiUser,
      };
    },

    async bootstrapAdmin(origin) {
      const password = generateLoginPassword();
      const passwordHash = await hashLoginPassword(password);
      const authToken = generateApiToken();
      await db.transaction().execute(async (trx) => {
        if ((await repo.countUsers(trx)) > 0) {
          throw new ConflictError('this database already has users; it was initialised before');
        }
        const now = clock.now();
        const userId = await repo.insertUser(trx, {
          username: 'admin',
          usernameKey: usernameKey('admin'),
          fullName: 'Administrator',
          email: null,
          role: 'Administrator',
          isSuperAdmin: true,
          isApiUser: false,
          passwordPolicy: (await policies.defaultPolicy(trx)).name,
          passwordHash,
          createdAt: now,
          createdBy: null,
        });
        await repo.insertToken(trx, userId, hashApiToken(authToken), now, null);
        const actor = { userId: null, username: 'System', ...origin };
        await audit.append(
          trx,
          actor,
          { auditType: 'User', operation: AuditOperation.userAdded, targetUser: 'admin' },
          { auditType: 'User', operation: AuditOperation.apiTokenIssued, targetUser: 'admin' },
        );
      });
      return { username: 'admin', password, authToken };
    },

    async createUser(caller, draft) {
      requireUserManager(caller.principal);
      if (draft.isSuperAdmin && !caller.principal.isSuperAdmin) {
        throw new NotPermittedError(
          'Only a super administrator may create a super administrator (ISSUPERADMIN)',
        );
      }
      if (draft.isSuperAdmin && !roleCan(draft.role, 'holdAllPasswords')) {
        throw new InvalidInputError(
          `ISSUPERADMIN "true" (access scope All passwords) is available to the roles ${ROLES.filter((r) => roleCan(r, 'holdAllPasswords')).join(', ')}, not to ${draft.role}`,
        );
      }
      const policy =
        draft.policy === undefined ? await policies.defaultPolicy(db) : await policies.find(db, draft.policy);
      if (policy === undefined) {
        throw new InvalidInputError(`POLICY "${draft.policy!.slice(0, 60)}" is not a known password policy`);
      }
      if (draft.password === undefined && !draft.isApiUser) {
        throw new InvalidInputError(
          'PASSWORD is mandatory for a user who is not an API user and was not given',
          RESULT_CODES.missingField.code,
        );
      }
      if (draft.password !== undefined) {
        // The login name is checked too (login-name and anagram rules); a new user has no history.
        const problem = policies.violation(policy, draft.password, { loginName: draft.username });
        if (problem !== undefined) {
          throw new InvalidInputError(
            `PASSWORD does not satisfy the password policy ${policy.name}: ${problem}`,
          );
        }
      }
      const expiresAt = expiresAtOf(draft.expiry);
      if (expiresAt !== null && expiresAt <= clock.now()) {
        throw new InvalidInputError('EXPIRYDATE is in the past; give a date from today on, or NeverExpires');
      }
      if (draft.hostName !== undefined) {
        try {
          await hosts.resolve(draft.hostName);
        } catch {
          throw new InvalidInputError(`HOSTNAME ${draft.hostName} does not resolve to any address`);
        }
      }
      const passwordHash =
        draft.password === undefined ? null : await hashLoginPassword(draft.password.reveal());
      const authToken = draft.isApiUser ? generateApiToken() : undefined;
      const key = usernameKey(draft.username);
      const duplicate = new ConflictError(`User ${draft.username} already exists`);
      try {
        const userId = await db.transaction().execute(async (trx) => {
          if ((await repo.findDirectoryUserByKey(trx, key)) !== undefined) throw duplicate;
          const now = clock.now();
          const id = await repo.insertUser(trx, {
            username: draft.username.normalize('NFC'),
            usernameKey: key,
            firstName: draft.firstName ?? null,
            lastName: draft.lastName ?? null,
            fullName: draft.fullName ?? ([draft.firstName, draft.lastName].filter(Boolean).join(' ') || null),
            email: draft.email ?? null,
            role: draft.role,
            isSuperAdmin: draft.isSuperAdmin,
            isApiUser: draft.isApiUser,
            department: draft.department ?? null,
            location: draft.location ?? null,
            allowedHost: draft.hostName ?? null,
            passwordPolicy: policy.name,
            passwordHash,
            createdAt: now,
            createdBy: caller.principal.userId,
          });
          const events: AuditEvent[] = [
            { auditType: 'User', operation: AuditOperation.userAdded, targetUser: draft.username },
          ];
          if (authToken !== undefined) {
            await repo.insertToken(trx, id, hashApiToken(authToken), now, expiresAt);
            events.push({
              auditType: 'User',
              operation: AuditOperation.apiTokenIssued,
              targetUser: draft.username,
            });
          }
          await audit.append(trx, actorOf(caller), ...events);
          return id;
        });
        return { userId, username: draft.username, authToken };
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicate;
        throw err;
      }
    },

    async deleteUser(caller, ref) {
      requireUserManager(caller.principal);
      return db.transaction().execute(async (trx) => {
        const target = await findTarget(trx, ref);
        if (target.id === caller.principal.userId) {
          throw new NotPermittedError('You cannot delete yourself');
        }
        requireMayActOn(caller.principal, target, 'delete');
        await requireAnotherSuperAdmin(trx, target, 'deleted');
        // As in the original: what the user owned passes to the administrator who deletes them,
        // in the same transaction, so no object is ever left without an owner.
        const moved = await repo.transferOwnership(trx, target.id, caller.principal.userId);
        await repo.deleteUser(trx, target.id);
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: AuditOperation.userDeleted,
          targetUser: target.username,
          reason: moved > 0 ? `${moved} owned objects transferred to ${caller.principal.username}` : null,
        });
        return { username: target.username };
      });
    },

    async getUserId(_caller, username) {
      const user = await repo.findDirectoryUserByKey(db, usernameKey(username));
      if (user === undefined) throw new NotFoundError(`User ${username} does not exist`);
      return user;
    },

    async setLocked(caller, username, locked) {
      requireUserManager(caller.principal);
      return db.transaction().execute(async (trx) => {
        const target = await findTarget(trx, { name: username });
        if (locked && target.id === caller.principal.userId) {
          throw new NotPermittedError('You cannot lock yourself');
        }
        requireMayActOn(caller.principal, target, locked ? 'lock' : 'unlock');
        if (locked) await requireAnotherSuperAdmin(trx, target, 'locked');
        await repo.setLocked(trx, target.id, locked);
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: locked ? AuditOperation.userLocked : AuditOperation.userUnlocked,
          targetUser: target.username,
        });
        return { username: target.username };
      });
    },

    async resetMfa(caller, username) {
      requireUserManager(caller.principal);
      return db.transaction().execute(async (trx) => {
        const target = await findTarget(trx, { name: username });
        requireMayActOn(caller.principal, target, 'reset two-factor authentication of');
        await repo.setTotpSecret(trx, target.id, null);
        await sessionsRepository.deleteRecoveryCodes(trx, target.id);
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: AuditOperation.mfaReset,
          targetUser: target.username,
        });
        return { username: target.username };
      });
    },

    async regenerateToken(caller) {
      const authToken = generateApiToken();
      await db.transaction().execute(async (trx) => {
        // The validity bound belongs to the user (EXPIRYDATE at creation): the new token keeps it.
        const expiresAt = (await repo.tokenExpiryOf(trx, caller.principal.userId)) ?? null;
        await repo.deleteTokensOf(trx, caller.principal.userId);
        await repo.insertToken(trx, caller.principal.userId, hashApiToken(authToken), clock.now(), expiresAt);
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: AuditOperation.apiTokenRegenerated,
          targetUser: caller.principal.username,
        });
      });
      return { authToken };
    },

    async directory(caller, filter) {
      const page = await repo.pageUsers(db, filter);
      const manager = can(caller.principal, 'manageUsers');
      return {
        total: page.total,
        items: page.users.map((u) =>
          manager ? u : { id: u.id, username: u.username, fullName: u.fullName, isApiUser: u.isApiUser },
        ),
      };
    },

    async enrollTotp(userId, secret) {
      const sealed = keyring.seal(secret.reveal(), { table: 'users', rowId: userId, column: TOTP_COLUMN });
      await db.transaction().execute((trx) => repo.setTotpSecret(trx, userId, sealed));
    },
  };
}

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SPECIAL = '@#%^*-_=+';

/** 20 characters with every class present; no look-alikes, nothing a shell needs quoted twice. */
function generateLoginPassword(): string {
  const all = LOWER + UPPER + DIGITS + SPECIAL;
  const pick = (set: string) => set[randomInt(set.length)]!;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SPECIAL)];
  while (chars.length < 20) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
