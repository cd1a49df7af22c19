import type { Clock } from '../../platform/clock.js';
import { ConflictError } from '../../platform/errors.js';
import type { AuditActor } from '../audit/index.js';
import {
  isRotationAdministrator,
  type RemoteChangeRecords,
  type ResolutionKeep,
  type RotationQuery,
  type RotationReader,
  type RotationRecord,
} from '../vault/index.js';
import type { RotationOutcome } from './rotation.types.js';

/**
 * What operators do with rotations (docs/rotation.md, "Pending rotations"): list and read them
 * (no secret), settle a pending one now (reconciliation's logic: pending password first, then the
 * current one), and, administrators only, resolve a pending one that cannot be settled on its
 * target. The vault authorizes (remote-change-records.ts); this file only assembles.
 */
export interface RotationAdministration {
  listRotations(
    reader: RotationReader,
    query: RotationQuery,
  ): Promise<{ rotations: RotationRecord[]; total: number }>;
  rotationRecord(reader: RotationReader, rotationId: number): Promise<RotationRecord>;
  /** Settles a pending rotation now; its outcome, and the rotation as it is afterwards. */
  reconcileRotation(
    reader: RotationReader,
    rotationId: number,
  ): Promise<{ outcome: RotationOutcome; rotation: RotationRecord }>;
  resolveRotation(reader: RotationReader, rotationId: number, keep: ResolutionKeep): Promise<RotationRecord>;
}

/**
 * A rotation last touched within the grace period may still be in flight on another node (the
 * same rule as reconciliation, ADR 028): settling or resolving it under that node could leave the
 * target with a password the vault then discards, so it is refused until the grace has passed.
 */
function refuseWhileInFlight(record: RotationRecord, now: number, graceMs: number): void {
  if (record.status !== 'pending') return;
  const after = record.updatedAt + graceMs;
  if (after > now) {
    throw new ConflictError(
      `Rotation ${record.rotationId} was attempted ${Math.ceil((now - record.updatedAt) / 1000)} s ago and may still be in progress; ask again in ${Math.ceil((after - now) / 1000)} s`,
    );
  }
}

export function rotationAdministration(
  records: RemoteChangeRecords,
  timing: { readonly clock: Clock; readonly graceMs: number },
  reconcileOne: (
    rotationId: number,
    accountId: number,
    actor: AuditActor,
    cause: string,
  ) => Promise<RotationOutcome | undefined>,
): RotationAdministration {
  return {
    listRotations: (reader, query) => records.listRotations(reader, query),
    rotationRecord: (reader, rotationId) => records.rotationRecord(reader, rotationId),
    async reconcileRotation(reader, rotationId) {
      const { accountId, actor, record } = await records.authorizeReconciliation(reader, rotationId);
      refuseWhileInFlight(record, timing.clock.now(), timing.graceMs);
      const outcome = (await reconcileOne(
        rotationId,
        accountId,
        actor,
        `reconciliation requested by ${actor.username}`,
      )) ?? {
        rotationId,
        status: 'unsettled' as const,
        message: 'this rotation is being carried out or settled right now; ask again shortly',
      };
      return { outcome, rotation: await records.rotationRecord(reader, rotationId) };
    },
    async resolveRotation(reader, rotationId, keep) {
      if (isRotationAdministrator(reader)) {
        refuseWhileInFlight(
          await records.rotationRecord(reader, rotationId),
          timing.clock.now(),
          timing.graceMs,
        );
      }
      return records.resolveRotation(reader, rotationId, keep);
    },
  };
}
