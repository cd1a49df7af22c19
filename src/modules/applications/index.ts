export {
  a2aClientLabel,
  certificateFingerprint,
  createApplicationsService,
  readCertificate,
  type ApplicationsService,
} from './applications.service.js';
export { A2A_OPERATIONS, RESOURCE_TYPES, type A2AOperation, type Application } from './applications.types.js';
export { certificateFileBase, toolkitArchive, writeToolkit } from './applications.toolkit.js';
