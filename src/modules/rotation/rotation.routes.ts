import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import { parseId } from '../../http/ids.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { TimeFormatter } from '../../platform/time.js';
import { ROTATION_STATUSES, type RotationRecord } from '../vault/index.js';
import type { RotationAdministration } from './rotation.admin.js';
import type { RotationOutcome } from './rotation.types.js';

const V1 = '/restapi/json/v1';
const ROTATIONS = `${V1}/rotations`;
const MAX_LIMIT = 1000;
const NA = 'N/A';

/** A rotation as the API shows it: who, what, when, how it ended; never a password. */
export function rotationAttributes(r: RotationRecord, time: TimeFormatter) {
  return {
    ROTATIONID: String(r.rotationId),
    RESOURCEID: String(r.resource.id),
    RESOURCENAME: r.resource.name,
    ACCOUNTID: String(r.account.id),
    ACCOUNTNAME: r.account.name,
    STATUS: r.status.toUpperCase(),
    TRIGGER: r.trigger,
    STARTEDBY: r.requestedBy.name,
    STARTEDBYID: r.requestedBy.id === null ? NA : String(r.requestedBy.id),
    STARTEDTIME: time.auditTime(r.startedAt),
    LASTATTEMPTTIME: time.auditTime(r.updatedAt),
    FINISHEDTIME: r.finishedAt === null ? NA : time.auditTime(r.finishedAt),
    ATTEMPTS: r.attempts,
    REASON: r.reason ?? '',
    MESSAGE: r.message ?? '',
  };
}

function positiveInt(input: PmpInput, name: string, fallback: number, max: number): number {
  const value = input.value(name, 20);
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidInputError(`${name} must be a positive whole number; got "${value.slice(0, 20)}"`);
  }
  return Math.min(Number(value), max);
}

function statusOf(input: PmpInput) {
  const value = input.value('STATUS', 20);
  if (value === undefined || value === '') return undefined;
  const status = ROTATION_STATUSES.find((s) => s === value.toLowerCase());
  if (!status) {
    throw new InvalidInputError(
      `STATUS must be one of ${ROTATION_STATUSES.join(', ')}; got "${value.slice(0, 20)}"`,
    );
  }
  return status;
}

const optionalId = (name: string, what: string) =>
  f.group([name], (input) => {
    const value = input.value(name, 40);
    return value === undefined || value === '' ? undefined : parseId(value, what);
  });

/** The outcome of a settlement asked for now, in words (no secret). */
function outcomeAttributes(o: RotationOutcome) {
  return {
    OUTCOME: o.status === 'changed' ? 'COMPLETED' : o.status === 'failed' ? 'FAILED' : 'PENDING',
    OUTCOMEMESSAGE: o.message,
  };
}

/**
 * Native endpoints: password rotations, and what operators do about pending ones (docs/rotation.md,
 * "Pending rotations"). The service authorizes; routes read input and shape answers.
 */
export function registerRotationRoutes(
  router: PmpRouter,
  deps: { rotation: RotationAdministration; time: TimeFormatter },
): void {
  const { rotation, time } = deps;

  router.add({
    method: 'GET',
    url: ROTATIONS,
    operation: 'GET ROTATIONS',
    schema: inputSchema({
      status: f.group(['STATUS'], statusOf),
      resourceId: optionalId('RESOURCEID', 'resource'),
      accountId: optionalId('ACCOUNTID', 'account'),
      startIndex: f.group(['STARTINDEX'], (input) =>
        positiveInt(input, 'STARTINDEX', 1, Number.MAX_SAFE_INTEGER),
      ),
      limit: f.group(['LIMIT'], (input) => positiveInt(input, 'LIMIT', 100, MAX_LIMIT)),
    }),
    async handle({ caller, fields }) {
      const page = await rotation.listRotations({ caller }, fields);
      return {
        message: 'Rotations fetched successfully',
        details: page.rotations.map((r) => rotationAttributes(r, time)),
        totalRows: page.total,
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${ROTATIONS}/:rotationId`,
    operation: 'GET ROTATION',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const record = await rotation.rotationRecord({ caller }, parseId(params.rotationId, 'rotation'));
      return { message: 'Rotation fetched successfully', details: rotationAttributes(record, time) };
    },
  });

  router.add({
    method: 'POST',
    url: `${ROTATIONS}/:rotationId/reconcile`,
    operation: 'RECONCILE ROTATION',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const { outcome, rotation: record } = await rotation.reconcileRotation(
        { caller },
        parseId(params.rotationId, 'rotation'),
      );
      const details = { ...rotationAttributes(record, time), ...outcomeAttributes(outcome) };
      if (outcome.status === 'unsettled') {
        // Nothing was decided: answered as a failure, the rotation (still pending) in Details.
        return {
          status: 'Failed',
          statusCode: RESULT_CODES.remoteResetFailed.code,
          message: `Rotation ${record.rotationId} is still pending: ${outcome.message}`,
          details,
        };
      }
      return {
        message:
          outcome.status === 'changed'
            ? 'Rotation settled: the new password opens the target and is now current'
            : 'Rotation settled: the target kept the current password',
        details,
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${ROTATIONS}/:rotationId/resolve`,
    operation: 'RESOLVE ROTATION',
    schema: inputSchema({
      keep: f.choice('KEEP', ['pending', 'current'] as const, { required: true }),
    }),
    async handle({ caller, params, fields }) {
      if (fields.keep === undefined) throw new MissingFieldError('KEEP');
      const record = await rotation.resolveRotation(
        { caller },
        parseId(params.rotationId, 'rotation'),
        fields.keep,
      );
      return {
        message:
          fields.keep === 'pending'
            ? 'Rotation resolved: the pending password is now current'
            : 'Rotation resolved: the current password is kept; the pending one is in the password history',
        details: rotationAttributes(record, time),
      };
    },
  });
}
