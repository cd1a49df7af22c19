/**
 * `bulwark rotations list|reconcile|resolve`: password rotations on targets and what the operator
 * does about pending ones (docs/rotation.md, "Pending rotations"), audited as the operating-system
 * user. No password is ever printed.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ROTATION_STATUSES, type RotationRecord, type RotationStatus } from '../modules/vault/index.js';
import { operator, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

interface ListOptions extends InstanceOptions {
  status?: RotationStatus;
  json?: boolean;
}

interface IdOptions extends InstanceOptions {
  id: number;
  json?: boolean;
}

interface ResolveOptions extends IdOptions {
  keep: 'pending' | 'current';
}

function rotationId(value: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('a rotation id (a positive number)');
  return Number(value);
}

function rotationJson(r: RotationRecord) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: r.rotationId,
    resource: r.resource,
    account: r.account,
    status: r.status,
    trigger: r.trigger,
    startedBy: r.requestedBy,
    startedAt: iso(r.startedAt),
    lastAttemptAt: iso(r.updatedAt),
    finishedAt: iso(r.finishedAt),
    attempts: r.attempts,
    reason: r.reason,
    message: r.message,
  };
}

function rotationLine(r: RotationRecord): string {
  const when = new Date(r.startedAt).toISOString();
  const why = r.reason ? ` [${r.reason}]` : '';
  return `${r.rotationId}\t${r.status}\t${r.resource.name}/${r.account.name}\t${r.trigger} by ${r.requestedBy.name}\t${when}${why}${r.message ? `\t${r.message}` : ''}`;
}

export function registerRotationCommands(program: Command): void {
  const rotations = program
    .command('rotations')
    .description(
      'password rotations on targets: list them, settle a pending one now, resolve one that cannot be settled',
    );

  const list = rotations.command('list').description('list rotations, newest first (no password is shown)');
  withJson(withDataDir(list), 'print the rotations as JSON')
    .addOption(
      new Option('--status <status>', 'only rotations with this status').choices([...ROTATION_STATUSES]),
    )
    .action(async (options: ListOptions) => {
      await withInstance(options, async (instance) => {
        const page = await instance.services.rotation.listRotations(operator(), {
          ...(options.status ? { status: options.status } : {}),
          limit: 1000,
        });
        if (options.json) {
          out(JSON.stringify(page.rotations.map(rotationJson)));
          return;
        }
        if (page.rotations.length === 0) out('no rotations');
        for (const r of page.rotations) out(rotationLine(r));
      });
    });

  const reconcile = rotations
    .command('reconcile')
    .description(
      'settle a pending rotation now: the pending password is tried on the target, then the current one (exit 2 when it stays pending)',
    );
  withJson(withDataDir(reconcile), 'print the outcome as JSON')
    .requiredOption('--id <id>', 'the rotation', rotationId)
    .action(async (options: IdOptions) => {
      await withInstance(options, async (instance) => {
        const { outcome, rotation } = await instance.services.rotation.reconcileRotation(
          operator(),
          options.id,
        );
        if (options.json)
          out(
            JSON.stringify({
              outcome: outcome.status,
              message: outcome.message,
              rotation: rotationJson(rotation),
            }),
          );
        else
          out(
            outcome.status === 'changed'
              ? `rotation ${options.id} settled: the new password opens the target and is now current`
              : outcome.status === 'failed'
                ? `rotation ${options.id} settled: the target kept the current password`
                : `rotation ${options.id} is still pending: ${outcome.message}`,
          );
        if (outcome.status === 'unsettled') process.exitCode = 2;
      });
    });

  const resolve = rotations
    .command('resolve')
    .description(
      'decide a pending rotation that cannot be settled on its target; both passwords stay in the vault (current or history)',
    );
  withJson(withDataDir(resolve), 'print the rotation as JSON')
    .requiredOption('--id <id>', 'the rotation', rotationId)
    .addOption(
      new Option(
        '--keep <which>',
        'pending: the pending password becomes current; current: the current one stays, the pending one goes to the history',
      )
        .choices(['pending', 'current'])
        .makeOptionMandatory(),
    )
    .action(async (options: ResolveOptions) => {
      await withInstance(options, async (instance) => {
        const rotation = await instance.services.rotation.resolveRotation(
          operator(),
          options.id,
          options.keep,
        );
        if (options.json) out(JSON.stringify(rotationJson(rotation)));
        else
          out(
            options.keep === 'pending'
              ? `rotation ${options.id} resolved: the pending password is now current (the previous one is in the history)`
              : `rotation ${options.id} resolved: the current password is kept; the pending one is in the password history`,
          );
      });
    });
}
