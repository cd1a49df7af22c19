import { can, type Administrator } from '../access/index.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import type { Database } from '../../platform/db/database.js';
import { NotFoundError } from '../../platform/errors.js';
import type { Job, JobCancelOutcome, JobPage, JobRunner, JobStatus } from '../../platform/jobs/index.js';

/**
 * Who may read and cancel jobs (ADR 024, ADR 044): administrators (`manageJobs`) and the CLI
 * operator every job; any other caller only the jobs they asked for (`created_by`). A job the
 * caller may not read answers like a missing one.
 */
export type JobReader = Administrator;

export interface JobQuery {
  readonly kind?: string;
  readonly status?: JobStatus;
  /** How many jobs to skip (newest first); default 0. */
  readonly offset?: number;
  readonly limit?: number;
}

export interface JobsService {
  list(reader: JobReader, query: JobQuery): Promise<JobPage>;
  get(reader: JobReader, id: number): Promise<Job>;
  /**
   * Cancels a job the reader may read: a queued one at once, a running one at its next safe point
   * (the job then answers `running` with `cancelRequestedAt` until its handler settles it).
   * Audited with who asked; `finished` (nothing done, nothing audited) when it had finished or a
   * cancel was already asked.
   */
  cancel(reader: JobReader, id: number): Promise<{ job: Job; outcome: JobCancelOutcome }>;
}

/** undefined when the reader reads every job; else the user whose own jobs they read. */
function ownJobsOf(reader: JobReader): number | undefined {
  if ('operator' in reader || can(reader.caller.principal, 'manageJobs')) return undefined;
  return reader.caller.principal.userId;
}

function actorOfReader(reader: JobReader): AuditActor {
  return 'operator' in reader ? reader.operator : actorOf(reader.caller);
}

export function createJobsService(deps: {
  runner: JobRunner;
  database: Database;
  audit: AuditService;
}): JobsService {
  const { runner, database, audit } = deps;

  async function readable(reader: JobReader, id: number): Promise<Job> {
    const job = await runner.get(id);
    const own = ownJobsOf(reader);
    if (!job || (own !== undefined && job.createdBy !== own)) {
      throw new NotFoundError(`Job with ID ${id} does not exist`);
    }
    return job;
  }

  return {
    async list(reader, query) {
      return runner.list({
        kind: query.kind,
        status: query.status,
        createdBy: ownJobsOf(reader),
        offset: query.offset ?? 0,
        limit: query.limit,
      });
    },

    get: readable,

    async cancel(reader, id) {
      const before = await readable(reader, id);
      const actor = actorOfReader(reader);
      // The cancel exists only with its audit record, and the other way round.
      const outcome = await database.db.transaction().execute(async (trx) => {
        const result = await runner.cancel(id, actor.userId ?? undefined, trx);
        if (result !== 'finished') {
          await audit.append(trx, actor, {
            auditType: 'User',
            operation: AuditOperation.jobCancelled,
            reason: `Job ${id} (${before.kind}): ${result === 'cancelled' ? 'cancelled before it ran' : 'stopping at its next safe point'}`,
          });
        }
        return result;
      });
      if (outcome === 'stopping') runner.signalCancel(id);
      return { job: await readable(reader, id), outcome };
    },
  };
}
