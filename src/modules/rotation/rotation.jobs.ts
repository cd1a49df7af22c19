import type { Executor } from '../../platform/db/database.js';
import { NotFoundError, OperationNotAvailableError } from '../../platform/errors.js';
import { PermanentJobError, type JobRunner } from '../../platform/jobs/index.js';
import type { AuditActor } from '../audit/index.js';
import type { RotationService, RotationTrigger } from './rotation.types.js';

/** A rotation to a fresh password of the account's policy, on the target (reset on check-in). */
export const ROTATE_JOB = 'rotation.rotate';
/** The periodic reconciliation of pending rotations (ADR 028). */
export const RECONCILE_JOB = 'rotation.reconcile';

export interface RotateJobPayload {
  readonly accountId: number;
  readonly trigger: RotationTrigger;
  readonly actor: AuditActor;
}

/**
 * Registers the rotation's jobs on the runner: `rotation.rotate` (a failed rotation is retried
 * with the runner's backoff: the target may be back; a missing configuration fails at once) and
 * the periodic `rotation.reconcile`, once per cluster every `reconcileMs`.
 */
export function registerRotationJobs(jobs: JobRunner, rotation: RotationService, reconcileMs: number): void {
  jobs.register<RotateJobPayload>(
    ROTATE_JOB,
    async (payload) => {
      let outcome;
      try {
        outcome = await rotation.rotateToGenerated(payload.actor, payload.accountId, payload.trigger);
      } catch (err) {
        // Not configured (any more), or the account is gone: retrying changes nothing. A rotation
        // of the account pending (ConflictError) is retried after the backoff, once settled.
        if (err instanceof OperationNotAvailableError || err instanceof NotFoundError) {
          throw new PermanentJobError(err.message);
        }
        throw err;
      }
      if (outcome.status === 'failed') throw new Error(`Password reset failed: ${outcome.message}`);
      return { rotationId: outcome.rotationId, status: outcome.status, message: outcome.message };
    },
    { maxAttempts: 3, concurrency: 4 },
  );
  jobs.register(RECONCILE_JOB, () => rotation.reconcilePending(), { maxAttempts: 1 });
  jobs.every(RECONCILE_JOB, reconcileMs);
}

/** Queues a rotation in the caller's transaction: the job exists only if that transaction commits. */
export async function queueRotation(
  jobs: JobRunner,
  executor: Executor,
  payload: RotateJobPayload,
): Promise<number | undefined> {
  return jobs.enqueue(executor, ROTATE_JOB, payload, {
    dedupeKey: `rotate:${payload.accountId}`,
    ...(payload.actor.userId !== null ? { createdBy: payload.actor.userId } : {}),
  });
}
