import type { Kysely, Migration } from 'kysely';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Cancelling a job (ADR 044): who asked and when. A queued job is cancelled at once; a running
 * one keeps `status = 'running'` with `cancel_requested_at` set until its handler reaches a safe
 * point and settles it as `cancelled` (a rotation finishes the account in progress), so the row
 * never claims "cancelled" while work is still being done.
 */
export function jobCancel(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('jobs').addColumn('cancelled_by', 'bigint').execute();
      await db.schema.alterTable('jobs').addColumn('cancel_requested_at', 'bigint').execute();
    },
  };
}
