import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { NotPermittedError, OperationNotAvailableError } from '../../platform/errors.js';
import { allows, type AccessPolicy, type Permission } from '../access/index.js';
import type { AuditEvent, AuditService } from '../audit/index.js';
import { describeFailure, logWithoutMessage, RemoteChangeFailure } from '../rotation/index.js';
import { visibleResourceNamed } from '../vault/index.js';
import type { DeploymentResource } from './deployments.repository.js';
import type { KeyBusyCheck } from './deployments.types.js';
import type { KeyHosts } from './key-hosts.js';
import type { SshKeyRow } from './ssh-keys.repository.js';
import { isOperator, refuseApplications, visibleKey, type SshKeyActor } from './ssh-keys.service.js';

export interface SshKeyDeploymentsDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
  /** The way onto hosts (key-hosts.ts, ADR 033). */
  readonly hosts: KeyHosts;
  /** Another part of the key store refusing to let a key be deployed or removed now (rotation). */
  readonly busy?: KeyBusyCheck;
  readonly log?: (err: unknown, message: string) => void;
}

export type DeploymentsContext = ReturnType<typeof createDeploymentsContext>;

/** `~user/.ssh/authorized_keys`, as messages and audit texts name the file. */
export const fileOf = (userName: string) => `~${userName}/.ssh/authorized_keys`;

/** `SSH key <name> (<fingerprint>)`. */
export const keyText = (key: Pick<SshKeyRow, 'name' | 'fingerprint'>) =>
  `SSH key ${key.name} (${key.fingerprint})`;

/** `, with login account ops (ID 7), root account r (ID 9)` or nothing. */
export const credentialsText = (used: readonly string[]) =>
  used.length > 0 ? `; credentials used: ${used.join(', ')}` : '';

/**
 * What the deployment operations share: the dependencies, the lookups of keys and resources
 * with the caller's grants (an object the caller cannot see answers like a missing one), the
 * authorisation rule of ADR 033, the audit event on the resource, and a lock per account on a
 * resource so two writers of the same authorized_keys in this process never interleave.
 */
export function createDeploymentsContext(deps: SshKeyDeploymentsDeps) {
  const { database, access } = deps;
  const db = database.db;
  const log = deps.log ?? logWithoutMessage;

  async function resourceGrant(
    executor: Executor,
    who: SshKeyActor,
    resource: DeploymentResource,
  ): Promise<{ visible: boolean; permission: Permission }> {
    if (isOperator(who)) return { visible: true, permission: 'full' };
    const owner = { id: resource.id, ownerId: resource.ownerId };
    const permission = await access.resourcePermission(executor, who.principal, owner);
    if (permission !== 'none') return { visible: true, permission };
    const reach = await access.reachableAccounts(executor, who.principal, owner);
    return { visible: reach === 'all' || reach.size > 0, permission };
  }

  /**
   * The resource by its name, else by its DNS name (the reference's samples name hosts: 30 sends
   * `"resourceName":"172.21.xxx.xx"` and answers `of resource pmp-centos6`), among those the
   * caller can see.
   */
  async function visibleResource(
    executor: Executor,
    who: SshKeyActor,
    name: string,
  ): Promise<{ resource: DeploymentResource; permission: Permission }> {
    const { resource, grant } = await visibleResourceNamed(executor, name, (r) =>
      resourceGrant(executor, who, r),
    );
    return { resource, permission: grant.permission };
  }

  /**
   * The rule of ADR 033 for putting a key on a host or taking it off: modify or full access to
   * the key and full access to the resource (whose remote reset configuration the server logs in
   * with); applications are refused.
   */
  async function authorise(
    who: SshKeyActor,
    verb: 'associate' | 'dissociate',
    keyName: string,
    resourceName: string,
  ): Promise<{ key: SshKeyRow; resource: DeploymentResource }> {
    refuseApplications(who, `${verb} SSH keys`);
    const { row, permission } = await visibleKey(access, db, who, keyName);
    if (!allows(permission, 'modify')) {
      throw new NotPermittedError(
        `You are not allowed to ${verb} SSH key ${row.name}: it needs modify or full access to the key`,
      );
    }
    const { resource, permission: onResource } = await visibleResource(db, who, resourceName);
    if (!allows(onResource, 'full')) {
      throw new NotPermittedError(
        `You are not allowed to ${verb} SSH key ${row.name} ${verb === 'associate' ? 'with' : 'from'} resource ${resource.name}: ` +
          `it needs full access to the resource, whose remote reset configuration the server logs in with`,
      );
    }
    return { key: row, resource };
  }

  /** Refuses when another part of the key store holds the key (a rotation in progress). */
  async function refuseBusy(key: SshKeyRow): Promise<void> {
    const why = await deps.busy?.(db, Number(key.id));
    if (why !== undefined) throw new OperationNotAvailableError(why);
  }

  const tails = new Map<string, Promise<void>>();
  /**
   * Runs `work` alone among the writers of one account's authorized_keys on one resource in this
   * process (the host replaces the file whole: two interleaved writers could lose a line).
   */
  async function withAccount<T>(resourceId: number, userName: string, work: () => Promise<T>): Promise<T> {
    const slot = `${resourceId}\u0000${userName}`;
    const before = tails.get(slot) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const mine = before.then(() => held);
    tails.set(slot, mine);
    await before;
    try {
      return await work();
    } finally {
      release();
      if (tails.get(slot) === mine) tails.delete(slot);
    }
  }

  /** What went wrong on the way to the host, in words without a secret; unexpected errors are logged. */
  function hostWhy(err: unknown): { message: string; mayHaveChanged: boolean } {
    if (!(err instanceof RemoteChangeFailure)) log(err, 'SSH key operation on a host failed unexpectedly');
    const { message, mayHaveChanged } = describeFailure(err);
    return { message, mayHaveChanged };
  }

  /** The audit event of a change on the resource: the account on the host in the account column. */
  function onResource(
    operation: string,
    resource: DeploymentResource,
    userName: string,
    reason: string,
  ): AuditEvent {
    return {
      auditType: 'Resource',
      operation,
      resourceId: resource.id,
      resourceName: resource.name,
      accountId: null,
      accountName: userName,
      reason,
      ticketId: null,
    };
  }

  return {
    ...deps,
    db,
    log,
    resourceGrant,
    visibleResource,
    authorise,
    refuseBusy,
    withAccount,
    hostWhy,
    onResource,
  };
}
