/** `bulwark rotate --group G`: bulk rotation of a resource group's passwords on their targets (ADR 029). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BULK_LIMITS, type BulkItemOutcome } from '../modules/rotation/bulk-rotation.js';
import { createProgress, formatSeconds } from './progress.js';
import { operatorActor, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

interface RotateOptions extends InstanceOptions {
  group: string;
  concurrency?: number;
  timeout?: number;
  json?: boolean;
}

function wholeNumber(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max)
      throw new InvalidArgumentError(`${what} is a whole number from ${min} to ${max}`);
    return n;
  };
}

function line(o: BulkItemOutcome): string {
  return `    ${o.label}: ${o.reason ? `${o.reason}: ` : ''}${o.message}\n`;
}

export function registerRotateCommands(program: Command): void {
  const rotate = program
    .command('rotate')
    .description(
      'rotate every password of a resource group on its target to a fresh password of its policy, ' +
        'with bounded concurrency and a timeout per target; progress on stderr (a bar on a terminal), ' +
        'a summary on stdout; exit code 2 when some were not changed',
    )
    .addOption(new Option('--group <name-or-id>', 'the resource group').makeOptionMandatory())
    .addOption(
      new Option('--concurrency <n>', 'targets worked on at once (default 8)').argParser(
        wholeNumber(1, BULK_LIMITS.maxConcurrency, '--concurrency'),
      ),
    )
    .addOption(
      new Option('--timeout <seconds>', 'each target ends within this many seconds (default 30)').argParser(
        wholeNumber(BULK_LIMITS.minTimeoutMs / 1000, BULK_LIMITS.maxTimeoutMs / 1000, '--timeout'),
      ),
    );
  withJson(withDataDir(rotate), 'print the summary as one JSON document').action(
    async (options: RotateOptions) => {
      await withInstance(options, async (instance) => {
        const { schedules } = instance.services;
        const concurrency = schedules.boundedConcurrency(options.concurrency);
        const timeoutMs = schedules.boundedTimeout(options.timeout);
        const groupId = await schedules.groupIdOf(options.group);
        const actor = operatorActor();
        let progress: ReturnType<typeof createProgress> | undefined;
        // Ctrl-C: targets not started are skipped; the ones in flight end within their timeout.
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        try {
          const summary = await schedules.rotateGroup(actor, undefined, groupId, {
            concurrency,
            timeoutMs,
            signal: abort.signal,
            onStart: async (total) => {
              await schedules.recordBulkStart(actor, groupId, { total, concurrency, timeoutMs });
              progress = createProgress(process.stderr, total);
            },
            onItem: (outcome, done) => progress?.item(outcome, done),
          });
          progress?.finish();
          if (options.json) {
            process.stdout.write(JSON.stringify(schedules.bulkResult(summary)) + '\n');
          } else {
            let out = `Bulk rotation of resource group ${summary.group}: ${summary.total} account(s) in ${formatSeconds(summary.elapsedMs)}\n`;
            out += `  changed: ${summary.changed}\n`;
            out += `  failed: ${summary.failed.length}\n${summary.failed.map(line).join('')}`;
            out += `  unsettled: ${summary.unsettled.length}\n${summary.unsettled.map(line).join('')}`;
            if (summary.skipped.length > 0)
              out += `  skipped: ${summary.skipped.length}\n${summary.skipped.map(line).join('')}`;
            process.stdout.write(out);
          }
          if (summary.changed !== summary.total) process.exitCode = 2;
        } finally {
          process.off('SIGINT', onSignal);
        }
      });
    },
  );
}
