import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import type { TimeFormatter } from '../../platform/time.js';
import { actorOf } from '../audit/index.js';
import { SCHEDULE_LIMITS, type ScheduleTiming } from '../rotation/schedules/schedules.types.js';
import { hostDetails, registerKeyRotationAdminRoutes } from './key-rotation-admin.routes.js';
import type { KeyRotationSchedules } from './key-rotation.schedules.js';
import type { KeyRotationService } from './key-rotation.service.js';
import type { KeyRotationSchedule, KeyRotationView } from './key-rotation.types.js';
import { LIMITS } from './ssh-keys.types.js';

const PKI = '/api/pki/restapi';

/** The key's name: `keyName`, or `key_name` as endpoint 26's sample spells it. */
const keyName = f.group(['keyName', 'key_name'], (input: PmpInput) => {
  const d = input.details();
  const name =
    d.string('keyName', { maxLength: LIMITS.keyName }) ?? d.string('key_name', { maxLength: LIMITS.keyName });
  if (name === undefined || name.trim() === '') throw new MissingFieldError('keyName');
  return name.trim();
});

/** `everyDays` (a whole number of days) or `cron` (five fields): exactly one. */
const timing = f.group(['everyDays', 'cron'], (input: PmpInput): ScheduleTiming => {
  const d = input.details();
  const days = d.string('everyDays', { maxLength: 20 })?.trim() || undefined;
  const cron = d.string('cron', { maxLength: SCHEDULE_LIMITS.cron })?.trim() || undefined;
  if (days !== undefined && cron !== undefined)
    throw new InvalidInputError('Give everyDays or cron, not both');
  if (cron !== undefined) return { kind: 'cron', expression: cron.replace(/\s+/g, ' ') };
  if (days === undefined) {
    throw new InvalidInputError(
      'Give everyDays (every N days) or cron (a cron expression): when the key is rotated',
    );
  }
  if (!/^\d{1,5}$/.test(days) || Number(days) < 1 || Number(days) > SCHEDULE_LIMITS.maxIntervalDays) {
    throw new InvalidInputError(
      `everyDays must be a whole number of days from 1 to ${SCHEDULE_LIMITS.maxIntervalDays}; got "${days.slice(0, 20)}"`,
    );
  }
  return { kind: 'interval', days: Number(days) };
});

/** `startAt`: an ISO 8601 date and time with its offset, or `now`; absent: as password schedules plan it. */
const startAt = f.group(['startAt'], (input: PmpInput): number | 'now' | undefined => {
  const text = input.details().string('startAt', { maxLength: 40 })?.trim() || undefined;
  if (text === undefined) return undefined;
  if (text.toLowerCase() === 'now') return 'now';
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/i;
  const at = iso.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(at)) {
    throw new InvalidInputError(
      `startAt must be an ISO 8601 date and time with its offset (2027-01-01T02:00:00Z) or "now"; got "${text.slice(0, 40)}"`,
    );
  }
  return at;
});

function rotationDetails(r: KeyRotationView, time: TimeFormatter) {
  return {
    RotationId: r.rotationId,
    KeyName: r.keyName,
    Status: r.status,
    Phase: r.phase,
    Trigger: r.trigger,
    FingerPrint: r.newFingerprint,
    PreviousFingerPrint: r.oldFingerprint,
    PreviousPublicKey: r.oldPublicKey,
    RequestedBy: r.requestedBy,
    Message: r.message,
    StartedAt: time.pmpDateTime(r.createdAt),
    SwitchedAt: r.switchedAt === undefined ? '' : time.pmpDateTime(r.switchedAt),
    SettledAt: r.settledAt === undefined ? '' : time.pmpDateTime(r.settledAt),
    Hosts: r.hosts.map(hostDetails),
  };
}

function scheduleDetails(s: KeyRotationSchedule, time: TimeFormatter) {
  return {
    KeyName: s.keyName,
    EveryDays: s.timing.kind === 'interval' ? s.timing.days : '',
    Cron: s.timing.kind === 'cron' ? s.timing.expression : '',
    NextRun: time.pmpDateTime(s.nextRunAt),
    NextRunAt: new Date(s.nextRunAt).toISOString(),
    LastRun: s.lastRunAt === undefined ? '' : time.pmpDateTime(s.lastRunAt),
    LastSummary: s.lastSummary ?? '',
    CreatedBy: s.createdBy,
  };
}

/**
 * SSH key rotation on the PKI API (docs/ssh-keys.md "Rotation", ADR 035): rotate now (answered
 * per host), the key's rotations for operators, and the key's schedule. Applications are refused.
 */
export function registerKeyRotationRoutes(
  router: PmpRouter,
  deps: { keyRotation: KeyRotationService; keyRotationSchedules: KeyRotationSchedules; time: TimeFormatter },
): void {
  const { keyRotation, keyRotationSchedules, time } = deps;
  registerKeyRotationAdminRoutes(router, { keyRotation });

  router.add({
    method: 'POST',
    url: `${PKI}/rotateSSHKey`,
    operation: 'RotateSSHKey',
    schema: inputSchema({ name: keyName }),
    async handle({ caller, fields }) {
      const { outcome, message, rotation } = await keyRotation.rotate(caller, fields.name, {
        trigger: 'api',
      });
      const details = rotation.hosts.map(hostDetails);
      const extra = {
        rotation: {
          RotationId: rotation.rotationId,
          Status: rotation.status,
          FingerPrint: rotation.status === 'failed' ? rotation.oldFingerprint : rotation.newFingerprint,
          PreviousFingerPrint: rotation.oldFingerprint,
        },
      };
      if (outcome === 'rotated') {
        return {
          message: `SSH key ${rotation.keyName} rotated on ${rotation.hosts.filter((h) => h.status === 'rotated').length} host(s)`,
          details,
          totalRows: details.length,
          extra,
        };
      }
      return {
        status: 'Failed',
        statusCode: RESULT_CODES.sshKeyRotationFailed.code,
        message:
          outcome === 'failed'
            ? `SSH key rotation failed: ${message}`
            : `SSH key rotation of ${rotation.keyName} is not finished: ${message}`,
        details,
        totalRows: details.length,
        extra,
      };
    },
  });

  for (const method of ['GET', 'POST'] as const) {
    router.add({
      method,
      url: `${PKI}/getSSHKeyRotations`,
      operation: 'GetSSHKeyRotations',
      schema: inputSchema({ name: keyName }),
      async handle({ caller, fields }) {
        const rotations = await keyRotation.rotations(caller, fields.name);
        const pending = rotations.filter((r) => r.status === 'pending').length;
        return {
          message: `${rotations.length} rotation(s) of SSH key ${fields.name}, ${pending} pending`,
          details: rotations.map((r) => rotationDetails(r, time)),
          totalRows: rotations.length,
        };
      },
    });
    router.add({
      method,
      url: `${PKI}/getSSHKeyRotationSchedule`,
      operation: 'GetSSHKeyRotationSchedule',
      schema: inputSchema({ name: keyName }),
      async handle({ caller, fields }) {
        const schedule = await keyRotationSchedules.show(caller, fields.name);
        return {
          message: `Rotation schedule of SSH key ${schedule.keyName} fetched successfully`,
          details: [scheduleDetails(schedule, time)],
        };
      },
    });
  }

  router.add({
    method: 'POST',
    url: `${PKI}/setSSHKeyRotationSchedule`,
    operation: 'SetSSHKeyRotationSchedule',
    schema: inputSchema({ name: keyName, timing, startAt }),
    async handle({ caller, fields }) {
      const schedule = await keyRotationSchedules.set(
        caller,
        actorOf(caller),
        fields.name,
        fields.timing,
        fields.startAt,
      );
      return {
        message: `SSH key ${schedule.keyName} is rotated ${
          schedule.timing.kind === 'cron'
            ? `on cron "${schedule.timing.expression}"`
            : `every ${schedule.timing.days} day(s)`
        }; next run ${time.pmpDateTime(schedule.nextRunAt)}`,
        details: [scheduleDetails(schedule, time)],
      };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${PKI}/deleteSSHKeyRotationSchedule`,
    operation: 'DeleteSSHKeyRotationSchedule',
    schema: inputSchema({ name: keyName }),
    async handle({ caller, fields }) {
      await keyRotationSchedules.remove(caller, actorOf(caller), fields.name);
      return { message: `Rotation schedule of SSH key ${fields.name} removed` };
    },
  });
}
