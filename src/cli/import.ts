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
import {
  findActingUser,
  IMPORT_FORMATS,
  readImportRequest,
  type ImportFormat,
  type ImportReport,
} from '../modules/import/index.js';
import { createProgress, formatSeconds, type Progress } from './progress.js';
import { CLI_ORIGIN, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

interface ImportOptions extends InstanceOptions {
  format: ImportFormat;
  as?: string;
  dryRun?: boolean;
  json?: boolean;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new InstanceError(`cannot read ${file}: ${(err as Error).message}`);
  }
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
        'JSON, pmp: Password Manager Pro CSV; docs/import.md) as the user --as (default: the super ' +
        'administrator created by init); progress on stderr, the per-row report on stdout; exit code 2 ' +
        'when some rows were skipped',
    )
    .argument('<file>', 'the file to import')
    .addOption(
      new Option('--format <format>', 'the file format').choices([...IMPORT_FORMATS]).makeOptionMandatory(),
    )
    .addOption(new Option('--as <user>', 'the user who imports and owns what is imported'))
    .addOption(new Option('--dry-run', 'check every row and print the report; write nothing'));
  withJson(withDataDir(command), 'print the report as one JSON document').action(
    async (file: string, options: ImportOptions) => {
      const content = await readText(file);
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
          format: options.format,
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
