import type { RotationHostRow, RotationRow } from './key-rotation.repository.js';
import type { HostOutcome, KeyRotationView } from './key-rotation.types.js';

/** Key rotations as callers read them (answers, status reads, the CLI); never a secret. */

/** A host's state as callers read it, given where the rotation is. */
function hostStatus(rotation: RotationRow, host: RotationHostRow): string {
  switch (host.state) {
    case 'done':
      return 'rotated';
    case 'failed':
      return 'failed';
    case 'rolled-back':
      return 'rolled back';
    case 'gone':
      return 'resource gone';
    case 'todo':
      return rotation.status === 'pending' && rotation.phase === 'adding' ? 'waiting' : 'not attempted';
    case 'adding':
    case 'verified':
      // Only a resolve settles a rotation with hosts still here: they were abandoned.
      if (rotation.status !== 'pending')
        return rotation.phase === 'removing-old' ? 'old key abandoned' : 'new key abandoned';
      if (rotation.phase === 'removing-old') return 'old key left';
      if (rotation.phase === 'rolling-back') return 'new key left';
      return host.state;
  }
}

export function viewOf(
  rotation: RotationRow,
  keyName: string,
  hosts: readonly RotationHostRow[],
): KeyRotationView {
  return {
    rotationId: Number(rotation.id),
    keyName,
    status: rotation.status,
    phase: rotation.phase,
    trigger: rotation.trigger,
    newFingerprint: rotation.new_fingerprint,
    oldFingerprint: rotation.old_fingerprint,
    oldPublicKey: rotation.old_public_key,
    requestedBy: rotation.requested_by_name,
    message: rotation.message ?? '',
    createdAt: Number(rotation.created_at),
    switchedAt: rotation.switched_at === null ? undefined : Number(rotation.switched_at),
    settledAt: rotation.settled_at === null ? undefined : Number(rotation.settled_at),
    hosts: hosts.map((h): HostOutcome => ({
      resourceName: h.resource_name,
      userName: h.user_name,
      status: hostStatus(rotation, h),
      message: h.message ?? '',
    })),
  };
}
