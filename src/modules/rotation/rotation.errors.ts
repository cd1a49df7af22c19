import { DomainError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';

/**
 * The target did not take a new password (or did not confirm it yet): `Password reset failed:
 * <why>`. The vault's current password is unchanged. The message never holds a secret.
 */
export class RemoteResetFailedError extends DomainError {
  readonly code = RESULT_CODES.remoteResetFailed.code;
  constructor(why: string) {
    super(`Password reset failed: ${why}`);
  }
}
