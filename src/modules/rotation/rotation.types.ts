import type { Secret } from '../../platform/crypto/secret.js';
import type { Caller } from '../../platform/principal.js';
import type { AuditActor } from '../audit/index.js';
import type { AccessJustification } from '../vault/index.js';
import type { RemoteConnector, RemoteFailureReason, RemoteTarget } from './connectors/connector.js';

/** What started a rotation; recorded on the rotation and in its audit text. */
export type RotationTrigger = 'api' | 'a2a' | 'checkin' | 'schedule' | 'bulk' | 'reconcile';

/** How one rotation ended. */
export interface RotationOutcome {
  readonly rotationId: number;
  /**
   * changed: the target has the new password and the vault made it current (verified by logging in).
   * failed: the target kept the old password; the vault's current password is unchanged.
   * unsettled: neither password could be confirmed yet (target unreachable after the change was sent);
   * the rotation stays pending and reconciliation settles it later.
   */
  readonly status: 'changed' | 'failed' | 'unsettled';
  readonly reason?: RemoteFailureReason;
  /** Human text without secrets; for failures the `<why>` of `Password reset failed: <why>`. */
  readonly message: string;
}

export interface VerificationOutcome {
  readonly status: 'opens' | 'refused' | 'unreachable';
  readonly message: string;
}

/**
 * One rotation service behind every path that changes a password on a target (issue 12): endpoint 5
 * with RESETTYPE REMOTE, the toolkit's RESET_REMOTE, reset on check-in, scheduled and bulk rotation.
 * Two-phase: the new password is sealed and recorded as pending before the target is touched, and
 * becomes current only after logging in with it succeeded (docs/rotation.md).
 */
export interface RotationService {
  /**
   * Endpoint 5 (RESETTYPE REMOTE) and the toolkit: the caller's new password, with the caller's
   * authorization and the account's policy as for a local change. Rejects with an error whose
   * message is `Password reset failed: <why>` when the target did not take it.
   */
  resetRemote(
    caller: Caller,
    resourceId: number,
    accountId: number,
    newPassword: Secret,
    why: AccessJustification,
  ): Promise<void>;
  /**
   * Scheduled, bulk and check-in rotation: a fresh password of the governing policy, acting as
   * `actor` (the system or an administrator already authorized by the caller of this method).
   */
  rotateToGenerated(
    actor: AuditActor,
    accountId: number,
    trigger: RotationTrigger,
    options?: { readonly timeoutMs?: number },
  ): Promise<RotationOutcome>;
  /** Whether the vault's current password opens the target; audits `Password Verification Failed` when not. */
  verify(
    actor: AuditActor,
    accountId: number,
    options?: { readonly timeoutMs?: number },
  ): Promise<VerificationOutcome>;
  /** Settles every pending rotation (on start and periodically): pending first, then current. */
  reconcilePending(): Promise<{ readonly settled: number; readonly unsettled: number }>;
}

/** Which connector changes passwords on a target of each kind (connectors/index.ts builds it). */
export interface ConnectorRegistry {
  connectorFor(kind: RemoteTarget['kind']): RemoteConnector;
}
