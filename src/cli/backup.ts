/** `bulwark backup`, `bulwark backup verify`, `bulwark restore` (ADR 049, docs/operations.md). */
import { Option, type Command } from 'commander';
import path from 'node:path';
import { MasterKeyError, readMasterKeyFile, type MasterKeySet } from '../platform/crypto/master-key.js';
import { systemClock } from '../platform/clock.js';
import {
  BackupError,
  backupTakenEvent,
  createBackupService,
  restoredEvent,
  type VerifySummary,
} from '../modules/backup/index.js';
import { verificationReport } from '../modules/audit/index.js';
import { openInstance } from '../instance.js';
import { formatSeconds } from './progress.js';
import { configFrom, operatorActor, out, withDataDir, withInstance, type InstanceOptions } from './shared.js';

interface BackupOptions extends InstanceOptions {
  out?: string;
}

interface VerifyOptions extends InstanceOptions {
  masterKeyFile?: string;
}

interface RestoreOptions extends InstanceOptions {
  from: string;
  masterKeyFile: string;
}

async function masterKeys(file: string): Promise<MasterKeySet> {
  try {
    return await readMasterKeyFile(file);
  } catch (err) {
    if (err instanceof MasterKeyError) throw new BackupError(err.message);
    throw err;
  }
}

/** Rows copied, redrawn in place on a terminal; nothing otherwise (the summary follows). */
function rowProgress(verb: string) {
  if (!process.stderr.isTTY) return { update: undefined, finish: () => undefined };
  const started = performance.now();
  let drawn = false;
  return {
    update: (table: string, done: number, total: number | undefined, phase = verb) => {
      const of = total === undefined ? '' : `/${total}`;
      const percent = total ? ` ${Math.floor((done / total) * 100)}%` : '';
      process.stderr.write(
        `\r${phase} ${table}: ${done}${of} rows${percent}  ${formatSeconds(performance.now() - started)}\u001b[K`,
      );
      drawn = true;
    },
    finish: () => {
      if (drawn) process.stderr.write('\r\u001b[K');
    },
  };
}

const totalRows = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);

function verifiedLine(summary: VerifySummary): string {
  return (
    `taken ${summary.manifest.createdAt} from ${summary.manifest.source}; ` +
    `${Object.keys(summary.rows).length} tables, ${totalRows(summary.rows)} rows; ` +
    `audit chain intact (${summary.auditRecords} records); ${summary.sealedValues} sealed values open`
  );
}

export function registerBackupCommands(program: Command): void {
  const service = createBackupService({ clock: systemClock });

  const backup = program
    .command('backup')
    .description(
      'write an encrypted, consistent snapshot of the instance to a new file while servers keep serving, ' +
        'and record it in the audit trail; it opens only with the master key current now, which it does not contain',
    )
    .addOption(new Option('--out <file>', 'the backup file to create (refused if it exists)'));
  withDataDir(backup).action(async (options: BackupOptions) => {
    if (!options.out) throw new BackupError('backup: --out <file> names the backup file to create');
    // The instance is opened for its audit trail: the backup is recorded there once written.
    await withInstance({ dataDir: options.dataDir }, async (instance) => {
      const { config } = instance;
      const keys = await masterKeys(config.masterKeyFile);
      const progress = rowProgress('backing up');
      const started = performance.now();
      const summary = await service
        .backup(config, keys, path.resolve(options.out!), progress.update)
        .finally(progress.finish);
      // After the snapshot, so the file does not hold this record (docs/operations.md).
      const actor = operatorActor();
      await instance.database.db
        .transaction()
        .execute((trx) =>
          instance.services.audit.append(trx, actor, backupTakenEvent(summary, 'bulwark backup')),
        );
      out(
        `Backup written to ${summary.file}: ${Object.keys(summary.rows).length} tables, ${totalRows(summary.rows)} rows, ` +
          `audit records up to ${summary.chainHead.lastSeq}, in ${formatSeconds(performance.now() - started)}. ` +
          `It opens only with master key ${summary.masterKeyId}: keep a copy of that key file, apart from the backup.`,
      );
    });
  });

  const verify = backup
    .command('verify')
    .description(
      'authenticate and check a backup file whole (audit chain, sealed values, row counts); writes nothing',
    )
    .argument('<file>', 'the backup file')
    .addOption(
      new Option(
        '--master-key-file <file>',
        'the master key file current when the backup was taken (default: the data directory’s)',
      ),
    );
  // --data-dir is the parent's option (`backup verify FILE --data-dir DIR` reads it there).
  verify.action(async (file: string, _options: VerifyOptions, command: Command) => {
    const options = command.optsWithGlobals<VerifyOptions>();
    const keyFile = options.masterKeyFile ?? configFrom({ dataDir: options.dataDir }).masterKeyFile;
    const progress = rowProgress('verifying');
    const summary = await service
      .verify(path.resolve(file), await masterKeys(keyFile), progress.update)
      .finally(progress.finish);
    out(`Backup ${path.resolve(file)} verified: ${verifiedLine(summary)}.`);
  });

  const restore = program
    .command('restore')
    .description(
      'restore a backup into a new data directory and an empty database (SQLite, or BULWARK_DATABASE_URL), ' +
        'whichever database it was taken from, verify it and record the restore in its audit trail; ' +
        'a failed restore leaves the target empty',
    )
    .addOption(new Option('--from <file>', 'the backup file').makeOptionMandatory())
    .addOption(
      new Option(
        '--master-key-file <file>',
        'the master key file current when the backup was taken',
      ).makeOptionMandatory(),
    );
  withDataDir(restore, { required: true }).action(async (options: RestoreOptions) => {
    const config = configFrom({ dataDir: options.dataDir });
    const keys = await masterKeys(path.resolve(options.masterKeyFile));
    const progress = rowProgress('restoring');
    const started = performance.now();
    let recorded = 0;
    const summary = await service
      .restore(
        path.resolve(options.from),
        keys,
        {
          store: config,
          dataDir: config.dataDir,
          masterKeyFile: config.masterKeyFile,
          givenKeyFile: path.resolve(options.masterKeyFile),
          tlsCertFile: config.tlsCertFile,
          tlsKeyFile: config.tlsKeyFile,
          // Through the restored instance's own audit service, as every CLI record is written;
          // then the whole chain once more, with the new record at its end.
          record: async (backup) => {
            const restored = await openInstance(config, systemClock);
            try {
              const actor = operatorActor();
              await restored.database.db
                .transaction()
                .execute((trx) =>
                  restored.services.audit.append(
                    trx,
                    actor,
                    restoredEvent(path.resolve(options.from), backup),
                  ),
                );
              const chain = await restored.services.audit.verify();
              if (!chain.ok) throw new BackupError(verificationReport(chain).trim());
              recorded = chain.lastSeq;
            } finally {
              await restored.close();
            }
          },
        },
        (phase, table, done, total) =>
          progress.update?.(
            table,
            done,
            total,
            { verify: 'verifying', restore: 'restoring', check: 'checking' }[phase],
          ),
      )
      .finally(progress.finish);
    out(
      `Restored ${path.resolve(options.from)} into ${config.dataDir} (${config.databaseUrl ? 'PostgreSQL' : 'SQLite'}) ` +
        `in ${formatSeconds(performance.now() - started)}: ${verifiedLine(summary)}. ` +
        `The restore is audit record ${recorded} of the restored trail.`,
    );
  });
}
