import { can, type Administrator } from '../access/index.js';
import { NotFoundError } from '../../platform/errors.js';
import type { Job, JobPage, JobRunner, JobStatus } from '../../platform/jobs/index.js';

/**
 * Who may read jobs (ADR 024): administrators (`manageInstance`) and the CLI operator read every
 * job; any other caller reads only the jobs they asked for (`created_by`). A job the caller may
 * not read answers like a missing one.
 */
export type JobReader = Administrator;

export interface JobQuery {
  readonly kind?: string;
  readonly status?: JobStatus;
  /** 1-based index of the first job (newest first). */
  readonly startIndex?: number;
  readonly limit?: number;
}

export interface JobsService {
  list(reader: JobReader, query: JobQuery): Promise<JobPage>;
  get(reader: JobReader, id: number): Promise<Job>;
}

/** undefined when the reader reads every job; else the user whose own jobs they read. */
function ownJobsOf(reader: JobReader): number | undefined {
  if ('operator' in reader || can(reader.caller.principal, 'manageInstance')) return undefined;
  return reader.caller.principal.userId;
}

export function createJobsService(deps: { runner: JobRunner }): JobsService {
  const { runner } = deps;
  return {
    async list(reader, query) {
      return runner.list({
        kind: query.kind,
        status: query.status,
        createdBy: ownJobsOf(reader),
        offset: (query.startIndex ?? 1) - 1,
        limit: query.limit,
      });
    },

    async get(reader, id) {
      const job = await runner.get(id);
      const own = ownJobsOf(reader);
      if (!job || (own !== undefined && job.createdBy !== own)) {
        throw new NotFoundError(`Job with ID ${id} does not exist`);
      }
      return job;
    },
  };
}
