import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import type { ExportService } from './export.service.js';
import { readExportRequest, type ExportReport, type ExportRequest } from './export.types.js';

const V1 = '/restapi/json/v1';

/**
 * Every field of the request read from PMP input, then checked by the one export schema. The
 * passphrase is kept exactly as sent (never trimmed): a Details field, or a form field.
 */
function readRequest(input: PmpInput): ExportRequest {
  const passphrase = input.details().secret('PASSPHRASE')?.reveal() ?? input.param('PASSPHRASE');
  return readExportRequest({
    passphrase,
    reason: input.value('REASON', 2000) || undefined,
    ticketId: input.value('TICKETID', 2000) || undefined,
  });
}

/** A report in the PMP envelope's style: upper-case keys, one row per account, never a password. */
export function exportReportAttributes(report: ExportReport) {
  return {
    TOTAL: report.total,
    EXPORTED: report.exported,
    WITHHELD: report.withheld,
    RESOURCES: report.resources,
    ROWS: report.rows.map((r) => ({
      RESOURCENAME: r.resource,
      ACCOUNTNAME: r.account,
      STATUS: r.status,
      ...(r.reason === undefined ? {} : { REASON: r.reason }),
    })),
  };
}

/**
 * Native endpoint (the reference has no export API), beside `POST …/import`:
 * `POST /restapi/json/v1/export` with an API token exports the caller's own view, sealed under
 * PASSPHRASE; REASON and TICKETID go to every release as they go to GET PASSWORD. The file
 * travels base64 in `CONTENT` beside the per-account report, so one answer carries both.
 */
export function registerExportRoutes(router: PmpRouter, deps: { exports: ExportService }): void {
  router.add({
    method: 'POST',
    url: `${V1}/export`,
    operation: 'EXPORT PASSWORDS',
    schema: inputSchema({
      request: f.group(['PASSPHRASE', 'REASON', 'TICKETID'], readRequest),
    }),
    async handle({ caller, fields }) {
      const { file, fileName, report } = await deps.exports.run(caller, fields.request);
      return {
        message: `${report.exported} of ${report.total} account(s) exported with their passwords, ${report.withheld} withheld`,
        details: { FILENAME: fileName, CONTENT: file.toString('base64'), ...exportReportAttributes(report) },
      };
    },
  });
}
