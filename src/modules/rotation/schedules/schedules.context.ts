import type { Clock } from '../../../platform/clock.js';
import type { Database, Executor } from '../../../platform/db/database.js';
import type { Caller, Principal } from '../../../platform/principal.js';
import type { JobRunner } from '../../../platform/jobs/jobs.types.js';
import { allows, type AccessPolicy } from '../../access/index.js';
import type { AuditActor, AuditService } from '../../audit/index.js';
import type { PolicyCatalog } from '../../policies/index.js';
import type { GroupMembership } from '../../resource-groups/index.js';
import type { RotationService } from '../rotation.types.js';
import { schedulesRepository as repo, type ScheduleRow, type ScopedAccount } from './schedules.repository.js';
import type { ScheduleScope, ScheduleTiming } from './schedules.types.js';

/** Audit operation names of this module (OPERATIONTYPE). */
export const ScheduleAuditOperation = {
  created: 'Rotation Schedule Created',
  modified: 'Rotation Schedule Modified',
  deleted: 'Rotation Schedule Deleted',
  bulkStarted: 'Bulk Rotation Started',
} as const;

/** Job kinds this module registers on the job runner. */
export const SCHEDULE_JOB_KINDS = {
  sweep: 'rotation-schedules.sweep',
  /** A sweep at one schedule's next run, queued when it is planned: schedules run on time. */
  wake: 'rotation-schedules.wake',
  verify: 'verification.account',
  bulk: 'rotation.bulk',
} as const;

export interface ScheduleSettings {
  /**
   * How often the periodic sweep looks for due schedules. A schedule also queues a sweep at its
   * own next run (a wake-up job), so this is only the safety net for a lost wake-up.
   */
  readonly sweepMs: number;
  /** Bulk rotation defaults (API and CLI may override within BULK_LIMITS). */
  readonly bulkConcurrency: number;
  readonly bulkTimeoutMs: number;
}

export const DEFAULT_SCHEDULE_SETTINGS: ScheduleSettings = {
  sweepMs: 300_000,
  bulkConcurrency: 8,
  bulkTimeoutMs: 30_000,
};

export interface RotationSchedulesDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
  /** The instance's time zone: cron expressions are read in it. */
  readonly timeZone: string;
  readonly access: AccessPolicy;
  readonly policies: Pick<PolicyCatalog, 'effective'>;
  readonly groups: Pick<GroupMembership, 'policyOf'>;
  /** Whether the caller may manage the group (owner, super administrator, fullaccess grantee); throws otherwise. */
  readonly manageableGroup: (
    caller: Caller,
    groupId: number,
    executor?: Executor,
  ) => Promise<{ id: number; name: string }>;
  readonly jobs: JobRunner;
  readonly rotation: Pick<RotationService, 'rotateToGenerated' | 'verify'>;
  /**
   * Queues the rotation of one account to a fresh password in the caller's transaction (the
   * rotation module's job, deduplicated per account with every other queued rotation of it);
   * undefined when one is already queued or running.
   */
  readonly queueRotation: (
    executor: Executor,
    accountId: number,
    actor: AuditActor,
  ) => Promise<number | undefined>;
  readonly settings?: ScheduleSettings;
}

export type SchedulesContext = ReturnType<typeof createSchedulesContext>;

/**
 * What the schedule management, the scheduler and bulk rotation share: their dependencies with
 * the settings resolved, and the helpers more than one of them needs (the live-access ceiling of
 * a run, the wake-up of a schedule at its next run).
 */
export function createSchedulesContext(deps: RotationSchedulesDeps) {
  const { access, jobs } = deps;
  const settings = deps.settings ?? DEFAULT_SCHEDULE_SETTINGS;
  const db = deps.database.db;

  /** The creator as a principal, for the live-access ceiling of each run; undefined when gone or locked. */
  async function principalOf(executor: Executor, userId: number): Promise<Principal | undefined> {
    return repo.creator(executor, userId);
  }

  /** The accounts of `scope` that `principal` may change now (modify access), split into allowed and refused. */
  async function permittedAccounts(
    executor: Executor,
    principal: Principal,
    scope: ScheduleScope,
  ): Promise<{ allowed: ScopedAccount[]; refused: ScopedAccount[] }> {
    const accounts = await repo.accountsIn(executor, scope);
    const allowed: ScopedAccount[] = [];
    const refused: ScopedAccount[] = [];
    for (const a of accounts) {
      const permission = await access.accountPermission(executor, principal, {
        id: a.accountId,
        ownerId: a.accountOwnerId,
        resource: { id: a.resourceId, ownerId: a.resourceOwnerId },
      });
      (allows(permission, 'modify') ? allowed : refused).push(a);
    }
    return { allowed, refused };
  }

  /** Queues a sweep at a schedule's next run (in the caller's transaction), so it runs on time. */
  async function wakeAt(executor: Executor, scheduleId: number, at: number): Promise<void> {
    if (at >= Number.MAX_SAFE_INTEGER) return;
    await jobs.enqueue(
      executor,
      SCHEDULE_JOB_KINDS.wake,
      { scheduleId },
      {
        runAt: at,
        dedupeKey: `${SCHEDULE_JOB_KINDS.wake}:${scheduleId}:${at}`,
      },
    );
  }

  return { ...deps, settings, db, principalOf, permittedAccounts, wakeAt };
}

/** A schedule row's timing: its cron expression when it has one, else its interval in days. */
export function timingOf(row: ScheduleRow): ScheduleTiming {
  return row.cron !== null
    ? { kind: 'cron', expression: row.cron }
    : { kind: 'interval', days: row.interval_days ?? 1 };
}
