import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * The job runner (ADR 024): one row per job, claimed by a node with a lease.
 * - `jobs_due`: what a claim looks for (queued jobs of a kind by due time; running ones by lease expiry);
 * - `jobs_active_dedupe`: a dedupe key is held by at most one unfinished (queued or running) job,
 *   so a periodic kind has exactly one queued instance and "at most one queued X" holds under races.
 */
export function jobs(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('jobs'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
        )
        .addColumn('run_after', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('progress_done', 'double precision', (c) => c.notNull())
        .addColumn('progress_total', 'double precision')
        .addColumn('progress_note', 'text')
        .addColumn('last_error', 'text')
        .addColumn('result', 'text')
        .addColumn('dedupe_key', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('jobs_due').on('jobs').columns(['kind', 'status', 'run_after']).execute();
      await db.schema.createIndex('jobs_lease').on('jobs').columns(['status', 'lease_expires_at']).execute();
      await db.schema.createIndex('jobs_created_by').on('jobs').column('created_by').execute();
      await sql`create unique index jobs_active_dedupe on jobs (dedupe_key) where status in ('queued', 'running')`.execute(
        db,
      );
    },
  };
}
