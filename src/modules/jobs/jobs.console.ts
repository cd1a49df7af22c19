import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import { pageFields } from '../../http/native-fields.js';
import { JOB_STATUSES, type Job } from '../../platform/jobs/index.js';
import { publicResult, publicText } from './job-view.js';
import type { JobsService } from './jobs.service.js';

/**
 * Background jobs in the console (ADR 024, 042): their state and progress, so long operations
 * (a range discovery, rotations) show how far they are. Administrators read every job; others
 * their own (the jobs service decides). The payload is not shown: it names the actor, and the
 * kind, progress and result say what the job is. The result and last error go through
 * `publicResult` / `publicText`: jobs never store secrets, and the console would not show one
 * if a handler broke that rule.
 */

const jobItem = z.object({
  id: z.number(),
  kind: z.string(),
  status: z.enum(JOB_STATUSES),
  attempts: z.number(),
  maxAttempts: z.number(),
  progress: z.object({ done: z.number(), total: z.number().nullable(), note: z.string() }),
  lastError: z.string().nullable(),
  result: z.unknown(),
  createdBy: z.number().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** Set once a cancel was asked: a running job is stopping at its next safe point. */
  cancelRequestedAt: z.number().nullable(),
  /** Who cancelled it (null: not cancelled, or by the operator / the system). */
  cancelledBy: z.number().nullable(),
});

function jobOf(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    progress: { done: job.progress.done, total: job.progress.total ?? null, note: job.progress.note ?? '' },
    lastError: job.lastError === undefined ? null : publicText(job.lastError),
    result: publicResult(job.result ?? null),
    createdBy: job.createdBy ?? null,
    createdAt: job.createdAt,
    startedAt: job.startedAt ?? null,
    finishedAt: job.finishedAt ?? null,
    cancelRequestedAt: job.cancelRequestedAt ?? null,
    cancelledBy: job.cancelledBy ?? null,
  };
}

const listQuery = z.object({
  kind: z.string().trim().max(100, 'At most 100 characters').optional(),
  status: z.enum(JOB_STATUSES).optional(),
  ...pageFields,
});

export function registerJobConsoleRoutes(router: NativeRouter, deps: { jobs: JobsService }): void {
  router.add({
    method: 'GET',
    url: '/api/v1/jobs',
    summary: 'Background jobs, newest first, with state and progress (administrators all, others their own)',
    tag: 'jobs',
    access: 'signed-in',
    query: listQuery,
    response: z.object({ items: z.array(jobItem), total: z.number() }),
    async handle({ caller, query }) {
      const page = await deps.jobs.list(
        { caller },
        {
          ...(query.kind ? { kind: query.kind } : {}),
          ...(query.status ? { status: query.status } : {}),
          offset: query.offset,
          limit: query.limit,
        },
      );
      return { items: page.jobs.map(jobOf), total: page.total };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/jobs/:jobId',
    summary: "One job's state, progress and result",
    tag: 'jobs',
    access: 'signed-in',
    response: jobItem,
    async handle({ caller, params }) {
      return jobOf(await deps.jobs.get({ caller }, parseId(params.jobId, 'job')));
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/jobs/:jobId/cancel',
    summary:
      'Cancel a job (its owner or an administrator): a queued one at once; a running one stops at its next safe point (status stays running with cancelRequestedAt until then)',
    tag: 'jobs',
    access: 'signed-in',
    response: z.object({ outcome: z.enum(['cancelled', 'stopping', 'finished']), job: jobItem }),
    async handle({ caller, params }) {
      const { outcome, job } = await deps.jobs.cancel({ caller }, parseId(params.jobId, 'job'));
      return { outcome, job: jobOf(job) };
    },
  });
}
