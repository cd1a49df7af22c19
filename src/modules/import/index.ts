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
