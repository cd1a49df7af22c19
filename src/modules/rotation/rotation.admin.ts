import type { AuditActor } from '../audit/index.js';
import type {
  RemoteChangeRecords,
  ResolutionKeep,
  RotationQuery,
  RotationReader,
  RotationRecord,
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

export function rotationAdministration(
  records: RemoteChangeRecords,
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
      const { accountId, actor } = await records.authorizeReconciliation(reader, rotationId);
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
    resolveRotation: (reader, rotationId, keep) => records.resolveRotation(reader, rotationId, keep),
  };
}
