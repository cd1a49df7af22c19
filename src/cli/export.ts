/**
 * `bulwark export --user NAME --out FILE`: the resources and accounts NAME may see, with the
 * passwords NAME may retrieve, as Bulwark CSV encrypted under a passphrase (docs/import.md,
 * ADR 051). The operator holding the data directory is trusted to act as NAME, as `import --as`
 * is; every password is still asked of the release gate as NAME, and audited under NAME with
 * client CLI. `bulwark import --format bulwark-export` reads the file back.
 */
import { Option, type Command } from 'commander';
import { open, unlink } from 'node:fs/promises';
import { InstanceError } from '../instance.js';
import { readExportRequest, type ExportReport } from '../modules/export/index.js';
import { findActingUser } from '../modules/import/index.js';
import {
  CLI_ORIGIN,
  out,
  readPassphrase,
  withDataDir,
  withInstance,
  withJson,
  type InstanceOptions,
} from './shared.js';

interface ExportOptions extends InstanceOptions {
  user: string;
  out: string;
  passphraseFile?: string;
  reason?: string;
  ticketId?: string;
  json?: boolean;
}

function printReport(report: ExportReport, file: string): void {
  out(`Export of ${report.total} account(s) of ${report.resources} resource(s) to ${file}`);
  for (const r of report.rows) {
    out(`  ${r.resource}/${r.account}: ${r.status === 'exported' ? 'exported' : `withheld: ${r.reason}`}`);
  }
  out(`  exported: ${report.exported}`);
  out(`  withheld: ${report.withheld}`);
}

export function registerExportCommands(program: Command): void {
  const command = program
    .command('export')
    .description(
      'export what a user may see (resources, accounts, the passwords they may retrieve) as Bulwark CSV ' +
        'encrypted under a passphrase (scrypt, AES-256-GCM; docs/import.md); every password through the ' +
        'release gate as that user, audited; read back with `bulwark import --format bulwark-export`; ' +
        'exit code 2 when some passwords were withheld',
    )
    .addOption(new Option('--user <name>', 'the user whose view is exported').makeOptionMandatory())
    .addOption(
      new Option('--out <file>', 'the file to write (must not exist; mode 0600)').makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--passphrase-file <file>',
        'read the passphrase (at least 12 characters) from this file; without it, it is asked on the terminal',
      ),
    )
    .addOption(new Option('--reason <text>', 'the reason given to every release (accounts may require one)'))
    .addOption(
      new Option('--ticket-id <id>', 'the ticket id given to every release (accounts may require one)'),
    );
  withJson(withDataDir(command), 'print the report as one JSON document').action(
    async (options: ExportOptions) => {
      const request = readExportRequest({
        passphrase: await readPassphrase(options.passphraseFile, { confirm: true }),
        reason: options.reason,
        ticketId: options.ticketId,
      });
      // Created before anything is released: a file that cannot be written stops the export first.
      let handle;
      try {
        handle = await open(options.out, 'wx', 0o600);
      } catch (err) {
        throw new InstanceError(`cannot create ${options.out}: ${(err as Error).message}`);
      }
      let written = false;
      try {
        await withInstance(options, async (instance) => {
          const principal = await findActingUser(instance.database.db, options.user);
          if (principal === undefined)
            throw new InstanceError(`there is no unlocked user named ${options.user}`);
          const { file, report } = await instance.services.exports.run({ ...CLI_ORIGIN, principal }, request);
          await handle.writeFile(file);
          await handle.sync();
          written = true;
          if (options.json) out(JSON.stringify(report));
          else printReport(report, options.out);
          if (report.withheld > 0) process.exitCode = 2;
        });
      } finally {
        await handle.close();
        if (!written) await unlink(options.out).catch(() => {});
      }
    },
  );
}
