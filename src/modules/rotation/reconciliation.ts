import type { Secret } from '../../platform/crypto/secret.js';
import type { AuditActor } from '../audit/index.js';
import type { RemoteChangeSubject } from '../vault/index.js';
import {
  RemoteChangeFailure,
  type ObservedHostKey,
  type RemoteFailureReason,
  type RemoteTarget,
} from './connectors/connector.js';
import type { RotationOutcome } from './rotation.types.js';
import type { RotationServiceDeps } from './rotation.service.js';
import { buildTarget, credentialAccountsOf, type RotationConfiguration } from './targets.js';

/**
 * Settling rotations whose outcome on the target is unknown (ADR 028): building an attempt
 * (configuration, target, the passwords the server uses), trying a password, settling on the
 * pending password, then the current one, and reconciliation of every pending rotation (on
 * start, periodically, and of one rotation at an operator's request).
 */

export const SYSTEM_ACTOR: AuditActor = {
  userId: null,
  username: 'System',
  clientIp: '127.0.0.1',
  client: 'System',
};

export interface Attempt {
  readonly rotationId: number;
  readonly subject: RemoteChangeSubject;
  readonly config: RotationConfiguration;
  readonly target: RemoteTarget;
  readonly current: Secret | undefined;
  readonly pending: Secret | undefined;
  /** For the audit text: where, how, and whose passwords the server used. */
  readonly note: string;
}

export const TRIGGER_WORDS: Record<string, string> = {
  api: 'requested over the API',
  a2a: 'requested by an application',
  checkin: 'reset on check-in',
  schedule: 'scheduled rotation',
  bulk: 'bulk rotation',
  reconcile: 'reconciliation',
};

export function describeFailure(err: unknown): {
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
export function logWithoutMessage(err: unknown, message: string): void {
  const frames =
    err instanceof Error && err.stack
      ? err.stack
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .join('\n')
      : '';
  const name = err instanceof Error ? err.name : typeof err;
  // One JSON line in the server log's shape (pino's level 50 is "error"), like every other line.
  process.stderr.write(
    `${JSON.stringify({ level: 50, time: Date.now(), pid: process.pid, msg: message, err: { type: name, stack: frames } })}\n`,
  );
}

/**
 * Host keys seen by a connector call: pinned on first use after a call, or recorded for an
 * administrator to accept when they differed from the pin. Failures here are logged, never
 * thrown: the call's own outcome decides. Shared with the SSH key operations (ADR 033).
 */
export function hostKeyBookkeeping(
  configurations: Pick<RotationServiceDeps['configurations'], 'pinOnFirstUse' | 'recordRefusedKey'>,
  log: (err: unknown, message: string) => void,
) {
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

  return { pinObserved, afterFailure };
}

/** The settlement machinery shared by the rotation service, reconciliation and the operators' actions. */
export function createSettlement(
  deps: RotationServiceDeps,
  log: (err: unknown, message: string) => void,
  /** Rotations this process is working on: reconciliation here leaves them alone. */
  inFlight: Set<number>,
) {
  const { database, clock, remoteChanges, configurations, connectors, settings } = deps;
  const db = database.db;

  const { pinObserved, afterFailure } = hostKeyBookkeeping(configurations, log);

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

  /**
   * Settles one pending rotation now (pending password first, then current), as `actor`. A
   * missing configuration or credential keeps it pending (audited). Undefined when this process
   * is already working on it.
   */
  async function reconcileOne(
    rotationId: number,
    accountId: number,
    actor: AuditActor,
    cause: string,
  ): Promise<RotationOutcome | undefined> {
    if (inFlight.has(rotationId)) return undefined;
    inFlight.add(rotationId);
    try {
      let attempt: Attempt;
      try {
        attempt = await prepare(rotationId, accountId, 'reconcile');
      } catch (err) {
        // The configuration or a credential is missing: nothing can be confirmed; keep it pending.
        const { reason, message } = describeFailure(err);
        await remoteChanges.noteUnsettledRemoteChange(
          rotationId,
          actor,
          reason,
          `Reconciliation of rotation ${rotationId}: ${message}; the new password is kept pending`,
        );
        return {
          rotationId,
          status: 'unsettled',
          reason,
          message: `${message}; the new password is kept pending`,
        };
      }
      return await settle(attempt, actor, settings.timeoutMs, cause);
    } finally {
      inFlight.delete(rotationId);
    }
  }

  /** Settles every pending rotation last touched before the grace period (on start and periodically). */
  async function reconcilePending(): Promise<{ settled: number; unsettled: number }> {
    const due = await remoteChanges.pendingRemoteChanges(db, clock.now() - settings.graceMs);
    let settled = 0;
    let unsettled = 0;
    for (const rotation of due) {
      try {
        const outcome = await reconcileOne(
          rotation.rotationId,
          rotation.accountId,
          SYSTEM_ACTOR,
          `reconciliation of a rotation started by ${rotation.requestedByName}`,
        );
        if (outcome === undefined) continue;
        if (outcome.status === 'unsettled') unsettled++;
        else settled++;
      } catch (err) {
        log(err, 'reconciling a pending password rotation failed');
        unsettled++;
      }
    }
    return { settled, unsettled };
  }

  return { prepare, tryPassword, settle, pinObserved, afterFailure, reconcileOne, reconcilePending };
}
