import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import { nameField } from '../../http/native-fields.js';
import { FieldInputError, InvalidInputError, NotFoundError } from '../../platform/errors.js';
import { actorOf } from '../audit/index.js';
import { SCHEDULE_LIMITS, type ScheduleTiming } from '../rotation/schedules/schedules.types.js';
import type { SshKeyDiscovery } from './discovery.service.js';
import type { ResourceFindings } from './discovery.types.js';
import type { KeyRotationSchedules } from './key-rotation.schedules.js';
import type { KeyRotationService } from './key-rotation.service.js';
import type { KeyRotationSchedule, KeyRotationView } from './key-rotation.types.js';
import type { SshKeysService } from './ssh-keys.service.js';

/**
 * The SSH key lifecycle in the console (issue 15; ADR 034, 035, 042): discovery of the keys in a
 * resource's authorized_keys (one resource answered in the request, a resource group as a job
 * whose progress the console polls at /api/v1/jobs/{id}) and rotation of a key now, with its
 * rotations and schedule. The same service calls as the PKI endpoints (discoverSSHKeys,
 * getDiscoveredSSHKeys, rotateSSHKey, getSSHKeyRotations, getSSHKeyRotationSchedule), so the
 * same access rules, release rules and audit records apply.
 */

const foundKey = z.object({
  userName: z.string(),
  line: z.number(),
  keyType: z.string(),
  bits: z.number(),
  fingerprint: z.string(),
  publicKey: z.string(),
  comment: z.string(),
  options: z.string(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  known: z.boolean().describe('the key store holds a key with this fingerprint'),
  vaultKeys: z.array(z.string()).describe('the names of those keys the caller may see'),
});

const findingsView = z.object({
  resourceId: z.number(),
  resourceName: z.string(),
  discoveredAt: z.number().nullable(),
  discoveredBy: z.string().nullable(),
  host: z.string().nullable(),
  attemptedAt: z.number().nullable(),
  lastError: z.object({ reason: z.string(), message: z.string() }).nullable(),
  accounts: z.array(
    z.object({
      userName: z.string(),
      file: z.enum(['present', 'missing', 'unreadable', 'symlink', 'truncated']),
      invalid: z.array(z.object({ line: z.number(), text: z.string(), problem: z.string() })),
    }),
  ),
  keys: z.array(foundKey),
});

function findingsOf(found: ResourceFindings): z.infer<typeof findingsView> {
  return {
    resourceId: found.resourceId,
    resourceName: found.resourceName,
    discoveredAt: found.discoveredAt ?? null,
    discoveredBy: found.discoveredBy ?? null,
    host: found.host ?? null,
    attemptedAt: found.attemptedAt ?? null,
    lastError: found.lastError ?? null,
    accounts: found.accounts.map((a) => ({
      userName: a.userName,
      file: a.file,
      invalid: a.invalid.map((l) => ({ line: l.line, text: l.text, problem: l.problem })),
    })),
    keys: found.keys.map((k) => ({
      userName: k.userName,
      line: k.line,
      keyType: k.keyType,
      bits: k.bits,
      fingerprint: k.fingerprint,
      publicKey: k.publicKey,
      comment: k.comment,
      options: k.options,
      firstSeen: k.firstSeen,
      lastSeen: k.lastSeen,
      known: k.known,
      vaultKeys: [...k.vaultKeys],
    })),
  };
}

const rotationView = z.object({
  rotationId: z.number(),
  status: z.enum(['pending', 'completed', 'failed']),
  phase: z.string(),
  trigger: z.string(),
  newFingerprint: z.string(),
  oldFingerprint: z.string(),
  requestedBy: z.string(),
  message: z.string(),
  createdAt: z.number(),
  switchedAt: z.number().nullable(),
  settledAt: z.number().nullable(),
  hosts: z.array(
    z.object({ resourceName: z.string(), userName: z.string(), status: z.string(), message: z.string() }),
  ),
});

function rotationOf(r: KeyRotationView): z.infer<typeof rotationView> {
  return {
    rotationId: r.rotationId,
    status: r.status,
    phase: r.phase,
    trigger: r.trigger,
    newFingerprint: r.newFingerprint,
    oldFingerprint: r.oldFingerprint,
    requestedBy: r.requestedBy,
    message: r.message,
    createdAt: r.createdAt,
    switchedAt: r.switchedAt ?? null,
    settledAt: r.settledAt ?? null,
    hosts: r.hosts.map((h) => ({
      resourceName: h.resourceName,
      userName: h.userName,
      status: h.status,
      message: h.message,
    })),
  };
}

const scheduleView = z.object({
  timing: z.union([
    z.object({ kind: z.literal('interval'), days: z.number() }),
    z.object({ kind: z.literal('cron'), expression: z.string() }),
  ]),
  nextRunAt: z.number(),
  lastRunAt: z.number().nullable(),
  lastSummary: z.string().nullable(),
  createdBy: z.string(),
});

function scheduleOf(s: KeyRotationSchedule): z.infer<typeof scheduleView> {
  return {
    timing: s.timing,
    nextRunAt: s.nextRunAt,
    lastRunAt: s.lastRunAt ?? null,
    lastSummary: s.lastSummary ?? null,
    createdBy: s.createdBy,
  };
}

/** A schedule: every N days or a cron expression (read in the instance's time zone), from `startAt`. */
const scheduleBody = z
  .object({
    everyDays: z
      .number()
      .int('A whole number of days')
      .min(1, 'At least 1 day')
      .max(SCHEDULE_LIMITS.maxIntervalDays, `At most ${SCHEDULE_LIMITS.maxIntervalDays} days`)
      .optional(),
    cron: z
      .string()
      .trim()
      .min(1, 'A cron expression, such as 0 2 * * 0')
      .max(SCHEDULE_LIMITS.cron, `At most ${SCHEDULE_LIMITS.cron} characters`)
      .optional(),
    startAt: z
      .number()
      .int('An instant in epoch milliseconds')
      .positive('An instant in epoch milliseconds')
      .max(8_640_000_000_000_000, 'A date before the year 275760')
      .optional()
      .describe('epoch ms of the first run; absent: the next time the timing gives'),
  })
  .strict();

/** "Resource X does not exist" (or "Resource group X ...") belongs beside the field that named it. */
async function missingAs<T>(field: string, pattern: RegExp, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof NotFoundError && pattern.test(err.message)) {
      throw new FieldInputError(field, err.message, err.code);
    }
    throw err;
  }
}

export function registerSshKeyLifecycleConsoleRoutes(
  router: NativeRouter,
  deps: {
    sshKeys: SshKeysService;
    discovery: SshKeyDiscovery;
    keyRotation: KeyRotationService;
    keyRotationSchedules: KeyRotationSchedules;
  },
): void {
  const { sshKeys, discovery, keyRotation, keyRotationSchedules } = deps;

  router.add({
    method: 'POST',
    url: '/api/v1/ssh-key-discovery/resource',
    summary:
      "Discover the keys in every account's authorized_keys on one resource (discoverSSHKeys; full access to the resource), answered in the request",
    tag: 'ssh-keys',
    access: 'signed-in',
    body: z.object({ resourceName: nameField(255, 'Choose a resource') }),
    response: findingsView,
    async handle({ caller, body }) {
      return findingsOf(
        await missingAs('resourceName', /^Resource /, () =>
          discovery.discoverResource(caller, body.resourceName),
        ),
      );
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/ssh-key-discovery/group',
    summary:
      'Discover the keys on every resource of a resource group as a background job; its progress at /api/v1/jobs/{id}',
    tag: 'ssh-keys',
    access: 'signed-in',
    status: 201,
    body: z.object({ groupName: nameField(255, 'Choose a resource group') }),
    response: z.object({ jobId: z.number(), group: z.string(), total: z.number(), permitted: z.number() }),
    async handle({ caller, body }) {
      return missingAs('groupName', /^Resource group /, () => discovery.startGroup(caller, body.groupName));
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/ssh-key-discovery/findings',
    summary: "The last discovery's findings on a resource (getDiscoveredSSHKeys; view access)",
    tag: 'ssh-keys',
    access: 'signed-in',
    query: z.object({ resourceName: nameField(255, 'Choose a resource') }),
    response: findingsView,
    async handle({ caller, query }) {
      return findingsOf(
        await missingAs('resourceName', /^Resource /, () => discovery.findings(caller, query.resourceName)),
      );
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/ssh-keys/:keyId/rotations',
    summary:
      "The key's rotations, newest first, with each host's outcome, and its rotation schedule (view access)",
    tag: 'ssh-keys',
    access: 'signed-in',
    response: z.object({ items: z.array(rotationView), schedule: scheduleView.nullable() }),
    async handle({ caller, params }) {
      const key = await sshKeys.getById(caller, parseId(params.keyId, 'SSH key'));
      const items = await keyRotation.rotations(caller, key.name);
      let schedule: KeyRotationSchedule | undefined;
      try {
        schedule = await keyRotationSchedules.show(caller, key.name);
      } catch (err) {
        // No schedule is an answer here, not an error.
        if (!(err instanceof NotFoundError)) throw err;
      }
      return { items: items.map(rotationOf), schedule: schedule ? scheduleOf(schedule) : null };
    },
  });

  router.add({
    method: 'PUT',
    url: '/api/v1/ssh-keys/:keyId/rotation-schedule',
    summary:
      "Set or replace the key's rotation schedule (setSSHKeyRotationSchedule; what rotating it now needs): every N days or a cron expression",
    tag: 'ssh-keys',
    access: 'signed-in',
    body: scheduleBody,
    response: scheduleView,
    async handle({ caller, params, body }) {
      if ((body.everyDays === undefined) === (body.cron === undefined)) {
        throw new FieldInputError('everyDays', 'Give either a number of days or a cron expression');
      }
      const timing: ScheduleTiming =
        body.cron !== undefined
          ? { kind: 'cron', expression: body.cron }
          : { kind: 'interval', days: body.everyDays! };
      const key = await sshKeys.getById(caller, parseId(params.keyId, 'SSH key'));
      try {
        return scheduleOf(
          await keyRotationSchedules.set(caller, actorOf(caller), key.name, timing, body.startAt),
        );
      } catch (err) {
        // The service's timing refusals (a cron expression that does not parse or never runs).
        if (err instanceof InvalidInputError && !(err instanceof FieldInputError)) {
          throw new FieldInputError(timing.kind === 'cron' ? 'cron' : 'everyDays', err.message, err.code);
        }
        throw err;
      }
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/ssh-keys/:keyId/rotation-schedule',
    summary: "Remove the key's rotation schedule (deleteSSHKeyRotationSchedule; as setting one needs)",
    tag: 'ssh-keys',
    access: 'signed-in',
    response: z.object({ removed: z.literal(true) }),
    async handle({ caller, params }) {
      const key = await sshKeys.getById(caller, parseId(params.keyId, 'SSH key'));
      await keyRotationSchedules.remove(caller, actorOf(caller), key.name);
      return { removed: true as const };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/ssh-keys/:keyId/rotations',
    summary:
      'Rotate the key now (rotateSSHKey; modify access): a new pair onto every host it is deployed on, verified, then the old line removed (two-phase, ADR 035)',
    tag: 'ssh-keys',
    access: 'signed-in',
    response: z.object({
      outcome: z.enum(['rotated', 'failed', 'unsettled']),
      message: z.string(),
      rotation: rotationView,
    }),
    async handle({ caller, params }) {
      const key = await sshKeys.getById(caller, parseId(params.keyId, 'SSH key'));
      const done = await keyRotation.rotate(caller, key.name, { trigger: 'api' });
      return { outcome: done.outcome, message: done.message, rotation: rotationOf(done.rotation) };
    },
  });
}
