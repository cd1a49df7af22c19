import type { Clock } from '../clock.js';
import type { Database, Executor } from '../db/database.js';

/**
 * The database-backed job runner (ADR 024). A job is a row in `jobs`: claimed by one node with a
 * lease, so it runs exactly once across the cluster; retried with exponential backoff up to its
 * maximum attempts; its progress and outcome readable by anyone the API lets read it.
 *
 * Nothing secret goes into a job: payloads, progress notes, results and errors are stored in
 * clear. A handler that needs a secret reads it from the vault by id while it runs.
 */

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses of a job that is not finished (dedupe keys are unique among these). */
export const ACTIVE_JOB_STATUSES = ['queued', 'running'] as const satisfies readonly JobStatus[];

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly jobId: number;
  /** 1 on the first run, counting every claim (a re-claim after a node died counts too). */
  readonly attempt: number;
  /**
   * Aborted when the job is cancelled (stop at the next safe point: between hosts, after the
   * account in progress, never inside a two-phase change; what the handler answers then is kept as
   * the cancelled job's result), when this node loses the lease (it could not renew it in
   * time, so another node may run the job), or when the runner stops and the handler did not
   * finish within the stop bound. A handler should stop as soon as it can.
   */
  readonly signal: AbortSignal;
  /** Records progress (readable over the API and `bulwark jobs show`); `total` and `note` kept when omitted. */
  progress(done: number, total?: number, note?: string): Promise<void>;
}

/**
 * Runs one job. Resolves with the result (stored as JSON; `undefined` stores nothing) or throws:
 * the error's message (never a secret) is stored as `last_error`, and the job is retried after a
 * backoff until it has used its maximum attempts. Throw {@link PermanentJobError} to fail at once.
 */
export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<unknown>;

export interface JobKindOptions {
  /** Attempts before the job fails for good; default 3. Enqueue may set its own per job. */
  readonly maxAttempts?: number;
  /** At most this many jobs of the kind run at once on one node; default 1. */
  readonly concurrency?: number;
  /** First retry delay; doubles on each attempt, capped at 15 minutes; default 5 seconds. */
  readonly backoffMs?: number;
}

export interface EnqueueOptions {
  /** Not before this time (epoch ms, the runner's clock); default now. */
  readonly runAt?: number;
  /**
   * At most one unfinished (queued or running) job holds a dedupe key: enqueuing a second one
   * while the first is unfinished inserts nothing and answers undefined.
   */
  readonly dedupeKey?: string;
  /** The user who asked for the job; they may read it over the API. */
  readonly createdBy?: number;
  /** Overrides the kind's maximum attempts for this job. */
  readonly maxAttempts?: number;
}

export interface JobProgress {
  readonly done: number;
  readonly total: number | undefined;
  readonly note: string | undefined;
}

/** A job as stored. Times are epoch milliseconds. */
export interface Job {
  readonly id: number;
  readonly kind: string;
  readonly payload: unknown;
  readonly status: JobStatus;
  readonly runAfter: number;
  readonly attempts: number;
  readonly maxAttempts: number;
  /** The node running the job; once it no longer runs, the node that ran its last attempt. */
  readonly leaseOwner: string | undefined;
  readonly leaseExpiresAt: number | undefined;
  readonly progress: JobProgress;
  readonly lastError: string | undefined;
  readonly result: unknown;
  readonly dedupeKey: string | undefined;
  readonly createdAt: number;
  readonly createdBy: number | undefined;
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  /** Who cancelled it (undefined: not cancelled, or by the operator / the system). */
  readonly cancelledBy: number | undefined;
  /** When a cancel was asked; a running job with one is stopping at its next safe point. */
  readonly cancelRequestedAt: number | undefined;
}

/**
 * What a cancel did: `cancelled` (it was queued: it never runs), `stopping` (it runs: its handler
 * sees its signal aborted and stops at its next safe point, then the job is settled as cancelled),
 * `finished` (it had finished, a cancel was already asked, or there is no such job).
 */
export type JobCancelOutcome = 'cancelled' | 'stopping' | 'finished';

export interface JobFilter {
  readonly kind?: string;
  readonly status?: JobStatus;
  readonly createdBy?: number;
  /** Paging: skip this many (newest first); default 0. */
  readonly offset?: number;
  /** Paging: at most this many; default 100, at most 1000. */
  readonly limit?: number;
}

export interface JobPage {
  readonly jobs: readonly Job[];
  /** How many jobs match the filter, all pages together. */
  readonly total: number;
}

export interface JobRunnerOptions {
  readonly database: Database;
  readonly clock: Clock;
  /** This node's name in `lease_owner`; by default host name, process id and a random suffix. */
  readonly nodeId?: string;
  /** How often a started runner looks for due jobs; default 1000 ms. */
  readonly pollMs?: number;
  /** How long a claim lasts without renewal; renewed every third of it while the handler runs; default 30 s. */
  readonly leaseMs?: number;
  /** How long stop() waits for running handlers before aborting them and releasing their jobs; default 10 s. */
  readonly stopTimeoutMs?: number;
  /** Finished jobs older than this are deleted; default 7 days. */
  readonly retentionMs?: number;
  /** Where errors of the runner itself go (not handler failures: those are stored on the job). */
  readonly onError?: (err: unknown) => void;
  /** Told of every run's outcome on this node (the job metrics): queued again means a retry. */
  readonly onSettled?: (kind: string, outcome: 'succeeded' | 'retried' | 'failed') => void;
}

/** A run that did not succeed, as `start`'s failure sink is told of it (the server logs it). */
export interface JobRunFailure {
  readonly jobId: number;
  readonly kind: string;
  readonly attempt: number;
  /** The handler's error message, as stored in `last_error` (never a secret, as everywhere). */
  readonly error: string;
  /** When it is tried again (epoch ms); undefined when the job failed for good. */
  readonly retryAt: number | undefined;
}

export interface JobRunner {
  /** This node's lease owner name. */
  readonly nodeId: string;
  /** Declares how to run a kind. Only registered kinds are claimed by this runner. */
  register<P>(kind: string, handler: JobHandler<P>, options?: JobKindOptions): void;
  /**
   * Adds a job, in the caller's transaction when given one (the job exists only if it commits).
   * Answers the new job's id, or undefined when `dedupeKey` is held by an unfinished job.
   *
   * The invariant every caller keeps: `payload` holds ids and options, never a secret, and the
   * kind's handler answers (result, progress notes, error messages) ids, counts and outcomes,
   * never a secret either. All of it is stored in clear and shown to the job's readers (the
   * console filters it once more, `modules/jobs/job-view.ts`, as a second line only).
   */
  enqueue<P>(
    executor: Executor,
    kind: string,
    payload: P,
    options?: EnqueueOptions,
  ): Promise<number | undefined>;
  /**
   * A periodic job: exactly one queued instance per cluster (dedupe key `every:<kind>`), due
   * `intervalMs` after the previous run finished; the first is due at once. The kind must be
   * registered. Takes effect on start() and runDue().
   */
  every(kind: string, intervalMs: number, payload?: unknown): void;
  /**
   * Starts polling for due jobs (serve); `onError` replaces the runner's error sink when given;
   * `onRunFailed` is told of every run on this node that failed (retried or for good).
   */
  start(onError?: (err: unknown) => void, onRunFailed?: (failure: JobRunFailure) => void): void;
  /**
   * Stops claiming; waits for running handlers up to the stop bound, then aborts the rest and
   * releases their jobs (queued again, the interrupted attempt not counted).
   */
  stop(): Promise<void>;
  /** Claims and runs every job of a registered kind due now, until none is left; answers how many ran. */
  runDue(): Promise<number>;
  get(id: number): Promise<Job | undefined>;
  list(filter?: JobFilter): Promise<JobPage>;
  /**
   * Cancels a job: a queued one at once; a running one stops at its next safe point (its handler
   * sees its signal aborted, on this node at once, on another at its next lease renewal) and is
   * then settled as cancelled, keeping what it answered. `by`: the user who asked (recorded).
   * With an `executor` (a transaction), the running handler is not signalled: call
   * {@link signalCancel} once it commits.
   */
  cancel(id: number, by?: number, executor?: Executor): Promise<JobCancelOutcome>;
  /**
   * Aborts the handler of a job whose cancel was committed, when it runs on this node (another
   * node's handler hears it at its next lease renewal). For callers that cancel inside their own
   * transaction (with its audit record): call it after the commit.
   */
  signalCancel(id: number): void;
}

/** Thrown by a handler: the job fails at once, without further attempts. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}
