import type { Clock } from '../../../platform/clock.js';
import type { Database, Executor } from '../../../platform/db/database.js';
import { isUniqueViolation } from '../../../platform/db/errors.js';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  NotPermittedError,
} from '../../../platform/errors.js';
import type { Caller, Principal } from '../../../platform/principal.js';
import { PermanentJobError, type JobRunner } from '../../../platform/jobs/jobs.types.js';
import { allows, type AccessPolicy } from '../../access/index.js';
import { actorOf, type AuditActor, type AuditEvent, type AuditService } from '../../audit/index.js';
import type { PolicyCatalog } from '../../policies/index.js';
import type { GroupMembership } from '../../resource-groups/index.js';
import { groupNameKey } from '../../resource-groups/resource-groups.types.js';
import {
  BULK_LIMITS,
  runBulkRotation,
  summarize,
  type BulkItemOutcome,
  type BulkSummary,
} from '../bulk-rotation.js';
import type { RotationService } from '../rotation.types.js';
import {
  schedulesRepository as repo,
  scopeOf,
  type ScheduleRow,
  type ScopedAccount,
} from './schedules.repository.js';
import {
  firstRun,
  isExpired,
  nextRunAfter,
  scheduleNameKey,
  validateCron,
  type Schedule,
  type ScheduleDraft,
  type SchedulePatch,
  type ScheduleScope,
  type ScheduleTiming,
} from './schedules.types.js';

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

/** Schedules run as the system; audit records of their rotations say so. */
const SCHEDULER: AuditActor = { userId: null, username: 'System', clientIp: '127.0.0.1', client: 'System' };

/** A scheduled verification that has not ended after this long is abandoned (the job fails). */
const VERIFY_GUARD_MS = 600_000;

/** At most this many due schedules per sweep run; the rest on the next. */
const SWEEP_BATCH = 200;

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
  readonly manageableGroup: (caller: Caller, groupId: number) => Promise<{ id: number; name: string }>;
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

interface VerifyJob {
  readonly accountId: number;
  readonly scheduleId: number;
}

interface BulkJob {
  readonly groupId: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly actor: AuditActor;
}

/** What a bulk rotation job stores as its result (readable over the jobs API; no secret). */
export interface BulkJobResult {
  readonly group: string;
  readonly total: number;
  readonly changed: number;
  readonly failed: readonly { account: string; reason?: string; message: string }[];
  readonly unsettled: readonly { account: string; reason?: string; message: string }[];
  readonly skipped: readonly { account: string; reason?: string; message: string }[];
  readonly elapsedMs: number;
}

export type RotationSchedulesService = ReturnType<typeof createRotationSchedulesService>;

/**
 * Rotation and verification schedules (ADR 029) and bulk rotation of a resource group. A schedule
 * is authorised like a change of the passwords it covers (modify access on the account or
 * resource; management of the group) when it is created or changed, and runs as the system
 * within its creator's live access: each run rotates only the accounts its creator may still
 * change. The sweep (a periodic job) enqueues one job per account, deduplicated per account so a
 * slow rotation is never doubled.
 */
export function createRotationSchedulesService(deps: RotationSchedulesDeps) {
  const { database, audit, clock, timeZone, access, policies, groups, jobs, rotation } = deps;
  const settings = deps.settings ?? DEFAULT_SCHEDULE_SETTINGS;
  const db = database.db;

  const notFound = (id: number | string) =>
    new NotFoundError(`Rotation schedule ${id} does not exist or is not accessible to you`);

  function scopeLabel(scope: ScheduleScope): string {
    return scope.kind === 'group' ? 'resource group' : scope.kind;
  }

  /**
   * Whether `principal` may change the passwords the scope covers: modify access on the account or
   * the resource, management of the group. Answers the scope's name; NotFound when it is not visible.
   */
  async function authoriseScope(executor: Executor, caller: Caller, scope: ScheduleScope): Promise<string> {
    if (scope.kind === 'group') return (await deps.manageableGroup(caller, scope.id)).name;
    const target = await repo.scopeTarget(executor, scope);
    const missing = new NotFoundError(
      `${scope.kind === 'account' ? 'Account' : 'Resource'} ${scope.id} does not exist or is not accessible to you`,
    );
    if (!target) throw missing;
    const permission =
      scope.kind === 'account'
        ? await access.accountPermission(executor, caller.principal, {
            id: scope.id,
            ownerId: target.ownerId,
            resource: target.resource!,
          })
        : await access.resourcePermission(executor, caller.principal, {
            id: scope.id,
            ownerId: target.ownerId,
          });
    if (permission === 'none') throw missing;
    if (!allows(permission, 'modify'))
      throw new NotPermittedError(
        `You are not allowed to change the passwords of ${scope.kind} ${target.name}`,
      );
    return target.name;
  }

  /** A schedule the caller may see and change: its creator, a super administrator, or who may change its scope. */
  async function managedSchedule(executor: Executor, caller: Caller, id: number) {
    const row = await repo.findById(executor, id);
    if (!row) throw notFound(id);
    let scopeName: string;
    try {
      scopeName = await authoriseScope(executor, caller, scopeOf(row));
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof NotPermittedError) {
        if (err instanceof NotPermittedError && row.created_by === caller.principal.userId) throw err;
        throw notFound(id);
      }
      throw err;
    }
    return { row, scopeName };
  }

  async function view(executor: Executor, row: ScheduleRow, scopeName: string): Promise<Schedule> {
    const creator = await repo.creator(executor, row.created_by);
    return {
      id: row.id,
      name: row.name,
      action: row.action,
      scope: scopeOf(row),
      scopeName,
      timing: timingOf(row),
      onlyExpired: row.only_expired === 1,
      enabled: row.enabled === 1,
      nextRunAt: row.next_run_at,
      lastRunAt: row.last_run_at ?? undefined,
      lastSummary: row.last_summary ?? undefined,
      createdBy: creator?.username ?? String(row.created_by),
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
    };
  }

  function checkTiming(timing: ScheduleTiming): void {
    if (timing.kind === 'cron') validateCron(timing.expression, timeZone, clock.now());
  }

  function event(
    operation: string,
    row: { name: string },
    scope: ScheduleScope,
    scopeName: string,
    detail?: string,
  ): AuditEvent {
    return {
      auditType: scope.kind === 'group' ? 'User' : 'Resource',
      operation,
      ...(scope.kind === 'resource' ? { resourceId: scope.id, resourceName: scopeName } : {}),
      ...(scope.kind === 'account' ? { accountId: scope.id, accountName: scopeName } : {}),
      reason:
        `Rotation schedule: ${row.name}; ${scopeLabel(scope)} ${scopeName}${detail ? `; ${detail}` : ''}`.slice(
          0,
          1000,
        ),
    };
  }

  function describe(action: string, timing: ScheduleTiming, onlyExpired: boolean, enabled: boolean): string {
    const when = timing.kind === 'interval' ? `every ${timing.days} day(s)` : `cron ${timing.expression}`;
    return `${action} ${when}${onlyExpired ? ', only expired passwords' : ''}${enabled ? '' : ', disabled'}`;
  }

  // ---- runs ---------------------------------------------------------------------------------

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
              ? await deps.queueRotation(trx, account.accountId, SCHEDULER)
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

  // ---- bulk rotation ------------------------------------------------------------------------

  function label(a: ScopedAccount): string {
    return `${a.resourceName}/${a.accountName}`;
  }

  function skipped(a: ScopedAccount, reason: BulkItemOutcome['reason'], message: string): BulkItemOutcome {
    return { accountId: a.accountId, label: label(a), status: 'skipped', reason, message, elapsedMs: 0 };
  }

  /**
   * Rotates every account of the group that `principal` may change (all of them for the local
   * operator, `principal` undefined), with bounded concurrency and a timeout per target.
   */
  async function rotateGroup(
    actor: AuditActor,
    principal: Principal | undefined,
    groupId: number,
    options: {
      concurrency: number;
      timeoutMs: number;
      signal?: AbortSignal;
      onItem?: (outcome: BulkItemOutcome, done: number, total: number) => void | Promise<void>;
      onStart?: (total: number) => void | Promise<void>;
    },
  ): Promise<BulkSummary & { group: string }> {
    const group = await db
      .selectFrom('resource_groups')
      .select('name')
      .where('id', '=', groupId)
      .executeTakeFirst();
    if (!group) throw new NotFoundError(`Resource group ${groupId} does not exist`);
    const scope: ScheduleScope = { kind: 'group', id: groupId };
    const { allowed, refused } = principal
      ? await permittedAccounts(db, principal, scope)
      : { allowed: await repo.accountsIn(db, scope), refused: [] };
    const pre: BulkItemOutcome[] = refused.map((a) =>
      skipped(a, 'not-permitted', 'not attempted: you may not change this password'),
    );
    const targets = [];
    for (const a of allowed) {
      if (a.resetsDisabled) pre.push(skipped(a, 'disabled', 'not attempted: password resets are disabled'));
      else targets.push({ accountId: a.accountId, label: label(a) });
    }
    await options.onStart?.(targets.length);
    const result = await runBulkRotation(
      targets,
      (target, timeoutMs) => rotation.rotateToGenerated(actor, target.accountId, 'bulk', { timeoutMs }),
      options,
    );
    return { ...summarize([...result.outcomes, ...pre], result.elapsedMs), group: group.name };
  }

  function bulkResult(summary: BulkSummary & { group: string }): BulkJobResult {
    const item = (o: BulkItemOutcome) => ({
      account: o.label,
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
      message: o.message,
    });
    return {
      group: summary.group,
      total: summary.total,
      changed: summary.changed,
      failed: summary.failed.map(item),
      unsettled: summary.unsettled.map(item),
      skipped: summary.skipped.map(item),
      elapsedMs: Math.round(summary.elapsedMs),
    };
  }

  function boundedConcurrency(value: number | undefined): number {
    const n = value ?? settings.bulkConcurrency;
    if (!Number.isInteger(n) || n < 1 || n > BULK_LIMITS.maxConcurrency)
      throw new InvalidInputError(
        `CONCURRENCY must be a whole number from 1 to ${BULK_LIMITS.maxConcurrency}`,
      );
    return n;
  }

  function boundedTimeout(seconds: number | undefined): number {
    const ms = seconds === undefined ? settings.bulkTimeoutMs : seconds * 1000;
    if (!Number.isFinite(ms) || ms < BULK_LIMITS.minTimeoutMs || ms > BULK_LIMITS.maxTimeoutMs)
      throw new InvalidInputError(
        `TIMEOUT must be from ${BULK_LIMITS.minTimeoutMs / 1000} to ${BULK_LIMITS.maxTimeoutMs / 1000} seconds`,
      );
    return ms;
  }

  return {
    /** Registers the job kinds and the periodic sweep on the job runner (once, when services are built). */
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
      jobs.register<BulkJob>(
        SCHEDULE_JOB_KINDS.bulk,
        async (payload, ctx) => {
          const principal =
            payload.actor.userId === null ? undefined : await principalOf(db, payload.actor.userId);
          if (payload.actor.userId !== null && !principal)
            throw new PermanentJobError('The user who started the bulk rotation is locked or deleted');
          let total = 0;
          const summary = await rotateGroup(payload.actor, principal, payload.groupId, {
            concurrency: payload.concurrency,
            timeoutMs: payload.timeoutMs,
            signal: ctx.signal,
            onStart: async (n) => {
              total = n;
              await ctx.progress(0, n, 'starting');
            },
            onItem: async (outcome, done) => {
              await ctx.progress(done, total, `${outcome.label}: ${outcome.status}`.slice(0, 500));
            },
          });
          return bulkResult(summary);
        },
        // Never re-run a bulk rotation on its own: an operator starts another.
        { maxAttempts: 1, concurrency: 2 },
      );
      jobs.every(SCHEDULE_JOB_KINDS.sweep, settings.sweepMs);
    },

    sweep,
    rotateGroup,
    bulkResult,

    async create(caller: Caller, draft: ScheduleDraft): Promise<Schedule> {
      if (draft.action === 'verify' && draft.onlyExpired)
        throw new InvalidInputError('ONLYEXPIRED applies to rotation schedules, not to verification');
      checkTiming(draft.timing);
      const now = clock.now();
      try {
        return await db.transaction().execute(async (trx) => {
          const scopeName = await authoriseScope(trx, caller, draft.scope);
          if (await repo.findByKey(trx, scheduleNameKey(draft.name)))
            throw new ConflictError(`Rotation schedule ${draft.name} already exists`);
          const id = await repo.insert(trx, {
            name: draft.name.trim(),
            name_key: scheduleNameKey(draft.name),
            action: draft.action,
            account_id: draft.scope.kind === 'account' ? draft.scope.id : null,
            resource_id: draft.scope.kind === 'resource' ? draft.scope.id : null,
            resource_group_id: draft.scope.kind === 'group' ? draft.scope.id : null,
            interval_days: draft.timing.kind === 'interval' ? draft.timing.days : null,
            cron: draft.timing.kind === 'cron' ? draft.timing.expression : null,
            only_expired: draft.onlyExpired ? 1 : 0,
            enabled: draft.enabled ? 1 : 0,
            next_run_at: firstRun(draft.timing, draft.startAt === 'now' ? now : draft.startAt, now, timeZone),
            last_run_at: null,
            last_summary: null,
            created_by: caller.principal.userId,
            created_at: now,
            modified_at: now,
          });
          const created = (await repo.findById(trx, id))!;
          if (created.enabled === 1) await wakeAt(trx, id, created.next_run_at);
          await audit.append(
            trx,
            actorOf(caller),
            event(
              ScheduleAuditOperation.created,
              draft,
              draft.scope,
              scopeName,
              describe(draft.action, draft.timing, draft.onlyExpired, draft.enabled),
            ),
          );
          return view(trx, created, scopeName);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`Rotation schedule ${draft.name} already exists`);
        throw err;
      }
    },

    /** The schedules the caller may change (all of them for a super administrator). */
    async list(caller: Caller): Promise<Schedule[]> {
      const out: Schedule[] = [];
      for (const row of await repo.list(db)) {
        try {
          const scopeName = await authoriseScope(db, caller, scopeOf(row));
          out.push(await view(db, row, scopeName));
        } catch (err) {
          if (!(err instanceof NotFoundError) && !(err instanceof NotPermittedError)) throw err;
        }
      }
      return out;
    },

    async get(caller: Caller, id: number): Promise<Schedule> {
      const { row, scopeName } = await managedSchedule(db, caller, id);
      return view(db, row, scopeName);
    },

    async edit(caller: Caller, id: number, patch: SchedulePatch): Promise<Schedule> {
      if (patch.timing) checkTiming(patch.timing);
      const now = clock.now();
      try {
        return await db.transaction().execute(async (trx) => {
          const { row, scopeName } = await managedSchedule(trx, caller, id);
          const action = patch.action ?? row.action;
          const onlyExpired = patch.onlyExpired ?? row.only_expired === 1;
          if (action === 'verify' && onlyExpired)
            throw new InvalidInputError('ONLYEXPIRED applies to rotation schedules, not to verification');
          const timing = patch.timing ?? timingOf(row);
          const enabled = patch.enabled ?? row.enabled === 1;
          const set: Partial<Omit<ScheduleRow, 'id'>> = {
            action,
            only_expired: onlyExpired ? 1 : 0,
            enabled: enabled ? 1 : 0,
            interval_days: timing.kind === 'interval' ? timing.days : null,
            cron: timing.kind === 'cron' ? timing.expression : null,
            modified_at: now,
          };
          if (patch.name !== undefined) {
            const other = await repo.findByKey(trx, scheduleNameKey(patch.name));
            if (other && other.id !== id)
              throw new ConflictError(`Rotation schedule ${patch.name} already exists`);
            set.name = patch.name.trim();
            set.name_key = scheduleNameKey(patch.name);
          }
          // A new timing or start replans; re-enabling a schedule that was due while disabled does not run a backlog.
          if (patch.timing !== undefined || patch.startAt !== undefined)
            set.next_run_at = firstRun(timing, patch.startAt === 'now' ? now : patch.startAt, now, timeZone);
          else if (patch.enabled === true && row.enabled === 0 && row.next_run_at < now)
            set.next_run_at = nextRunAfter(timing, row.next_run_at, now, timeZone);
          await repo.update(trx, id, set);
          const edited = (await repo.findById(trx, id))!;
          if (edited.enabled === 1 && (edited.next_run_at !== row.next_run_at || row.enabled === 0))
            await wakeAt(trx, id, edited.next_run_at);
          await audit.append(
            trx,
            actorOf(caller),
            event(
              ScheduleAuditOperation.modified,
              { name: set.name ?? row.name },
              scopeOf(row),
              scopeName,
              describe(action, timing, onlyExpired, enabled),
            ),
          );
          return view(trx, edited, scopeName);
        });
      } catch (err) {
        if (isUniqueViolation(err))
          throw new ConflictError(`Rotation schedule ${patch.name ?? id} already exists`);
        throw err;
      }
    },

    async delete(caller: Caller, id: number): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const { row, scopeName } = await managedSchedule(trx, caller, id);
        await repo.delete(trx, id);
        await audit.append(
          trx,
          actorOf(caller),
          event(ScheduleAuditOperation.deleted, row, scopeOf(row), scopeName),
        );
        return row.name;
      });
    },

    /**
     * `POST /resourcegroup/{id}/rotate`: who may manage the group starts a bulk rotation job; it
     * rotates the accounts the caller may change. Answers the job id (progress over the jobs API).
     */
    async startBulk(
      caller: Caller,
      groupId: number,
      options: { concurrency?: number; timeoutSeconds?: number },
    ): Promise<{ jobId: number; group: string }> {
      const concurrency = boundedConcurrency(options.concurrency);
      const timeoutMs = boundedTimeout(options.timeoutSeconds);
      const group = await deps.manageableGroup(caller, groupId);
      return db.transaction().execute(async (trx) => {
        const jobId = await jobs.enqueue<BulkJob>(
          trx,
          SCHEDULE_JOB_KINDS.bulk,
          { groupId, concurrency, timeoutMs, actor: actorOf(caller) },
          { dedupeKey: `${SCHEDULE_JOB_KINDS.bulk}:${groupId}`, createdBy: caller.principal.userId },
        );
        if (jobId === undefined)
          throw new ConflictError(
            `A bulk rotation of resource group ${group.name} is already queued or running`,
          );
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: ScheduleAuditOperation.bulkStarted,
          reason: `Resource group: ${group.name}; job ${jobId}; concurrency ${concurrency}, timeout ${timeoutMs / 1000} s`,
        });
        return { jobId, group: group.name };
      });
    },

    /** The CLI's bulk rotation (it runs in the CLI's process, not as a job): audited when it starts. */
    async recordBulkStart(
      actor: AuditActor,
      groupId: number,
      run: { total: number; concurrency: number; timeoutMs: number },
    ): Promise<void> {
      const group = await db
        .selectFrom('resource_groups')
        .select('name')
        .where('id', '=', groupId)
        .executeTakeFirstOrThrow();
      await db.transaction().execute((trx) =>
        audit.append(trx, actor, {
          auditType: 'User',
          operation: ScheduleAuditOperation.bulkStarted,
          reason: `Resource group: ${group.name}; ${run.total} account(s); concurrency ${run.concurrency}, timeout ${run.timeoutMs / 1000} s`,
        }),
      );
    },

    /** The CLI: a group by name or id, for the local operator. */
    async groupIdOf(nameOrId: string): Promise<number> {
      const byName = await db
        .selectFrom('resource_groups')
        .select('id')
        .where('name_key', '=', groupNameKey(nameOrId))
        .executeTakeFirst();
      if (byName) return Number(byName.id);
      if (/^\d{1,15}$/.test(nameOrId)) {
        const byId = await db
          .selectFrom('resource_groups')
          .select('id')
          .where('id', '=', Number(nameOrId))
          .executeTakeFirst();
        if (byId) return Number(byId.id);
      }
      throw new NotFoundError(`Resource group ${nameOrId} does not exist`);
    },

    boundedConcurrency,
    boundedTimeout,
  };
}

function timingOf(row: ScheduleRow): ScheduleTiming {
  return row.cron !== null
    ? { kind: 'cron', expression: row.cron }
    : { kind: 'interval', days: row.interval_days ?? 1 };
}
