import { ConflictError, InvalidInputError, NotFoundError } from '../../../platform/errors.js';
import type { Caller, Principal } from '../../../platform/principal.js';
import { PermanentJobError } from '../../../platform/jobs/jobs.types.js';
import { actorOf, type AuditActor } from '../../audit/index.js';
import { groupNameKey } from '../../resource-groups/resource-groups.types.js';
import {
  BULK_LIMITS,
  runBulkRotation,
  summarize,
  type BulkItemOutcome,
  type BulkSummary,
} from '../bulk-rotation.js';
import { SCHEDULE_JOB_KINDS, ScheduleAuditOperation, type SchedulesContext } from './schedules.context.js';
import { schedulesRepository as repo, type ScopedAccount } from './schedules.repository.js';
import type { ScheduleScope } from './schedules.types.js';

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

/**
 * Bulk rotation of a resource group: as a job started over the API by who may manage the group,
 * or in the CLI's own process for the local operator. Either way it rotates only the accounts the
 * starter may change (all of them for the local operator), with bounded concurrency and a
 * timeout per target.
 */
export function groupRotation(ctx: SchedulesContext) {
  const { db, audit, settings, jobs, rotation, principalOf, permittedAccounts } = ctx;

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
    rotateGroup,
    bulkResult,

    /** Registers the bulk rotation job on the job runner. */
    registerJobs(): void {
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
      const group = await ctx.manageableGroup(caller, groupId);
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
