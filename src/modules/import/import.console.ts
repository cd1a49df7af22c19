import { z } from 'zod';
import type { NativeRouter } from '../../http/native.js';
import type { ImportService } from './import.service.js';
import { IMPORT_FORMATS, importRequestSchema } from './import.types.js';

const rowReport = z.object({
  row: z.number(),
  resource: z.string(),
  account: z.string(),
  status: z.enum(['imported', 'skipped']),
  reason: z.string().optional(),
  resourceCreated: z.boolean().optional(),
});

/**
 * `POST /api/v1/import` for a console session (no screen yet): a JSON body with the format, the
 * file's text and dryRun, checked by the same schema as the token endpoint; the per-row report.
 */
export function registerImportConsoleRoutes(router: NativeRouter, deps: { imports: ImportService }): void {
  router.add({
    method: 'POST',
    url: '/api/v1/import',
    summary: `Import resources and accounts from a file (${IMPORT_FORMATS.join(', ')}; administrators and password administrators; docs/import.md)`,
    tag: 'import',
    access: 'signed-in',
    body: importRequestSchema,
    response: z.object({
      format: z.enum(IMPORT_FORMATS),
      dryRun: z.boolean(),
      total: z.number(),
      imported: z.number(),
      skipped: z.number(),
      resourcesCreated: z.number(),
      rows: z.array(rowReport),
    }),
    async handle({ caller, body }) {
      return deps.imports.run(caller, body);
    },
  });
}
