/**
 * `bulwark backup`, `backup verify` and `restore` (ADR 049): a logical, encrypted snapshot of
 * every table, taken while the server serves, that restores into an empty SQLite or PostgreSQL
 * store whichever it came from, and is checked (audit chain, sealed values, row counts) on the
 * way in and once restored.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../platform/clock.js';
import type { DatabaseTarget } from '../../platform/db/database.js';
import { knownMigrations } from '../../platform/db/migrator.js';
import { writeMasterKeyFile, type MasterKeySet } from '../../platform/crypto/master-key.js';
import { fileExists, writeFileDurably } from '../../platform/fs.js';
import { createSelfSignedCertificate } from '../../platform/tls.js';
import {
  checkProblems,
  createSnapshotChecker,
  type CheckReport,
  type SnapshotChecker,
} from './backup.checker.js';
import { BackupError, createChunkWriter, fileSink } from './backup.format.js';
import { openSnapshot, type Snapshot, type TableInfo } from './backup.snapshot.js';
import type { ChainHead } from '../audit/index.js';
import { asNumber, rowObject, type BackupValue } from './backup.values.js';
import { readBackup, writeSnapshot, type EndRecord, type Manifest, type Progress } from './backup.stream.js';
import {
  assertEmptyStore,
  createSchema,
  dropEverything,
  migrateStoreToLatest,
  openLoader,
  type Loader,
} from './backup.target.js';

export interface BackupSummary {
  readonly file: string;
  readonly masterKeyId: string;
  /** When the snapshot was taken (ISO 8601), as the file's manifest says. */
  readonly createdAt: string;
  readonly rows: Record<string, number>;
  /** The audit chain head in the snapshot: the backup holds records 1 to `lastSeq`. */
  readonly chainHead: ChainHead;
}

export interface VerifySummary {
  readonly manifest: Manifest;
  readonly rows: Record<string, number>;
  readonly auditRecords: number;
  /** The audit chain head the backup recorded (verified against its records). */
  readonly chainHead: ChainHead;
  readonly sealedValues: number;
}

/** Where a restored instance lives: the store, and the files of its data directory. */
export interface RestoreTarget {
  readonly store: DatabaseTarget;
  readonly dataDir: string;
  readonly masterKeyFile: string;
  /** The key file the operator named, which may already sit in the new data directory. */
  readonly givenKeyFile?: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /**
   * Appends the restore's audit record to the restored store (and checks the chain with it);
   * called once the restored store verified and its files are written. A restore is not done
   * until it is recorded: if this fails, the restore is undone like any other failure.
   */
  readonly record: (restored: VerifySummary) => Promise<void>;
}

export interface BackupService {
  backup(
    store: DatabaseTarget,
    masterKeys: MasterKeySet,
    out: string,
    onProgress?: Progress,
  ): Promise<BackupSummary>;
  verify(file: string, masterKeys: MasterKeySet, onProgress?: Progress): Promise<VerifySummary>;
  restore(
    file: string,
    masterKeys: MasterKeySet,
    target: RestoreTarget,
    onProgress?: (
      phase: 'verify' | 'restore' | 'check',
      table: string,
      done: number,
      total: number | undefined,
    ) => void,
  ): Promise<VerifySummary>;
}

/**
 * A failure of the file system or of a database (it carries a `code`: ENOSPC, a PostgreSQL
 * SQLSTATE, SQLITE_…) as one line for the operator; anything else is a bug and keeps its stack.
 */
function operational(what: string) {
  return (err: unknown): never => {
    if (err instanceof BackupError) throw err;
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') throw err;
    throw new BackupError(`${what} failed (${code}): ${(err as Error).message}`);
  };
}

export function createBackupService(deps: { readonly clock: Clock }): BackupService {
  const { clock } = deps;

  async function dataKeysMaster(snapshot: Snapshot, tables: readonly TableInfo[], masterKeys: MasterKeySet) {
    const table = tables.find((t) => t.name === 'data_keys');
    if (table === undefined)
      throw new BackupError('the database holds no data keys; is it a Bulwark database?');
    const column = table.columns.indexOf('master_key_id');
    const ids = new Set<string>();
    for await (const row of snapshot.rows(table)) ids.add(String(row[column]));
    const id = ids.has(masterKeys.activeId) ? masterKeys.activeId : [...ids][0];
    const master = id === undefined ? undefined : masterKeys.get(id);
    if (master === undefined) {
      throw new BackupError(
        `the data keys are wrapped by master key ${id ?? '(none)'}, which is not in the master key file`,
      );
    }
    return master;
  }

  /** The audit chain head of the snapshot (its `audit_chain` row), read in the same transaction. */
  async function chainHeadOf(snapshot: Snapshot, tables: readonly TableInfo[]): Promise<ChainHead> {
    const table = tables.find((t) => t.name === 'audit_chain');
    if (table !== undefined) {
      for await (const values of snapshot.rows(table)) {
        const row = rowObject(table.columns, values);
        if (row.id === 1) {
          return {
            lastSeq: asNumber(row.last_seq as BackupValue, 'audit_chain.last_seq'),
            lastHash: String(row.last_hash),
          };
        }
      }
    }
    throw new BackupError('the database holds no audit chain head; is it a Bulwark database?');
  }

  async function verifyInto(
    file: string,
    masterKeys: MasterKeySet,
    checker: SnapshotChecker,
    onProgress?: Progress,
  ) {
    const { manifest, end } = await readBackup(
      file,
      masterKeys,
      {
        manifest: () => undefined,
        table: (t) => checker.table(t),
        row: (values) => checker.row(values),
        endTable: () => checker.endTable(),
        end: () => undefined,
      },
      onProgress,
    );
    const report = checker.finish();
    const problems = checkProblems(report, end.rows);
    if (problems.length > 0) throw new BackupError(`the backup does not verify:\n${problems.join('\n')}`);
    return { manifest, end, report };
  }

  const summaryOf = (manifest: Manifest, report: CheckReport): VerifySummary => ({
    manifest,
    rows: report.rows,
    auditRecords: report.chain.checked,
    chainHead: report.head,
    sealedValues: report.sealedOpened,
  });

  /** Streams every table of the store through a checker, as restored. */
  async function checkStore(store: DatabaseTarget, masterKeys: MasterKeySet, onProgress?: Progress) {
    const snapshot = await openSnapshot(store);
    try {
      const checker = createSnapshotChecker(masterKeys);
      for (const table of await snapshot.tables()) {
        checker.table(table);
        let n = 0;
        for await (const values of snapshot.rows(table)) {
          checker.row(values);
          if (++n % 1000 === 0) onProgress?.(table.name, n, undefined);
        }
        await checker.endTable();
      }
      return checker.finish();
    } finally {
      await snapshot.close();
    }
  }

  const service: BackupService = {
    async backup(store, masterKeys, out, onProgress) {
      if (await fileExists(out)) throw new BackupError(`${out} already exists; name a new file`);
      const snapshot = await openSnapshot(store);
      const partial = path.join(
        path.dirname(out),
        `.${path.basename(out)}.${randomBytes(4).toString('hex')}.partial`,
      );
      let written = false;
      try {
        const tables = await snapshot.tables();
        const master = await dataKeysMaster(snapshot, tables, masterKeys);
        // Read before anything is written: a store without one yields no file at all.
        const chainHead = await chainHeadOf(snapshot, tables);
        const handle = await open(partial, 'wx', 0o600).catch((err: Error) => {
          throw new BackupError(`cannot write ${out}: ${err.message}`);
        });
        written = true;
        let end: EndRecord;
        const now = new Date(clock.now());
        try {
          const writer = await createChunkWriter(fileSink(handle), master, now);
          end = await writeSnapshot(snapshot, writer, tables, now, onProgress);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(partial, out);
        written = false;
        const dir = await open(path.dirname(out), 'r');
        await dir.sync().finally(() => dir.close());
        return {
          file: out,
          masterKeyId: master.id,
          createdAt: now.toISOString(),
          rows: end.rows,
          chainHead,
        };
      } finally {
        await snapshot.close();
        if (written) await unlink(partial).catch(() => undefined);
      }
    },

    async verify(file, masterKeys, onProgress) {
      const { manifest, report } = await verifyInto(
        file,
        masterKeys,
        createSnapshotChecker(masterKeys),
        onProgress,
      );
      return summaryOf(manifest, report);
    },

    async restore(file, masterKeys, target, onProgress) {
      const { store, dataDir } = target;
      const before = await emptyDataDir(dataDir, [target.masterKeyFile, target.givenKeyFile ?? '']);
      await assertEmptyStore(store);
      // 1. The whole file authenticated and checked before anything is written.
      const verified = await verifyInto(file, masterKeys, createSnapshotChecker(masterKeys), (t, d, n) =>
        onProgress?.('verify', t, d, n),
      );
      const { manifest, end } = verified;
      let loader: Loader | undefined;
      try {
        await mkdir(dataDir, { recursive: true, mode: 0o700 });
        // 2. The schema of the backup, its rows in one transaction, then the later migrations.
        await createSchema(store, manifest.migrations);
        const targetInfos = await tableInfosOf(store);
        const targetTables = targetInfos.map((t) => t.name);
        const missing = manifest.tables.filter((t) => !targetTables.includes(t));
        const extra = targetTables.filter((t) => !manifest.tables.includes(t));
        if (missing.length + extra.length > 0) {
          throw new BackupError(
            `the backup's tables do not match its schema (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`,
          );
        }
        const tables: TableInfo[] = [];
        loader = await openLoader(store);
        const active = loader;
        await active.begin(targetInfos);
        let rowsDone = 0;
        await readBackup(file, masterKeys, {
          manifest: () => undefined,
          table: (t) => {
            tables.push(t);
            rowsDone = 0;
            active.startTable(t);
          },
          row: async (values) => {
            await active.insert(values);
            if (++rowsDone % 1000 === 0)
              onProgress?.('restore', tables.at(-1)!.name, rowsDone, end.rows[tables.at(-1)!.name]);
          },
          endTable: async (t) => {
            await active.endTable();
            onProgress?.('restore', t.name, rowsDone, end.rows[t.name]);
          },
          end: (e) => active.commit(e.sequences),
        });
        loader = undefined;
        await migrateStoreToLatest(store);
        // 3. The restored store checked as it now is.
        const report = await checkStore(store, masterKeys, (t, d, n) => onProgress?.('check', t, d, n));
        const sameSchema =
          manifest.migrations.join('\n') === knownMigrations({ dialect: 'sqlite' }).join('\n');
        const problems = checkProblems(report, sameSchema ? end.rows : undefined);
        if (problems.length > 0)
          throw new BackupError(`the restored store does not verify:\n${problems.join('\n')}`);
        await writeInstanceFiles(target, masterKeys, manifest, new Date(clock.now()));
        // The summary of the backup as verified (its chain head is the source's, not the restored
        // store's, which now has the restore's own record after it).
        await target.record(summaryOf(manifest, verified.report));
        return summaryOf(manifest, report);
      } catch (err) {
        await loader?.rollback().catch(() => undefined);
        await undo(target, before);
        throw err;
      }
    },
  };
  return {
    backup: (...args) => service.backup(...args).catch(operational('the backup')),
    verify: (...args) => service.verify(...args).catch(operational('the verification')),
    restore: (...args) =>
      service.restore(...args).catch(operational('the restore (the target was left as it was found)')),
  };
}

/** The tables of a store, as a snapshot reads them (parents first). */
async function tableInfosOf(store: DatabaseTarget): Promise<TableInfo[]> {
  const snapshot = await openSnapshot(store);
  try {
    return await snapshot.tables();
  } finally {
    await snapshot.close();
  }
}

/**
 * The data directory must not exist or hold nothing but the master key file; answers what was
 * there, so that a failed restore leaves exactly that.
 */
async function emptyDataDir(dataDir: string, allowed: readonly string[]): Promise<string[] | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BackupError(`cannot read ${dataDir}: ${(err as Error).message}`);
  }
  const others = entries.filter((e) => !allowed.includes(path.join(dataDir, e)));
  if (others.length > 0) {
    throw new BackupError(
      `${dataDir} is not empty (it holds ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}); restore into a new or empty data directory`,
    );
  }
  return entries;
}

/** After a failed restore: the store and the data directory as they were found. */
async function undo(target: RestoreTarget, before: string[] | undefined): Promise<void> {
  if (target.store.databaseUrl) await dropEverything(target.store.databaseUrl).catch(() => undefined);
  if (before === undefined) {
    await rm(target.dataDir, { recursive: true, force: true });
    return;
  }
  const entries = await readdir(target.dataDir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!before.includes(entry)) await rm(path.join(target.dataDir, entry), { recursive: true, force: true });
  }
}

/** The files beside the store: the master key (unless kept elsewhere), a TLS certificate, the marker. */
async function writeInstanceFiles(
  target: RestoreTarget,
  masterKeys: MasterKeySet,
  manifest: Manifest,
  now: Date,
) {
  if (!(await fileExists(target.masterKeyFile))) {
    await mkdir(path.dirname(target.masterKeyFile), { recursive: true, mode: 0o700 });
    await writeMasterKeyFile(target.masterKeyFile, masterKeys, now);
  }
  if (!(await fileExists(target.tlsCertFile)) || !(await fileExists(target.tlsKeyFile))) {
    const certificate = await createSelfSignedCertificate(now);
    await mkdir(path.dirname(target.tlsCertFile), { recursive: true, mode: 0o700 });
    await mkdir(path.dirname(target.tlsKeyFile), { recursive: true, mode: 0o700 });
    await writeFileDurably(target.tlsKeyFile, certificate.keyPem, 0o600);
    await writeFileDurably(target.tlsCertFile, certificate.certPem, 0o644);
  }
  const marker = {
    format: 'bulwark-instance',
    version: 1,
    createdAt: now.toISOString(),
    database: target.store.databaseUrl ? 'postgres' : 'sqlite',
    restoredFrom: { createdAt: manifest.createdAt, source: manifest.source },
  };
  await writeFileDurably(
    path.join(target.dataDir, 'bulwark.json'),
    JSON.stringify(marker, null, 2) + '\n',
    0o600,
  );
}
