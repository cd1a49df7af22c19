export { createImportService, type ImportService, type ImportProgress } from './import.service.js';
export { registerImportRoutes } from './import.routes.js';
export { registerImportConsoleRoutes } from './import.console.js';
export {
  IMPORT_FORMATS,
  IMPORT_LIMITS,
  ImportFileError,
  readImportRequest,
  type ImportFormat,
  type ImportReport,
  type ImportRowReport,
} from './import.types.js';
export { findActingUser } from './acting-user.js';
/** Bulwark's CSV written (a user's export, ADR 051): what `--format csv` reads back. */
export { writeBulwarkCsv } from './parsers/bulwark-csv.js';
export type { ImportRecord } from './import.types.js';
