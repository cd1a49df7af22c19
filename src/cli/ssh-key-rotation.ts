/**
 * `bulwark sshkeys rotate --name K` and `bulwark sshkeys schedule --name K --every-days N |
 * --cron EXPR | --remove`: SSH key rotation (ADR 035) as the local operator, in the CLI's own
 * process: the same two phases, reconciliation and audit as over the API. Rotating shows each
 * host's steps on stderr (a bar on a terminal) and the outcome per host on stdout; exit code 2
 * when the rotation did not complete. `bulwark sshkeys rotations list|settle|resolve`: the
 * operator's view of rotations and way out of a pending one (settle it now; resolve it,
 * abandoning the hosts that never answer).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { InstanceError } from '../instance.js';
import type { KeyRotationOutcome, KeyRotationView } from '../modules/ssh-keys/index.js';
import { createProgress } from './progress.js';
import {
  operator,
  operatorActor,
  out,
  withDataDir,
  withInstance,
  withJson,
  type InstanceOptions,
} from './shared.js';

interface RotateOptions extends InstanceOptions {
  name: string;
  json?: boolean;
}

interface ScheduleOptions extends InstanceOptions {
  name: string;
  everyDays?: number;
  cron?: string;
  startAt?: string;
  remove?: boolean;
  json?: boolean;
}

function days(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value.trim()) || n < 1 || n > 3650)
    throw new InvalidArgumentError('a whole number of days from 1 to 3650');
  return n;
}

function startAtOf(text: string | undefined): number | 'now' | undefined {
  if (text === undefined) return undefined;
  if (text.toLowerCase() === 'now') return 'now';
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)
    ? Date.parse(text)
    : NaN;
  if (!Number.isFinite(at))
    throw new InstanceError(
      '--start-at: an ISO 8601 date and time with its offset (2027-01-01T02:00:00Z) or "now"',
    );
  return at;
}

function outcomeJson(o: KeyRotationOutcome) {
  const r = o.rotation;
  return {
    outcome: o.outcome,
    message: o.message,
    rotationId: r.rotationId,
    key: r.keyName,
    status: r.status,
    phase: r.phase,
    fingerprint: r.status === 'failed' ? r.oldFingerprint : r.newFingerprint,
    previousFingerprint: r.oldFingerprint,
    hosts: r.hosts,
  };
}

interface RefOptions extends InstanceOptions {
  name?: string;
  id?: number;
  reason?: string;
  json?: boolean;
}

function rotationNumber(value: string): number {
  if (!/^\d{1,15}$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError("a rotation's number");
  return Number(value);
}

function refOf(options: RefOptions): { keyName: string } | { rotationId: number } {
  if (options.id !== undefined) return { rotationId: options.id };
  if (options.name !== undefined && options.name.trim() !== '') return { keyName: options.name.trim() };
  throw new InstanceError('give --name (the key whose rotation is pending) or --id (the rotation)');
}

function printRotation(r: KeyRotationView): void {
  out(
    `rotation ${r.rotationId} of ${r.keyName}: ${r.status} (${r.phase}), ${r.oldFingerprint} -> ${r.newFingerprint}, ${r.trigger} by ${r.requestedBy}, started ${new Date(r.createdAt).toISOString()}`,
  );
  if (r.message) out(`  ${r.message}`);
  for (const h of r.hosts)
    out(`  ${h.userName}@${h.resourceName}: ${h.status}${h.message ? `: ${h.message}` : ''}`);
}

/** `bulwark sshkeys rotations list|settle|resolve`. */
function registerRotationsCommands(keys: Command): void {
  const rotations = keys
    .command('rotations')
    .description(
      'SSH key rotations: list them, settle a pending one now, or resolve one whose hosts never answer',
    );

  const list = rotations
    .command('list')
    .description("list rotations, newest first: one key's (--name) or every key's")
    .option('--name <name>', "only this key's rotations")
    .option('--pending', 'only pending rotations');
  withJson(withDataDir(list), 'print the rotations as one JSON array').action(
    async (options: RefOptions & { pending?: boolean }) => {
      await withInstance(options, async (instance) => {
        const service = instance.services.sshKeyRotation;
        const all =
          options.name !== undefined
            ? await service.rotations(operator(), options.name)
            : await service.recent({ pendingOnly: options.pending === true, limit: 100 });
        const shown = options.pending ? all.filter((r) => r.status === 'pending') : all;
        if (options.json) {
          out(JSON.stringify(shown));
          return;
        }
        if (shown.length === 0)
          out(options.pending ? 'No pending SSH key rotation.' : 'No SSH key rotation.');
        for (const r of shown) printRotation(r);
      });
    },
  );

  const settle = rotations
    .command('settle')
    .description(
      'settle a pending rotation now (what reconciliation does: finish it, or roll it back); exit code 2 when it stays pending',
    )
    .option('--name <name>', 'the key whose rotation is pending')
    .addOption(new Option('--id <n>', 'the rotation').argParser(rotationNumber).conflicts('name'));
  withJson(withDataDir(settle), 'print the outcome as one JSON document').action(
    async (options: RefOptions) => {
      await withInstance(options, async (instance) => {
        const outcome = await instance.services.sshKeyRotation.settle(
          operator(),
          operatorActor(),
          refOf(options),
        );
        if (options.json) out(JSON.stringify(outcomeJson(outcome)));
        else {
          const r = outcome.rotation;
          out(
            outcome.outcome === 'unsettled'
              ? `Rotation ${r.rotationId} of SSH key ${r.keyName} is still pending: ${outcome.message}`
              : `Rotation ${r.rotationId} of SSH key ${r.keyName} settled (${outcome.outcome === 'rotated' ? 'completed' : 'rolled back'}): ${outcome.message}`,
          );
          for (const h of r.hosts)
            out(`  ${h.userName}@${h.resourceName}: ${h.status}${h.message ? `: ${h.message}` : ''}`);
        }
        if (outcome.outcome === 'unsettled') process.exitCode = 2;
      });
    },
  );

  const resolve = rotations
    .command('resolve')
    .description(
      'resolve a pending rotation whose hosts never answer: one more attempt, then the hosts left are ' +
        "abandoned (before the switch rolled back, the new key's line may stay there; after it finished, " +
        "the old key's line stays there), each named in the audit trail",
    )
    .option('--name <name>', 'the key whose rotation is pending')
    .addOption(new Option('--id <n>', 'the rotation').argParser(rotationNumber).conflicts('name'))
    .option('--reason <text>', 'why, recorded in the rotation and the audit trail');
  withJson(withDataDir(resolve), 'print the outcome as one JSON document').action(
    async (options: RefOptions) => {
      await withInstance(options, async (instance) => {
        const reason = options.reason?.trim();
        if (reason !== undefined && (reason.length > 200 || /[\u0000-\u001f\u007f]/.test(reason)))
          throw new InstanceError('--reason: one line of at most 200 characters');
        const { outcome, abandoned } = await instance.services.sshKeyRotation.resolve(
          operator(),
          operatorActor(),
          refOf(options),
          reason || undefined,
        );
        const r = outcome.rotation;
        if (options.json) {
          out(JSON.stringify({ ...outcomeJson(outcome), abandoned }));
          return;
        }
        out(
          abandoned.length === 0
            ? `Rotation ${r.rotationId} of SSH key ${r.keyName} settled on its hosts; nothing was abandoned: ${outcome.message}`
            : `Rotation ${r.rotationId} of SSH key ${r.keyName} resolved, ${abandoned.length} host(s) abandoned: ${outcome.message}`,
        );
        for (const h of r.hosts)
          out(`  ${h.userName}@${h.resourceName}: ${h.status}${h.message ? `: ${h.message}` : ''}`);
      });
    },
  );
}

export function registerSshKeyRotationCommands(keys: Command): void {
  registerRotationsCommands(keys);
  const rotate = keys
    .command('rotate')
    .description(
      'rotate a key: a new pair of the same type, length, comment and passphrase replaces it on every ' +
        'host it is deployed on (added and verified everywhere, then the vault switched, then the old ' +
        'line removed); exit code 2 when it did not complete',
    )
    .requiredOption('--name <name>', 'the key name');
  withJson(withDataDir(rotate), 'print the outcome as one JSON document').action(
    async (options: RotateOptions) => {
      await withInstance(options, async (instance) => {
        let progress: ReturnType<typeof createProgress> | undefined;
        let done = 0;
        const outcome = await instance.services.sshKeyRotation.rotate(operator(), options.name, {
          trigger: 'cli',
          // Each host has two steps: the new key added and verified, then the old one removed.
          onStart: (hosts) => (progress = createProgress(process.stderr, hosts * 2)),
          progress: (p) =>
            progress?.item(
              {
                label: `${p.userName}@${p.resourceName}`,
                status: p.step,
                ...(p.message ? { message: p.message } : {}),
              },
              ++done,
            ),
        });
        progress?.finish();
        if (options.json) {
          out(JSON.stringify(outcomeJson(outcome)));
        } else {
          const r = outcome.rotation;
          const head =
            outcome.outcome === 'rotated'
              ? `SSH key ${r.keyName} rotated: ${r.oldFingerprint} -> ${r.newFingerprint}`
              : outcome.outcome === 'failed'
                ? `SSH key ${r.keyName} not rotated (kept ${r.oldFingerprint}): ${outcome.message}`
                : `SSH key ${r.keyName}: rotation ${r.rotationId} not finished: ${outcome.message}`;
          out(head);
          for (const h of r.hosts)
            out(`  ${h.userName}@${h.resourceName}: ${h.status}${h.message ? `: ${h.message}` : ''}`);
        }
        if (outcome.outcome !== 'rotated') process.exitCode = 2;
      });
    },
  );

  const schedule = keys
    .command('schedule')
    .description(
      "show, set or remove a key's rotation schedule: every N days or a cron expression read in the " +
        "instance's time zone; a due run rotates the key once, on one node",
    )
    .requiredOption('--name <name>', 'the key name')
    .addOption(
      new Option('--every-days <n>', 'rotate every N days').argParser(days).conflicts(['cron', 'remove']),
    )
    .addOption(
      new Option('--cron <expression>', 'rotate on a five-field cron expression').conflicts([
        'everyDays',
        'remove',
      ]),
    )
    .addOption(
      new Option('--start-at <when>', 'the first run: an ISO 8601 time with offset, or now').conflicts(
        'remove',
      ),
    )
    .addOption(new Option('--remove', 'remove the schedule').conflicts(['everyDays', 'cron']));
  withJson(withDataDir(schedule), 'print the schedule as one JSON object').action(
    async (options: ScheduleOptions) => {
      await withInstance(options, async (instance) => {
        const schedules = instance.services.sshKeyRotationSchedules;
        if (options.remove) {
          await schedules.remove(operator(), operatorActor(), options.name);
          out(`Rotation schedule of SSH key ${options.name} removed.`);
          return;
        }
        const timing =
          options.cron !== undefined
            ? { kind: 'cron' as const, expression: options.cron.trim().replace(/\s+/g, ' ') }
            : options.everyDays !== undefined
              ? { kind: 'interval' as const, days: options.everyDays }
              : undefined;
        if (timing === undefined && options.startAt !== undefined)
          throw new InstanceError('--start-at goes with --every-days or --cron');
        const shown =
          timing === undefined
            ? await schedules.show(operator(), options.name)
            : await schedules.set(
                operator(),
                operatorActor(),
                options.name,
                timing,
                startAtOf(options.startAt),
              );
        if (options.json) {
          out(
            JSON.stringify({
              key: shown.keyName,
              everyDays: shown.timing.kind === 'interval' ? shown.timing.days : null,
              cron: shown.timing.kind === 'cron' ? shown.timing.expression : null,
              nextRunAt: new Date(shown.nextRunAt).toISOString(),
              lastRunAt: shown.lastRunAt === undefined ? null : new Date(shown.lastRunAt).toISOString(),
              lastSummary: shown.lastSummary ?? null,
              createdBy: shown.createdBy,
            }),
          );
        } else {
          const when =
            shown.timing.kind === 'cron'
              ? `on cron "${shown.timing.expression}"`
              : `every ${shown.timing.days} day(s)`;
          out(
            `SSH key ${shown.keyName} is rotated ${when}; next run ${new Date(shown.nextRunAt).toISOString()}`,
          );
          if (shown.lastSummary) out(`  last run: ${shown.lastSummary}`);
        }
      });
    },
  );
}
