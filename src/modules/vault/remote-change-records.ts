import type { Executor } from '../../platform/db/database.js';
import { Secret } from '../../platform/crypto/secret.js';
import { ConflictError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import { actorOf, AuditOperation, type AuditActor } from '../audit/index.js';
import { can, type Administrator } from '../access/index.js';
import { eventOn } from './audit-events.js';
import { passwordChanges } from './passwords.service.js';
import { sealedAt } from './sealing.js';
import type { VaultContext } from './vault.context.js';
import { vaultRepository as repo } from './vault.repository.js';

/**
 * Rotations as operators see and decide them (docs/rotation.md, "Pending rotations"): listing
 * and reading (no secret, ever), the authorization of a manual reconciliation, and an
 * administrator's resolution of a pending rotation that cannot be settled on its target.
 *
 * Visibility: administrators (`manageInstance`) and the CLI operator see every rotation; any
 * other caller sees the rotations of accounts whose password they may change (modify), the same
 * authorization as a change. A rotation the caller may not see answers like a missing one.
 */

export const ROTATION_STATUSES = ['pending', 'completed', 'failed'] as const;
export type RotationStatus = (typeof ROTATION_STATUSES)[number];

/** Which password a resolution keeps as the account's current one. */
export type ResolutionKeep = 'pending' | 'current';

/** Who reads or decides rotations: an API caller or the CLI operator. */
export type RotationReader = Administrator;

export interface RotationRecord {
  readonly rotationId: number;
  readonly resource: { readonly id: number; readonly name: string };
  readonly account: { readonly id: number; readonly name: string };
  readonly status: RotationStatus;
  readonly trigger: string;
  readonly requestedBy: { readonly id: number | null; readonly name: string };
  readonly reason: string | null;
  readonly message: string | null;
  readonly attempts: number;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

export interface RotationQuery {
  readonly status?: RotationStatus;
  readonly resourceId?: number;
  readonly accountId?: number;
  /** 1-based index of the first rotation (newest first). */
  readonly startIndex?: number;
  readonly limit?: number;
}

/** Non-administrators' lists are filtered by authorization after reading at most this many rows. */
const SCAN_LIMIT = 5000;

const rotationNotFound = (id: number) => new NotFoundError(`Rotation with ID ${id} does not exist`);

export function isRotationAdministrator(reader: RotationReader): boolean {
  return 'operator' in reader || can(reader.caller.principal, 'manageInstance');
}

export function remoteChangeRecords(ctx: VaultContext) {
  const { db, keyring, audit, clock, authorization, unseal } = ctx;
  const { replacePassword } = passwordChanges(ctx);

  const actorOfReader = (reader: RotationReader): AuditActor =>
    'operator' in reader ? reader.operator : actorOf(reader.caller);

  function records(executor: Executor) {
    return executor
      .selectFrom('password_rotations as r')
      .innerJoin('accounts as a', 'a.id', 'r.account_id')
      .innerJoin('resources as s', 's.id', 'a.resource_id')
      .select([
        'r.id',
        'r.account_id',
        'a.name as account_name',
        's.id as resource_id',
        's.name as resource_name',
        'r.status',
        'r.trigger',
        'r.requested_by',
        'r.requested_by_name',
        'r.reason',
        'r.message',
        'r.attempts',
        'r.created_at',
        'r.updated_at',
        'r.settled_at',
      ]);
  }

  type Row = Awaited<ReturnType<ReturnType<typeof records>['executeTakeFirstOrThrow']>>;

  const recordOf = (r: Row): RotationRecord => ({
    rotationId: Number(r.id),
    resource: { id: Number(r.resource_id), name: r.resource_name },
    account: { id: Number(r.account_id), name: r.account_name },
    status: r.status,
    trigger: r.trigger,
    requestedBy: {
      id: r.requested_by === null ? null : Number(r.requested_by),
      name: r.requested_by_name,
    },
    reason: r.reason,
    message: r.message,
    attempts: Number(r.attempts),
    startedAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    finishedAt: r.settled_at === null ? null : Number(r.settled_at),
  });

  /** Whether a non-administrator may change the account's password (modify), as for a change. */
  async function mayModify(executor: Executor, reader: RotationReader, row: Row): Promise<boolean> {
    if ('operator' in reader || isRotationAdministrator(reader)) return true;
    try {
      await authorization.authorizedAccount(
        executor,
        reader.caller,
        Number(row.resource_id),
        Number(row.account_id),
        'modify',
      );
      return true;
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof NotPermittedError) return false;
      throw err;
    }
  }

  async function visibleRecord(executor: Executor, reader: RotationReader, id: number): Promise<Row> {
    const row = await records(executor).where('r.id', '=', id).executeTakeFirst();
    if (!row || !(await mayModify(executor, reader, row))) throw rotationNotFound(id);
    return row;
  }

  return {
    /** Rotations, newest first, that the reader may see; `total` counts all of them. */
    async listRotations(
      reader: RotationReader,
      query: RotationQuery,
    ): Promise<{ rotations: RotationRecord[]; total: number }> {
      let q = records(db);
      if (query.status !== undefined) q = q.where('r.status', '=', query.status);
      if (query.resourceId !== undefined) q = q.where('s.id', '=', query.resourceId);
      if (query.accountId !== undefined) q = q.where('r.account_id', '=', query.accountId);
      const offset = (query.startIndex ?? 1) - 1;
      const limit = query.limit ?? 100;
      if (isRotationAdministrator(reader)) {
        const count = await q
          .clearSelect()
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        const rows = await q.orderBy('r.id', 'desc').offset(offset).limit(limit).execute();
        return { rotations: rows.map(recordOf), total: Number(count.n) };
      }
      const visible: Row[] = [];
      for (const row of await q.orderBy('r.id', 'desc').limit(SCAN_LIMIT).execute()) {
        if (await mayModify(db, reader, row)) visible.push(row);
      }
      return { rotations: visible.slice(offset, offset + limit).map(recordOf), total: visible.length };
    },

    /** One rotation the reader may see (else: does not exist). */
    async rotationRecord(reader: RotationReader, id: number): Promise<RotationRecord> {
      return recordOf(await visibleRecord(db, reader, id));
    },

    /**
     * A settlement of the reader's own asking (reconcile now): the reader may change the account's
     * password. Answers the rotation's account; refuses a rotation that is no longer pending.
     */
    async authorizeReconciliation(
      reader: RotationReader,
      id: number,
    ): Promise<{ accountId: number; actor: AuditActor; record: RotationRecord }> {
      const row = await visibleRecord(db, reader, id);
      if (row.status !== 'pending') {
        throw new ConflictError(
          `Rotation ${id} is not pending (it is ${row.status}); there is nothing to settle`,
        );
      }
      return { accountId: Number(row.account_id), actor: actorOfReader(reader), record: recordOf(row) };
    },

    /**
     * An administrator decides a pending rotation that cannot be settled on its target. `pending`:
     * the pending password becomes current (the old one to the history); `current`: the current
     * one stays and the pending one goes to the history, sealed. Both stay knowable. Audited
     * `Password Reset Resolved` naming who decided and which password was kept.
     */
    async resolveRotation(reader: RotationReader, id: number, keep: ResolutionKeep): Promise<RotationRecord> {
      if (!isRotationAdministrator(reader)) {
        // Non-administrators who may see it learn they may not decide it; others, that it is missing.
        await visibleRecord(db, reader, id);
        throw new NotPermittedError('Only an administrator may resolve a pending rotation');
      }
      const actor = actorOfReader(reader);
      await db.transaction().execute(async (trx) => {
        const rotation = await trx
          .selectFrom('password_rotations')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst();
        if (!rotation) throw rotationNotFound(id);
        if (rotation.status !== 'pending' || rotation.password_sealed === null) {
          throw new ConflictError(
            `Rotation ${id} is not pending (it is ${rotation.status}); only a pending rotation can be resolved`,
          );
        }
        const resourceId = await repo.resourceIdOfAccount(trx, rotation.account_id);
        const resource = resourceId === undefined ? undefined : await repo.findResource(trx, resourceId);
        const account = resource && (await repo.findAccount(trx, resource.id, rotation.account_id));
        if (!resource || !account) throw rotationNotFound(id);
        const sealed = rotation.password_sealed;
        const now = clock.now();
        const note =
          keep === 'pending'
            ? `Rotation ${id} resolved by ${actor.username}: kept the pending password (now current; the previous one is in the history)`
            : `Rotation ${id} resolved by ${actor.username}: kept the current password (the pending one is in the history)`;
        const settled = await trx
          .updateTable('password_rotations')
          .set({
            status: keep === 'pending' ? 'completed' : 'failed',
            password_sealed: null,
            reason: 'resolved',
            message: note,
            settled_at: now,
            updated_at: now,
          })
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        if (Number(settled.numUpdatedRows) !== 1) {
          throw new ConflictError(
            `Rotation ${id} was settled meanwhile; only a pending rotation can be resolved`,
          );
        }
        const pending = unseal(
          sealed,
          sealedAt.pendingPassword(id),
          `pending password of account ${account.name}`,
        );
        if (keep === 'pending') {
          await replacePassword(trx, actor, resource, account, new Secret(pending.toString('utf8')), {
            reason: note,
            ticketId: null,
          });
        } else {
          const historyId = await repo.insertHistory(trx, account.id, now, actor.userId);
          await repo.setHistoryPassword(
            trx,
            historyId,
            keyring.seal(pending, sealedAt.earlierPassword(historyId)),
          );
        }
        await audit.append(
          trx,
          actor,
          eventOn(AuditOperation.passwordResetResolved, resource, account, { reason: note, ticketId: null }),
        );
      });
      return recordOf(await visibleRecord(db, reader, id));
    },
  };
}

export type RemoteChangeRecords = ReturnType<typeof remoteChangeRecords>;
