import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Secret } from '../../platform/crypto/secret.js';
import { OperationNotAvailableError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import type { AuditActor } from '../audit/index.js';
import type { AccessJustification, RemoteChanges, RemoteChangeSubject } from '../vault/index.js';
import {
  RemoteChangeFailure,
  type HostKeyPins,
  type ObservedHostKey,
  type RemoteFailureReason,
  type RemoteTarget,
} from './connectors/connector.js';
import { RemoteResetFailedError } from './rotation.errors.js';
import type {
  ConnectorRegistry,
  RotationOutcome,
  RotationService,
  RotationTrigger,
  VerificationOutcome,
} from './rotation.types.js';
import { buildTarget, credentialAccountsOf, type RotationConfiguration } from './targets.js';

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
  readonly configurations: RotationConfigurations;
  readonly connectors: ConnectorRegistry;
  readonly settings: RotationSettings;
  /**
   * Test hook (BULWARK_TEST_HOOKS=crash-after-remote-change, honoured only under NODE_ENV=test):
   * called right after the target took the new password, before the vault commits it.
   */
  readonly afterRemoteChange?: () => void;
}

export const SYSTEM_ACTOR: AuditActor = {
  userId: null,
  username: 'System',
  clientIp: '127.0.0.1',
  client: 'System',
};

/** Everything one attempt on the target needs, built fresh for each attempt. */
interface Attempt {
  readonly rotationId: number;
  readonly subject: RemoteChangeSubject;
  readonly config: RotationConfiguration;
  readonly target: RemoteTarget;
  readonly current: Secret | undefined;
  readonly pending: Secret | undefined;
  /** For the audit text: where, how, and whose passwords the server used. */
  readonly note: string;
}

const TRIGGER_WORDS: Record<string, string> = {
  api: 'requested over the API',
  a2a: 'requested by an application',
  checkin: 'reset on check-in',
  schedule: 'scheduled rotation',
  bulk: 'bulk rotation',
  reconcile: 'reconciliation',
};

function describeFailure(err: unknown): {
  reason: RemoteFailureReason;
  message: string;
  mayHaveChanged: boolean;
} {
  if (err instanceof RemoteChangeFailure) {
    return { reason: err.reason, message: err.message, mayHaveChanged: err.targetMayHaveChanged };
  }
  // Not a failure the connector understood: whether the target changed is unknown. The error's
  // own text may quote anything, so it is not repeated.
  return {
    reason: 'protocol',
    message: 'the connector failed unexpectedly (see the server log)',
    mayHaveChanged: true,
  };
}

/**
 * Unexpected errors go to stderr with their name and stack frames only: an error's message may
 * quote what a target or a driver said, which is never logged (no secret in any log).
 */
function logWithoutMessage(err: unknown, message: string): void {
  const frames =
    err instanceof Error && err.stack
      ? err.stack
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .join('\n')
      : '';
  const name = err instanceof Error ? err.name : typeof err;
  process.stderr.write(`bulwark: ${message} (${name})\n${frames}${frames ? '\n' : ''}`);
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
): RotationService & {
  /** A rotation's state (no secret), for tests and the CLI. */
  status(rotationId: number): ReturnType<RemoteChanges['remoteChangeStatus']>;
} {
  const { database, clock, remoteChanges, configurations, connectors, settings } = deps;
  const db = database.db;
  /** Rotations this process is working on: reconciliation here leaves them alone. */
  const inFlight = new Set<number>();

  const notConfigured = (resourceName: string) =>
    new OperationNotAvailableError(
      `Remote password reset is not configured for resource ${resourceName}; use RESETTYPE LOCAL to change the password stored in the vault`,
    );

  async function pinObserved(observed: readonly ObservedHostKey[], actor: AuditActor): Promise<void> {
    if (observed.length === 0) return;
    try {
      await configurations.pinOnFirstUse(observed, actor);
    } catch (err) {
      log(err, 'pinning an SSH host key failed');
    }
  }

  async function afterFailure(failure: unknown, actor: AuditActor): Promise<void> {
    if (!(failure instanceof RemoteChangeFailure)) return;
    if (failure.reason === 'host-key') {
      try {
        await configurations.recordRefusedKey(failure.observedHostKeys, actor);
      } catch (err) {
        log(err, 'recording a refused SSH host key failed');
      }
    } else {
      await pinObserved(failure.observedHostKeys, actor);
    }
  }

  /** Reads the configuration and the passwords the server needs, and builds the target. */
  async function prepare(
    rotationId: number | undefined,
    accountId: number,
    trigger: string,
  ): Promise<Attempt> {
    const subject = await remoteChanges.remoteChangeSubject(db, accountId);
    const config = await configurations.configurationOf(db, subject.resource.id);
    if (!config) {
      throw new RemoteChangeFailure(
        'protocol',
        `resource ${subject.resource.name} has no remote reset configuration`,
        false,
      );
    }
    const landing =
      config.landingResourceId === undefined
        ? undefined
        : await configurations.configurationOf(db, config.landingResourceId);
    const credentialAccounts = credentialAccountsOf(config, landing);
    const secrets = await remoteChanges.openForRemoteChange(
      db,
      accountId,
      rotationId,
      credentialAccounts.map((a) => a.id),
    );
    const pins = await configurations.hostKeyPins(db);
    const { target, used } = buildTarget(
      config,
      landing,
      { name: subject.account.name, password: secrets.current },
      secrets.credentials,
      pins,
    );
    const via = landing ? ` through landing server ${landing.resourceName}` : '';
    const note =
      `Remote password reset on ${config.host}:${config.port} (${config.kind}${via}), ` +
      `${TRIGGER_WORDS[trigger] ?? trigger}` +
      (rotationId !== undefined ? `, rotation ${rotationId}` : '') +
      `; the server used: ${used.length > 0 ? used.join(', ') : 'no stored password'}`;
    return {
      rotationId: rotationId ?? 0,
      subject,
      config,
      target,
      current: secrets.current,
      pending: secrets.pending,
      note,
    };
  }

  /** Logs in as the account with `password`: opens, refused, or a failure (unreachable …). */
  async function tryPassword(
    attempt: Attempt,
    password: Secret,
    actor: AuditActor,
    timeoutMs: number,
  ): Promise<'opens' | 'refused' | RemoteChangeFailure> {
    const connector = connectors.connectorFor(attempt.target.kind);
    try {
      const result = await connector.verifyPassword({
        target: attempt.target,
        account: attempt.subject.account.name,
        password,
        timeoutMs,
      });
      await pinObserved(result.observedHostKeys, actor);
      return result.outcome;
    } catch (err) {
      await afterFailure(err, actor);
      const { reason, message } = describeFailure(err);
      return err instanceof RemoteChangeFailure ? err : new RemoteChangeFailure(reason, message, true);
    }
  }

  /**
   * The outcome of a change is unknown: the pending password, then the current one, decide.
   * Never discards a pending password that might be the target's.
   */
  async function settle(
    attempt: Attempt,
    actor: AuditActor,
    timeoutMs: number,
    cause: string,
  ): Promise<RotationOutcome> {
    const { rotationId } = attempt;
    if (attempt.pending === undefined) {
      // Settled meanwhile (its password wiped): nothing left to decide here.
      const status = await remoteChanges.remoteChangeStatus(db, rotationId);
      return {
        rotationId,
        status: status?.status === 'completed' ? 'changed' : 'failed',
        message: status?.message ?? 'settled elsewhere',
      };
    }
    const withPending = await tryPassword(attempt, attempt.pending, actor, timeoutMs);
    if (withPending === 'opens') {
      await remoteChanges.completeRemoteChange(
        rotationId,
        actor,
        `${attempt.note}; settled: the new password opens the target`,
      );
      return {
        rotationId,
        status: 'changed',
        message: 'the target has the new password (verified by logging in)',
      };
    }
    const withCurrent =
      attempt.current === undefined
        ? undefined
        : await tryPassword(attempt, attempt.current, actor, timeoutMs);
    if (withPending === 'refused' && withCurrent === 'opens') {
      const message = `${cause}; the target kept the current password`;
      await remoteChanges.failRemoteChange(
        rotationId,
        actor,
        'protocol',
        `${attempt.note}; failed: ${message}`,
      );
      return { rotationId, status: 'failed', reason: 'protocol', message };
    }
    const failure = [withPending, withCurrent].find((r) => r instanceof RemoteChangeFailure);
    const reason: RemoteFailureReason = failure instanceof RemoteChangeFailure ? failure.reason : 'protocol';
    const message =
      failure instanceof RemoteChangeFailure
        ? `${cause}; the outcome could not be confirmed (${failure.message}); the new password is kept pending and reconciliation retries`
        : `${cause}; neither the new nor the current password opens the target; the new password is kept pending and reconciliation retries`;
    await remoteChanges.noteUnsettledRemoteChange(
      rotationId,
      actor,
      reason,
      `${attempt.note}; unsettled: ${message}`,
    );
    return { rotationId, status: 'unsettled', reason, message };
  }

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
    const start = await db.transaction().execute((trx) =>
      remoteChanges.beginRemoteChange(trx, initiator, target, newPassword, trigger, async (subject) => {
        if (!(await configurations.configurationOf(trx, subject.resource.id))) {
          throw notConfigured(subject.resource.name);
        }
      }),
    );
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

    async reconcilePending() {
      const due = await remoteChanges.pendingRemoteChanges(db, clock.now() - settings.graceMs);
      let settled = 0;
      let unsettled = 0;
      for (const rotation of due) {
        if (inFlight.has(rotation.rotationId)) continue;
        inFlight.add(rotation.rotationId);
        try {
          let attempt: Attempt;
          try {
            attempt = await prepare(rotation.rotationId, rotation.accountId, 'reconcile');
          } catch (err) {
            // The configuration or a credential is missing: nothing can be confirmed; keep it pending.
            const { reason, message } = describeFailure(err);
            await remoteChanges.noteUnsettledRemoteChange(
              rotation.rotationId,
              SYSTEM_ACTOR,
              reason,
              `Reconciliation of rotation ${rotation.rotationId}: ${message}; the new password is kept pending`,
            );
            unsettled++;
            continue;
          }
          const outcome = await settle(
            attempt,
            SYSTEM_ACTOR,
            settings.timeoutMs,
            `reconciliation of a rotation started by ${rotation.requestedByName}`,
          );
          if (outcome.status === 'unsettled') unsettled++;
          else settled++;
        } catch (err) {
          log(err, 'reconciling a pending password rotation failed');
          unsettled++;
        } finally {
          inFlight.delete(rotation.rotationId);
        }
      }
      return { settled, unsettled };
    },

    status(rotationId: number) {
      return remoteChanges.remoteChangeStatus(db, rotationId);
    },
  };
}

export type RotationServiceImpl = ReturnType<typeof createRotationService>;
