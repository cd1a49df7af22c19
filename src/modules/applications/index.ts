export {
  certificateFingerprint,
  createApplicationsService,
  readCertificate,
  readFingerprint,
  type ApplicationsService,
} from './applications.service.js';
export {
  A2A_OPERATIONS,
  RESOURCE_TYPES,
  type A2AOperation,
  type Application,
  type ApplicationRef,
  type TrustedCertificate,
} from './applications.types.js';
export { registerApplicationConsoleRoutes } from './applications.console.js';
export { registerApplicationRoutes } from './applications.routes.js';
export { certificateFileBase, toolkitArchive, writeToolkit } from './applications.toolkit.js';
