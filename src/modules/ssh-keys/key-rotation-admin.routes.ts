import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import { actorOf } from '../audit/index.js';
import type { KeyRotationRef } from './key-rotation.admin.js';
import type { KeyRotationService } from './key-rotation.service.js';
import type { HostOutcome, KeyRotationView } from './key-rotation.types.js';
import { LIMITS } from './ssh-keys.types.js';

const PKI = '/api/pki/restapi';

/** `keyName` (its pending rotation) or `rotationId`: exactly one. */
const rotationRef = f.group(['keyName', 'key_name', 'rotationId'], (input: PmpInput): KeyRotationRef => {
  const d = input.details();
  const name = (
    d.string('keyName', { maxLength: LIMITS.keyName }) ?? d.string('key_name', { maxLength: LIMITS.keyName })
  )?.trim();
  const id = d.string('rotationId', { maxLength: 20 })?.trim();
  if (name && id) throw new InvalidInputError('Give keyName or rotationId, not both');
  if (id) {
    if (!/^\d{1,15}$/.test(id) || Number(id) < 1)
      throw new InvalidInputError(`rotationId must be a rotation's number; got "${id.slice(0, 20)}"`);
    return { rotationId: Number(id) };
  }
  if (!name) throw new MissingFieldError('keyName');
  return { keyName: name };
});

/** Why the administrator resolves it: recorded in the rotation and the audit trail. */
const reason = f.group(['reason'], (input: PmpInput): string | undefined => {
  const text = input.details().string('reason', { maxLength: 200 })?.trim();
  if (text && /[\u0000-\u001f\u007f]/.test(text)) {
    throw new InvalidInputError('reason must be one line of text without control characters');
  }
  return text || undefined;
});

export const hostDetails = (h: HostOutcome) => ({
  ResourceName: h.resourceName,
  UserName: h.userName,
  Status: h.status,
  Message: h.message,
});

const rotationExtra = (r: KeyRotationView) => ({
  RotationId: r.rotationId,
  KeyName: r.keyName,
  Status: r.status,
  Phase: r.phase,
  FingerPrint: r.status === 'failed' ? r.oldFingerprint : r.newFingerprint,
  PreviousFingerPrint: r.oldFingerprint,
});

/**
 * The operator's way out of a pending SSH key rotation (docs/ssh-keys.md "Rotation", ADR 035):
 * settle it now, or resolve it by abandoning the hosts that never answer. Applications are
 * refused (no A2A operation).
 */
export function registerKeyRotationAdminRoutes(
  router: PmpRouter,
  deps: { keyRotation: KeyRotationService },
): void {
  const { keyRotation } = deps;

  router.add({
    method: 'POST',
    url: `${PKI}/settleSSHKeyRotation`,
    operation: 'SettleSSHKeyRotation',
    schema: inputSchema({ ref: rotationRef }),
    async handle({ caller, fields }) {
      const { outcome, message, rotation } = await keyRotation.settle(caller, actorOf(caller), fields.ref);
      const details = rotation.hosts.map(hostDetails);
      const extra = { rotation: rotationExtra(rotation) };
      const head = `Rotation ${rotation.rotationId} of SSH key ${rotation.keyName}`;
      if (outcome === 'unsettled') {
        return {
          status: 'Failed',
          statusCode: RESULT_CODES.sshKeyRotationFailed.code,
          message: `${head} is still pending: ${message}`,
          details,
          totalRows: details.length,
          extra,
        };
      }
      return {
        message: `${head} settled: ${outcome === 'rotated' ? 'completed' : 'rolled back'}: ${message}`,
        details,
        totalRows: details.length,
        extra,
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/resolveSSHKeyRotation`,
    operation: 'ResolveSSHKeyRotation',
    schema: inputSchema({ ref: rotationRef, reason }),
    async handle({ caller, fields }) {
      const { outcome, abandoned } = await keyRotation.resolve(
        caller,
        actorOf(caller),
        fields.ref,
        fields.reason,
      );
      const rotation = outcome.rotation;
      const details = rotation.hosts.map(hostDetails);
      const head = `Rotation ${rotation.rotationId} of SSH key ${rotation.keyName}`;
      const settledAs = outcome.outcome === 'rotated' ? 'completed' : 'rolled back';
      return {
        message:
          abandoned.length === 0
            ? `${head} settled on its hosts (${settledAs}); nothing was abandoned: ${outcome.message}`
            : `${head} resolved (${settledAs}), ${abandoned.length} host(s) abandoned: ${outcome.message}`,
        details,
        totalRows: details.length,
        extra: {
          rotation: rotationExtra(rotation),
          abandoned: abandoned.map((a) => ({
            ResourceName: a.resourceName,
            UserName: a.userName,
            FingerPrint: a.fingerprint,
          })),
        },
      };
    },
  });
}
