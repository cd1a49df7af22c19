import { randomInt } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { hashLoginPassword } from '../../platform/crypto/password-hash.js';
import { generateApiToken, hashApiToken } from '../../platform/crypto/tokens.js';
import { AuthenticationError, ConflictError } from '../../platform/errors.js';
import type { CallOrigin, Principal } from '../../platform/principal.js';
import type { Authenticator } from '../../http/server.js';
import { AuditOperation, type AuditService } from '../audit/index.js';
import { identityRepository as repo } from './identity.repository.js';
import { usernameKey, type BootstrapCredentials } from './identity.types.js';

export interface IdentityService extends Authenticator {
  /**
   * Creates the first user, `admin` (Administrator, access scope "All passwords"), with a
   * random login password and an API token. Returns both once; neither is stored in clear.
   */
  bootstrapAdmin(origin: CallOrigin): Promise<BootstrapCredentials>;
}

export interface IdentityServiceDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
}

const MSG_UNKNOWN_TOKEN = 'API key received is not associated to any user. Authentication failed.';

export function createIdentityService({ database, audit, clock }: IdentityServiceDeps): IdentityService {
  return {
    async authenticate(token: string | undefined): Promise<Principal> {
      if (token === undefined) {
        throw new AuthenticationError('No API key was sent (header AUTHTOKEN). Authentication failed.');
      }
      const owner = await repo.findTokenOwner(database.db, hashApiToken(token));
      if (owner === undefined) throw new AuthenticationError(MSG_UNKNOWN_TOKEN);
      if (owner.expiresAt !== null && owner.expiresAt <= clock.now()) {
        throw new AuthenticationError('The API key has expired. Authentication failed.');
      }
      if (owner.locked) throw new AuthenticationError('The user is locked. Authentication failed.');
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
      await database.db.transaction().execute(async (trx) => {
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
