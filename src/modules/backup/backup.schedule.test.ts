import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupsFrom, ConfigError } from '../../config.js';
import {
  generateMasterKey,
  MasterKeySet,
  readMasterKeyFile,
  writeMasterKeyFile,
} from '../../platform/crypto/master-key.js';
import type { CallOrigin } from '../../platform/principal.js';
import { openInProcessServices, type InProcessServices } from '../../../test/helpers/in-process.js';
import {
  BACKUP_JOB,
  backupFileName,
  createBackupService,
  createScheduledBackups,
  retentionVictims,
  type ScheduledBackups,
} from './index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('scheduled backup settings and names', () => {
  it('reads BULWARK_BACKUP_*: off by default, an absolute directory, bounded interval and count', () => {
    expect(backupsFrom({})).toEqual({ backupDir: undefined, backupIntervalMinutes: 1440, backupKeep: 14 });
    expect(
      backupsFrom({
        BULWARK_BACKUP_DIR: '/srv/backups/',
        BULWARK_BACKUP_INTERVAL_MINUTES: '60',
        BULWARK_BACKUP_KEEP: '48',
      }),
    ).toEqual({ backupDir: '/srv/backups', backupIntervalMinutes: 60, backupKeep: 48 });
    expect(() => backupsFrom({ BULWARK_BACKUP_DIR: 'backups' })).toThrow(/must be an absolute path/);
    for (const [name, value] of [
      ['BULWARK_BACKUP_INTERVAL_MINUTES', '4'],
      ['BULWARK_BACKUP_INTERVAL_MINUTES', '1.5'],
      ['BULWARK_BACKUP_KEEP', '0'],
      ['BULWARK_BACKUP_KEEP', 'all'],
    ] as const) {
      expect(() => backupsFrom({ [name]: value }), `${name}=${value}`).toThrow(ConfigError);
    }
  });

  it('names files by UTC time, so that names sort as times do', () => {
    expect(backupFileName(Date.UTC(2026, 11, 7, 6, 5, 4, 999))).toBe('bulwark-20261207T060504Z.bwbackup');
    const names = [Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 1, 23), Date.UTC(2025, 11, 31)].map(
      backupFileName,
    );
    expect([...names].sort()).toEqual([...names].reverse());
  });

  it('retention keeps the newest, the file just written always among them, and counts only its own names', () => {
    const n = (day: number) => backupFileName(Date.UTC(2026, 0, day));
    const all = [n(1), n(2), n(3), n(4), 'manual.bwbackup', 'notes.txt'];
    expect(retentionVictims(all, n(4), 2)).toEqual([n(1), n(2)]);
    expect(retentionVictims(all, n(4), 1)).toEqual([n(1), n(2), n(3)]);
    expect(retentionVictims(all, n(4), 10)).toEqual([]);
    // A file whose name sorts after the new one (a clock that was ahead): the new one stays.
    expect(retentionVictims(all, n(2), 2)).toEqual([n(1), n(3)]);
  });
});

/**
 * The scheduled backup job on a real SQLite instance with the clock in hand, writing real files
 * into a temporary directory: each run a verified file of mode 0600 and an audit record;
 * retention keeps exactly the newest N; a run that fails leaves every earlier backup in place.
 */
describe('scheduled backups', () => {
  const origin: CallOrigin = { clientIp: '127.0.0.1', client: 'REST API' };
  let now = Date.UTC(2026, 11, 7, 6, 0, 0);
  const clock = { now: () => now };
  let opened: InProcessServices;
  let dir: string;
  let keyFile: string;
  let schedule: ScheduledBackups;

  beforeAll(async () => {
    opened = await openInProcessServices(clock, origin);
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-scheduled-'));
    const sqliteFile = opened.database.sqlite!.file;
    keyFile = path.join(path.dirname(sqliteFile), 'master.key');
    schedule = createScheduledBackups({
      database: opened.database,
      store: { databaseUrl: undefined, sqliteFile },
      // Read at every run, as the server does: the test swaps the file's path to make a run fail.
      masterKeys: () => readMasterKeyFile(keyFile),
      backups: createBackupService({ clock }),
      audit: opened.services.audit,
      clock,
      jobs: opened.services.jobs,
      settings: { dir, intervalMs: HOUR, keep: 3 },
    });
    schedule.registerJobs();
    // Files of other names share the directory: retention never touches them.
    writeFileSync(path.join(dir, 'manual.bwbackup'), 'taken by hand');
    writeFileSync(path.join(dir, 'notes.txt'), 'operator notes');
  }, 60_000);
  afterAll(async () => {
    await opened?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scheduled = () =>
    readdirSync(dir)
      .filter((f) => f.startsWith('bulwark-'))
      .sort();
  const others = () => readdirSync(dir).filter((f) => !f.startsWith('bulwark-'));
  /** The newest backup job that ran (after a run, the next periodic instance waits, queued, above it). */
  const lastJob = async () =>
    (await opened.services.jobs.list({ kind: BACKUP_JOB })).jobs.find((j) => j.attempts > 0)!;
  const attempts = async () =>
    (await opened.services.jobs.list({ kind: BACKUP_JOB })).jobs.reduce((n, j) => n + j.attempts, 0);
  /** Runs what is due (other periodic kinds too); answers how many backup runs that made. */
  const runDue = async () => {
    const before = await attempts();
    await opened.services.jobs.runDue();
    return (await attempts()) - before;
  };
  const backupRecords = () =>
    opened.database.db
      .selectFrom('audit_records')
      .select(['seq', 'operation', 'operator_name', 'client', 'reason'])
      .where('operation', '=', 'Backup Taken')
      .orderBy('seq')
      .execute();

  it('runs at once, writes a verified file of mode 0600 named by UTC time, records it and shows progress', async () => {
    expect(await runDue()).toBe(1);
    const name = 'bulwark-20261207T060000Z.bwbackup';
    expect(scheduled()).toEqual([name]);
    expect(statSync(path.join(dir, name)).mode & 0o777).toBe(0o600);
    const job = await lastJob();
    expect(job).toMatchObject({
      status: 'succeeded',
      progress: { done: 3, total: 3 },
      result: { file: name, removed: [], kept: 1 },
    });
    const verified = await createBackupService({ clock }).verify(
      path.join(dir, name),
      await readMasterKeyFile(keyFile),
    );
    expect(verified.manifest.createdAt).toBe(new Date(now).toISOString());
    // The record comes after the snapshot: the backup holds the trail up to the one before it.
    const [record, ...more] = await backupRecords();
    expect(more).toEqual([]);
    expect(record).toMatchObject({ operator_name: 'System', client: 'System' });
    expect(record!.seq).toBe(verified.chainHead.lastSeq + 1);
    expect(record!.reason).toContain(path.join(dir, name));
    expect(record!.reason).toContain(
      `audit chain head ${verified.chainHead.lastSeq} (${verified.chainHead.lastHash})`,
    );
    expect(record!.reason).toMatch(
      /scheduled, verified.*\d+ tables, \d+ rows \(resources \d+, accounts \d+, users \d+, audit records \d+\)/,
    );
    expect(record!.reason).not.toContain((await readMasterKeyFile(keyFile)).active.key.toString('base64'));
    expect((await opened.services.audit.verify()).ok).toBe(true);
  });

  it('keeps exactly the newest N, deleting only after the new one is verified; other files are left alone', async () => {
    for (let run = 1; run <= 4; run++) {
      // Not due before its interval has passed since the last run ended.
      now += HOUR - MINUTE;
      expect(await runDue()).toBe(0);
      now += MINUTE;
      expect(await runDue()).toBe(1);
    }
    expect(scheduled()).toEqual([
      'bulwark-20261207T080000Z.bwbackup',
      'bulwark-20261207T090000Z.bwbackup',
      'bulwark-20261207T100000Z.bwbackup',
    ]);
    expect(others().sort()).toEqual(['manual.bwbackup', 'notes.txt']);
    expect(await lastJob()).toMatchObject({
      status: 'succeeded',
      result: { removed: ['bulwark-20261207T070000Z.bwbackup'], kept: 3 },
    });
    expect(await backupRecords()).toHaveLength(5);
  });

  it('a run that fails (a wrong master key file, a trail that does not verify) keeps every earlier backup', async () => {
    const before = scheduled().map((f) => [f, statSync(path.join(dir, f)).mtimeMs]);
    const records = (await backupRecords()).length;

    // A key file that does not open the data keys: refused before anything is written.
    const realKeyFile = keyFile;
    keyFile = path.join(dir, 'other.key');
    const other = generateMasterKey(new Date(now));
    await writeMasterKeyFile(keyFile, new MasterKeySet([other], other.id), new Date(now));
    now += HOUR;
    expect(await runDue()).toBe(1);
    let job = await lastJob();
    expect(job).toMatchObject({ status: 'queued', attempts: 1 });
    expect(job.lastError).toMatch(
      /the data keys are wrapped by master key mk-\S+, which is not in the master key file/,
    );
    expect(job.lastError).not.toContain(other.key.toString('base64'));
    rmSync(keyFile);
    keyFile = realKeyFile;

    // An altered audit record: the file is written, fails verification and is removed.
    const victim = (await backupRecords())[0]!;
    const tamper = (reason: string | null) =>
      opened.database.db.updateTable('audit_records').set({ reason }).where('seq', '=', victim.seq).execute();
    await tamper('nothing to see');
    now += HOUR;
    expect(await runDue()).toBe(1);
    job = await lastJob();
    expect(job).toMatchObject({ status: 'queued', attempts: 2 });
    expect(job.lastError).toMatch(
      /^bulwark-\d{8}T\d{6}Z\.bwbackup was removed: the backup does not verify:\nthe audit chain does not verify/,
    );
    expect(scheduled().map((f) => [f, statSync(path.join(dir, f)).mtimeMs])).toEqual(before);
    expect(others().sort()).toEqual(['manual.bwbackup', 'notes.txt']);
    expect(await backupRecords()).toHaveLength(records);
    await tamper(victim.reason);

    // Its last attempt succeeds: one more backup, the oldest beyond three removed.
    now += 2 * MINUTE;
    expect(await runDue()).toBe(1);
    expect(await lastJob()).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(scheduled()).toHaveLength(3);
    expect(scheduled()[0]).toBe(before[1]![0]);
  });

  it('removes what a run that died left behind (a stale temporary file), and nothing younger', async () => {
    const stale = path.join(dir, '.bulwark-20261207T050000Z.bwbackup.0badc0de.partial');
    const young = path.join(dir, '.bulwark-20261207T055900Z.bwbackup.00c0ffee.partial');
    writeFileSync(stale, 'cut short');
    writeFileSync(young, 'still being written');
    const seconds = (ms: number) => ms / 1000;
    utimesSync(stale, seconds(now - 2 * HOUR), seconds(now - 2 * HOUR));
    utimesSync(young, seconds(now + HOUR - MINUTE), seconds(now + HOUR - MINUTE));
    now += HOUR;
    expect(await runDue()).toBe(1);
    expect(readdirSync(dir)).not.toContain(path.basename(stale));
    expect(readdirSync(dir)).toContain(path.basename(young));
    rmSync(young);
  });
});
