export { createJobRunner, backoffDelay, periodicKey } from './job-runner.js';
export {
  ACTIVE_JOB_STATUSES,
  JOB_STATUSES,
  PermanentJobError,
  type EnqueueOptions,
  type Job,
  type JobCancelOutcome,
  type JobContext,
  type JobFilter,
  type JobHandler,
  type JobKindOptions,
  type JobPage,
  type JobProgress,
  type JobRunFailure,
  type JobRunner,
  type JobRunnerOptions,
  type JobStatus,
} from './jobs.types.js';
