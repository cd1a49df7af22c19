import { randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { constantTimeEqualHex, hashApiToken } from '../../platform/crypto/tokens.js';
import { Secret } from '../../platform/crypto/secret.js';
import { ConflictError, NotPermittedError } from '../../platform/errors.js';
import { can } from '../access/index.js';
import { actorOf, AuditOperation, type AuditService } from '../audit/index.js';
import type { CertificateActor } from './certificates.service.js';
import { refuseApplications } from './certificate-shares.service.js';

export interface InstallKeyDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
}

const KEY_SHAPE = /^[0-9a-f]{32}$/i;

export type SslAgentInstallKeys = ReturnType<typeof createSslAgentInstallKeys>;

/**
 * The SSL agent install key (endpoint 76, ADR 040), made like the agent key of endpoint 88
 * (ADR 013): 128 random bits, shown once in the answer that generates it, stored only as its
 * SHA-256; generating replaces the current key at once (one current key, kept by a unique
 * column). Administrators only (`manageInstance`), never an application; audited, never the key.
 */
export function createSslAgentInstallKeys({ database, audit, clock }: InstallKeyDeps) {
  const db = database.db;

  return {
    /** A new current key; the local operator of the CLI (`bulwark certs install-key`) may too. */
    async generate(who: CertificateActor): Promise<{ key: Secret; createdAt: number }> {
      refuseApplications(who, 'generate the SSL agent install key');
      const actor = 'operator' in who ? who.operator : actorOf(who);
      if (!('operator' in who) && !can(who.principal, 'manageInstance')) {
        throw new NotPermittedError('Only administrators may generate the SSL agent install key');
      }
      const key = randomBytes(16).toString('hex');
      const now = clock.now();
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .updateTable('certificate_install_keys')
            .set({ current_slot: null, replaced_at: now })
            .where('current_slot', '=', 1)
            .execute();
          await trx
            .insertInto('certificate_install_keys')
            .values({
              key_hash: hashApiToken(key),
              created_at: now,
              created_by: actor.userId,
              replaced_at: null,
              current_slot: 1,
            })
            .execute();
          await audit.append(trx, actor, {
            auditType: 'User',
            operation: AuditOperation.sslAgentInstallKeyGenerated,
            reason: 'SSL agent install key generated; the previous key no longer works',
          });
        });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new ConflictError(
            'Another SSL agent install key was generated at the same moment; try again',
          );
        }
        throw err;
      }
      return { key: new Secret(key), createdAt: now };
    },

    /** For the SSL agent's installer: whether `key` is the current install key. */
    async verify(key: Secret): Promise<boolean> {
      const text = key.reveal().trim();
      if (!KEY_SHAPE.test(text)) return false;
      const current = await db
        .selectFrom('certificate_install_keys')
        .select('key_hash')
        .where('current_slot', '=', 1)
        .executeTakeFirst();
      return current !== undefined && constantTimeEqualHex(current.key_hash, hashApiToken(text));
    },
  };
}
