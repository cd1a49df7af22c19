import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { keepAliveClient, succeeded, type StreamClient } from '../helpers/keep-alive-client.js';
import { details } from '../helpers/client.js';
import { createDatabase } from '../helpers/postgres.js';
import { sqlOn } from '../helpers/sql.js';
import {
  cliRunner,
  createInstance,
  dialects,
  serve,
  type Dialect,
  type Instance,
  type RunningServer,
} from '../helpers/server.js';
import { sleep } from '../helpers/wait.js';

/**
 * `bulwark backup` / `restore` / `backup verify` (issue 17, ADR 049), on real servers and stores.
 *
 * A backup is taken while workers stream password changes and retrievals against the running
 * server: none of them may fail. It is restored into SQLite and into PostgreSQL (so SQLite →
 * PostgreSQL and PostgreSQL → SQLite are both covered), a server is started on each restored
 * store, and every password is read through the API:
 * - an account nobody changed during the backup holds exactly the value acknowledged before the
 *   backup began;
 * - an account changed during the backup holds that value or one sent while the backup ran
 *   (the snapshot is taken at some point in between), never anything else;
 * the audit chain verifies (`bulwark audit verify`), and new rows get ids past the restored ones.
 * A truncated file, a flipped byte and a wrong master key are refused with a clear message and
 * leave the target empty; after a master key rotation the backup opens only with the earlier key.
 *
 * Audit (ADR 050): the backup is recorded in the source's trail after its snapshot ("Backup
 * Taken", naming the file and the chain head it holds); the restored trail is exactly the
 * backup's records, byte for byte up to that head, then one "Restored From Backup" record, and
 * it verifies. The source server runs scheduled backups (BULWARK_BACKUP_DIR): the first one is
 * taken at start, verified, recorded by the System.
 */

const V1 = '/restapi/json/v1';
const unique = () => randomBytes(4).toString('hex');
const newPassword = (tag: string) => `Bk+${tag}&%=é-${unique()}`;

interface Account {
  readonly label: string;
  readonly resourceId: string;
  readonly accountId: string;
  /** Changed by the stream during the backup (one worker, one change at a time). */
  readonly churn: boolean;
  acked: string;
  /** `acked` when the backup began. */
  atBackupStart?: string;
  /** Every value sent, in order, with when it was sent. */
  readonly sent: { value: string; at: number }[];
}

interface Target {
  readonly dialect: Dialect;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): void;
}

async function newTarget(dialect: Dialect): Promise<Target> {
  const parent = mkdtempSync(path.join(tmpdir(), 'bulwark-restore-'));
  const dataDir = path.join(parent, 'data');
  const databaseUrl = dialect === 'postgres' ? await createDatabase(inject('postgresBaseUrl')) : undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, BULWARK_LOG_LEVEL: 'warn' };
  delete env.BULWARK_DATABASE_URL;
  delete env.BULWARK_MASTER_KEY_FILE;
  if (databaseUrl) env.BULWARK_DATABASE_URL = databaseUrl;
  return {
    dialect,
    dataDir,
    databaseUrl,
    env,
    cli: cliRunner(env),
    remove: () => rmSync(parent, { recursive: true, force: true }),
  };
}

/** The tables of a PostgreSQL target (none after a refused restore). */
async function tablesIn(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      'select tablename as name from pg_tables where schemaname = current_schema()',
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

async function expectEmptyTarget(target: Target): Promise<void> {
  expect(existsSync(target.dataDir) ? readdirSync(target.dataDir) : []).toEqual([]);
  if (target.databaseUrl) expect(await tablesIn(target.databaseUrl)).toEqual([]);
}

function masterKeyFile(file: string, id: string): void {
  const key = randomBytes(32).toString('base64');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'bulwark-master-key',
      version: 1,
      active: id,
      keys: [{ id, key, createdAt: new Date().toISOString() }],
    }),
    { mode: 0o600 },
  );
}

describe.each(dialects())('backup of a %s store', (source) => {
  let instance: Instance | undefined;
  let server: RunningServer | undefined;
  let work: string;
  let backupFile: string;
  let scheduledDir: string;
  let keyFile: string;
  let masterKeyId: string;
  const accounts: Account[] = [];
  let backupEnded = 0;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'bulwark-backup-'));
    backupFile = path.join(work, 'vault.bwbackup');
    scheduledDir = path.join(work, 'scheduled');
    mkdirSync(scheduledDir, { mode: 0o700 });
    instance = await createInstance(source);
    // Scheduled backups: the first is due at once, then a day later (beyond this test).
    server = await serve(instance, { BULWARK_BACKUP_DIR: scheduledDir, BULWARK_BACKUP_KEEP: '2' });
    keyFile = path.join(instance.dataDir, 'master.key');
    masterKeyId = (JSON.parse(readFileSync(keyFile, 'utf8')) as { active: string }).active;
    const api = keepAliveClient(server, 4);
    try {
      for (let r = 0; r < 12; r++) {
        const name = `bk-${source}-${r}-${unique()}`;
        const password = newPassword('seed');
        const created = await api.request('POST', `${V1}/resources`, {
          input: details({
            RESOURCENAME: name,
            RESOURCETYPE: 'Linux',
            ACCOUNTNAME: 'root',
            PASSWORD: password,
          }),
        });
        expect(succeeded(created), created.text).toBe(true);
        const first: Account = {
          label: `${name}/root`,
          resourceId: created.details.RESOURCEID,
          accountId: created.details.ACCOUNTID,
          churn: r % 2 === 1,
          acked: password,
          sent: [{ value: password, at: 0 }],
        };
        accounts.push(first);
        const second = newPassword('seed');
        const added = await api.request('POST', `${V1}/resources/${first.resourceId}/accounts`, {
          input: details({ ACCOUNTLIST: [{ ACCOUNTNAME: 'svc', PASSWORD: second }] }),
        });
        expect(succeeded(added), added.text).toBe(true);
        accounts.push({
          label: `${name}/svc`,
          resourceId: first.resourceId,
          accountId: added.details[0].svc.ACCOUNTID,
          churn: r % 2 === 1,
          acked: second,
          sent: [{ value: second, at: 0 }],
        });
      }
      // Some history: every account changed once before the backup.
      for (const account of accounts) await change(api, account, 'before');
    } finally {
      api.close();
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    instance?.remove();
    for (const cleanup of cleanups) cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function change(api: StreamClient, account: Account, tag: string): Promise<boolean> {
    const value = newPassword(tag);
    account.sent.push({ value, at: Date.now() });
    const answer = await api.request(
      'PUT',
      `${V1}/resources/${account.resourceId}/accounts/${account.accountId}/password`,
      { input: details({ NEWPASSWORD: value, RESETTYPE: 'LOCAL', REASON: 'backup test' }) },
    );
    if (!succeeded(answer)) return false;
    account.acked = value;
    return true;
  }

  it(
    'writes a backup while password changes and retrievals stream, none of them failing',
    { timeout: 180_000 },
    async () => {
      const api = keepAliveClient(server!, 6);
      const failures: string[] = [];
      let changes = 0;
      let retrievals = 0;
      let stop = false;
      let backupOutput: string | undefined;
      const churn = accounts.filter((a) => a.churn);
      const changer = async (mine: Account[]) => {
        for (let i = 0; !stop; i++) {
          const account = mine[i % mine.length]!;
          try {
            if (await change(api, account, 'during')) changes++;
            else failures.push(`change of ${account.label} failed`);
          } catch (err) {
            failures.push(`change of ${account.label}: ${(err as Error).message}`);
          }
        }
      };
      const retriever = async () => {
        for (let i = 0; !stop; i++) {
          const account = accounts[(i * 7) % accounts.length]!;
          try {
            const answer = await api.request(
              'GET',
              `${V1}/resources/${account.resourceId}/accounts/${account.accountId}/password`,
            );
            if (succeeded(answer)) retrievals++;
            else failures.push(`retrieval of ${account.label}: ${answer.text.slice(0, 200)}`);
          } catch (err) {
            failures.push(`retrieval of ${account.label}: ${(err as Error).message}`);
          }
        }
      };
      const workers = [
        changer(churn.filter((_, i) => i % 2 === 0)),
        changer(churn.filter((_, i) => i % 2 === 1)),
        retriever(),
        retriever(),
      ];
      try {
        while (changes < 20) await sleep(20);
        const changesBefore = changes;
        const retrievalsBefore = retrievals;
        for (const account of accounts) account.atBackupStart = account.acked;
        const backedUp = await instance!.cli('backup', '--data-dir', instance!.dataDir, '--out', backupFile);
        backupEnded = Date.now();
        expect(backedUp.code, backedUp.stderr).toBe(0);
        backupOutput = backedUp.stdout;
        expect(backedUp.stdout).toContain(`It opens only with master key ${masterKeyId}`);
        // The stream went on while the backup ran.
        expect(changes).toBeGreaterThan(changesBefore);
        expect(retrievals).toBeGreaterThan(retrievalsBefore);
      } finally {
        stop = true;
        await Promise.all(workers);
        api.close();
      }
      expect(failures).toEqual([]);

      const file = readFileSync(backupFile);
      expect(file.subarray(0, 8).toString()).toBe('BWBACKUP');
      // Encrypted: no password, no master key in it.
      const masterKey = (JSON.parse(readFileSync(keyFile, 'utf8')) as { keys: { key: string }[] }).keys[0]!
        .key;
      expect(file.includes(Buffer.from(masterKey, 'base64'))).toBe(false);
      expect(file.includes(Buffer.from(masterKey))).toBe(false);
      for (const account of accounts) {
        for (const { value } of account.sent) expect(file.includes(Buffer.from(value))).toBe(false);
      }

      const verified = await instance!.cli('backup', 'verify', backupFile, '--master-key-file', keyFile);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(
        /verified: taken .* from (sqlite|postgres); \d+ tables, \d+ rows; audit chain intact/,
      );

      // Recorded in the source's trail by the operator, after the snapshot it names.
      const head = Number(/audit records up to (\d+)/.exec(backupOutput ?? '')?.[1]);
      const [taken, ...others] = await sqlOn(
        instance!,
        "select seq, operator_name, client, reason from audit_records where operation = 'Backup Taken' and reason like $1",
        [`${backupFile} %`],
      );
      expect(others).toEqual([]);
      expect(taken).toMatchObject({ operator_name: userInfo().username, client: 'CLI' });
      expect(Number(taken!.seq)).toBeGreaterThan(head);
      const [atHead] = await sqlOn(instance!, 'select hash from audit_records where seq = $1', [head]);
      expect(taken!.reason).toContain(`(bulwark backup), snapshot of `);
      expect(taken!.reason).toContain(`under master key ${masterKeyId}: `);
      expect(taken!.reason).toMatch(
        /: \d+ tables, \d+ rows \(resources \d+, accounts \d+, users \d+, audit records \d+\)/,
      );
      expect(taken!.reason).toContain(`; audit chain head ${head} (${String(atHead!.hash)})`);
    },
  );

  it(
    'took a scheduled backup at start: verified, mode 0600, recorded by the System',
    { timeout: 60_000 },
    async () => {
      const job = async () =>
        (
          await sqlOn(
            instance!,
            "select status, attempts, last_error, result from jobs where kind = 'backup.scheduled' and attempts > 0",
            [],
          )
        )[0];
      const deadline = Date.now() + 30_000;
      while ((await job())?.status !== 'succeeded' && Date.now() < deadline) await sleep(100);
      const ran = await job();
      expect(ran, JSON.stringify(ran)).toMatchObject({ status: 'succeeded' });
      const files = readdirSync(scheduledDir);
      expect(files).toHaveLength(1);
      const [name] = files;
      expect(name).toMatch(/^bulwark-\d{8}T\d{6}Z\.bwbackup$/);
      expect(JSON.parse(String(ran!.result))).toMatchObject({ file: name, removed: [], kept: 1 });
      expect(statSync(path.join(scheduledDir, name!)).mode & 0o777).toBe(0o600);
      // (The job succeeds only once the file verified; the unit test verifies it independently.)
      const records = await sqlOn(
        instance!,
        "select operator_name, client, reason from audit_records where operation = 'Backup Taken' and reason like $1",
        [`${path.join(scheduledDir, name!)} %`],
      );
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ operator_name: 'System', client: 'System' });
      expect(records[0]!.reason).toContain('(scheduled, verified)');
    },
  );

  describe.each(dialects())('restored into %s', (targetDialect) => {
    let target: Target | undefined;
    let restored: RunningServer | undefined;

    afterAll(async () => {
      await restored?.stop();
      target?.remove();
    });

    it(
      'holds every password as acknowledged, a verified chain, and ids that continue',
      { timeout: 180_000 },
      async () => {
        expect(backupEnded).toBeGreaterThan(0);
        target = await newTarget(targetDialect);
        const restore = await target.cli(
          'restore',
          '--data-dir',
          target.dataDir,
          '--from',
          backupFile,
          '--master-key-file',
          keyFile,
        );
        expect(restore.code, restore.stderr).toBe(0);
        expect(restore.stdout).toContain(`(${targetDialect === 'postgres' ? 'PostgreSQL' : 'SQLite'})`);
        const counts = /audit chain intact \((\d+) records\); (\d+) sealed values open/.exec(restore.stdout);
        expect(counts, restore.stdout).not.toBeNull();
        // Every account's password and its history (one change before the backup, more during it).
        expect(Number(counts![2])).toBeGreaterThanOrEqual(accounts.length * 2);
        expect(Number(counts![1])).toBeGreaterThan(accounts.length);

        const audit = await target.cli('audit', 'verify', '--data-dir', target.dataDir);
        expect(audit.code, audit.stdout + audit.stderr).toBe(0);
        expect(audit.stdout).toMatch(/^Audit trail intact/);

        // The restored trail: the backup's records exactly (the chain up to its head, as on the
        // source), then the restore's own record, and nothing else.
        const restoredStore = { ...instance!, dataDir: target.dataDir, databaseUrl: target.databaseUrl };
        const trail = await sqlOn(
          restoredStore,
          'select seq, hash, operation, operator_name, client, reason from audit_records order by seq',
          [],
        );
        const last = trail.at(-1)!;
        const head = Number(counts![1]);
        expect(trail).toHaveLength(head + 1);
        expect(restore.stdout).toContain(`The restore is audit record ${head + 1} of the restored trail.`);
        expect(Number(last.seq)).toBe(head + 1);
        expect(last).toMatchObject({
          operation: 'Restored From Backup',
          operator_name: userInfo().username,
          client: 'CLI',
        });
        const sourceTrail = await sqlOn(
          instance!,
          'select seq, hash from audit_records where seq <= $1 order by seq',
          [head],
        );
        expect(trail.slice(0, -1).map((r) => [Number(r.seq), r.hash])).toEqual(
          sourceTrail.map((r) => [Number(r.seq), r.hash]),
        );
        expect(String(last.reason).startsWith(`${backupFile}, taken `)).toBe(true);
        expect(last.reason).toMatch(new RegExp(`, taken \\S+Z on ${source}: \\d+ tables, \\d+ rows \\(`));
        expect(last.reason).toContain(
          `; source audit chain head ${head} (${String(sourceTrail.at(-1)!.hash)})`,
        );

        restored = await serve({
          dialect: targetDialect,
          dataDir: target.dataDir,
          databaseUrl: target.databaseUrl,
          credentials: instance!.credentials,
          env: target.env,
          cli: target.cli,
          remove: target.remove,
        });
        const api = keepAliveClient(restored, 4);
        try {
          const problems: string[] = [];
          for (const account of accounts) {
            const answer = await api.request(
              'GET',
              `${V1}/resources/${account.resourceId}/accounts/${account.accountId}/password`,
            );
            const actual: unknown = answer.details?.PASSWORD;
            // Acknowledged before the backup began, or (changed during it) sent while it ran.
            const before = account.atBackupStart!;
            const accepted = account.churn
              ? account.sent
                  .slice(account.sent.findIndex((s) => s.value === before))
                  .filter((s) => s.at < backupEnded)
                  .map((s) => s.value)
              : [before];
            if (!account.churn) expect(account.acked).toBe(before);
            if (!succeeded(answer) || typeof actual !== 'string' || !accepted.includes(actual)) {
              problems.push(
                `${account.label}: ${JSON.stringify(actual)} not in ${accepted.length} accepted values`,
              );
            }
          }
          expect(problems).toEqual([]);

          // The id sequences continue past the restored rows.
          const created = await api.request('POST', `${V1}/resources`, {
            input: details({
              RESOURCENAME: `after-restore-${unique()}`,
              RESOURCETYPE: 'Linux',
              ACCOUNTNAME: 'root',
              PASSWORD: newPassword('after'),
            }),
          });
          expect(succeeded(created), created.text).toBe(true);
          const maxResource = Math.max(...accounts.map((a) => Number(a.resourceId)));
          const maxAccount = Math.max(...accounts.map((a) => Number(a.accountId)));
          expect(Number(created.details.RESOURCEID)).toBeGreaterThan(maxResource);
          expect(Number(created.details.ACCOUNTID)).toBeGreaterThan(maxAccount);
        } finally {
          api.close();
        }
        const after = await target.cli('audit', 'verify', '--data-dir', target.dataDir);
        expect(after.code, after.stdout + after.stderr).toBe(0);
      },
    );

    // A refusal does not depend on where the backup came from: checked once per target store.
    it.runIf(source === targetDialect)(
      'refuses a truncated, altered or wrong-key backup and a non-empty target, leaving the target as it was',
      { timeout: 180_000 },
      async () => {
        const file = readFileSync(backupFile);
        const truncated = path.join(work, `truncated-${targetDialect}.bwbackup`);
        writeFileSync(truncated, file.subarray(0, Math.floor(file.length * 0.6)));
        const altered = path.join(work, `altered-${targetDialect}.bwbackup`);
        const flipped = Buffer.from(file);
        flipped[Math.floor(file.length / 2)]! ^= 0x40;
        writeFileSync(altered, flipped);
        const wrongKey = path.join(work, `wrong-${targetDialect}.key`);
        masterKeyFile(wrongKey, masterKeyId);
        const otherKey = path.join(work, `other-${targetDialect}.key`);
        masterKeyFile(otherKey, 'mk-20260101-00000000');

        const cases = [
          { file: truncated, key: keyFile, message: 'the backup is truncated' },
          { file: altered, key: keyFile, message: 'the backup was altered or the key is wrong' },
          { file: backupFile, key: wrongKey, message: 'the backup was altered or the key is wrong' },
          { file: backupFile, key: otherKey, message: `taken under master key ${masterKeyId}` },
        ];
        for (const c of cases) {
          const target = await newTarget(targetDialect);
          cleanups.push(target.remove);
          const restore = await target.cli(
            'restore',
            '--data-dir',
            target.dataDir,
            '--from',
            c.file,
            '--master-key-file',
            c.key,
          );
          expect(restore.code).not.toBe(0);
          expect(restore.stderr).toContain(c.message);
          expect(restore.stderr.trim().split('\n')).toHaveLength(1);
          expect(restore.stderr).not.toMatch(/\n\s+at /);
          await expectEmptyTarget(target);
          const verify = await target.cli('backup', 'verify', c.file, '--master-key-file', c.key);
          expect(verify.code).not.toBe(0);
          expect(verify.stderr).toContain(c.message);
        }

        // A target that already holds an instance is refused and left alone.
        const occupied = await newTarget(targetDialect);
        cleanups.push(occupied.remove);
        const init = await occupied.cli('init', '--data-dir', occupied.dataDir, '--json');
        expect(init.code, init.stderr).toBe(0);
        const entries = readdirSync(occupied.dataDir).sort();
        const onto = await occupied.cli(
          'restore',
          '--data-dir',
          occupied.dataDir,
          '--from',
          backupFile,
          '--master-key-file',
          keyFile,
        );
        expect(onto.code).not.toBe(0);
        expect(onto.stderr).toMatch(/is not empty/);
        expect(readdirSync(occupied.dataDir).sort()).toEqual(entries);
        const intact = await occupied.cli('audit', 'verify', '--data-dir', occupied.dataDir);
        expect(intact.code, intact.stdout + intact.stderr).toBe(0);
        if (occupied.databaseUrl) {
          // An empty data directory over a database that holds an instance: refused too.
          const elsewhere = path.join(work, `empty-dir-${targetDialect}`);
          const again = await occupied.cli(
            'restore',
            '--data-dir',
            elsewhere,
            '--from',
            backupFile,
            '--master-key-file',
            keyFile,
          );
          expect(again.code).not.toBe(0);
          expect(again.stderr).toContain('the target database is not empty');
          expect(existsSync(elsewhere)).toBe(false);
        }
      },
    );
  });

  it(
    'opens only with the key file current when it was taken, after a master key rotation',
    { timeout: 120_000 },
    async () => {
      expect(backupEnded).toBeGreaterThan(0);
      const earlier = path.join(work, 'earlier.key');
      copyFileSync(keyFile, earlier);
      const rotated = await instance!.cli('rotate-master-key', '--data-dir', instance!.dataDir);
      expect(rotated.code, rotated.stderr).toBe(0);
      const withNew = await instance!.cli('backup', 'verify', backupFile, '--master-key-file', keyFile);
      expect(withNew.code).not.toBe(0);
      expect(withNew.stderr).toContain(
        `the backup was taken under master key ${masterKeyId}, which is not in the master key file`,
      );
      const withEarlier = await instance!.cli('backup', 'verify', backupFile, '--master-key-file', earlier);
      expect(withEarlier.code, withEarlier.stderr).toBe(0);
      // A backup taken now opens with the new key file (found in the data directory by default).
      const fresh = path.join(work, 'after-rotation.bwbackup');
      const taken = await instance!.cli('backup', '--data-dir', instance!.dataDir, '--out', fresh);
      expect(taken.code, taken.stderr).toBe(0);
      const verified = await instance!.cli('backup', 'verify', fresh, '--data-dir', instance!.dataDir);
      expect(verified.code, verified.stderr).toBe(0);
      // An existing file is never overwritten.
      const again = await instance!.cli('backup', '--data-dir', instance!.dataDir, '--out', fresh);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain('already exists');
    },
  );
});
