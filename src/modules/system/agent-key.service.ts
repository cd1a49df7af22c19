import { randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { constantTimeEqualHex, hashApiToken } from '../../platform/crypto/tokens.js';
import { Secret } from '../../platform/crypto/secret.js';
import { ConflictError, InvalidInputError, NotPermittedError } from '../../platform/errors.js';
import type { CallOrigin, Caller } from '../../platform/principal.js';
import { can } from '../access/index.js';
import { actorOf, AuditOperation, type AuditService } from '../audit/index.js';
import { systemRepository as repo } from './system.repository.js';
import {
  MAX_AGENT_KEY_HOURS,
  type AgentKeyRow,
  type AgentKeyStatus,
  type GeneratedAgentKey,
} from './system.types.js';

const HOUR_MS = 3_600_000;
/** A key generated without validityPeriod serves one installation, and only for a day. */
const SINGLE_USE_HOURS = 24;
const KEY_SHAPE = /^[0-9a-f]{32}$/i;

export interface AgentKeyServiceDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
}

export type AgentKeyService = ReturnType<typeof createAgentKeyService>;

/**
 * Agent keys (endpoint 88, ADR 013). A key is 128 random bits, shown once when generated; only
 * its SHA-256 is stored, like API tokens. There is one current key: generating replaces it.
 * A key generated with `validityPeriod` serves any number of installations until it expires;
 * without it, one installation within a day. An expired or used-up key counts as none.
 */
export function createAgentKeyService({ database, audit, clock }: AgentKeyServiceDeps) {
  const db = database.db;

  function requireAdministrator(caller: Caller): void {
    if (!can(caller.principal, 'manageInstance')) {
      throw new NotPermittedError('Only administrators may fetch or generate the agent key');
    }
  }

  const usable = (key: AgentKeyRow | undefined, now: number): key is AgentKeyRow =>
    key !== undefined &&
    (key.expiresAt === null || now < key.expiresAt) &&
    !(key.singleUse && key.usedAt !== null);

  return {
    /** Whether a usable key exists, and until when; never the key. */
    async status(caller: Caller): Promise<AgentKeyStatus> {
      requireAdministrator(caller);
      const key = await repo.currentAgentKey(db);
      if (!usable(key, clock.now())) return { exists: false };
      return { exists: true, createdAt: key.createdAt, expiresAt: key.expiresAt, singleUse: key.singleUse };
    },

    /** A new current key (the previous one stops working at once); audited, the key never is. */
    async generate(caller: Caller, options: { validityHours?: number }): Promise<GeneratedAgentKey> {
      requireAdministrator(caller);
      const hours = options.validityHours;
      if (hours !== undefined && (!Number.isInteger(hours) || hours < 1 || hours > MAX_AGENT_KEY_HOURS)) {
        throw new InvalidInputError(
          `validityPeriod must be a whole number of hours from 1 to ${MAX_AGENT_KEY_HOURS}`,
        );
      }
      const key = randomBytes(16).toString('hex');
      const now = clock.now();
      const singleUse = hours === undefined;
      const expiresAt = now + (hours ?? SINGLE_USE_HOURS) * HOUR_MS;
      try {
        await db.transaction().execute(async (trx) => {
          await repo.retireCurrentAgentKey(trx, now);
          await repo.insertAgentKey(trx, {
            keyHash: hashApiToken(key),
            createdAt: now,
            createdBy: caller.principal.userId,
            expiresAt,
            singleUse,
          });
          await audit.append(trx, actorOf(caller), {
            auditType: 'User',
            operation: AuditOperation.agentKeyGenerated,
            reason: singleUse
              ? `Agent key for one installation, valid for ${SINGLE_USE_HOURS} hours; the previous key no longer works`
              : `Agent key valid for ${hours} hours; the previous key no longer works`,
          });
        });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new ConflictError('Another agent key was generated at the same moment; try again');
        }
        throw err;
      }
      return { key: new Secret(key), createdAt: now, expiresAt, singleUse };
    },

    /**
     * For agents: true when `key` is the current, unexpired key (a single-use key is consumed
     * here). Each successful use is audited; the key never appears anywhere.
     */
    async verify(key: Secret, origin: CallOrigin): Promise<boolean> {
      const text = key.reveal().trim();
      if (!KEY_SHAPE.test(text)) return false;
      const hash = hashApiToken(text);
      return db.transaction().execute(async (trx) => {
        const now = clock.now();
        const current = await repo.currentAgentKey(trx);
        if (!usable(current, now) || !constantTimeEqualHex(current.keyHash, hash)) return false;
        if (current.singleUse) {
          if (!(await repo.consumeAgentKey(trx, current.id, now))) return false;
        } else {
          await repo.recordAgentKeyUse(trx, current.id, now);
        }
        await audit.append(
          trx,
          { userId: null, username: 'Agent', clientIp: origin.clientIp, client: origin.client },
          {
            auditType: 'User',
            operation: AuditOperation.agentKeyUsed,
            reason: current.singleUse ? 'Single-use agent key consumed' : 'Agent key accepted',
          },
        );
        return true;
      });
    },
  };
}
