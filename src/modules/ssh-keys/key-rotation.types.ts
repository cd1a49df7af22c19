import type { AuditActor } from '../audit/index.js';

/**
 * SSH key rotation (issue 13, ADR 035): what the service, its routes, its jobs and the CLI share.
 */

/** Audit operation names of key rotation (OPERATIONTYPE), kept with the module like schedules do. */
export const KeyRotationAuditOperation = {
  started: 'SSH Key Rotation Started',
  rotated: 'SSH Key Rotated',
  failed: 'SSH Key Rotation Failed',
  unsettled: 'SSH Key Rotation Unsettled',
  completed: 'SSH Key Rotation Completed',
  scheduled: 'SSH Key Rotation Scheduled',
  unscheduled: 'SSH Key Rotation Schedule Removed',
  /** An operator asked to settle a pending rotation now (settleSSHKeyRotation). */
  settleRequested: 'SSH Key Rotation Settle Requested',
  /** An administrator abandoned a pending rotation's unreachable hosts (resolveSSHKeyRotation). */
  resolved: 'SSH Key Rotation Resolved',
} as const;

/** What started a rotation; recorded on it and in its audit text. */
export type KeyRotationTrigger = 'api' | 'cli' | 'schedule';

export const TRIGGER_WORDS: Readonly<Record<string, string>> = {
  api: 'requested over the API',
  cli: 'requested by the local operator',
  schedule: 'scheduled rotation',
  reconcile: 'reconciliation',
};

/** How far one host got (a row of ssh_key_rotation_hosts). */
export type HostState = 'todo' | 'adding' | 'verified' | 'failed' | 'rolled-back' | 'done' | 'gone';

export type RotationPhase = 'adding' | 'rolling-back' | 'removing-old';
export type RotationStatus = 'pending' | 'completed' | 'failed';

/** One host of a rotation, as callers read it (never a secret). */
export interface HostOutcome {
  readonly resourceName: string;
  readonly userName: string;
  /**
   * rotated: the new key opens the account and the old line is gone. old key left: the new key
   * opens it, the old line could not be removed yet (reconciliation retries). old key abandoned,
   * new key abandoned: an administrator resolved the rotation without this host (its line stays
   * there; the vault discarded that key's private half). failed: this host
   * refused the new key. rolled back: the new line was taken off again (another host failed).
   * new key left: it could not be taken off yet (retried). not attempted: the rotation stopped
   * before it. resource gone: the resource was deleted meanwhile. adding, verified, waiting:
   * while the rotation runs.
   */
  readonly status: string;
  readonly message: string;
}

/** A rotation as operators read it (status read, answers, CLI). */
export interface KeyRotationView {
  readonly rotationId: number;
  readonly keyName: string;
  readonly status: RotationStatus;
  readonly phase: RotationPhase;
  readonly trigger: string;
  readonly newFingerprint: string;
  readonly oldFingerprint: string;
  readonly oldPublicKey: string;
  readonly requestedBy: string;
  readonly message: string;
  readonly createdAt: number;
  readonly switchedAt: number | undefined;
  readonly settledAt: number | undefined;
  readonly hosts: readonly HostOutcome[];
}

/**
 * How a rotation ended for its caller. rotated: every host has the new key only and the vault
 * holds it. failed: the vault keeps the old key and no host holds the new one. unsettled: not
 * finished; the rotation stays pending and reconciliation finishes it (after the switch: old
 * lines left) or rolls it back (new lines left).
 */
export interface KeyRotationOutcome {
  readonly outcome: 'rotated' | 'failed' | 'unsettled';
  readonly message: string;
  readonly rotation: KeyRotationView;
}

/** Progress of a running rotation, one event per host and step (the CLI's lines). */
export interface HostProgress {
  readonly resourceName: string;
  readonly userName: string;
  /** new key added and verified, old key removed, failed, rolled back, … */
  readonly step: string;
  readonly message?: string;
}

/** A key's rotation schedule as callers read it. */
export interface KeyRotationSchedule {
  readonly keyName: string;
  readonly timing:
    | { readonly kind: 'interval'; readonly days: number }
    | { readonly kind: 'cron'; readonly expression: string };
  readonly nextRunAt: number;
  readonly lastRunAt: number | undefined;
  readonly lastSummary: string | undefined;
  readonly createdBy: string;
  readonly modifiedAt: number;
}

/** Rotations run by the scheduler act as the system; their audit text names the schedule's creator. */
export const SYSTEM_ACTOR: AuditActor = {
  userId: null,
  username: 'System',
  clientIp: '127.0.0.1',
  client: 'System',
};

/** Job kinds of key rotation on the job runner. */
export const KEY_ROTATION_JOBS = {
  /** Settles pending rotations a crash or an unreachable host left (periodic). */
  reconcile: 'ssh-key-rotation.reconcile',
  /** Looks for due schedules (periodic safety net). */
  sweep: 'ssh-key-rotation.sweep',
  /** A sweep at one schedule's next run, queued when it is planned. */
  wake: 'ssh-key-rotation.wake',
  /** One scheduled rotation of one key (deduplicated per key). */
  rotate: 'ssh-key-rotation.rotate',
} as const;
