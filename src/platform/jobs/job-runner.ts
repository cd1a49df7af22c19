import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Executor } from '../db/database.js';
import { createJobsRepository, jobOf, pageOf, type JobRow } from './jobs.repository.js';
import {
  PermanentJobError,
  type EnqueueOptions,
  type Job,
  type JobCancelOutcome,
  type JobContext,
  type JobFilter,
  type JobHandler,
  type JobKindOptions,
  type JobPage,
  type JobRunFailure,
  type JobRunner,
  type JobRunnerOptions,
} from './jobs.types.js';

const DEFAULTS = {
  pollMs: 1000,
  leaseMs: 30_000,
  stopTimeoutMs: 10_000,
  retentionMs: 7 * 24 * 3_600_000,
  maxAttempts: 3,
  concurrency: 1,
  backoffMs: 5000,
};
const MAX_BACKOFF_MS = 15 * 60_000;
/** Periodic jobs are re-created (if cancelled or abandoned) and old jobs pruned this often. */
const HOUSEKEEPING_MS = 60_000;
/** Successful runs of periodic jobs (one every few seconds for the sweeper) are kept this long. */
const PERIODIC_RETENTION_MS = 3_600_000;
const MAX_ERROR_LENGTH = 2000;
const MAX_NOTE_LENGTH = 500;
export const MAX_KIND_LENGTH = 100;

interface Registration {
  readonly handler: JobHandler<unknown>;
  readonly maxAttempts: number;
  readonly concurrency: number;
  readonly backoffMs: number;
}

interface Periodic {
  readonly intervalMs: number;
  readonly payload: unknown;
}

interface Running {
  readonly kind: string;
  readonly attempt: number;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** The dedupe key of a periodic kind's one queued instance. */
export function periodicKey(kind: string): string {
  return `every:${kind}`;
}

/** The delay before retry number `attempt` (1 = after the first failure). */
export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number`);
  return value;
}

/** The database-backed job runner (ADR 024); see {@link JobRunner}. */
export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { database, clock } = options;
  const nodeId = options.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const pollMs = positive(options.pollMs, DEFAULTS.pollMs, 'pollMs');
  const leaseMs = positive(options.leaseMs, DEFAULTS.leaseMs, 'leaseMs');
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs;
  const retentionMs = options.retentionMs ?? DEFAULTS.retentionMs;
  let onError = options.onError ?? (() => undefined);
  let onRunFailed: ((failure: JobRunFailure) => void) | undefined;
  const repo = createJobsRepository(database);

  const kinds = new Map<string, Registration>();
  const periodic = new Map<string, Periodic>();
  const running = new Map<number, Running>();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopping = false;
  let ticking = false;
  /** A wake-up asked for while a poll was running: poll again at once when it ends. */
  let again = false;
  /** When the pending timer fires (real time, as timers run). */
  let timerDueAt = Infinity;
  let lastHousekeeping = -Infinity;

  const runningOf = (kind: string) => {
    let n = 0;
    for (const r of running.values()) if (r.kind === kind) n++;
    return n;
  };

  async function ensurePeriodic(): Promise<void> {
    const now = clock.now();
    for (const [kind, { payload }] of periodic) {
      await repo.insert(database.db, {
        kind,
        payload: JSON.stringify(payload ?? null),
        runAfter: now,
        maxAttempts: kinds.get(kind)?.maxAttempts ?? 1,
        dedupeKey: periodicKey(kind),
        createdBy: undefined,
        now,
      });
    }
  }

  /**
   * Fails the last attempts of dead nodes (lease expired). A periodic kind whose instance was
   * among them is queued again at once, not at the next housekeeping a minute later: after a
   * crash, reconciliation and the sweeper must not wait for it.
   */
  async function failAbandoned(now: number): Promise<void> {
    const abandoned = await repo.failAbandoned([...kinds.keys()], now);
    if (abandoned.some((row) => row.dedupe_key === periodicKey(row.kind))) await ensurePeriodic();
  }

  async function housekeeping(): Promise<void> {
    const now = clock.now();
    if (now - lastHousekeeping < HOUSEKEEPING_MS && now >= lastHousekeeping) return;
    lastHousekeeping = now;
    // Abandoned last attempts first, so a periodic kind's instance is free to be re-created.
    await repo.failAbandoned([...kinds.keys()], now);
    await ensurePeriodic();
    await repo.prune(now - retentionMs, now - PERIODIC_RETENTION_MS);
  }

  /** Claims what this node has room for; answers the started runs. */
  async function claimAndStart(dueBy: number): Promise<Promise<void>[]> {
    const now = clock.now();
    const registered = [...kinds.keys()];
    if (!(await repo.anyDue(registered, dueBy, now))) return [];
    await failAbandoned(now);
    const runs: Promise<void>[] = [];
    for (const [kind, registration] of kinds) {
      if (stopping && started) break;
      const room = registration.concurrency - runningOf(kind);
      if (room <= 0) continue;
      const rows = await repo.claim(kind, room, nodeId, leaseMs, dueBy, clock.now());
      for (const row of rows) runs.push(startRun(row, registration));
    }
    return runs;
  }

  function startRun(row: JobRow, registration: Registration): Promise<void> {
    const abort = new AbortController();
    const attempt = row.attempts;
    let leaseUntil = row.lease_expires_at ?? clock.now() + leaseMs;
    /**
     * Why the runner stopped the handler for want of a lease (lost, or not renewed in time). What
     * the handler answers after that is not the job done: it may have stopped half-way (a scan
     * answers what it probed before the signal), so the attempt is settled as interrupted.
     */
    let interrupted: Error | undefined;
    const interrupt = (why: string) => {
      interrupted ??= new Error(why);
      abort.abort(interrupted);
    };
    const context: JobContext = {
      jobId: row.id,
      attempt,
      signal: abort.signal,
      async progress(done, total, note) {
        if (!Number.isFinite(done) || (total !== undefined && !Number.isFinite(total))) {
          throw new RangeError('progress must be finite numbers');
        }
        await repo.progress(
          row.id,
          nodeId,
          attempt,
          done,
          total,
          note === undefined ? undefined : note.slice(0, MAX_NOTE_LENGTH),
        );
      },
    };
    const renewal = setInterval(
      () => {
        const until = clock.now() + leaseMs;
        repo.renew(row.id, nodeId, attempt, until).then(
          (state) => {
            if (state !== 'lost') leaseUntil = until;
            if (state === 'cancel') abort.abort(new Error('the job was cancelled'));
            else if (state === 'lost') interrupt('the job lost its lease');
          },
          (err: unknown) => {
            onError(err);
            // Without a renewal the lease runs out: stop before another node may take the job.
            if (clock.now() >= leaseUntil) interrupt('the lease could not be renewed');
          },
        );
      },
      Math.max(10, Math.floor(leaseMs / 3)),
    );
    renewal.unref();

    const done = (async () => {
      let outcome: Parameters<typeof repo.settle>[4];
      try {
        const payload = JSON.parse(row.payload) as unknown;
        const result = await registration.handler(payload, context);
        // Stopped for want of a lease and returned anyway: retried (or failed) as if it had thrown.
        if (interrupted) throw interrupted;
        outcome = {
          status: 'succeeded',
          result: result === undefined ? null : JSON.stringify(result),
          now: clock.now(),
        };
      } catch (err) {
        const error = errorText(err);
        const now = clock.now();
        outcome =
          err instanceof PermanentJobError || attempt >= row.max_attempts
            ? { status: 'failed', error, now }
            : { status: 'queued', error, runAfter: now + backoffDelay(registration.backoffMs, attempt), now };
      } finally {
        clearInterval(renewal);
      }
      const settled = outcome;
      options.onSettled?.(row.kind, settled.status === 'queued' ? 'retried' : settled.status);
      if (settled.status !== 'succeeded') {
        onRunFailed?.({
          jobId: row.id,
          kind: row.kind,
          attempt,
          error: settled.error,
          retryAt: settled.status === 'queued' ? settled.runAfter : undefined,
        });
      }
      const period = periodic.get(row.kind);
      const next =
        row.dedupe_key === periodicKey(row.kind) && settled.status !== 'queued' ? period : undefined;
      await database.db.transaction().execute(async (trx) => {
        const held = await repo.settle(trx, row.id, nodeId, attempt, settled);
        if (held && next) {
          const now = clock.now();
          await repo.insert(trx, {
            kind: row.kind,
            payload: JSON.stringify(next.payload ?? null),
            runAfter: now + next.intervalMs,
            maxAttempts: row.max_attempts,
            dedupeKey: periodicKey(row.kind),
            createdBy: undefined,
            now,
          });
        }
      });
      // Room for another job of this kind; and a periodic kind's next instance is due after its interval.
      schedule(0);
      if (next) schedule(next.intervalMs);
      if (settled.status === 'queued') schedule(Math.max(0, settled.runAfter - clock.now()));
    })()
      .catch(onError)
      .finally(() => running.delete(row.id));
    running.set(row.id, { kind: row.kind, attempt, abort, done });
    return done;
  }

  async function tick(): Promise<void> {
    if (stopping) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      await housekeeping();
      // The runs settle on their own (their errors go to onError); the next poll does not wait for them.
      void (await claimAndStart(clock.now()));
    } catch (err) {
      onError(err);
    } finally {
      ticking = false;
      schedule(again ? 0 : pollMs);
      again = false;
    }
  }

  /** Polls in `delayMs`, unless a poll is already due sooner. */
  function schedule(delayMs: number): void {
    if (!started || stopping) return;
    const dueAt = Date.now() + delayMs;
    if (timer && dueAt >= timerDueAt) return;
    if (timer) clearTimeout(timer);
    timerDueAt = dueAt;
    timer = setTimeout(() => {
      timer = undefined;
      timerDueAt = Infinity;
      void tick();
    }, delayMs);
    timer.unref();
  }

  return {
    nodeId,

    register<P>(kind: string, handler: JobHandler<P>, kindOptions: JobKindOptions = {}): void {
      if (kind.length === 0 || kind.length > MAX_KIND_LENGTH) throw new RangeError(`job kind "${kind}"`);
      if (kinds.has(kind)) throw new Error(`job kind ${kind} is already registered`);
      kinds.set(kind, {
        handler: handler as JobHandler<unknown>,
        maxAttempts: Math.floor(positive(kindOptions.maxAttempts, DEFAULTS.maxAttempts, 'maxAttempts')),
        concurrency: Math.floor(positive(kindOptions.concurrency, DEFAULTS.concurrency, 'concurrency')),
        backoffMs: kindOptions.backoffMs ?? DEFAULTS.backoffMs,
      });
    },

    async enqueue<P>(
      executor: Executor,
      kind: string,
      payload: P,
      enqueueOptions: EnqueueOptions = {},
    ): Promise<number | undefined> {
      if (kind.length === 0 || kind.length > MAX_KIND_LENGTH) throw new RangeError(`job kind "${kind}"`);
      const now = clock.now();
      const id = await repo.insert(executor, {
        kind,
        payload: JSON.stringify(payload ?? null),
        runAfter: enqueueOptions.runAt ?? now,
        maxAttempts: Math.floor(
          positive(
            enqueueOptions.maxAttempts,
            kinds.get(kind)?.maxAttempts ?? DEFAULTS.maxAttempts,
            'maxAttempts',
          ),
        ),
        dedupeKey: enqueueOptions.dedupeKey,
        createdBy: enqueueOptions.createdBy,
        now,
      });
      // A job enqueued outside a transaction may be due now: look soon rather than at the next poll.
      if (id !== undefined && executor === database.db && started) schedule(0);
      return id;
    },

    every(kind: string, intervalMs: number, payload?: unknown): void {
      if (!kinds.has(kind)) throw new Error(`job kind ${kind} is not registered`);
      periodic.set(kind, { intervalMs: positive(intervalMs, 0, 'intervalMs'), payload });
    },

    start(errorSink?: (err: unknown) => void, failureSink?: (failure: JobRunFailure) => void): void {
      if (errorSink) onError = errorSink;
      if (failureSink) onRunFailed = failureSink;
      if (started) return;
      started = true;
      stopping = false;
      lastHousekeeping = -Infinity;
      schedule(0);
    },

    async stop(): Promise<void> {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      timerDueAt = Infinity;
      const pending = [...running.values()];
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(pending.map((r) => r.done)),
        new Promise<void>((resolve) => {
          timeout = setTimeout(resolve, stopTimeoutMs);
          timeout.unref();
        }),
      ]);
      if (timeout) clearTimeout(timeout);
      for (const [id, run] of running) {
        run.abort.abort(new Error('the job runner is stopping'));
        await repo.release(id, nodeId, run.attempt, clock.now()).catch(onError);
        running.delete(id);
      }
      started = false;
    },

    async runDue(): Promise<number> {
      await ensurePeriodic();
      await failAbandoned(clock.now());
      const dueBy = clock.now();
      let count = 0;
      for (;;) {
        const runs = await claimAndStart(dueBy);
        if (runs.length === 0) {
          // Nothing claimable: wait for this node's own runs (their kinds may be at their limit).
          const own = [...running.values()].map((r) => r.done);
          if (own.length === 0) break;
          await Promise.all(own);
          continue;
        }
        count += runs.length;
        await Promise.all(runs);
      }
      return count;
    },

    async get(id: number): Promise<Job | undefined> {
      const row = await repo.get(id);
      return row && jobOf(row);
    },

    async list(filter: JobFilter = {}): Promise<JobPage> {
      return pageOf(await repo.list(filter));
    },

    async cancel(id: number, by?: number, executor?: Executor): Promise<JobCancelOutcome> {
      const outcome = await repo.cancel(executor ?? database.db, id, by, clock.now());
      // On this node the handler hears it now; on another, at its next lease renewal. Inside a
      // caller's transaction, not before it commits (it could still roll back).
      if (outcome === 'stopping' && executor === undefined) this.signalCancel(id);
      return outcome;
    },

    signalCancel(id: number): void {
      running.get(id)?.abort.abort(new Error('the job was cancelled'));
    },
  };
}
