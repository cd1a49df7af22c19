export { createExportService, type ExportService } from './export.service.js';
export { registerExportRoutes } from './export.routes.js';
export { registerExportConsoleRoutes } from './export.console.js';
export { readExportRequest, EXPORT_LIMITS, type ExportReport, type ExportRequest } from './export.types.js';
export { ExportFileError, openExport } from './export.format.js';
