/**
 * Scheduled backups with retention (ADR 050): a periodic job (ADR 024), so one node of a cluster
 * runs it at a time, writes a backup into the configured directory under a sortable UTC name,
 * verifies the file whole, records it in the audit trail, and only then deletes the oldest
 * scheduled backups beyond the number to keep. A run that fails anywhere before that deletes
 * nothing but its own unfinished or unverifiable file: there are never fewer good backups than
 * before a run.
 */
import { open, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../platform/clock.js';
import type { MasterKeySet } from '../../platform/crypto/master-key.js';
import type { Database, DatabaseTarget } from '../../platform/db/database.js';
import type { JobContext, JobRunner } from '../../platform/jobs/index.js';
import type { AuditService } from '../audit/index.js';
import { SYSTEM_ACTOR } from '../rotation/index.js';
import { backupTakenEvent } from './backup.audit.js';
import { BackupError } from './backup.format.js';
import type { BackupService } from './backup.service.js';

/** The periodic job kind (one queued instance per cluster). */
export const BACKUP_JOB = 'backup.scheduled';

/** Scheduled backups' names: only files of this form are ever counted or deleted by retention. */
const BACKUP_NAME = /^bulwark-\d{8}T\d{6}Z\.bwbackup$/;
/** What backup() leaves behind when its process dies mid-write (its temporary file). */
const PARTIAL_NAME = /^\.bulwark-\d{8}T\d{6}Z\.bwbackup\.[0-9a-f]+\.partial$/;
/**
 * A temporary file untouched this long belongs to a run that died: a live one writes a chunk at
 * least every few seconds. Removed by the next run so that crashes do not fill the directory.
 */
const STALE_PARTIAL_MS = 3_600_000;
/** Progress is stored at most this often (each store is a write to the jobs table). */
const PROGRESS_EVERY_MS = 1000;

export interface ScheduledBackupSettings {
  /** BULWARK_BACKUP_DIR: an existing directory. */
  readonly dir: string;
  /** BULWARK_BACKUP_INTERVAL_MINUTES, in milliseconds. */
  readonly intervalMs: number;
  /** BULWARK_BACKUP_KEEP: at least 1. */
  readonly keep: number;
}

export interface ScheduledBackupDeps {
  readonly database: Database;
  /** The store to back up, as a backup opens it (its own read-only snapshot connection). */
  readonly store: DatabaseTarget;
  /** Read at every run: after `rotate-master-key` the next backup is under the new key. */
  readonly masterKeys: () => Promise<MasterKeySet>;
  readonly backups: BackupService;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly jobs: JobRunner;
  readonly settings: ScheduledBackupSettings;
}

/** What a run answers (the job's result): names and counts only. */
export interface ScheduledBackupResult {
  readonly file: string;
  readonly masterKeyId: string;
  readonly tables: number;
  readonly rows: number;
  readonly auditChainHead: number;
  /** Older scheduled backups deleted by retention, oldest first. */
  readonly removed: readonly string[];
  /** Scheduled backups in the directory after the run. */
  readonly kept: number;
}

/** `bulwark-20261207T060643Z.bwbackup`: UTC, fixed width, so names sort as times do. */
export function backupFileName(at: number): string {
  const stamp = new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `bulwark-${stamp}.bwbackup`;
}

/** The scheduled backups in `dir`, newest first (by name, which is by time). */
export async function scheduledBackupsIn(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((name) => BACKUP_NAME.test(name))
    .sort()
    .reverse();
}

/**
 * The scheduled backups to delete so that `keep` remain, `newest` (the file just written and
 * verified) always among them even if another file's name sorts after it (a clock that was
 * ahead); oldest first.
 */
export function retentionVictims(names: readonly string[], newest: string, keep: number): string[] {
  const others = names.filter((n) => n !== newest && BACKUP_NAME.test(n)).sort();
  const room = Math.max(0, keep - 1);
  return others.slice(0, Math.max(0, others.length - room));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  await handle.sync().finally(() => handle.close());
}

/** Three steps for the job's progress bar: write, verify, retention. */
const STEPS = 3;

export function createScheduledBackups(deps: ScheduledBackupDeps) {
  const { backups, audit, clock, jobs, settings } = deps;
  const { dir } = settings;

  async function checkDirectory(): Promise<void> {
    const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
      throw new BackupError(`the backup directory ${dir} cannot be used (${err.code ?? err.message})`);
    });
    if (!info.isDirectory()) throw new BackupError(`the backup directory ${dir} is not a directory`);
  }

  async function removeStalePartials(): Promise<void> {
    for (const name of await readdir(dir)) {
      if (!PARTIAL_NAME.test(name)) continue;
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && clock.now() - info.mtimeMs > STALE_PARTIAL_MS) await unlink(file).catch(() => undefined);
    }
  }

  /** Progress stored in order, at most once a second, and a stop asked for (cancel, lost lease) honoured. */
  function progressOf(ctx: JobContext | undefined) {
    let stored = Promise.resolve();
    let last = -Infinity;
    const store = (done: number, note: string) => {
      if (ctx === undefined) return;
      stored = stored.then(() => ctx.progress(done, STEPS, note)).catch(() => undefined);
    };
    return {
      step(done: number, note: string) {
        if (ctx?.signal.aborted) throw ctx.signal.reason;
        last = performance.now();
        store(done, note);
      },
      rows(done: number, verb: string) {
        return (table: string, rows: number, total: number | undefined) => {
          // Thrown inside the backup's own loop: it removes its temporary file and stops.
          if (ctx?.signal.aborted) throw ctx.signal.reason;
          if (performance.now() - last < PROGRESS_EVERY_MS) return;
          last = performance.now();
          store(done, `${verb} ${table}: ${rows}${total === undefined ? '' : `/${total}`} rows`);
        };
      },
      flush: () => stored,
    };
  }

  async function run(ctx?: JobContext): Promise<ScheduledBackupResult> {
    const progress = progressOf(ctx);
    await checkDirectory();
    await removeStalePartials();
    const name = backupFileName(clock.now());
    const file = path.join(dir, name);
    const masterKeys = await deps.masterKeys();

    progress.step(0, `writing ${name}`);
    const summary = await backups.backup(deps.store, masterKeys, file, progress.rows(0, 'writing'));

    progress.step(1, `verifying ${name}`);
    try {
      await backups.verify(file, masterKeys, progress.rows(1, 'verifying'));
    } catch (err) {
      // A file that does not verify would be refused by restore: it is no backup, and it must
      // not count as one of the newest to keep.
      await unlink(file).catch(() => undefined);
      await syncDirectory(dir).catch(() => undefined);
      if (err instanceof BackupError) throw new BackupError(`${name} was removed: ${err.message}`);
      throw err;
    }

    // Recorded after the snapshot, so not in it (docs/operations.md).
    await deps.database.db
      .transaction()
      .execute((trx) => audit.append(trx, SYSTEM_ACTOR, backupTakenEvent(summary, 'scheduled, verified')));

    progress.step(2, 'removing the oldest backups beyond the number to keep');
    const victims = retentionVictims(await scheduledBackupsIn(dir), name, settings.keep);
    for (const victim of victims) {
      await unlink(path.join(dir, victim)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    if (victims.length > 0) await syncDirectory(dir);
    const kept = (await scheduledBackupsIn(dir)).length;
    progress.step(3, `${name} written and verified; ${victims.length} older removed, ${kept} kept`);
    await progress.flush();
    return {
      file: name,
      masterKeyId: summary.masterKeyId,
      tables: Object.keys(summary.rows).length,
      rows: Object.values(summary.rows).reduce((a, b) => a + b, 0),
      auditChainHead: summary.chainHead.lastSeq,
      removed: victims,
      kept,
    };
  }

  return {
    settings,
    /** One scheduled backup now, outside the job runner (tests; the job calls it too). */
    run,
    registerJobs(): void {
      // A transient failure (a database restart, a full disk freed) is retried twice within
      // minutes; a run that still fails is `failed`, and the next periodic run comes anyway.
      jobs.register<unknown>(BACKUP_JOB, (_payload, ctx) => run(ctx), {
        maxAttempts: 3,
        backoffMs: 60_000,
      });
      jobs.every(BACKUP_JOB, settings.intervalMs);
    },
  };
}

export type ScheduledBackups = ReturnType<typeof createScheduledBackups>;
