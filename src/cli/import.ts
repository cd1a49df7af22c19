/**
 * `bulwark import --format F FILE`: resources and accounts from another vault's export
 * (docs/import.md), created through the vault service as the API creates them, owned by the user
 * the command acts as (`--as`, else the oldest super administrator). The file is read whole
 * first: one that does not parse changes nothing. Progress on stderr (a bar on a terminal), the
 * per-row report on stdout; exit code 2 when some rows were skipped.
 */
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { InstanceError } from '../instance.js';
import { openExport } from '../modules/export/index.js';
import { Secret } from '../platform/crypto/secret.js';
import {
  findActingUser,
  IMPORT_FORMATS,
  readImportRequest,
  type ImportFormat,
  type ImportReport,
} from '../modules/import/index.js';
import { createProgress, formatSeconds, type Progress } from './progress.js';
import {
  CLI_ORIGIN,
  out,
  readPassphrase,
  withDataDir,
  withInstance,
  withJson,
  type InstanceOptions,
} from './shared.js';

/** `bulwark export`'s encrypted file (ADR 051): opened here, then read as the CSV it holds. */
const BULWARK_EXPORT = 'bulwark-export';

interface ImportOptions extends InstanceOptions {
  format: ImportFormat | typeof BULWARK_EXPORT;
  passphraseFile?: string;
  as?: string;
  dryRun?: boolean;
  json?: boolean;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new InstanceError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function decodeText(file: string, bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new InstanceError(`${file} is not UTF-8 text`);
  }
}

function printReport(report: ImportReport, elapsedMs: number): void {
  const what = report.dryRun ? 'Dry run (nothing written)' : 'Import';
  out(`${what} of ${report.total} row(s) in ${formatSeconds(elapsedMs)}`);
  for (const r of report.rows) {
    const name = `${r.resource || '?'}/${r.account || '?'}`;
    if (r.status === 'imported') {
      const verb = report.dryRun ? 'would be imported' : 'imported';
      out(`  row ${r.row}: ${name}: ${verb}${r.resourceCreated ? ' (new resource)' : ''}`);
    } else out(`  row ${r.row}: ${name}: skipped: ${r.reason}`);
  }
  out(`  imported: ${report.imported}`);
  out(`  skipped: ${report.skipped}`);
  out(`  resources created: ${report.resourcesCreated}`);
}

export function registerImportCommands(program: Command): void {
  const command = program
    .command('import')
    .description(
      'import resources and accounts from a file (csv, keepass: KeePass 2 XML, bitwarden: unencrypted ' +
        'JSON, pmp: Password Manager Pro CSV, bulwark-export: a file of bulwark export; docs/import.md) as ' +
        'the user --as (default: the super administrator created by init); progress on stderr, the per-row report on stdout; exit code 2 ' +
        'when some rows were skipped',
    )
    .argument('<file>', 'the file to import')
    .addOption(
      new Option('--format <format>', 'the file format (bulwark-export: a file of `bulwark export`)')
        .choices([...IMPORT_FORMATS, BULWARK_EXPORT])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--passphrase-file <file>',
        'bulwark-export: read its passphrase from this file; without it, it is asked on the terminal',
      ),
    )
    .addOption(new Option('--as <user>', 'the user who imports and owns what is imported'))
    .addOption(new Option('--dry-run', 'check every row and print the report; write nothing'));
  withJson(withDataDir(command), 'print the report as one JSON document').action(
    async (file: string, options: ImportOptions) => {
      if (options.passphraseFile !== undefined && options.format !== BULWARK_EXPORT) {
        throw new InstanceError('--passphrase-file is for --format bulwark-export');
      }
      const bytes = await readBytes(file);
      // An export is opened (authenticated whole) before the instance is: a wrong passphrase, a
      // truncated or altered file is refused in one line, with nothing written.
      const content =
        options.format === BULWARK_EXPORT
          ? decodeText(
              file,
              await openExport(bytes, new Secret(await readPassphrase(options.passphraseFile))),
            )
          : decodeText(file, bytes);
      const format: ImportFormat = options.format === BULWARK_EXPORT ? 'csv' : options.format;
      await withInstance(options, async (instance) => {
        const principal = await findActingUser(instance.database.db, options.as);
        if (principal === undefined) {
          throw new InstanceError(
            options.as === undefined
              ? 'there is no unlocked super administrator to import as; name a user with --as'
              : `there is no unlocked user named ${options.as}`,
          );
        }
        const request = readImportRequest({
          format,
          content,
          dryRun: options.dryRun === true,
        });
        const started = performance.now();
        let progress: Progress | undefined;
        const report = await instance.services.imports.run(
          { ...CLI_ORIGIN, principal },
          request,
          (rows, done, total) => {
            progress ??= createProgress(process.stderr, total);
            let at = done - rows.length;
            for (const r of rows) {
              at += 1;
              progress.item(
                {
                  label: `row ${r.row} ${r.resource}/${r.account}`,
                  status: r.status,
                  ...(r.reason === undefined ? {} : { message: r.reason }),
                },
                at,
              );
            }
          },
        );
        progress?.finish();
        if (options.json) out(JSON.stringify(report));
        else printReport(report, performance.now() - started);
        if (report.skipped > 0) process.exitCode = 2;
      });
    },
  );
}
