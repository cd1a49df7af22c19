import type { Executor } from '../../../platform/db/database.js';
import { isUniqueViolation } from '../../../platform/db/errors.js';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  NotPermittedError,
} from '../../../platform/errors.js';
import type { Caller } from '../../../platform/principal.js';
import { allows } from '../../access/index.js';
import { actorOf, type AuditEvent } from '../../audit/index.js';
import { ScheduleAuditOperation, timingOf, type SchedulesContext } from './schedules.context.js';
import { schedulesRepository as repo, scopeOf, type ScheduleRow } from './schedules.repository.js';
import {
  firstRun,
  nextRunAfter,
  scheduleNameKey,
  validateCron,
  type Schedule,
  type ScheduleDraft,
  type SchedulePatch,
  type ScheduleScope,
  type ScheduleTiming,
} from './schedules.types.js';

/**
 * Creating, reading, changing and deleting schedules (ADR 029). A schedule is authorised like a
 * change of the passwords it covers (modify access on the account or resource; management of the
 * group) when it is created, read or changed; one the caller may not change answers exactly like
 * one that does not exist, except to its own creator, who is told that access is refused.
 */
export function scheduleOperations(ctx: SchedulesContext) {
  const { db, audit, clock, timeZone, access, wakeAt } = ctx;

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
    if (scope.kind === 'group') return (await ctx.manageableGroup(caller, scope.id, executor)).name;
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

  return {
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
  };
}
