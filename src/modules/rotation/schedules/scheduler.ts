import type { Executor } from '../../../platform/db/database.js';
import { PermanentJobError } from '../../../platform/jobs/jobs.types.js';
import type { AuditActor } from '../../audit/index.js';
import { SCHEDULE_JOB_KINDS, timingOf, type SchedulesContext } from './schedules.context.js';
import {
  schedulesRepository as repo,
  scopeOf,
  type ScheduleRow,
  type ScopedAccount,
} from './schedules.repository.js';
import { isExpired, nextRunAfter } from './schedules.types.js';

/** Schedules run as the system; audit records of their rotations say so. */
const SCHEDULER: AuditActor = { userId: null, username: 'System', clientIp: '127.0.0.1', client: 'System' };

/** A scheduled verification that has not ended after this long is abandoned (the job fails). */
const VERIFY_GUARD_MS = 600_000;

/** At most this many due schedules per sweep run; the rest on the next. */
const SWEEP_BATCH = 200;

interface VerifyJob {
  readonly accountId: number;
  readonly scheduleId: number;
}

/**
 * The scheduler: the sweep finds due schedules and runs each as the system within its creator's
 * live access (each run queues only the accounts its creator may still change). It enqueues one
 * job per account, deduplicated per account so a slow rotation is never doubled, and plans the
 * schedule's next run in the same transaction.
 */
export function scheduler(ctx: SchedulesContext) {
  const { db, clock, timeZone, policies, groups, jobs, rotation, principalOf, permittedAccounts, wakeAt } =
    ctx;

  /** The validity of each account's governing policy (account, resource, resource group, default). */
  async function validityDaysOf(executor: Executor, account: ScopedAccount): Promise<number> {
    const groupPolicy =
      account.accountPolicy === null && account.resourcePolicy === null
        ? await groups.policyOf(executor, account.resourceId)
        : undefined;
    const policy = await policies.effective(executor, [
      account.accountPolicy,
      account.resourcePolicy,
      groupPolicy,
    ]);
    return policy.rules.validityDays;
  }

  /** One due schedule: enqueue its jobs and plan its next run, in one transaction. */
  async function runSchedule(row: ScheduleRow, now: number): Promise<string | undefined> {
    return db.transaction().execute(async (trx) => {
      const next = nextRunAfter(timingOf(row), row.next_run_at, now, timeZone);
      // Claimed first, conditionally on the planned time: a sweep on another node (or an edit)
      // that got there first wins, and this one queues nothing.
      if (!(await repo.recordRun(trx, row.id, row.next_run_at, { at: now, next, summary: 'running' })))
        return undefined;
      let summary: string;
      const principal = await principalOf(trx, row.created_by);
      if (!principal) {
        summary = 'not run: its creator is locked';
      } else {
        const { allowed, refused } = await permittedAccounts(trx, principal, scopeOf(row));
        let queued = 0;
        let already = 0;
        let notExpired = 0;
        let disabled = 0;
        for (const account of allowed) {
          if (row.action === 'rotate' && account.resetsDisabled) {
            disabled++;
            continue;
          }
          if (
            row.action === 'rotate' &&
            row.only_expired === 1 &&
            !isExpired(account.passwordChangedAt, await validityDaysOf(trx, account), now)
          ) {
            notExpired++;
            continue;
          }
          // One unfinished job per account and action: a slow rotation is never doubled.
          const id =
            row.action === 'rotate'
              ? await ctx.queueRotation(trx, account.accountId, SCHEDULER)
              : await jobs.enqueue<VerifyJob>(
                  trx,
                  SCHEDULE_JOB_KINDS.verify,
                  { accountId: account.accountId, scheduleId: row.id },
                  {
                    dedupeKey: `${SCHEDULE_JOB_KINDS.verify}:${account.accountId}`,
                    createdBy: row.created_by,
                  },
                );
          if (id === undefined) already++;
          else queued++;
        }
        const parts = [`${queued} job(s) queued`];
        if (already > 0) parts.push(`${already} already queued or running`);
        if (notExpired > 0) parts.push(`${notExpired} not expired`);
        if (disabled > 0) parts.push(`${disabled} with password resets disabled`);
        if (refused.length > 0) parts.push(`${refused.length} its creator may no longer change`);
        summary = parts.join(', ');
      }
      await repo.update(trx, row.id, { last_summary: summary });
      await wakeAt(trx, row.id, next);
      return summary;
    });
  }

  /** The periodic sweep: every due schedule, once. Answers how many schedules ran. */
  async function sweep(): Promise<number> {
    const now = clock.now();
    const due = await repo.due(db, now, SWEEP_BATCH);
    for (const row of due) await runSchedule(row, now);
    return due.length;
  }

  return {
    sweep,

    /** Registers the sweep, its wake-ups and the verification of one account on the job runner. */
    registerJobs(): void {
      jobs.register(SCHEDULE_JOB_KINDS.sweep, async () => ({ schedules: await sweep() }), { maxAttempts: 1 });
      jobs.register(SCHEDULE_JOB_KINDS.wake, async () => ({ schedules: await sweep() }), { maxAttempts: 1 });
      jobs.register<VerifyJob>(
        SCHEDULE_JOB_KINDS.verify,
        async ({ accountId }) => {
          // The rotation service audits `Password Verification Failed` itself when refused.
          // The rotation service's own bound per target (BULWARK_REMOTE_TIMEOUT_SECONDS); the
          // guard only keeps a verification that never answers from holding a worker for good.
          let timer: NodeJS.Timeout | undefined;
          const guard = new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new PermanentJobError('Password verification: no answer within the guard time')),
              VERIFY_GUARD_MS,
            );
          });
          const outcome = await Promise.race([rotation.verify(SCHEDULER, accountId), guard]).finally(() =>
            clearTimeout(timer),
          );
          if (outcome.status !== 'opens')
            throw new PermanentJobError(`Password verification: ${outcome.status}: ${outcome.message}`);
          return { status: outcome.status };
        },
        { maxAttempts: 1, concurrency: 4 },
      );
    },
  };
}
