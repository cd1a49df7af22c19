import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { ConflictError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import type { Principal } from '../../platform/principal.js';
import { can } from '../access/index.js';
import type { AuditActor, AuditService } from '../audit/index.js';
import { eventOnSshKey } from '../vault/index.js';
import type { keyRotationPhases } from './key-rotation.phases.js';
import { keyRotationRepository as repo, type RotationRow } from './key-rotation.repository.js';
import {
  KeyRotationAuditOperation as Op,
  type KeyRotationOutcome,
  type RotationPhase,
} from './key-rotation.types.js';

/**
 * What operators do with a pending SSH key rotation (docs/ssh-keys.md "Rotation", ADR 035), like
 * the password rotations' (docs/rotation.md "Pending rotations"): settle it now (reconciliation's
 * logic at once, acting as the caller), or, administrators with full access to the key only,
 * resolve it: one more attempt on its hosts, then the hosts still left are abandoned and the
 * rotation settled by its phase (before the switch rolled back, after it finished), every
 * abandoned host named in the audit with the fingerprint of the line that stays there.
 */

/** A rotation named by its key (the key's pending rotation) or by its id. */
export type KeyRotationRef = { readonly keyName: string } | { readonly rotationId: number };

/** A host a resolve left behind: the line of `fingerprint` may stay in that account's authorized_keys. */
export interface AbandonedHost {
  readonly resourceName: string;
  readonly userName: string;
  /** The key whose line stays: the old one (after the switch) or the new one (before it). */
  readonly fingerprint: string;
}

export interface ResolveResult {
  readonly outcome: KeyRotationOutcome;
  /** Empty when the last attempt settled the rotation on its hosts. */
  readonly abandoned: readonly AbandonedHost[];
}

export interface KeyRotationAdminDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly graceMs: number;
  readonly phases: ReturnType<typeof keyRotationPhases>;
  /** Rotations this process works on (shared with rotate and reconciliation). */
  readonly inFlight: Set<number>;
  /** The key, if the initiator may rotate it (modify on the key, full on its resources). */
  authorize(
    executor: Executor,
    principal: Principal | undefined,
    name: string,
  ): Promise<{ key: { id: unknown; name: string }; permission: string }>;
}

const label = (h: { resource_name: string; user_name: string }) => `${h.user_name}@${h.resource_name}`;

export function keyRotationAdmin(deps: KeyRotationAdminDeps) {
  const { database, audit, clock, phases, inFlight } = deps;
  const db = database.db;

  /** The rotation and its key's name, authorised like rotating; invisible ones do not exist. */
  async function locate(principal: Principal | undefined, ref: KeyRotationRef) {
    if ('keyName' in ref) {
      const { key, permission } = await deps.authorize(db, principal, ref.keyName);
      const rotation = await repo.pendingOf(db, Number(key.id));
      if (!rotation) throw new ConflictError(`SSH key ${key.name} has no pending rotation`);
      return { rotation, keyName: key.name, permission };
    }
    const missing = () => new NotFoundError(`SSH key rotation ${ref.rotationId} does not exist`);
    const rotation = await repo.rotation(db, ref.rotationId);
    const key = rotation && (await repo.keyById(db, Number(rotation.key_id)));
    if (!rotation || !key) throw missing();
    try {
      const { permission } = await deps.authorize(db, principal, key.name);
      return { rotation, keyName: key.name, permission };
    } catch (err) {
      // Never tell which key an invisible rotation belongs to.
      if (err instanceof NotFoundError) throw missing();
      throw err;
    }
  }

  /**
   * Refused unless pending and last touched before the grace period (reconciliation's rule,
   * ADR 028/035): within it the rotation may still be running on another node.
   */
  function refuseUnsettleable(rotation: RotationRow, keyName: string): void {
    const id = Number(rotation.id);
    if (rotation.status !== 'pending') {
      throw new ConflictError(
        `Rotation ${id} of SSH key ${keyName} is not pending: it ${rotation.status === 'completed' ? 'completed' : 'failed (rolled back)'}`,
      );
    }
    const now = clock.now();
    const after = Number(rotation.updated_at) + deps.graceMs;
    if (after > now || inFlight.has(id)) {
      throw new ConflictError(
        `Rotation ${id} of SSH key ${keyName} was worked on ${Math.max(0, Math.ceil((now - Number(rotation.updated_at)) / 1000))} s ago and may still be in progress; ask again in ${Math.max(1, Math.ceil((after - now) / 1000))} s`,
      );
    }
  }

  /** Under this process's in-flight mark, so reconciliation here leaves it alone meanwhile. */
  async function exclusively<T>(rotationId: number, keyName: string, work: () => Promise<T>): Promise<T> {
    if (inFlight.has(rotationId)) {
      throw new ConflictError(
        `Rotation ${rotationId} of SSH key ${keyName} is being carried out or settled right now; ask again shortly`,
      );
    }
    inFlight.add(rotationId);
    try {
      return await work();
    } finally {
      inFlight.delete(rotationId);
    }
  }

  async function auditOn(executor: Executor, actor: AuditActor, keyName: string, op: string, text: string) {
    await audit.append(executor, actor, eventOnSshKey(op, keyName, text));
  }

  /**
   * Settles what a resolve's last attempt left: the hosts still holding a line are abandoned and
   * the rotation settled by its phase, in one transaction with its audit record.
   */
  async function abandon(
    rotation: RotationRow,
    keyName: string,
    actor: AuditActor,
    why: string,
  ): Promise<AbandonedHost[]> {
    const rotationId = Number(rotation.id);
    const phase = rotation.phase as Exclude<RotationPhase, 'adding'>;
    const after = phase === 'removing-old';
    const fingerprint = after ? rotation.old_fingerprint : rotation.new_fingerprint;
    return db.transaction().execute(async (trx) => {
      const left = (await repo.hosts(trx, rotationId)).filter(
        (h) => h.state === 'adding' || h.state === 'verified',
      );
      const now = clock.now();
      for (const h of left) {
        await repo.setHost(
          trx,
          { id: Number(h.id), rotationId },
          h.state,
          after
            ? `abandoned (${why}): the new key opens this account, but the old key's line (${fingerprint}) stays in its authorized_keys; remove it by hand`
            : `abandoned (${why}): the new key's line (${fingerprint}) may stay in this account's authorized_keys; nobody holds its private key any more`,
          now,
        );
      }
      const where = left.map(label).join(', ');
      const message = after
        ? `${why}: the vault holds the new key; the old key ${fingerprint} was abandoned on ${where}: its line stays there and the vault discarded its private key, but copies exported before the rotation still open those accounts until the line is removed by hand`
        : `${why}: rolled back: the vault keeps the old key; the new key ${fingerprint} was abandoned on ${where}: its line may stay there and the vault discarded its private key`;
      const settled = await repo.settle(trx, rotationId, phase, after ? 'completed' : 'failed', message, now);
      if (!settled) {
        throw new ConflictError(
          `Rotation ${rotationId} of SSH key ${keyName} was settled meanwhile (by another node's reconciliation); nothing was abandoned`,
        );
      }
      await auditOn(trx, actor, keyName, Op.resolved, `rotation ${rotationId}: ${message}`);
      return left.map((h) => ({ resourceName: h.resource_name, userName: h.user_name, fingerprint }));
    });
  }

  return {
    /** Runs reconciliation of one pending rotation now, acting as the caller; its outcome. */
    async settle(
      principal: Principal | undefined,
      actor: AuditActor,
      ref: KeyRotationRef,
    ): Promise<KeyRotationOutcome> {
      const { rotation, keyName } = await locate(principal, ref);
      refuseUnsettleable(rotation, keyName);
      const rotationId = Number(rotation.id);
      return exclusively(rotationId, keyName, async () => {
        await db
          .transaction()
          .execute((trx) =>
            auditOn(
              trx,
              actor,
              keyName,
              Op.settleRequested,
              `rotation ${rotationId}: settling now, in phase ${rotation.phase}, requested by ${actor.username}`,
            ),
          );
        return phases.drive(rotationId, actor, false);
      });
    },

    /**
     * Resolves a pending rotation whose hosts do not all answer: administrators with full access
     * to the key (and what rotating needs) only. Before the switch it is rolled back, after it
     * finished; hosts that still cannot be cleaned are abandoned and named.
     */
    async resolve(
      principal: Principal | undefined,
      actor: AuditActor,
      ref: KeyRotationRef,
      reason: string | undefined,
    ): Promise<ResolveResult> {
      const { rotation, keyName, permission } = await locate(principal, ref);
      if (principal !== undefined && !(can(principal, 'manageInstance') && permission === 'full')) {
        throw new NotPermittedError(
          `You are not allowed to resolve the rotation of SSH key ${keyName}: it takes an administrator with full access to the key`,
        );
      }
      refuseUnsettleable(rotation, keyName);
      const rotationId = Number(rotation.id);
      const why = `resolved by ${actor.username}${reason ? ` (${reason})` : ''}`;
      return exclusively(rotationId, keyName, async () => {
        if (rotation.phase === 'adding') {
          // Before the switch the vault's key is the old one: resolving rolls back.
          await repo.setPhase(
            db,
            rotationId,
            'adding',
            'rolling-back',
            `${why}: rolled back before the switch`,
            clock.now(),
          );
        }
        // One more attempt on every host left: those that answer now are settled normally.
        const attempt = await phases.drive(rotationId, actor, false);
        if (attempt.outcome !== 'unsettled') return { outcome: attempt, abandoned: [] };
        const current = await repo.rotation(db, rotationId);
        if (current?.status !== 'pending' || current.phase === 'adding') {
          return { outcome: await phases.outcomeOf(rotationId), abandoned: [] };
        }
        const abandoned = await abandon(current, keyName, actor, why);
        return { outcome: await phases.outcomeOf(rotationId), abandoned };
      });
    },
  };
}

export type KeyRotationAdmin = ReturnType<typeof keyRotationAdmin>;
