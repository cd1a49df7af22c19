import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import {
  ConflictError,
  DomainError,
  InvalidInputError,
  NotFoundError,
  NotPermittedError,
  OperationNotAvailableError,
} from '../../platform/errors.js';
import { PermanentJobError, type JobRunner } from '../../platform/jobs/index.js';
import type { Caller } from '../../platform/principal.js';
import { allows, type AccessPolicy } from '../access/index.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import { logWithoutMessage, RemoteChangeFailure, type AccountKeys } from '../rotation/index.js';
import { nameKey, resourceLookup } from '../vault/index.js';
import { discoveryItems, runBounded } from './discovery-runs.js';
import {
  discoveryRepository as repo,
  type NewAccount,
  type NewFinding,
  type ResourceRef,
} from './discovery.repository.js';
import { findingsView, type FindingsViews } from './discovery-views.js';
import {
  bitsOfBlob,
  DISCOVERY_LIMITS,
  type DiscoveryFailureReason,
  type DiscoveryItem,
  type GroupDiscoverySummary,
  type ResourceFindings,
} from './discovery.types.js';
import type { KeyHosts } from './key-hosts.js';

/** The job kind of a resource group's discovery. */
export const DISCOVERY_JOB = 'sshkeys.discover-group';

/**
 * Who runs or reads a discovery: an API caller, authorised on each resource, or the local
 * operator of the CLI (`bulwark sshkeys discover`), trusted like `rotate-master-key`.
 */
export type DiscoveryActor = Caller | { readonly operator: AuditActor };

const isOperator = (who: DiscoveryActor): who is { readonly operator: AuditActor } => 'operator' in who;
const auditActorOf = (who: DiscoveryActor): AuditActor => (isOperator(who) ? who.operator : actorOf(who));

export interface SshKeyDiscoveryDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
  readonly keyHosts: Pick<KeyHosts, 'listKeys'>;
  readonly jobs: JobRunner;
  /** A resource group the caller may see, by name (as endpoint 83 finds it); NotFound otherwise. */
  readonly groupIdByName: (caller: Caller, name: string) => Promise<number>;
  /** Defaults of a group run: hosts worked on at once, and each host's timeout. */
  readonly settings?: { readonly concurrency: number; readonly timeoutMs: number };
  readonly log?: (err: unknown, message: string) => void;
}

/** A discovery that did not happen or did not finish: `Failed`, saying why (never a secret). */
export class DiscoveryFailedError extends OperationNotAvailableError {
  constructor(
    readonly resource: string,
    readonly reason: DiscoveryFailureReason,
    readonly why: string,
  ) {
    super(`SSH key discovery on resource ${resource} failed (${reason}): ${why}`);
  }
}

interface GroupJob {
  readonly groupId: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly actor: AuditActor;
}

export interface GroupRunOptions {
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onStart?: (total: number) => void | Promise<void>;
  readonly onItem?: (item: DiscoveryItem, done: number, total: number) => void | Promise<void>;
}

type RunOutcome =
  | { ok: true; accounts: number; keys: number; unknown: number }
  | { ok: false; reason: DiscoveryFailureReason; message: string };

export type SshKeyDiscovery = ReturnType<typeof createSshKeyDiscovery>;

/**
 * SSH key discovery (issue 13, ADR 034): reads every account's authorized_keys on a Linux
 * resource with the resource's remote reset configuration (key-hosts.ts), stores what was found
 * (replacing the last run as a whole), matches each key against the key store by fingerprint,
 * and lists the findings. Running needs full access to the resource (the server logs in with its
 * privileged credentials); reading needs a grant on the resource itself. Applications are refused.
 */
export function createSshKeyDiscovery(deps: SshKeyDiscoveryDeps) {
  const { database, audit, access, clock, keyHosts, jobs } = deps;
  const db = database.db;
  const settings = deps.settings ?? { concurrency: 8, timeoutMs: 30_000 };
  const log = deps.log ?? logWithoutMessage;
  const views: FindingsViews = findingsView({ db, access });

  function refuseApplications(who: DiscoveryActor): void {
    if (isOperator(who)) return;
    const application = who.principal.application;
    if (application)
      throw new NotPermittedError(`The application ${application.name} is not allowed to discover SSH keys`);
  }

  const unknownResource = (name: string) =>
    new NotFoundError(`Resource ${name} does not exist or is not accessible to you`);

  /** The resource by name, holding `needed` on it; an invisible one answers like a missing one. */
  async function resourceFor(
    executor: Executor,
    who: DiscoveryActor,
    name: string,
    needed: 'view' | 'full',
  ): Promise<ResourceRef> {
    const resource = await resourceLookup.byName(executor, name);
    if (!resource) throw unknownResource(name);
    if (isOperator(who)) return resource;
    const permission = await access.resourcePermission(executor, who.principal, resource);
    if (allows(permission, needed)) return resource;
    if (permission === 'none') {
      const reach = await access.reachableAccounts(executor, who.principal, resource);
      if (reach !== 'all' && reach.size === 0) throw unknownResource(name);
    }
    throw new NotPermittedError(
      needed === 'full'
        ? `You are not allowed to discover SSH keys on resource ${resource.name}: it needs full access to the resource`
        : `You are not allowed to see the SSH keys found on resource ${resource.name}: it needs access to the resource itself`,
    );
  }

  /** Accounts and findings of one listing, as stored (an account listed twice is kept once). */
  function rowsOf(accounts: readonly AccountKeys[]): { accounts: NewAccount[]; keys: NewFinding[] } {
    const seen = new Set<string>();
    const outAccounts: NewAccount[] = [];
    const outKeys: NewFinding[] = [];
    for (const a of accounts) {
      if (seen.has(a.user)) continue;
      seen.add(a.user);
      outAccounts.push({
        user_name: a.user,
        file_state: a.file === 'present' && a.truncated ? 'truncated' : a.file,
        invalid_lines: JSON.stringify(
          a.invalid.map((l) => ({ line: l.line, text: l.text, problem: l.problem })),
        ),
      });
      for (const k of a.keys) {
        outKeys.push({
          user_name: a.user,
          line: k.line,
          key_type: k.type,
          bits: bitsOfBlob(k.type, k.blob),
          fingerprint: k.fingerprint,
          public_key: k.comment ? `${k.type} ${k.blob} ${k.comment}` : `${k.type} ${k.blob}`,
          comment: k.comment,
          options: k.options,
        });
      }
    }
    return { accounts: outAccounts, keys: outKeys };
  }

  const eventOn = (resource: ResourceRef, operation: string, reason: string) => ({
    auditType: 'Resource' as const,
    operation,
    resourceId: resource.id,
    resourceName: resource.name,
    accountId: null,
    accountName: null,
    reason,
  });

  /** Records a failed attempt (the last findings stay) and audits it. */
  async function failed(
    actor: AuditActor,
    resource: ResourceRef,
    reason: DiscoveryFailureReason,
    message: string,
  ): Promise<RunOutcome> {
    await db.transaction().execute(async (trx) => {
      await repo.markAttempt(trx, resource.id, {
        at: clock.now(),
        by: actor.username,
        reason,
        error: message,
      });
      await audit.append(
        trx,
        actor,
        eventOn(resource, AuditOperation.sshKeyDiscoveryFailed, `${reason}: ${message}`),
      );
    });
    return { ok: false, reason, message };
  }

  /**
   * One discovery of one resource the caller was authorised on: read, store, audit. A resource
   * that cannot be discovered at all (no configuration, a database target) records nothing: no
   * host was contacted.
   */
  async function runOne(actor: AuditActor, resource: ResourceRef, timeoutMs?: number): Promise<RunOutcome> {
    const kind = await repo.configurationKind(db, resource.id);
    if (kind === undefined) {
      return {
        ok: false,
        reason: 'not-configured',
        message: `resource ${resource.name} has no remote reset configuration: configure it (endpoint 63) with a login account and elevation so the server can read every account's authorized_keys`,
      };
    }
    if (kind !== 'linux') {
      return {
        ok: false,
        reason: 'not-linux',
        message: `resource ${resource.name} is configured as a ${kind} target; SSH keys are discovered on Linux hosts over SSH`,
      };
    }
    let call;
    try {
      call = await keyHosts.listKeys(actor, resource, undefined, timeoutMs ? { timeoutMs } : {});
    } catch (err) {
      if (err instanceof RemoteChangeFailure) return failed(actor, resource, err.reason, err.message);
      if (err instanceof DomainError) throw err;
      // Not a failure the connector understood: its text may quote anything, so it is not repeated.
      log(err, 'SSH key discovery failed unexpectedly');
      return failed(actor, resource, 'protocol', 'the discovery failed unexpectedly (see the server log)');
    }
    const { accounts, keys } = rowsOf(call.result.accounts);
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      await repo.markAttempt(trx, resource.id, { at: now, by: actor.username, reason: null, error: null });
      await repo.replaceFindings(trx, resource.id, {
        at: now,
        by: actor.username,
        host: call.where,
        accounts,
        keys,
      });
      const known = new Set(
        (
          await repo.vaultKeys(
            trx,
            keys.map((k) => k.fingerprint),
          )
        ).map((k) => k.fingerprint),
      );
      const unknown = keys.filter((k) => !known.has(k.fingerprint)).length;
      const withKeys = new Set(keys.map((k) => k.user_name)).size;
      const invalid = accounts.reduce((n, a) => n + (JSON.parse(a.invalid_lines) as unknown[]).length, 0);
      await audit.append(
        trx,
        actor,
        eventOn(
          resource,
          AuditOperation.sshKeysDiscovered,
          `${keys.length} key(s) in ${withKeys} of ${accounts.length} account(s), ${unknown} unknown to the vault` +
            `${invalid > 0 ? `, ${invalid} invalid line(s)` : ''}; read on ${call.where}` +
            `${call.used.length > 0 ? ` with ${call.used.join(', ')}` : ''}`,
        ),
      );
      return { ok: true as const, accounts: accounts.length, keys: keys.length, unknown };
    });
  }

  /** One resource of a group run, never throwing: its outcome as an item. */
  async function item(actor: AuditActor, resource: ResourceRef, timeoutMs: number): Promise<DiscoveryItem> {
    const started = performance.now();
    const elapsedMs = () => Math.round(performance.now() - started);
    try {
      const outcome = await runOne(actor, resource, timeoutMs);
      if (!outcome.ok)
        return {
          resource: resource.name,
          status: 'failed',
          reason: outcome.reason,
          message: outcome.message,
          elapsedMs: elapsedMs(),
        };
      return {
        resource: resource.name,
        status: 'discovered',
        message: `${outcome.keys} key(s) in ${outcome.accounts} account(s), ${outcome.unknown} unknown`,
        accounts: outcome.accounts,
        keys: outcome.keys,
        unknown: outcome.unknown,
        elapsedMs: elapsedMs(),
      };
    } catch (err) {
      return {
        resource: resource.name,
        status: 'failed',
        reason: 'protocol',
        message: err instanceof DomainError ? err.message : 'the discovery failed unexpectedly',
        elapsedMs: elapsedMs(),
      };
    }
  }

  function bounded(options: { concurrency?: number; timeoutMs?: number }): {
    concurrency: number;
    timeoutMs: number;
  } {
    const concurrency = options.concurrency ?? settings.concurrency;
    const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > DISCOVERY_LIMITS.maxConcurrency)
      throw new InvalidInputError(`concurrency must be from 1 to ${DISCOVERY_LIMITS.maxConcurrency}`);
    if (timeoutMs < DISCOVERY_LIMITS.minTimeoutMs || timeoutMs > DISCOVERY_LIMITS.maxTimeoutMs)
      throw new InvalidInputError(
        `timeout must be from ${DISCOVERY_LIMITS.minTimeoutMs / 1000} to ${DISCOVERY_LIMITS.maxTimeoutMs / 1000} seconds`,
      );
    return { concurrency, timeoutMs };
  }

  /** The group's resources, split into those `who` may discover on (full access) and the rest. */
  async function groupTargets(
    who: DiscoveryActor,
    groupId: number,
  ): Promise<{ group: string; allowed: ResourceRef[]; refused: ResourceRef[] }> {
    const group = await repo.groupName(db, groupId);
    if (group === undefined) throw new NotFoundError(`Resource group ${groupId} does not exist`);
    const resources = await repo.groupResources(db, groupId);
    if (isOperator(who)) return { group, allowed: resources, refused: [] };
    const allowed: ResourceRef[] = [];
    const refused: ResourceRef[] = [];
    for (const r of resources)
      (allows(await access.resourcePermission(db, who.principal, r), 'full') ? allowed : refused).push(r);
    return { group, allowed, refused };
  }

  /**
   * Discovers every resource of a group `who` holds full access to, at most `concurrency` at
   * once, each bounded by `timeoutMs`: a failing or silent host is that host's result, never the
   * run's. The others are reported skipped.
   */
  async function runGroup(
    who: DiscoveryActor,
    groupId: number,
    options: GroupRunOptions = {},
  ): Promise<GroupDiscoverySummary> {
    const { concurrency, timeoutMs } = bounded(options);
    const actor = auditActorOf(who);
    const started = performance.now();
    const { group, allowed, refused } = await groupTargets(who, groupId);
    await options.onStart?.(allowed.length);
    const done = await runBounded(allowed, (r) => item(actor, r, timeoutMs), {
      concurrency,
      guardMs: timeoutMs * 2 + 10_000,
      ...(options.signal ? { signal: options.signal } : {}),
      label: (r) => r.name,
      ...(options.onItem ? { onItem: options.onItem } : {}),
    });
    return discoveryItems(group, done, refused, performance.now() - started);
  }

  return {
    /** Discovers the keys on one resource and answers its findings (Failed, saying why, when it could not). */
    async discoverResource(who: DiscoveryActor, resourceName: string): Promise<ResourceFindings> {
      refuseApplications(who);
      const resource = await resourceFor(db, who, resourceName, 'full');
      const outcome = await runOne(auditActorOf(who), resource);
      if (!outcome.ok) throw new DiscoveryFailedError(resource.name, outcome.reason, outcome.message);
      return views.findings(who, resource);
    },

    /** The last discovery's findings on a resource (with its file states and invalid lines). */
    async findings(who: DiscoveryActor, resourceName: string): Promise<ResourceFindings> {
      refuseApplications(who);
      const resource = await resourceFor(db, who, resourceName, 'view');
      if (!(await repo.discovery(db, resource.id)))
        throw new OperationNotAvailableError(
          `No SSH key discovery has run on resource ${resource.name} yet: run discoverSSHKeys first`,
        );
      return views.findings(who, resource);
    },

    /** Keys found on resources the caller may see: unknown ones, and where known ones were found (27). */
    keysFound: (caller: Caller) => views.keysFound(caller),
    /** A discovered (unknown) key by its KeyName, on resources the caller may see (28, 29). */
    discoveredKey: (caller: Caller, name: string) => views.discoveredKey(caller, name),
    /** Where a key of the store was found, on resources the caller may see (28). */
    foundOn: (caller: Caller, fingerprint: string) => views.foundOn(caller, fingerprint),

    runGroup,

    /**
     * Starts a group's discovery as a job (progress over the jobs API and `bulwark jobs show`).
     * The caller must see the group and hold full access to at least one of its resources.
     */
    async startGroup(
      caller: Caller,
      groupName: string,
      options: { concurrency?: number; timeoutMs?: number } = {},
    ): Promise<{ jobId: number; group: string; total: number; permitted: number }> {
      refuseApplications(caller);
      const { concurrency, timeoutMs } = bounded(options);
      const groupId = await deps.groupIdByName(caller, groupName);
      const { group, allowed, refused } = await groupTargets(caller, groupId);
      const total = allowed.length + refused.length;
      if (total === 0) throw new OperationNotAvailableError(`Resource group ${group} has no resources`);
      if (allowed.length === 0)
        throw new NotPermittedError(
          `You are not allowed to discover SSH keys on any of the ${total} resource(s) of resource group ${group}: it needs full access to a resource`,
        );
      return db.transaction().execute(async (trx) => {
        const jobId = await jobs.enqueue<GroupJob>(
          trx,
          DISCOVERY_JOB,
          { groupId, concurrency, timeoutMs, actor: actorOf(caller) },
          { dedupeKey: `${DISCOVERY_JOB}:${groupId}`, createdBy: caller.principal.userId },
        );
        if (jobId === undefined)
          throw new ConflictError(
            `An SSH key discovery of resource group ${group} is already queued or running`,
          );
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: AuditOperation.sshKeyDiscoveryStarted,
          reason: `Resource group: ${group}; job ${jobId}; ${allowed.length} of ${total} resource(s); concurrency ${concurrency}, timeout ${timeoutMs / 1000} s`,
        });
        return { jobId, group, total, permitted: allowed.length };
      });
    },

    /** The CLI: a group by name, for the local operator. */
    async groupIdOf(name: string): Promise<number> {
      const group = await repo.groupByName(db, nameKey(name));
      if (!group) throw new NotFoundError(`Resource group ${name} does not exist`);
      return group.id;
    },

    /** Registers the group discovery job (never retried on its own: an operator starts another). */
    registerJobs(): void {
      jobs.register<GroupJob>(
        DISCOVERY_JOB,
        async (payload, ctx) => {
          const { actor } = payload;
          const principal = actor.userId === null ? undefined : await repo.principal(db, actor.userId);
          if (actor.userId !== null && !principal)
            throw new PermanentJobError('The user who started the SSH key discovery is locked or deleted');
          const who: DiscoveryActor = principal
            ? { clientIp: actor.clientIp, client: actor.client, principal }
            : { operator: actor };
          let total = 0;
          return runGroup(who, payload.groupId, {
            concurrency: payload.concurrency,
            timeoutMs: payload.timeoutMs,
            signal: ctx.signal,
            onStart: async (n) => {
              total = n;
              await ctx.progress(0, n, 'starting');
            },
            onItem: async (finished, done) => {
              await ctx.progress(done, total, `${finished.resource}: ${finished.status}`.slice(0, 500));
            },
          });
        },
        { maxAttempts: 1, concurrency: 2 },
      );
    },
  };
}
