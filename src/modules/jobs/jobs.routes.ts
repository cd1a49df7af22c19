import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import { parseId } from '../../http/ids.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError } from '../../platform/errors.js';
import { JOB_STATUSES, type Job, type JobStatus } from '../../platform/jobs/index.js';
import type { TimeFormatter } from '../../platform/time.js';
import { publicResult, publicText } from './job-view.js';
import type { JobsService } from './jobs.service.js';

const V1 = '/restapi/json/v1';
const MAX_LIMIT = 1000;
const MAX_KIND = 100;

/**
 * A job as the API shows it (native endpoints; the reference has no job API). Its error, result and
 * payload pass the same filter as the console's (`job-view.ts`): the second line behind the rule
 * that jobs never hold a secret.
 */
export function jobAttributes(job: Job, time: TimeFormatter) {
  const at = (ms: number | undefined) => (ms === undefined ? 'N/A' : time.auditTime(ms));
  return {
    JOBID: String(job.id),
    KIND: job.kind,
    STATUS: job.status,
    ATTEMPTS: job.attempts,
    MAXATTEMPTS: job.maxAttempts,
    PROGRESS: {
      DONE: job.progress.done,
      TOTAL: job.progress.total ?? null,
      NOTE: job.progress.note ?? '',
    },
    LASTERROR: publicText(job.lastError ?? ''),
    RESULT: publicResult(job.result ?? null),
    PAYLOAD: publicResult(job.payload),
    CREATEDBY: job.createdBy === undefined ? 'N/A' : String(job.createdBy),
    CREATEDTIME: at(job.createdAt),
    RUNAFTER: at(job.runAfter),
    STARTEDTIME: at(job.startedAt),
    FINISHEDTIME: at(job.finishedAt),
    NODE: job.leaseOwner ?? 'N/A',
  };
}

function positiveInt(input: PmpInput, name: string, fallback: number, max: number): number {
  const value = input.value(name, 20);
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidInputError(`${name} must be a positive whole number; got "${value}"`);
  }
  return Math.min(Number(value), max);
}

function statusOf(input: PmpInput): JobStatus | undefined {
  const value = input.value('STATUS', 20);
  if (value === undefined || value === '') return undefined;
  const status = JOB_STATUSES.find((s) => s === value.toLowerCase());
  if (!status)
    throw new InvalidInputError(`STATUS must be one of ${JOB_STATUSES.join(', ')}; got "${value}"`);
  return status;
}

/** Native endpoints: the background jobs and their progress (ADR 024). */
export function registerJobRoutes(router: PmpRouter, deps: { jobs: JobsService; time: TimeFormatter }): void {
  router.add({
    method: 'GET',
    url: `${V1}/jobs`,
    operation: 'GET JOBS',
    schema: inputSchema({
      kind: f.value('KIND', MAX_KIND),
      status: f.group(['STATUS'], statusOf),
      startIndex: f.group(['STARTINDEX'], (input) =>
        positiveInt(input, 'STARTINDEX', 1, Number.MAX_SAFE_INTEGER),
      ),
      limit: f.group(['LIMIT'], (input) => positiveInt(input, 'LIMIT', 100, MAX_LIMIT)),
    }),
    async handle({ caller, fields }) {
      const { startIndex, ...rest } = fields;
      const page = await deps.jobs.list({ caller }, { ...rest, offset: startIndex - 1 });
      return {
        message: 'Jobs fetched successfully',
        details: page.jobs.map((job) => jobAttributes(job, deps.time)),
        totalRows: page.total,
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${V1}/jobs/:jobId`,
    operation: 'GET JOB',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const job = await deps.jobs.get({ caller }, parseId(params.jobId, 'job'));
      return { message: 'Job fetched successfully', details: jobAttributes(job, deps.time) };
    },
  });
}
