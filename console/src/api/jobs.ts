import { request } from './http';

/** Background jobs (ADR 024): their state and progress; cancelling one (ADR 044). */
export interface Job {
  readonly id: number;
  readonly kind: string;
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly progress: { readonly done: number; readonly total: number | null; readonly note: string };
  readonly lastError: string | null;
  readonly result: unknown;
  readonly createdBy: number | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** Set once a cancel was asked: a running job is stopping at its next safe point. */
  readonly cancelRequestedAt: number | null;
  /** Who cancelled it (null: not cancelled, or by the operator or the system). */
  readonly cancelledBy: number | null;
}

/** What a cancel did: queued → `cancelled` at once; running → `stopping` at its next safe point. */
export type JobCancelOutcome = 'cancelled' | 'stopping' | 'finished';

export const jobsApi = {
  jobs(
    query: { offset: number; limit: number; status?: string | undefined },
    signal?: AbortSignal,
  ): Promise<{ items: readonly Job[]; total: number }> {
    const params = new URLSearchParams({ offset: String(query.offset), limit: String(query.limit) });
    if (query.status) params.set('status', query.status);
    return request('GET', `/jobs?${params.toString()}`, { signal });
  },
  job(id: number, signal?: AbortSignal): Promise<Job> {
    return request('GET', `/jobs/${id}`, { signal });
  },
  cancelJob(id: number): Promise<{ outcome: JobCancelOutcome; job: Job }> {
    return request('POST', `/jobs/${id}/cancel`);
  },
};
