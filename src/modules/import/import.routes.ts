import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError } from '../../platform/errors.js';
import type { ImportService } from './import.service.js';
import { readImportRequest, type ImportReport, type ImportRequest } from './import.types.js';

const V1 = '/restapi/json/v1';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** DRYRUN as a form or query parameter, else a Details field: true/false, yes/no, 1/0. */
function dryRunOf(input: PmpInput): boolean | string | undefined {
  const param = input.param('DRYRUN');
  if (param === undefined) return input.details().boolean('DRYRUN');
  const text = param.trim().toLowerCase();
  if (text === '') return undefined;
  return ['true', 'yes', '1'].includes(text) ? true : ['false', 'no', '0'].includes(text) ? false : param;
}

/**
 * The file: the multipart part named `file` (or the only file sent), else CONTENT (a form field or
 * a Details field) holding its text. Never both.
 */
function contentOf(input: PmpInput): string | undefined {
  const file = input.file();
  const field = input.param('CONTENT') ?? input.details().secret('CONTENT')?.reveal();
  if (file !== undefined && field !== undefined) {
    throw new InvalidInputError('Send the file either as the multipart part "file" or as CONTENT, not both');
  }
  if (file === undefined) return field;
  try {
    return UTF8.decode(file.content);
  } catch {
    throw new InvalidInputError(`the uploaded file "${file.fileName}" is not UTF-8 text`);
  }
}

/** Every field of the request read from PMP input, then checked by the one import schema. */
function readRequest(input: PmpInput): ImportRequest {
  const format = input.value('FORMAT', 20);
  return readImportRequest({
    format: format === undefined ? undefined : format.toLowerCase(),
    content: contentOf(input),
    dryRun: dryRunOf(input),
  });
}

/** A report in the PMP envelope's style: upper-case keys, rows by line, never a password. */
export function reportAttributes(report: ImportReport) {
  return {
    FORMAT: report.format,
    DRYRUN: report.dryRun,
    TOTAL: report.total,
    IMPORTED: report.imported,
    SKIPPED: report.skipped,
    RESOURCESCREATED: report.resourcesCreated,
    ROWS: report.rows.map((r) => ({
      ROW: r.row,
      RESOURCENAME: r.resource,
      ACCOUNTNAME: r.account,
      STATUS: r.status,
      ...(r.reason === undefined ? {} : { REASON: r.reason }),
      ...(r.resourceCreated === undefined ? {} : { RESOURCECREATED: r.resourceCreated }),
    })),
  };
}

/**
 * Native endpoint (the reference has no import API): `POST /restapi/json/v1/import` with an API
 * token, the file as multipart part `file` or as CONTENT, FORMAT (csv, keepass, bitwarden, pmp)
 * and DRYRUN. The body limit (BULWARK_MAX_FILE_BYTES for the file) bounds its size.
 */
export function registerImportRoutes(router: PmpRouter, deps: { imports: ImportService }): void {
  router.add({
    method: 'POST',
    url: `${V1}/import`,
    operation: 'IMPORT RESOURCES',
    schema: inputSchema({
      request: f.group(['FORMAT', 'CONTENT', 'DRYRUN'], readRequest),
    }),
    async handle({ caller, fields }) {
      const report = await deps.imports.run(caller, fields.request);
      const verb = report.dryRun ? 'would be imported' : 'imported';
      return {
        message: `${report.imported} of ${report.total} row(s) ${verb}, ${report.skipped} skipped`,
        details: reportAttributes(report),
      };
    },
  });
}
