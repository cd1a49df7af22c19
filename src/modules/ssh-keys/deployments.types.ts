import type { Executor } from '../../platform/db/database.js';
import { DomainError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';

/** Which key goes into (or out of) which account's authorized_keys on which resource (52, 53). */
export interface DeploymentTarget {
  readonly keyName: string;
  /** The resource's name, or its DNS name when no resource of that name is visible. */
  readonly resourceName: string;
  /** The account on the host. */
  readonly userName: string;
}

/** One recorded deployment (a row of ssh_key_associations), as 31 and the CLI show it. */
export interface DeploymentView {
  readonly keyName: string;
  readonly fingerprint: string;
  readonly resourceName: string;
  readonly userName: string;
  readonly deployedBy: string;
  readonly deployedAt: number;
}

/** A key recorded for an account, and with `reconcile`, whether its line is on the host (30). */
export interface AccountKey {
  readonly keyName: string;
  readonly fingerprint: string;
  /** Only after a reconciliation: whether authorized_keys on the host holds the key. */
  readonly onHost?: boolean;
}

/**
 * A refusal to act on a key now, from another part of the SSH key store (a rotation of the key
 * in progress, helper "rotation"): the message, or undefined to go on. Asked before associate,
 * dissociate and delete touch anything.
 */
export type KeyBusyCheck = (executor: Executor, keyId: number) => Promise<string | undefined>;

/**
 * The host did not carry out an SSH key operation (associate, dissociate, reconcile): the
 * message says why and what was left on the host (nothing half-done). Never holds a secret.
 */
export class KeyOnHostError extends DomainError {
  readonly code = RESULT_CODES.sshKeyHostFailed.code;
}
