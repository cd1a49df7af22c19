import { z } from 'zod';
import type { NativeRouter } from '../../http/native.js';
import type { ExportService } from './export.service.js';
import { exportRequestSchema } from './export.types.js';

const rowReport = z.object({
  resource: z.string(),
  account: z.string(),
  status: z.enum(['exported', 'withheld']),
  reason: z.string().optional(),
});

/**
 * `POST /api/v1/export` for a console session (no screen yet): the signed-in user's own view,
 * sealed under the passphrase of the body, checked by the same schema as the token endpoint;
 * the file base64 in `content` beside the per-account report.
 */
export function registerExportConsoleRoutes(router: NativeRouter, deps: { exports: ExportService }): void {
  router.add({
    method: 'POST',
    url: '/api/v1/export',
    summary:
      'Export the resources and accounts you may see, with the passwords you may retrieve, encrypted under a passphrase (docs/import.md)',
    tag: 'import',
    access: 'signed-in',
    body: exportRequestSchema,
    response: z.object({
      fileName: z.string(),
      content: z.string(),
      total: z.number(),
      exported: z.number(),
      withheld: z.number(),
      resources: z.number(),
      rows: z.array(rowReport),
    }),
    async handle({ caller, body }) {
      const { file, fileName, report } = await deps.exports.run(caller, body);
      return { fileName, content: file.toString('base64'), ...report };
    },
  });
}
