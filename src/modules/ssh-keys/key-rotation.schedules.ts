import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { DomainError, InvalidInputError, NotFoundError } from '../../platform/errors.js';
import { PermanentJobError, type JobRunner } from '../../platform/jobs/index.js';
import type { AuditActor, AuditService } from '../audit/index.js';
import { firstRun, nextRunAfter, validateCron } from '../rotation/schedules/index.js';
import { SCHEDULE_LIMITS, type ScheduleTiming } from '../rotation/schedules/schedules.types.js';
import { eventOnSshKey } from '../vault/index.js';
import { keyRotationRepository as repo, type KeyScheduleRow } from './key-rotation.repository.js';
import type { KeyRotationInitiator, KeyRotationService } from './key-rotation.service.js';
import {
  KEY_ROTATION_JOBS as JOBS,
  KeyRotationAuditOperation as Op,
  type KeyRotationSchedule,
} from './key-rotation.types.js';

export interface KeyRotationSchedulesDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
  /** The instance's time zone: cron expressions are read in it (as password schedules). */
  readonly timeZone: string;
  readonly jobs: JobRunner;
  readonly rotation: KeyRotationService;
  /** How often the safety-net sweep looks for due schedules (wake-up jobs run them on time). */
  readonly sweepMs: number;
  /** How often pending rotations are reconciled (BULWARK_RECONCILE_SECONDS). */
  readonly reconcileMs: number;
}

/** At most this many due schedules per sweep; the rest on the next one. */
const SWEEP_BATCH = 200;

interface RotateJob {
  readonly scheduleId: number;
  readonly keyId: number;
}

const timingOf = (row: KeyScheduleRow): ScheduleTiming =>
  row.cron !== null
    ? { kind: 'cron', expression: row.cron }
    : { kind: 'interval', days: Number(row.interval_days ?? 1) };

export const describeTiming = (timing: ScheduleTiming): string =>
  timing.kind === 'cron' ? `on cron "${timing.expression}"` : `every ${timing.days} day(s)`;

/** Who set a schedule, for the schedule row: a user, or the local operator (null). */
function setterOf(who: KeyRotationInitiator, actor: AuditActor): { id: number | null; name: string } {
  if ('principal' in who) return { id: who.principal.userId, name: who.principal.username };
  return { id: null, name: `${actor.username} (local operator)` };
}

export type KeyRotationSchedules = ReturnType<typeof createKeyRotationSchedules>;

/**
 * Scheduled key rotation (ADR 035), timed like password schedules (ADR 029, their croner parsing
 * and next-run rules reused): at most one schedule per key, every N days or a cron expression.
 * Setting or removing one needs what rotating the key now needs. A due schedule is claimed
 * conditionally on its planned time (one node wins) and queues `ssh-key-rotation.rotate`,
 * deduplicated per key, in the same transaction: each due run rotates exactly once across nodes.
 * The run acts as the system within its creator's live access.
 */
export function createKeyRotationSchedules(deps: KeyRotationSchedulesDeps) {
  const { database, audit, clock, timeZone, jobs, rotation } = deps;
  const db = database.db;

  function checkTiming(timing: ScheduleTiming, now: number): void {
    if (timing.kind === 'cron') validateCron(timing.expression, timeZone, now);
    else if (
      !Number.isInteger(timing.days) ||
      timing.days < 1 ||
      timing.days > SCHEDULE_LIMITS.maxIntervalDays
    ) {
      throw new InvalidInputError(
        `everyDays must be a whole number of days from 1 to ${SCHEDULE_LIMITS.maxIntervalDays}`,
      );
    }
  }

  function viewOf(row: KeyScheduleRow, keyName: string): KeyRotationSchedule {
    return {
      keyName,
      timing: timingOf(row),
      nextRunAt: Number(row.next_run_at),
      lastRunAt: row.last_run_at === null ? undefined : Number(row.last_run_at),
      lastSummary: row.last_summary ?? undefined,
      createdBy: row.created_by_name,
      modifiedAt: Number(row.modified_at),
    };
  }

  async function wakeAt(executor: Parameters<JobRunner['enqueue']>[0], scheduleId: number, at: number) {
    if (at >= Number.MAX_SAFE_INTEGER) return;
    await jobs.enqueue(
      executor,
      JOBS.wake,
      { scheduleId },
      { runAt: at, dedupeKey: `${JOBS.wake}:${scheduleId}:${at}` },
    );
  }

  /** One due schedule: claimed on its planned time, its rotation queued, its next run planned. */
  async function runSchedule(row: KeyScheduleRow, now: number): Promise<void> {
    await db
      .transaction()
      .execute(async (trx) => {
        const next = nextRunAfter(timingOf(row), Number(row.next_run_at), now, timeZone);
        const queued = await jobs.enqueue<RotateJob>(
          trx,
          JOBS.rotate,
          { scheduleId: Number(row.id), keyId: Number(row.key_id) },
          {
            dedupeKey: `${JOBS.rotate}:${row.key_id}`,
            ...(row.created_by !== null ? { createdBy: Number(row.created_by) } : {}),
          },
        );
        const summary =
          queued === undefined
            ? 'a rotation of the key was already queued or running'
            : `rotation queued (job ${queued})`;
        if (
          !(await repo.claimRun(trx, Number(row.id), Number(row.next_run_at), { at: now, next, summary }))
        ) {
          // Another sweep (or an edit) got there first: this transaction queues nothing.
          throw new ClaimLost();
        }
        await wakeAt(trx, Number(row.id), next);
      })
      .catch((err: unknown) => {
        if (!(err instanceof ClaimLost)) throw err;
      });
  }

  async function sweep(): Promise<number> {
    const now = clock.now();
    const due = await repo.dueSchedules(db, now, SWEEP_BATCH);
    for (const row of due) await runSchedule(row, now);
    return due.length;
  }

  /** The scheduled rotation of one key, as the system within its creator's live access. */
  async function rotateJob({ scheduleId, keyId }: RotateJob) {
    const schedule = await repo.scheduleOf(db, keyId);
    const key = await repo.keyById(db, keyId);
    if (!schedule || Number(schedule.id) !== scheduleId || !key) {
      throw new PermanentJobError('the key or its rotation schedule was removed');
    }
    const creator =
      schedule.created_by === null ? 'operator' : await repo.creator(db, Number(schedule.created_by));
    if (creator === undefined) {
      await repo.setSummary(db, scheduleId, 'not run: its creator is locked or gone');
      throw new PermanentJobError('the schedule was not run: its creator is locked or gone');
    }
    let outcome;
    try {
      outcome = await rotation.rotate({ schedule: creator }, key.name, { trigger: 'schedule' });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      await repo.setSummary(db, scheduleId, `not run: ${err.message}`);
      throw new PermanentJobError(`SSH key rotation not run: ${err.message}`);
    }
    const { rotationId } = outcome.rotation;
    await repo.setSummary(db, scheduleId, `rotation ${rotationId}: ${outcome.outcome}: ${outcome.message}`);
    if (outcome.outcome === 'failed')
      throw new PermanentJobError(`SSH key rotation failed: ${outcome.message}`);
    return { rotationId, outcome: outcome.outcome };
  }

  return {
    /** Sets (or replaces) the key's schedule; the first run at `startAt`, else as password schedules plan it. */
    async set(
      who: KeyRotationInitiator,
      actor: AuditActor,
      name: string,
      timing: ScheduleTiming,
      startAt: number | 'now' | undefined,
    ): Promise<KeyRotationSchedule> {
      const now = clock.now();
      checkTiming(timing, now);
      return db.transaction().execute(async (trx) => {
        const { key } = await rotation.authorize(trx, who, name);
        const first = firstRun(timing, startAt === 'now' ? now : startAt, now, timeZone);
        const setter = setterOf(who, actor);
        await repo.putSchedule(trx, {
          key_id: Number(key.id),
          interval_days: timing.kind === 'interval' ? timing.days : null,
          cron: timing.kind === 'cron' ? timing.expression : null,
          next_run_at: first,
          last_run_at: null,
          last_summary: null,
          created_by: setter.id,
          created_by_name: setter.name,
          created_at: now,
          modified_at: now,
        });
        const row = (await repo.scheduleOf(trx, Number(key.id)))!;
        await wakeAt(trx, Number(row.id), first);
        await audit.append(
          trx,
          actor,
          eventOnSshKey(
            Op.scheduled,
            key.name,
            `${describeTiming(timing)}; next run ${new Date(first).toISOString()}`,
          ),
        );
        return viewOf(row, key.name);
      });
    },

    /** The key's schedule (view access to the key). */
    async show(who: KeyRotationInitiator, name: string): Promise<KeyRotationSchedule> {
      const { key } = await rotation.visible(db, who, name);
      const row = await repo.scheduleOf(db, Number(key.id));
      if (!row) throw new NotFoundError(`SSH key ${key.name} has no rotation schedule`);
      return viewOf(row, key.name);
    },

    /** Removes the key's schedule (as setting one needs). */
    async remove(who: KeyRotationInitiator, actor: AuditActor, name: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const { key } = await rotation.authorize(trx, who, name);
        if (!(await repo.removeSchedule(trx, Number(key.id)))) {
          throw new NotFoundError(`SSH key ${key.name} has no rotation schedule`);
        }
        await audit.append(trx, actor, eventOnSshKey(Op.unscheduled, key.name));
      });
    },

    sweep,

    /** Registers the jobs: scheduled runs, the sweep and its wake-ups, and the periodic reconciliation. */
    registerJobs(): void {
      jobs.register(JOBS.sweep, async () => ({ schedules: await sweep() }), { maxAttempts: 1 });
      jobs.register(JOBS.wake, async () => ({ schedules: await sweep() }), { maxAttempts: 1 });
      // One attempt: a failed rotation was rolled back; the schedule's next run tries again.
      jobs.register<RotateJob>(JOBS.rotate, rotateJob, { maxAttempts: 1, concurrency: 2 });
      jobs.register(JOBS.reconcile, () => rotation.reconcilePending(), { maxAttempts: 1 });
      jobs.every(JOBS.sweep, deps.sweepMs);
      jobs.every(JOBS.reconcile, deps.reconcileMs);
    },
  };
}

/** A due run was claimed by another sweep first. */
class ClaimLost extends Error {
  constructor() {
    super('claimed elsewhere');
  }
}
