import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { ConflictError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import type { Principal } from '../../platform/principal.js';
import { allows, type AccessPolicy } from '../access/index.js';
import { actorOf, type AuditActor, type AuditService } from '../audit/index.js';
import { logWithoutMessage } from '../rotation/index.js';
import { eventOnSshKey, nameKey, sshKeyRotationMaterial, type HostSecrets } from '../vault/index.js';
import type { KeyHosts } from './key-hosts.js';
import { generateKeyPair } from './key-material.js';
import { keyRotationAdmin, type KeyRotationRef } from './key-rotation.admin.js';
import { keyRotationPhases } from './key-rotation.phases.js';
import { viewOf } from './key-rotation.views.js';
import { keyRotationRepository as repo, type DeployedOn } from './key-rotation.repository.js';
import {
  KeyRotationAuditOperation as Op,
  SYSTEM_ACTOR,
  TRIGGER_WORDS,
  type HostProgress,
  type KeyRotationOutcome,
  type KeyRotationTrigger,
  type KeyRotationView,
} from './key-rotation.types.js';
import { sshKeysRepository, type SshKeyRow } from './ssh-keys.repository.js';
import type { SshKeyActor } from './ssh-keys.service.js';

export interface KeyRotationDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
  readonly hosts: Pick<KeyHosts, 'addKey' | 'removeKey' | 'listKeys' | 'verifyKeyLogin'>;
  readonly secrets: Pick<HostSecrets, 'openSshKey' | 'openPendingSshKey'>;
  /** The deployments' one-writer-per-account lock (see KeyRotationPhaseDeps). */
  readonly withAccount?: <T>(resourceId: number, userName: string, work: () => Promise<T>) => Promise<T>;
  readonly settings: {
    /**
     * Reconciliation leaves a pending rotation alone until it was last touched this long ago
     * (a rotation in flight on this node or another is never settled under it).
     */
    readonly graceMs: number;
  };
  /** Test hook: called right after a host took the new key (crash injection, ADR 035). */
  readonly afterRemoteChange?: () => void;
  readonly log?: (err: unknown, message: string) => void;
}

/**
 * Who a rotation acts for: an API caller (authorised on the key and on every resource it is
 * deployed on), the local operator of the CLI (full access), or a schedule (its creator's live
 * access, or the operator's when the operator set it), audited as `actor`.
 */
export type KeyRotationInitiator = SshKeyActor | { readonly schedule: Principal | 'operator' };

/** How many rotations of a key the status read shows, newest first. */
const STATUS_LIMIT = 20;

export type KeyRotationService = ReturnType<typeof createKeyRotationService>;

/**
 * SSH key rotation (issue 13, ADR 035): a new key pair of the same type and length, with the
 * same comment and passphrase, replaces the key on every host it is deployed on. Phase 0 (one
 * transaction, before any host is touched): authorise, refuse a second pending rotation, seal the
 * new private key to the rotation's row, record its hosts. Then the phases (key-rotation.phases.ts).
 * Reconciliation settles what a crash or an unreachable host left, on start and periodically.
 */
export function createKeyRotationService(deps: KeyRotationDeps) {
  const { database, keyring, audit, access, clock, settings } = deps;
  const db = database.db;
  const log = deps.log ?? logWithoutMessage;
  const phases = keyRotationPhases({ ...deps, log });
  /** Rotations this process is working on: reconciliation here leaves them alone. */
  const inFlight = new Set<number>();
  const admin = keyRotationAdmin({
    database,
    audit,
    clock,
    graceMs: settings.graceMs,
    phases,
    inFlight,
    authorize: (executor, principal, name) => authorizeFor(executor, principal, name, 'modify'),
  });

  /** The principal whose access decides, or undefined for the operator (full access). */
  function principalOf(who: KeyRotationInitiator): Principal | undefined {
    if ('schedule' in who) return who.schedule === 'operator' ? undefined : who.schedule;
    if ('operator' in who) return undefined;
    return who.principal;
  }

  /**
   * The key and where it is deployed, when the initiator may rotate it (ADR 033's rule): modify
   * or full access to the key and full access to every resource it is deployed on, since the
   * rotation writes the new key into those accounts with the resources' privileged logins.
   */
  async function authorize(
    executor: Executor,
    who: KeyRotationInitiator,
    name: string,
    needed: 'view' | 'modify',
  ): Promise<{ key: SshKeyRow; deployments: DeployedOn[]; permission: string }> {
    return authorizeFor(executor, principalOf(who), name, needed);
  }

  async function authorizeFor(
    executor: Executor,
    principal: Principal | undefined,
    name: string,
    needed: 'view' | 'modify',
  ): Promise<{ key: SshKeyRow; deployments: DeployedOn[]; permission: string }> {
    if (principal?.application) {
      throw new NotPermittedError(
        `The application ${principal.application.name} is not allowed to rotate SSH keys`,
      );
    }
    const key = await sshKeysRepository.findByName(executor, nameKey(name));
    const permission = !key
      ? 'none'
      : principal === undefined
        ? 'full'
        : await access.sshKeyPermission(executor, principal, { id: key.id, ownerId: key.owner_id });
    if (!key || permission === 'none') throw new NotFoundError(`SSH key ${name} does not exist`);
    const deployments = await repo.deployments(executor, Number(key.id));
    if (needed === 'view') return { key, deployments, permission };
    if (!allows(permission, 'modify')) {
      throw new NotPermittedError(
        `You are not allowed to rotate SSH key ${key.name}: it needs modify or full access to the key`,
      );
    }
    if (principal !== undefined) {
      const visible: string[] = [];
      let hidden = 0;
      for (const d of deployments) {
        const grant = await access.resourcePermission(executor, principal, {
          id: d.resourceId,
          ownerId: d.resourceOwnerId,
        });
        if (allows(grant, 'full')) continue;
        if (grant === 'none') hidden++;
        else if (!visible.includes(d.resourceName)) visible.push(d.resourceName);
      }
      if (visible.length > 0 || hidden > 0) {
        const named = visible.length > 0 ? `resource(s) ${visible.slice(0, 5).join(', ')}` : '';
        const others = hidden > 0 ? `${named ? ' and ' : ''}${hidden} other deployment(s)` : '';
        throw new NotPermittedError(
          `You are not allowed to rotate SSH key ${key.name}: it is deployed on ${named}${others} you do not hold full access to, and rotating writes the new key there`,
        );
      }
    }
    return { key, deployments, permission };
  }

  const alreadyPending = (keyName: string, rotationId: number) =>
    new ConflictError(
      `A rotation of SSH key ${keyName} is already in progress (rotation ${rotationId}); it is settled once its hosts answer (settle it now with settleSSHKeyRotation, or have an administrator resolve it with resolveSSHKeyRotation)`,
    );

  /**
   * Phase 0: the new pair (same type, length, comment and passphrase), sealed to a pending
   * rotation with its hosts (the key's deployments now), audited, in one transaction.
   */
  async function begin(
    who: KeyRotationInitiator,
    actor: AuditActor,
    name: string,
    trigger: KeyRotationTrigger,
  ): Promise<number> {
    // Authorised before generating: a refused caller costs no key generation.
    const first = await authorize(db, who, name, 'modify');
    const pending = await repo.pendingOf(db, Number(first.key.id));
    if (pending) throw alreadyPending(first.key.name, Number(pending.id));
    const material = await deps.secrets.openSshKey(db, Number(first.key.id));
    if (!material) throw new NotFoundError(`SSH key ${name} does not exist`);
    const pair = generateKeyPair(
      first.key.key_type,
      Number(first.key.bits),
      first.key.comment,
      material.passphrase?.reveal(),
    );
    let claimed: number | undefined;
    try {
      return await db.transaction().execute(async (trx) => {
        const { key, deployments } = await authorize(trx, who, name, 'modify');
        await repo.lockKey(trx, database.dialect, Number(key.id));
        const again = await repo.pendingOf(trx, Number(key.id));
        if (again) throw alreadyPending(key.name, Number(again.id));
        if (key.fingerprint !== first.key.fingerprint) {
          throw new ConflictError(`SSH key ${key.name} changed while its rotation was prepared; try again`);
        }
        const now = clock.now();
        const rotationId = await repo.insert(trx, {
          key_id: Number(key.id),
          status: 'pending',
          phase: 'adding',
          trigger,
          new_public_key: pair.publicKey,
          new_fingerprint: pair.fingerprint,
          new_private_key_sealed: null,
          old_public_key: key.public_key,
          old_fingerprint: key.fingerprint,
          old_private_key_sealed: null,
          requested_by: actor.userId,
          requested_by_name: actor.username,
          message: null,
          created_at: now,
          updated_at: now,
          switched_at: null,
          settled_at: null,
        });
        await repo.setNewSealed(
          trx,
          rotationId,
          keyring.seal(pair.privateKey, sshKeyRotationMaterial.newPrivateKey(rotationId)),
        );
        await repo.insertHosts(trx, rotationId, deployments, now);
        // Claimed for this run before the commit makes it visible: reconciliation (a short
        // grace) must not take it in the gap between the commit and the run.
        inFlight.add(rotationId);
        claimed = rotationId;
        const where =
          deployments.length === 0
            ? 'no host (the key is not deployed)'
            : `${deployments.length} host(s): ${deployments
                .slice(0, 20)
                .map((d) => `${d.userName}@${d.resourceName}`)
                .join(', ')}`;
        await audit.append(
          trx,
          actor,
          eventOnSshKey(
            Op.started,
            key.name,
            `rotation ${rotationId}, ${TRIGGER_WORDS[trigger] ?? trigger}: new ${pair.type} ${pair.bits} ${pair.fingerprint} for ${where}`,
          ),
        );
        return rotationId;
      });
    } catch (err) {
      if (claimed !== undefined) inFlight.delete(claimed);
      // Two rotations started at once: the partial unique index lets one through.
      if (isUniqueViolation(err))
        throw new ConflictError(`A rotation of SSH key ${first.key.name} is already in progress`);
      throw err;
    }
  }

  /** Drives a pending rotation unless another run in this process has it. */
  async function run(rotationId: number, actor: AuditActor): Promise<KeyRotationOutcome | undefined> {
    if (inFlight.has(rotationId)) return undefined;
    inFlight.add(rotationId);
    try {
      return await phases.drive(rotationId, actor, false);
    } finally {
      inFlight.delete(rotationId);
    }
  }

  return {
    /**
     * Rotates a key now (rotateSSHKey, `bulwark sshkeys rotate`, a scheduled run): answers once
     * every host is done, or the rotation rolled back, or it is left pending for reconciliation.
     */
    async rotate(
      who: KeyRotationInitiator,
      name: string,
      options: {
        readonly trigger: KeyRotationTrigger;
        readonly actor?: AuditActor;
        readonly onStart?: (hosts: number) => void;
        readonly progress?: (p: HostProgress) => void;
      },
    ): Promise<KeyRotationOutcome> {
      const actor =
        options.actor ?? ('schedule' in who ? SYSTEM_ACTOR : 'operator' in who ? who.operator : actorOf(who));
      // begin() hands the rotation over already claimed (inFlight): this run drives it and releases it.
      const rotationId = await begin(who, actor, name, options.trigger);
      try {
        options.onStart?.((await repo.hosts(db, rotationId)).length);
        return await phases.drive(rotationId, actor, true, options.progress);
      } finally {
        inFlight.delete(rotationId);
      }
    },

    /** Settles every pending rotation last touched before the grace period (on start and periodically). */
    async reconcilePending(): Promise<{ settled: number; unsettled: number }> {
      const due = await repo.pendingBefore(db, clock.now() - settings.graceMs);
      let settled = 0;
      let unsettled = 0;
      for (const rotation of due) {
        try {
          const outcome = await run(Number(rotation.id), SYSTEM_ACTOR);
          if (outcome === undefined) continue;
          if (outcome.outcome === 'unsettled') unsettled++;
          else settled++;
        } catch (err) {
          log(err, 'reconciling a pending SSH key rotation failed');
          unsettled++;
        }
      }
      return { settled, unsettled };
    },

    /**
     * The refusal of the deployments (associate, dissociate, delete) while a rotation of the key
     * is pending: the hosts it reads and writes must not change under it.
     */
    async busy(executor: Executor, keyId: number): Promise<string | undefined> {
      const pending = await repo.pendingOf(executor, keyId);
      if (!pending) return undefined;
      const key = await repo.keyById(executor, keyId);
      return `SSH key ${key?.name ?? keyId} is being rotated (rotation ${pending.id}); its hosts change once the rotation settles (see getSSHKeyRotations; settleSSHKeyRotation settles it now, resolveSSHKeyRotation abandons hosts that never answer)`;
    },

    /** Settles a pending rotation now (settleSSHKeyRotation): what rotating the key needs. */
    settle: (who: KeyRotationInitiator, actor: AuditActor, ref: KeyRotationRef) =>
      admin.settle(principalOf(who), actor, ref),

    /**
     * Resolves a pending rotation, abandoning the hosts that still do not answer
     * (resolveSSHKeyRotation): an administrator with full access to the key.
     */
    resolve: (who: KeyRotationInitiator, actor: AuditActor, ref: KeyRotationRef, reason?: string) =>
      admin.resolve(principalOf(who), actor, ref, reason),

    /** Rotations of every key the operator reads (`bulwark sshkeys rotations list`), newest first. */
    async recent(options: { pendingOnly: boolean; limit: number }): Promise<KeyRotationView[]> {
      const rows = await repo.recent(db, options);
      const views: KeyRotationView[] = [];
      for (const r of rows) {
        const key = await repo.keyById(db, Number(r.key_id));
        views.push(viewOf(r, key?.name ?? `#${r.key_id}`, await repo.hosts(db, Number(r.id))));
      }
      return views;
    },

    /** The key's rotations, newest first, with their hosts (view access to the key). */
    async rotations(who: KeyRotationInitiator, name: string): Promise<KeyRotationView[]> {
      const { key } = await authorize(db, who, name, 'view');
      const rows = await repo.rotationsOfKey(db, Number(key.id), STATUS_LIMIT);
      const views: KeyRotationView[] = [];
      for (const r of rows) views.push(viewOf(r, key.name, await repo.hosts(db, Number(r.id))));
      return views;
    },

    /** For the schedules: the same authorisation as rotating now. */
    authorize: (executor: Executor, who: KeyRotationInitiator, name: string) =>
      authorize(executor, who, name, 'modify'),
    /** For the schedules' reads: view access to the key. */
    visible: (executor: Executor, who: KeyRotationInitiator, name: string) =>
      authorize(executor, who, name, 'view'),
  };
}
