import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Secret } from '../../platform/crypto/secret.js';
import { OperationNotAvailableError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import type { AuditActor } from '../audit/index.js';
import type { AccessJustification, RemoteChangeRecords, RemoteChanges } from '../vault/index.js';
import { RemoteChangeFailure, type HostKeyPins, type ObservedHostKey } from './connectors/connector.js';
import { createSettlement, describeFailure, logWithoutMessage, type Attempt } from './reconciliation.js';
import { rotationAdministration, type RotationAdministration } from './rotation.admin.js';
import { RemoteResetFailedError } from './rotation.errors.js';
import type {
  ConnectorRegistry,
  RotationOutcome,
  RotationService,
  RotationTrigger,
  VerificationOutcome,
} from './rotation.types.js';
import type { RotationConfiguration } from './targets.js';

export { SYSTEM_ACTOR } from './reconciliation.js';

/** What the rotation service needs of the remote-reset module (endpoint 63, host key pins). */
export interface RotationConfigurations {
  configurationOf(executor: Executor, resourceId: number): Promise<RotationConfiguration | undefined>;
  hostKeyPins(executor: Executor): Promise<HostKeyPins> | HostKeyPins;
  /** Pins the keys of hosts that have none yet (trust on first use, audited). */
  pinOnFirstUse(observed: readonly ObservedHostKey[], actor: AuditActor): Promise<unknown>;
  /** Records a key that differed from its pin, for an administrator to accept. */
  recordRefusedKey(observed: readonly ObservedHostKey[], actor: AuditActor): Promise<void>;
}

export interface RotationSettings {
  /** Each call to a target (change, verification) ends within this many milliseconds. */
  readonly timeoutMs: number;
  /**
   * Reconciliation leaves a pending rotation alone until it was last touched this long ago: a
   * rotation in flight (on this node or another) is never settled under it.
   */
  readonly graceMs: number;
}

export interface RotationServiceDeps {
  readonly database: Database;
  readonly clock: Clock;
  readonly remoteChanges: RemoteChanges;
  /** Rotations as operators list, read and resolve them (the vault authorizes). */
  readonly records: RemoteChangeRecords;
  readonly configurations: RotationConfigurations;
  readonly connectors: ConnectorRegistry;
  readonly settings: RotationSettings;
  /**
   * Test hook (BULWARK_TEST_HOOKS=crash-after-remote-change, honoured only under NODE_ENV=test):
   * called right after the target took the new password, before the vault commits it.
   */
  readonly afterRemoteChange?: () => void;
}

/**
 * The one rotation service behind every path (ADR 028, docs/rotation.md). Two-phase: the new
 * password is sealed and recorded pending before the target is touched (one transaction, with
 * the authorization and the policy check); the connector changes it on the target; logging in
 * with it proves it; only then does the vault make it current. When the change may have reached
 * the target but was not confirmed, the pending password is tried, then the current one, and the
 * rotation settles on whichever opens, or stays pending for reconciliation.
 */
export function createRotationService(
  deps: RotationServiceDeps,
  log: (err: unknown, message: string) => void = logWithoutMessage,
): RotationService &
  RotationAdministration & {
    /** A rotation's state (no secret), for tests and the CLI. */
    status(rotationId: number): ReturnType<RemoteChanges['remoteChangeStatus']>;
  } {
  const { database, remoteChanges, configurations, connectors, settings } = deps;
  const db = database.db;
  /** Rotations this process is working on: reconciliation here leaves them alone. */
  const inFlight = new Set<number>();
  const { prepare, tryPassword, settle, pinObserved, afterFailure, reconcileOne, reconcilePending } =
    createSettlement(deps, log, inFlight);

  const notConfigured = (resourceName: string) =>
    new OperationNotAvailableError(
      `Remote password reset is not configured for resource ${resourceName}; use RESETTYPE LOCAL to change the password stored in the vault`,
    );

  /** Phase two for a recorded pending rotation: change on the target, verify, settle. */
  async function carryOut(
    rotationId: number,
    accountId: number,
    trigger: string,
    actor: AuditActor,
    timeoutMs: number,
  ): Promise<RotationOutcome> {
    inFlight.add(rotationId);
    try {
      let attempt: Attempt;
      try {
        attempt = await prepare(rotationId, accountId, trigger);
      } catch (err) {
        // Nothing reached the target: the rotation fails, the vault keeps its password.
        const { reason, message } = describeFailure(err);
        if (!(err instanceof RemoteChangeFailure)) log(err, 'preparing a remote password reset failed');
        await remoteChanges.failRemoteChange(
          rotationId,
          actor,
          reason,
          `Remote password reset, rotation ${rotationId}; failed: ${message}`,
        );
        return { rotationId, status: 'failed', reason, message };
      }
      if (attempt.pending === undefined) {
        return {
          rotationId,
          status: 'failed',
          reason: 'protocol',
          message: 'the rotation was settled meanwhile',
        };
      }
      const connector = connectors.connectorFor(attempt.target.kind);
      try {
        const result = await connector.changePassword({
          target: attempt.target,
          account: attempt.subject.account.name,
          currentPassword: attempt.current,
          newPassword: attempt.pending,
          timeoutMs,
        });
        await pinObserved(result.observedHostKeys, actor);
      } catch (err) {
        await afterFailure(err, actor);
        const { reason, message, mayHaveChanged } = describeFailure(err);
        if (!(err instanceof RemoteChangeFailure)) log(err, 'a connector failed unexpectedly');
        if (!mayHaveChanged) {
          await remoteChanges.failRemoteChange(
            rotationId,
            actor,
            reason,
            `${attempt.note}; failed: ${message}`,
          );
          return { rotationId, status: 'failed', reason, message };
        }
        return settle(attempt, actor, timeoutMs, message);
      }
      // The target took it; the vault has not committed it yet (crash injection lands here).
      deps.afterRemoteChange?.();
      const verified = await tryPassword(attempt, attempt.pending, actor, timeoutMs);
      if (verified === 'opens') {
        await remoteChanges.completeRemoteChange(
          rotationId,
          actor,
          `${attempt.note}; verified by logging in with the new password`,
        );
        return {
          rotationId,
          status: 'changed',
          message: 'the target has the new password (verified by logging in)',
        };
      }
      const cause =
        verified === 'refused'
          ? 'the target answered that it changed the password, but the new password does not open it'
          : `the change could not be verified (${verified.message})`;
      return settle(attempt, actor, timeoutMs, cause);
    } finally {
      inFlight.delete(rotationId);
    }
  }

  /** Phase one (its own transaction) then phase two. */
  async function rotate(
    initiator: Parameters<RemoteChanges['beginRemoteChange']>[1],
    target: { resourceId?: number; accountId: number },
    newPassword: Secret | undefined,
    trigger: RotationTrigger,
    timeoutMs: number,
  ): Promise<RotationOutcome> {
    let claimed: number | undefined;
    let start;
    try {
      start = await db.transaction().execute(async (trx) => {
        const begun = await remoteChanges.beginRemoteChange(
          trx,
          initiator,
          target,
          newPassword,
          trigger,
          async (subject) => {
            if (!(await configurations.configurationOf(trx, subject.resource.id))) {
              throw notConfigured(subject.resource.name);
            }
          },
        );
        // Claimed for this run before the commit makes it visible: reconciliation (a short
        // grace) must not take it between the commit and carryOut, which releases it.
        inFlight.add(begun.rotationId);
        claimed = begun.rotationId;
        return begun;
      });
    } catch (err) {
      if (claimed !== undefined) inFlight.delete(claimed);
      throw err;
    }
    return carryOut(start.rotationId, start.account.id, trigger, start.actor, timeoutMs);
  }

  return {
    async resetRemote(
      caller: Caller,
      resourceId: number,
      accountId: number,
      newPassword: Secret,
      why: AccessJustification,
    ): Promise<void> {
      const trigger: RotationTrigger = caller.principal.application ? 'a2a' : 'api';
      const outcome = await rotate(
        { caller, why },
        { resourceId, accountId },
        newPassword,
        trigger,
        settings.timeoutMs,
      );
      if (outcome.status !== 'changed') throw new RemoteResetFailedError(outcome.message);
    },

    async rotateToGenerated(actor, accountId, trigger, options) {
      return rotate({ actor }, { accountId }, undefined, trigger, options?.timeoutMs ?? settings.timeoutMs);
    },

    async verify(actor, accountId, options): Promise<VerificationOutcome> {
      const timeoutMs = options?.timeoutMs ?? settings.timeoutMs;
      // While a rotation is pending the target may hold either password: no verdict until it settles.
      const pending = await remoteChanges.pendingRemoteChangeOf(db, accountId);
      if (pending !== undefined) {
        return {
          status: 'unreachable',
          message: `a password reset of this account (rotation ${pending}) is pending; verification waits until it settles`,
        };
      }
      let attempt: Attempt;
      try {
        attempt = await prepare(undefined, accountId, 'verification');
      } catch (err) {
        return { status: 'unreachable', message: describeFailure(err).message };
      }
      if (attempt.current === undefined) {
        return { status: 'refused', message: 'the vault holds no password for this account' };
      }
      const outcome = await tryPassword(attempt, attempt.current, actor, timeoutMs);
      if (outcome === 'opens') return { status: 'opens', message: "the vault's password opens the target" };
      if (outcome === 'refused') {
        const message = "the vault's password does not open the target";
        await remoteChanges.auditVerificationFailed(
          accountId,
          actor,
          `Verification on ${attempt.config.host}:${attempt.config.port} (${attempt.config.kind}): ${message}`,
        );
        return { status: 'refused', message };
      }
      return { status: 'unreachable', message: outcome.message };
    },

    reconcilePending,

    ...rotationAdministration(deps.records, { clock: deps.clock, graceMs: settings.graceMs }, reconcileOne),

    status(rotationId: number) {
      return remoteChanges.remoteChangeStatus(db, rotationId);
    },
  };
}

export type RotationServiceImpl = ReturnType<typeof createRotationService>;
