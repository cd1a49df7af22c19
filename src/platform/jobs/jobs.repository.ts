import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { Database, Executor } from '../db/database.js';
import { pageWithTotal } from '../db/paging.js';
import type { JobsTable, Schema } from '../db/schema.js';
import type { Job, JobCancelOutcome, JobFilter, JobPage, JobStatus } from './jobs.types.js';

/** The SQL of the job runner (ADR 024): every state change is one conditional statement. */

export type JobRow = Selectable<JobsTable>;

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

export function jobOf(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    payload: parseJson(row.payload),
    status: row.status as JobStatus,
    runAfter: row.run_after,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    leaseOwner: row.lease_owner ?? undefined,
    leaseExpiresAt: row.lease_expires_at ?? undefined,
    progress: {
      done: row.progress_done,
      total: row.progress_total ?? undefined,
      note: row.progress_note ?? undefined,
    },
    lastError: row.last_error ?? undefined,
    result: row.result === null ? undefined : parseJson(row.result),
    dedupeKey: row.dedupe_key ?? undefined,
    createdAt: row.created_at,
    createdBy: row.created_by ?? undefined,
    startedAt: row.started_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
    cancelledBy: row.cancelled_by ?? undefined,
    cancelRequestedAt: row.cancel_requested_at ?? undefined,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface NewJob {
  readonly kind: string;
  readonly payload: string;
  readonly runAfter: number;
  readonly maxAttempts: number;
  readonly dedupeKey: string | undefined;
  readonly createdBy: number | undefined;
  readonly now: number;
}

export function createJobsRepository(database: Database) {
  const { db } = database;
  const postgres = database.dialect === 'postgres';

  return {
    /** Inserts a job; undefined when its dedupe key is held by an unfinished job (partial unique index). */
    async insert(executor: Executor, job: NewJob): Promise<number | undefined> {
      const row = await executor
        .insertInto('jobs')
        .values({
          kind: job.kind,
          payload: job.payload,
          status: 'queued',
          run_after: job.runAfter,
          attempts: 0,
          max_attempts: job.maxAttempts,
          progress_done: 0,
          dedupe_key: job.dedupeKey ?? null,
          created_at: job.now,
          created_by: job.createdBy ?? null,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      return row?.id;
    },

    /** Whether any job of these kinds is due (a cheap read before a claim, which writes). */
    async anyDue(kinds: readonly string[], dueBy: number, now: number): Promise<boolean> {
      if (kinds.length === 0) return false;
      const row = await db
        .selectFrom('jobs')
        .select('id')
        .where('kind', 'in', kinds)
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'queued'), eb('run_after', '<=', dueBy)]),
            eb.and([
              eb('status', '=', 'running'),
              eb('lease_expires_at', '<=', now),
              eb('cancel_requested_at', 'is', null),
            ]),
          ]),
        )
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Claims up to `limit` due jobs of a kind for `owner`: queued ones whose time has come, and
     * running ones whose lease expired (their node died) with attempts left. PostgreSQL picks the
     * candidates in a materialized CTE with FOR UPDATE SKIP LOCKED, so concurrent claimers take
     * disjoint sets and the LIMIT holds (a `WHERE id IN (subquery)` may be evaluated again per
     * row and claim far more than asked). SQLite's single writer runs the statement alone.
     */
    async claim(
      kind: string,
      limit: number,
      owner: string,
      leaseMs: number,
      dueBy: number,
      now: number,
    ): Promise<JobRow[]> {
      if (postgres) {
        const result = await sql<JobRow>`
          with picked as materialized (
            select id from jobs
            where kind = ${kind}
              and ((status = 'queued' and run_after <= ${dueBy})
                or (status = 'running' and lease_expires_at <= ${now} and attempts < max_attempts
                    and cancel_requested_at is null))
            order by run_after, id
            limit ${limit}
            for update skip locked
          )
          update jobs set
            status = 'running',
            lease_owner = ${owner},
            lease_expires_at = ${now + leaseMs},
            attempts = jobs.attempts + 1,
            started_at = coalesce(jobs.started_at, ${now})
          from picked
          where jobs.id = picked.id
          returning jobs.*`.execute(db);
        return result.rows;
      }
      const due = (w: ExpressionBuilder<Schema, 'jobs'>) =>
        w.or([
          w.and([w('status', '=', 'queued'), w('run_after', '<=', dueBy)]),
          w.and([
            w('status', '=', 'running'),
            w('lease_expires_at', '<=', now),
            w('attempts', '<', w.ref('max_attempts')),
            // A cancel was asked while its node ran it: never run it again (failAbandoned settles it).
            w('cancel_requested_at', 'is', null),
          ]),
        ]);
      return db
        .updateTable('jobs')
        .set({
          status: 'running',
          lease_owner: owner,
          lease_expires_at: now + leaseMs,
          attempts: sql<number>`attempts + 1`,
          started_at: sql<number>`coalesce(started_at, ${now})`,
        })
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('jobs')
            .select('id')
            .where('kind', '=', kind)
            .where(due)
            .orderBy('run_after')
            .orderBy('id')
            .limit(limit),
        )
        .where(due)
        .returningAll()
        .execute();
    },

    /**
     * Running jobs whose lease expired on their last attempt: failed (their node died). Those whose
     * cancel was asked are settled as cancelled instead, on any attempt: they are never run again.
     */
    async failAbandoned(kinds: readonly string[], now: number): Promise<JobRow[]> {
      if (kinds.length === 0) return [];
      const cancelled = await db
        .updateTable('jobs')
        .set({
          status: 'cancelled',
          lease_expires_at: null,
          finished_at: now,
          last_error: 'The node running it stopped before it reached a safe point (lease expired)',
        })
        .where('kind', 'in', kinds)
        .where('status', '=', 'running')
        .where('lease_expires_at', '<=', now)
        .where('cancel_requested_at', 'is not', null)
        .returningAll()
        .execute();
      const failed = await db
        .updateTable('jobs')
        .set({
          status: 'failed',
          lease_expires_at: null,
          finished_at: now,
          last_error: 'The node running the last attempt stopped before it finished (lease expired)',
        })
        .where('kind', 'in', kinds)
        .where('status', '=', 'running')
        .where('lease_expires_at', '<=', now)
        .where((w) => w('attempts', '>=', w.ref('max_attempts')))
        .returningAll()
        .execute();
      return [...cancelled, ...failed];
    },

    /**
     * Extends the lease of a job this node runs: `lost` when it lost it (expired and taken);
     * `cancel` when a cancel was asked (the lease is still extended, so no node takes the job while
     * its handler reaches a safe point).
     */
    async renew(
      id: number,
      owner: string,
      attempt: number,
      until: number,
    ): Promise<'held' | 'cancel' | 'lost'> {
      const row = await db
        .updateTable('jobs')
        .set({ lease_expires_at: until })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('attempts', '=', attempt)
        .where('status', '=', 'running')
        .returning('cancel_requested_at')
        .executeTakeFirst();
      if (!row) return 'lost';
      return row.cancel_requested_at === null ? 'held' : 'cancel';
    },

    async progress(
      id: number,
      owner: string,
      attempt: number,
      done: number,
      total: number | undefined,
      note: string | undefined,
    ): Promise<void> {
      await db
        .updateTable('jobs')
        .set({
          progress_done: done,
          ...(total === undefined ? {} : { progress_total: total }),
          ...(note === undefined ? {} : { progress_note: note }),
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('attempts', '=', attempt)
        .where('status', '=', 'running')
        .execute();
    },

    /**
     * Settles the attempt this node ran: succeeded, failed, or queued again for a retry. Only if
     * it still holds the lease on that attempt; answers whether it did.
     */
    async settle(
      executor: Executor,
      id: number,
      owner: string,
      attempt: number,
      outcome:
        | { status: 'succeeded'; result: string | null; now: number }
        | { status: 'failed'; error: string; now: number }
        | { status: 'queued'; error: string; runAfter: number; now: number },
    ): Promise<boolean> {
      const changes =
        outcome.status === 'succeeded'
          ? { status: 'succeeded', result: outcome.result, finished_at: outcome.now, last_error: null }
          : outcome.status === 'failed'
            ? { status: 'failed', last_error: outcome.error, finished_at: outcome.now }
            : { status: 'queued', last_error: outcome.error, run_after: outcome.runAfter };
      const held = (w: ExpressionBuilder<Schema, 'jobs'>) =>
        w.and([
          w('id', '=', id),
          w('lease_owner', '=', owner),
          w('attempts', '=', attempt),
          w('status', '=', 'running'),
        ]);
      const result = await executor
        .updateTable('jobs')
        // lease_owner stays: the node that ran the last attempt.
        .set({ ...changes, lease_expires_at: null })
        .where(held)
        .where('cancel_requested_at', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n) return true;
      // A cancel was asked while it ran: the handler stopped at a safe point. Cancelled, never
      // retried; what it did before stopping (its result) and why it stopped (an error) are kept.
      const cancelled = await executor
        .updateTable('jobs')
        .set({
          status: 'cancelled',
          finished_at: outcome.now,
          lease_expires_at: null,
          ...(outcome.status === 'succeeded' ? { result: outcome.result } : { last_error: outcome.error }),
        })
        .where(held)
        .where('cancel_requested_at', 'is not', null)
        .executeTakeFirst();
      return cancelled.numUpdatedRows > 0n;
    },

    /**
     * Gives a job back (this node stops): queued again at once, the interrupted attempt not counted;
     * cancelled instead when a cancel had been asked.
     */
    async release(id: number, owner: string, attempt: number, now: number): Promise<void> {
      await db
        .updateTable('jobs')
        .set({ status: 'cancelled', lease_expires_at: null, finished_at: now })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('attempts', '=', attempt)
        .where('status', '=', 'running')
        .where('cancel_requested_at', 'is not', null)
        .execute();
      await db
        .updateTable('jobs')
        .set({
          status: 'queued',
          lease_owner: null,
          lease_expires_at: null,
          run_after: now,
          attempts: sql<number>`attempts - 1`,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('attempts', '=', attempt)
        .where('status', '=', 'running')
        // A cancel committed after the statement above must not put the job back in the queue
        // (claiming a queued job ignores cancel_requested_at); failAbandoned settles it as cancelled.
        .where('cancel_requested_at', 'is', null)
        .execute();
    },

    /**
     * Cancels a queued job at once (`cancelled`), or asks a running one to stop at its next safe
     * point (`stopping`: it stays running until its handler settles it); `finished` when it had
     * finished, was already being cancelled, or does not exist. Each is one conditional statement,
     * so a cancel racing a claim or a settle does exactly one of them.
     */
    async cancel(
      executor: Executor,
      id: number,
      by: number | undefined,
      now: number,
    ): Promise<JobCancelOutcome> {
      const queued = await executor
        .updateTable('jobs')
        .set({
          status: 'cancelled',
          finished_at: now,
          lease_expires_at: null,
          cancelled_by: by ?? null,
          cancel_requested_at: now,
        })
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (queued.numUpdatedRows > 0n) return 'cancelled';
      const running = await executor
        .updateTable('jobs')
        .set({ cancelled_by: by ?? null, cancel_requested_at: now })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('cancel_requested_at', 'is', null)
        .executeTakeFirst();
      return running.numUpdatedRows > 0n ? 'stopping' : 'finished';
    },

    async get(id: number): Promise<JobRow | undefined> {
      return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async list(filter: JobFilter): Promise<{ rows: JobRow[]; total: number }> {
      let query = db.selectFrom('jobs');
      if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.createdBy !== undefined) query = query.where('created_by', '=', filter.createdBy);
      const limit = Math.min(Math.max(filter.limit ?? DEFAULT_PAGE, 0), MAX_PAGE);
      return pageWithTotal(query, (q) =>
        q
          .selectAll()
          .orderBy('id', 'desc')
          .limit(limit)
          .offset(Math.max(filter.offset ?? 0, 0)),
      );
    },

    /**
     * Deletes finished jobs that finished before `before`, and successful runs of periodic jobs
     * (dedupe key `every:…`) that finished before `periodicBefore`.
     */
    async prune(before: number, periodicBefore: number): Promise<void> {
      await db
        .deleteFrom('jobs')
        .where('status', 'in', ['succeeded', 'failed', 'cancelled'])
        .where('finished_at', '<', before)
        .execute();
      await db
        .deleteFrom('jobs')
        .where('status', '=', 'succeeded')
        .where('dedupe_key', 'like', 'every:%')
        .where('finished_at', '<', periodicBefore)
        .execute();
    },
  };
}

export type JobsRepository = ReturnType<typeof createJobsRepository>;

export function pageOf(result: { rows: JobRow[]; total: number }): JobPage {
  return { jobs: result.rows.map(jobOf), total: result.total };
}
