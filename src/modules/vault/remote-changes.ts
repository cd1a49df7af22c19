import type { Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { Secret } from '../../platform/crypto/secret.js';
import { ConflictError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { actorOf, AuditOperation, type AuditActor } from '../audit/index.js';
import { eventOn } from './audit-events.js';
import { hostSecretOperations } from './host-secrets.js';
import { accountNotFound } from './authorization.js';
import { passwordChanges } from './passwords.service.js';
import { sealedAt } from './sealing.js';
import { policyRefusal, type VaultContext } from './vault.context.js';
import { vaultRepository as repo, type AccountRow, type ResourceRow } from './vault.repository.js';
import type { AccessJustification } from './vault.types.js';

/**
 * Password changes on real targets, as the vault sees them (issue 12, ADR 028). The vault owns the
 * sealing, the history and the password audit; the rotation service owns talking to the target.
 *
 * Two phases: `beginRemoteChange` seals the new password to a `password_rotations` row and records
 * it `pending` (one per account) in the caller's transaction, before the target is touched;
 * `completeRemoteChange` makes it current (the old one to the history, `Password Changed`) once
 * logging in with it succeeded; `failRemoteChange` wipes it when the target kept the old one. A
 * pending password is never discarded while it might be the target's.
 *
 * `openForRemoteChange` opens the passwords the server itself needs to act on the target (the
 * account's current and pending ones, the login, reset, root and landing accounts'): an internal
 * use, never a release to a caller; the rotation service names the accounts used in the
 * rotation's audit record.
 */

/** Who starts a change: a caller (authorized here, modify permission) or an already-authorized actor. */
export type RemoteChangeInitiator =
  { readonly caller: Caller; readonly why: AccessJustification } | { readonly actor: AuditActor };

export interface RemoteChangeStart {
  readonly rotationId: number;
  readonly actor: AuditActor;
  readonly resource: { readonly id: number; readonly name: string; readonly dnsName: string | null };
  readonly account: { readonly id: number; readonly name: string };
}

export interface PendingRemoteChange {
  readonly rotationId: number;
  readonly accountId: number;
  readonly resourceId: number;
  readonly trigger: string;
  readonly requestedBy: number | null;
  readonly requestedByName: string;
  readonly attempts: number;
  readonly createdAt: number;
}

/** The passwords the server uses to act on a target; never handed to a caller. */
export interface RemoteChangeSecrets {
  /** The account's current password in the vault (undefined when none is stored). */
  readonly current: Secret | undefined;
  /** The rotation's new password (only when a pending rotation was named). */
  readonly pending: Secret | undefined;
  /** The current passwords of the accounts the configuration names (login, reset, root, landing). */
  readonly credentials: ReadonlyMap<number, Secret>;
}

/** The account and resource a rotation acts on (names and host, no secrets). */
export interface RemoteChangeSubject {
  readonly resource: {
    readonly id: number;
    readonly name: string;
    readonly dnsName: string | null;
    readonly type: string;
  };
  readonly account: { readonly id: number; readonly name: string };
}

function subjectOf(resource: ResourceRow, account: AccountRow): RemoteChangeSubject {
  return {
    resource: {
      id: resource.id,
      name: resource.name,
      dnsName: resource.dns_name,
      type: resource.resource_type,
    },
    account: { id: account.id, name: account.name },
  };
}

export function remoteChangeOperations(ctx: VaultContext) {
  const { db, keyring, audit, clock, policies, authorization, effectivePolicy, unseal } = ctx;
  const hostSecrets = hostSecretOperations(ctx);
  const { replacePassword, recentPasswords, freshPassword, comparedCount } = passwordChanges(ctx);

  async function rowsOf(executor: Executor, accountId: number) {
    const resourceId = await repo.resourceIdOfAccount(executor, accountId);
    const resource = resourceId === undefined ? undefined : await repo.findResource(executor, resourceId);
    const account = resource && (await repo.findAccount(executor, resource.id, accountId));
    if (!resource || !account) throw accountNotFound(accountId);
    return { resource, account };
  }

  async function pendingOf(executor: Executor, accountId: number) {
    return executor
      .selectFrom('password_rotations')
      .select(['id'])
      .where('account_id', '=', accountId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
  }

  const alreadyPending = (accountName: string, rotationId: number) =>
    new ConflictError(
      `A password reset of account ${accountName} is already in progress (rotation ${rotationId}); it is settled once the target answers`,
    );

  /** Settles a pending rotation: true when this call settled it, false when it was settled already. */
  async function settle(
    trx: Executor,
    rotationId: number,
    status: 'completed' | 'failed',
    reason: string | null,
    message: string,
  ): Promise<boolean> {
    const now = clock.now();
    const result = await trx
      .updateTable('password_rotations')
      .set({
        status,
        password_sealed: null,
        reason,
        message,
        settled_at: now,
        updated_at: now,
      })
      .where('id', '=', rotationId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async function findRotation(executor: Executor, rotationId: number) {
    return executor
      .selectFrom('password_rotations')
      .selectAll()
      .where('id', '=', rotationId)
      .executeTakeFirst();
  }

  return {
    /** The account and its resource (for building the target); answers "does not exist" for none. */
    async remoteChangeSubject(executor: Executor, accountId: number): Promise<RemoteChangeSubject> {
      const { resource, account } = await rowsOf(executor, accountId);
      return subjectOf(resource, account);
    },

    /**
     * Phase one, in the caller's transaction: authorizes a caller (modify, as a local change) and
     * runs `precondition` (the rotation service: is the resource configured for remote reset);
     * refuses when a rotation of the account is pending; checks a given password against the
     * account's policy, or generates a fresh one; seals it to a new pending rotation row.
     */
    async beginRemoteChange(
      trx: Executor,
      initiator: RemoteChangeInitiator,
      target: { readonly resourceId?: number; readonly accountId: number },
      newPassword: Secret | undefined,
      trigger: string,
      precondition: (subject: RemoteChangeSubject) => Promise<void>,
    ): Promise<RemoteChangeStart> {
      let resource: ResourceRow;
      let account: AccountRow;
      let actor: AuditActor;
      if ('caller' in initiator) {
        const resourceId = target.resourceId ?? (await repo.resourceIdOfAccount(trx, target.accountId));
        if (resourceId === undefined) throw accountNotFound(target.accountId);
        ({ resource, account } = await authorization.authorizedAccount(
          trx,
          initiator.caller,
          resourceId,
          target.accountId,
          'modify',
        ));
        actor = actorOf(initiator.caller);
      } else {
        ({ resource, account } = await rowsOf(trx, target.accountId));
        actor = initiator.actor;
      }
      await precondition(subjectOf(resource, account));
      const pending = await pendingOf(trx, account.id);
      if (pending) throw alreadyPending(account.name, pending.id);
      let password = newPassword;
      if (password === undefined) {
        password = await freshPassword(trx, resource, account);
      } else {
        const policy = await effectivePolicy(trx, account.password_policy, resource);
        const previous = await recentPasswords(trx, account, comparedCount(policy.rules));
        const problem = policies.violation(policy, password, { loginName: account.name, previous });
        if (problem !== undefined) throw policyRefusal(policy.name, problem);
      }
      const now = clock.now();
      let rotationId: number;
      try {
        const row = await trx
          .insertInto('password_rotations')
          .values({
            account_id: account.id,
            resource_id: resource.id,
            status: 'pending',
            trigger,
            password_sealed: null,
            requested_by: actor.userId,
            requested_by_name: actor.username,
            reason: null,
            message: null,
            created_at: now,
            updated_at: now,
            settled_at: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        rotationId = row.id;
      } catch (err) {
        // Two rotations racing on PostgreSQL: the partial unique index decides.
        if (isUniqueViolation(err)) throw alreadyPending(account.name, 0);
        throw err;
      }
      // Sealed bound to the new row's id, known only after the insert.
      await trx
        .updateTable('password_rotations')
        .set({ password_sealed: keyring.seal(password.reveal(), sealedAt.pendingPassword(rotationId)) })
        .where('id', '=', rotationId)
        .execute();
      return {
        rotationId,
        actor,
        resource: { id: resource.id, name: resource.name, dnsName: resource.dns_name },
        account: { id: account.id, name: account.name },
      };
    },

    /**
     * The passwords the server needs to act on the target, opened for that use only (never a
     * release: nothing here reaches a caller). `rotationId` names a pending rotation whose new
     * password is wanted; `credentialAccountIds` the accounts the configuration logs in with.
     */
    async openForRemoteChange(
      executor: Executor,
      accountId: number,
      rotationId: number | undefined,
      credentialAccountIds: readonly number[],
    ): Promise<RemoteChangeSecrets> {
      const { account } = await rowsOf(executor, accountId);
      const current =
        account.password_sealed === null
          ? undefined
          : new Secret(
              unseal(
                account.password_sealed,
                sealedAt.accountPassword(account.id),
                `password of account ${account.name}`,
              ).toString('utf8'),
            );
      let pending: Secret | undefined;
      if (rotationId !== undefined) {
        const rotation = await findRotation(executor, rotationId);
        if (rotation?.account_id === account.id && rotation.password_sealed !== null) {
          pending = new Secret(
            unseal(
              rotation.password_sealed,
              sealedAt.pendingPassword(rotation.id),
              `pending password of account ${account.name}`,
            ).toString('utf8'),
          );
        }
      }
      const credentials = await hostSecrets.openAccountPasswords(executor, credentialAccountIds);
      return { current, pending, credentials };
    },

    /**
     * Phase two: the target took the new password and logging in with it succeeded. Makes it the
     * account's current password (the old one to the history), audited `Password Changed` with
     * `note`. False when the rotation was settled already (by another node's reconciliation).
     */
    async completeRemoteChange(rotationId: number, actor: AuditActor, note: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const rotation = await findRotation(trx, rotationId);
        if (rotation?.status !== 'pending' || rotation.password_sealed === null) return false;
        const sealed = rotation.password_sealed;
        if (!(await settle(trx, rotationId, 'completed', null, 'changed on the target and verified'))) {
          return false;
        }
        const { resource, account } = await rowsOf(trx, rotation.account_id);
        const password = new Secret(
          unseal(
            sealed,
            sealedAt.pendingPassword(rotationId),
            `pending password of account ${account.name}`,
          ).toString('utf8'),
        );
        await replacePassword(trx, actor, resource, account, password, { reason: note, ticketId: null });
        return true;
      });
    },

    /**
     * The target kept the old password: the rotation fails, its new password is wiped, the
     * vault's current password stays; audited `Password Reset Failed` with the reason.
     */
    async failRemoteChange(
      rotationId: number,
      actor: AuditActor,
      reason: string,
      note: string,
    ): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const rotation = await findRotation(trx, rotationId);
        if (rotation?.status !== 'pending') return false;
        if (!(await settle(trx, rotationId, 'failed', reason, note))) return false;
        const { resource, account } = await rowsOf(trx, rotation.account_id);
        await audit.append(
          trx,
          actor,
          eventOn(AuditOperation.passwordResetFailed, resource, account, { reason: note, ticketId: null }),
        );
        return true;
      });
    },

    /**
     * Neither password could be confirmed: the rotation stays pending (its new password kept, it
     * may be the target's), the attempt is counted and audited `Password Reset Unsettled`.
     */
    async noteUnsettledRemoteChange(
      rotationId: number,
      actor: AuditActor,
      reason: string,
      note: string,
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const rotation = await findRotation(trx, rotationId);
        if (rotation?.status !== 'pending') return;
        await trx
          .updateTable('password_rotations')
          .set({
            reason,
            message: note,
            attempts: rotation.attempts + 1,
            updated_at: clock.now(),
          })
          .where('id', '=', rotationId)
          .where('status', '=', 'pending')
          .execute();
        const { resource, account } = await rowsOf(trx, rotation.account_id);
        await audit.append(
          trx,
          actor,
          eventOn(AuditOperation.passwordResetUnsettled, resource, account, { reason: note, ticketId: null }),
        );
      });
    },

    /** Audits that the vault's password did not open the target (`Password Verification Failed`). */
    async auditVerificationFailed(accountId: number, actor: AuditActor, note: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const { resource, account } = await rowsOf(trx, accountId);
        await audit.append(
          trx,
          actor,
          eventOn(AuditOperation.passwordVerificationFailed, resource, account, {
            reason: note,
            ticketId: null,
          }),
        );
      });
    },

    /** The id of the account's pending rotation, if one is pending. */
    async pendingRemoteChangeOf(executor: Executor, accountId: number): Promise<number | undefined> {
      return (await pendingOf(executor, accountId))?.id;
    },

    /** Pending rotations last touched before `before` (epoch ms), oldest first. */
    async pendingRemoteChanges(executor: Executor, before: number): Promise<PendingRemoteChange[]> {
      const rows = await executor
        .selectFrom('password_rotations')
        .select([
          'id',
          'account_id',
          'resource_id',
          'trigger',
          'requested_by',
          'requested_by_name',
          'attempts',
          'created_at',
        ])
        .where('status', '=', 'pending')
        .where('updated_at', '<', before)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        rotationId: r.id,
        accountId: r.account_id,
        resourceId: r.resource_id,
        trigger: r.trigger,
        requestedBy: r.requested_by,
        requestedByName: r.requested_by_name,
        attempts: r.attempts,
        createdAt: r.created_at,
      }));
    },

    /** A rotation's state (tests, the CLI): no secret. */
    async remoteChangeStatus(executor: Executor, rotationId: number) {
      const row = await findRotation(executor, rotationId);
      if (!row) return undefined;
      return {
        rotationId: row.id,
        accountId: row.account_id,
        status: row.status,
        trigger: row.trigger,
        reason: row.reason,
        message: row.message,
        attempts: row.attempts,
      };
    },
  };
}

export type RemoteChanges = ReturnType<typeof remoteChangeOperations>;
