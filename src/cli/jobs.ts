/** `bulwark jobs …`: background jobs and their progress (ADR 024). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { JOB_STATUSES, type Job, type JobStatus } from '../platform/jobs/index.js';
import { operator, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

const FOLLOW_POLL_MS = 500;
const BAR_WIDTH = 24;

function jobId(value: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('a job id is a positive number');
  return Number(value);
}

function limit(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 1000)
    throw new InvalidArgumentError('from 1 to 1000');
  return Number(value);
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function jobJson(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    progress: { done: job.progress.done, total: job.progress.total ?? null, note: job.progress.note ?? null },
    lastError: job.lastError ?? null,
    result: job.result ?? null,
    payload: job.payload,
    createdBy: job.createdBy ?? null,
    createdAt: iso(job.createdAt),
    runAfter: iso(job.runAfter),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    node: job.leaseOwner ?? null,
  };
}

/** "3/10 (30%)", "3", or "" when there is no progress to show. */
function progressText(job: Job): string {
  const { done, total } = job.progress;
  if (total !== undefined && total > 0) return `${done}/${total} (${Math.floor((done / total) * 100)}%)`;
  return done > 0 ? String(done) : '';
}

function bar(job: Job): string {
  const { done, total } = job.progress;
  if (total === undefined || total <= 0) return '';
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH)));
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] `;
}

/** One line for people: id, kind, status, attempts, progress, note, error. */
function line(job: Job): string {
  const parts = [`job ${job.id}`, job.kind, job.status, `attempt ${job.attempts}/${job.maxAttempts}`];
  const progress = progressText(job);
  if (progress) parts.push(progress);
  if (job.progress.note) parts.push(job.progress.note);
  if (job.lastError && job.status !== 'succeeded') parts.push(`last error: ${job.lastError}`);
  return parts.join('  ');
}

function details(job: Job): string {
  const rows: [string, string | undefined][] = [
    ['Job', String(job.id)],
    ['Kind', job.kind],
    ['Status', job.status],
    ['Attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['Progress', progressText(job) || undefined],
    ['Note', job.progress.note],
    ['Last error', job.lastError],
    ['Result', job.result === undefined ? undefined : JSON.stringify(job.result)],
    ['Created', iso(job.createdAt) ?? undefined],
    ['Created by', job.createdBy === undefined ? undefined : `user ${job.createdBy}`],
    ['Due', job.status === 'queued' ? (iso(job.runAfter) ?? undefined) : undefined],
    ['Started', iso(job.startedAt) ?? undefined],
    ['Finished', iso(job.finishedAt) ?? undefined],
    ['Node', job.leaseOwner],
  ];
  return rows
    .filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '')
    .map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`)
    .join('\n');
}

const finished = (status: JobStatus) => status !== 'queued' && status !== 'running';

export function registerJobCommands(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('background jobs (rotation, schedules, sweeps) and their progress');

  const list = jobs.command('list').description('list jobs, newest first');
  withJson(withDataDir(list), 'print the jobs as one JSON array')
    .option('--kind <kind>', 'only jobs of this kind')
    .addOption(new Option('--status <status>', 'only jobs with this status').choices([...JOB_STATUSES]))
    .addOption(new Option('--limit <n>', 'at most this many (default 100)').argParser(limit))
    .action(
      async (
        options: InstanceOptions & { kind?: string; status?: JobStatus; limit?: number; json?: boolean },
      ) => {
        await withInstance(options, async (instance) => {
          const page = await instance.services.jobQueries.list(operator(), {
            kind: options.kind,
            status: options.status,
            limit: options.limit ?? 100,
          });
          if (options.json) {
            out(JSON.stringify(page.jobs.map(jobJson)));
            return;
          }
          if (page.jobs.length === 0) out('No jobs.');
          for (const job of page.jobs) out(line(job));
          if (page.total > page.jobs.length) out(`(${page.jobs.length} of ${page.total} shown)`);
        });
      },
    );

  const show = jobs
    .command('show')
    .description('show one job; with --follow, its progress until it finishes');
  withJson(withDataDir(show), 'print the job as one JSON object (with --follow: one per change)')
    .requiredOption('--id <id>', 'the job', jobId)
    .option('--follow', 'keep showing progress until the job finishes (exit status 1 if it fails)')
    .action(async (options: InstanceOptions & { id: number; follow?: boolean; json?: boolean }) => {
      await withInstance(options, async (instance) => {
        const read = () => instance.services.jobQueries.get(operator(), options.id);
        let job = await read();
        if (!options.follow) {
          out(options.json ? JSON.stringify(jobJson(job)) : details(job));
          return;
        }
        const tty = process.stdout.isTTY && !options.json;
        let shown = '';
        for (;;) {
          const text = options.json
            ? JSON.stringify(jobJson(job))
            : tty
              ? `${bar(job)}${line(job)}`
              : line(job);
          if (text !== shown) {
            // On a terminal one line updates in place; otherwise a line per change.
            if (tty) process.stdout.write(`\r\x1b[2K${text}`);
            else out(text);
            shown = text;
          }
          if (finished(job.status)) break;
          await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
          job = await read();
        }
        if (tty) process.stdout.write('\n');
        if (job.status !== 'succeeded') process.exitCode = 1;
      });
    });
}
