import type { PmpRouter } from '../../../http/server.js';
import type { PmpInput } from '../../../http/input.js';
import type { FieldReader } from '../../../http/field-reader.js';
import { f, inputSchema, NO_INPUT } from '../../../http/input-schema.js';
import { parseId } from '../../../http/ids.js';
import { InvalidInputError, MissingFieldError } from '../../../platform/errors.js';
import type { TimeFormatter } from '../../../platform/time.js';
import { BULK_LIMITS } from '../bulk-rotation.js';
import type { RotationSchedulesService } from './schedules.service.js';
import {
  SCHEDULE_LIMITS,
  type Schedule,
  type ScheduleAction,
  type ScheduleDraft,
  type SchedulePatch,
  type ScheduleScope,
  type ScheduleTiming,
} from './schedules.types.js';

const V1 = '/restapi/json/v1';
const SCHEDULES = `${V1}/rotationschedules`;
const NA = 'N/A';

const SCOPE_FIELDS = ['ACCOUNTID', 'RESOURCEID', 'RESOURCEGROUPID'] as const;
const TIMING_FIELDS = ['INTERVALDAYS', 'CRON'] as const;
const DRAFT_FIELDS = [
  'SCHEDULENAME',
  'ACTION',
  ...SCOPE_FIELDS,
  ...TIMING_FIELDS,
  'ONLYEXPIRED',
  'ENABLED',
  'STARTAT',
];
const PATCH_FIELDS = ['SCHEDULENAME', 'ACTION', ...TIMING_FIELDS, 'ONLYEXPIRED', 'ENABLED', 'STARTAT'];

const ACTIONS = ['ROTATE', 'VERIFY'] as const;

function readAction(details: FieldReader): ScheduleAction | undefined {
  const action = details.choice('ACTION', ACTIONS);
  return action === undefined ? undefined : action === 'ROTATE' ? 'rotate' : 'verify';
}

function readScope(details: FieldReader): ScheduleScope {
  const given = SCOPE_FIELDS.filter((name) => (details.string(name, { maxLength: 40 }) ?? '') !== '');
  if (given.length !== 1) {
    throw new InvalidInputError(
      given.length === 0
        ? 'Give exactly one of ACCOUNTID, RESOURCEID or RESOURCEGROUPID: what the schedule covers'
        : `Give exactly one of ACCOUNTID, RESOURCEID or RESOURCEGROUPID; got ${given.join(' and ')}`,
    );
  }
  const name = given[0]!;
  const kind = name === 'ACCOUNTID' ? 'account' : name === 'RESOURCEID' ? 'resource' : 'group';
  return {
    kind,
    id: parseId(details.string(name, { maxLength: 40 }), kind === 'group' ? 'resource group' : kind),
  };
}

/** INTERVALDAYS (a whole number of days) or CRON (five fields); undefined when neither is given. */
function readTiming(details: FieldReader): ScheduleTiming | undefined {
  const days = details.string('INTERVALDAYS', { maxLength: 20 }) || undefined;
  const cron = details.string('CRON', { maxLength: SCHEDULE_LIMITS.cron }) || undefined;
  if (days !== undefined && cron !== undefined)
    throw new InvalidInputError('Give INTERVALDAYS or CRON, not both');
  if (cron !== undefined) return { kind: 'cron', expression: cron.replace(/\s+/g, ' ') };
  if (days === undefined) return undefined;
  if (!/^\d{1,5}$/.test(days) || Number(days) < 1 || Number(days) > SCHEDULE_LIMITS.maxIntervalDays)
    throw new InvalidInputError(
      `INTERVALDAYS must be a whole number of days from 1 to ${SCHEDULE_LIMITS.maxIntervalDays}; got "${days.slice(0, 20)}"`,
    );
  return { kind: 'interval', days: Number(days) };
}

/** STARTAT: an ISO 8601 date and time with its offset (2027-01-01T02:00:00+01:00 or …Z), or `now`. */
function readStart(details: FieldReader): number | 'now' | undefined {
  const text = details.string('STARTAT', { maxLength: 40 }) || undefined;
  if (text === undefined) return undefined;
  if (text.toLowerCase() === 'now') return 'now';
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/i;
  const at = iso.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(at))
    throw new InvalidInputError(
      `STARTAT must be an ISO 8601 date and time with its offset (2027-01-01T02:00:00Z) or "now"; got "${text.slice(0, 40)}"`,
    );
  return at;
}

function readDraft(input: PmpInput): ScheduleDraft {
  const details = input.details();
  const name = details.string('SCHEDULENAME', { maxLength: SCHEDULE_LIMITS.name });
  if (!name) throw new MissingFieldError('SCHEDULENAME');
  const action = readAction(details) ?? 'rotate';
  const scope = readScope(details);
  const timing = readTiming(details);
  if (timing === undefined)
    throw new InvalidInputError(
      'Give INTERVALDAYS (every N days) or CRON (a cron expression): when the schedule runs',
    );
  return {
    name,
    action,
    scope,
    timing,
    onlyExpired: details.boolean('ONLYEXPIRED') ?? false,
    enabled: details.boolean('ENABLED') ?? true,
    startAt: readStart(details),
  };
}

function readPatch(input: PmpInput): SchedulePatch {
  const details = input.details();
  for (const name of SCOPE_FIELDS) {
    if ((details.string(name, { maxLength: 40 }) ?? '') !== '')
      throw new InvalidInputError(
        `${name}: a schedule's scope does not change; delete it and create another`,
      );
  }
  const name = details.string('SCHEDULENAME', { maxLength: SCHEDULE_LIMITS.name });
  const action = readAction(details);
  const timing = readTiming(details);
  const onlyExpired = details.boolean('ONLYEXPIRED');
  const enabled = details.boolean('ENABLED');
  const startAt = readStart(details);
  return {
    ...(name ? { name } : {}),
    ...(action !== undefined ? { action } : {}),
    ...(timing !== undefined ? { timing } : {}),
    ...(onlyExpired !== undefined ? { onlyExpired } : {}),
    ...(enabled !== undefined ? { enabled } : {}),
    ...(startAt !== undefined ? { startAt } : {}),
  };
}

function readWholeNumber(details: FieldReader, name: string, max: number): number | undefined {
  const text = details.string(name, { maxLength: 20 }) || undefined;
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new InvalidInputError(
      `${name} must be a whole number from 1 to ${max}; got "${text.slice(0, 20)}"`,
    );
  return Number(text);
}

function present(s: Schedule, time: TimeFormatter) {
  return {
    SCHEDULEID: String(s.id),
    SCHEDULENAME: s.name,
    ACTION: s.action.toUpperCase(),
    SCOPE: s.scope.kind === 'group' ? 'RESOURCEGROUP' : s.scope.kind.toUpperCase(),
    ...(s.scope.kind === 'account' ? { ACCOUNTID: String(s.scope.id) } : {}),
    ...(s.scope.kind === 'resource' ? { RESOURCEID: String(s.scope.id) } : {}),
    ...(s.scope.kind === 'group' ? { RESOURCEGROUPID: String(s.scope.id) } : {}),
    SCOPENAME: s.scopeName,
    INTERVALDAYS: s.timing.kind === 'interval' ? String(s.timing.days) : NA,
    CRON: s.timing.kind === 'cron' ? s.timing.expression : NA,
    ONLYEXPIRED: String(s.onlyExpired),
    ENABLED: String(s.enabled),
    NEXTRUN: s.enabled ? time.pmpDateTime(s.nextRunAt) : NA,
    LASTRUN: s.lastRunAt === undefined ? NA : time.pmpDateTime(s.lastRunAt),
    LASTRUNSUMMARY: s.lastSummary ?? NA,
    CREATEDBY: s.createdBy,
  };
}

/**
 * Native endpoints (the original offers schedules only in its web interface): rotation and
 * verification schedules, and the bulk rotation of a resource group (a job; its progress over
 * the jobs API). ADR 029.
 */
export function registerRotationScheduleRoutes(
  router: PmpRouter,
  { schedules, time }: { schedules: RotationSchedulesService; time: TimeFormatter },
): void {
  router.add({
    method: 'POST',
    url: SCHEDULES,
    operation: 'CREATE ROTATION SCHEDULE',
    schema: inputSchema({ draft: f.group(DRAFT_FIELDS, readDraft) }),
    async handle({ caller, fields: { draft } }) {
      const schedule = await schedules.create(caller, draft);
      return {
        message: `Rotation schedule ${schedule.name} created successfully`,
        details: present(schedule, time),
      };
    },
  });

  router.add({
    method: 'GET',
    url: SCHEDULES,
    operation: 'GET ROTATION SCHEDULES',
    schema: NO_INPUT,
    async handle({ caller }) {
      const list = await schedules.list(caller);
      return {
        message: 'Rotation schedules fetched successfully',
        details: list.map((s) => present(s, time)),
        totalRows: list.length,
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${SCHEDULES}/:scheduleId`,
    operation: 'GET ROTATION SCHEDULE',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const schedule = await schedules.get(caller, parseId(params.scheduleId, 'rotation schedule'));
      return { message: 'Rotation schedule fetched successfully', details: present(schedule, time) };
    },
  });

  router.add({
    method: 'PUT',
    url: `${SCHEDULES}/:scheduleId`,
    operation: 'EDIT ROTATION SCHEDULE',
    schema: inputSchema({ patch: f.group(PATCH_FIELDS, readPatch) }),
    async handle({ caller, params, fields }) {
      const schedule = await schedules.edit(
        caller,
        parseId(params.scheduleId, 'rotation schedule'),
        fields.patch,
      );
      return {
        message: `Rotation schedule ${schedule.name} modified successfully`,
        details: present(schedule, time),
      };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${SCHEDULES}/:scheduleId`,
    operation: 'DELETE ROTATION SCHEDULE',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const name = await schedules.delete(caller, parseId(params.scheduleId, 'rotation schedule'));
      return { message: `Rotation schedule ${name} deleted successfully` };
    },
  });

  router.add({
    method: 'POST',
    url: `${V1}/resourcegroup/:groupId/rotate`,
    operation: 'ROTATE RESOURCE GROUP',
    schema: inputSchema({
      options: f.group(['CONCURRENCY', 'TIMEOUT'], (input) => {
        const details = input.details();
        return {
          concurrency: readWholeNumber(details, 'CONCURRENCY', BULK_LIMITS.maxConcurrency),
          timeoutSeconds: readWholeNumber(details, 'TIMEOUT', BULK_LIMITS.maxTimeoutMs / 1000),
        };
      }),
    }),
    async handle({ caller, params, fields: { options } }) {
      const { jobId, group } = await schedules.startBulk(caller, parseId(params.groupId, 'resource group'), {
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
      });
      return {
        message: `Bulk rotation of resource group ${group} started`,
        details: { JOBID: String(jobId), RESOURCEGROUPNAME: group },
      };
    },
  });
}
