export {
  createCertificatesService,
  type CertificateActor,
  type CertificatesService,
  type FoundAt,
} from './certificates.service.js';
export { registerCertificateRoutes } from './certificates.routes.js';
export {
  CertificateParseError,
  parseCertificate,
  parseCertificates,
  parseDer,
  type ParsedCertificate,
} from './certificate-parsing.js';
export type { CertificateView, CertificateLocation } from './certificates.types.js';
export { createCertificateDiscovery, type CertificateDiscovery } from './discovery.service.js';
export { registerCertificateDiscoveryRoutes } from './discovery.routes.js';
export { createInternalCa, type InternalCa } from './internal-ca.js';
export {
  createCertificateRequestsService,
  type CertificateRequestsService,
} from './certificate-requests.service.js';
export { registerCertificateRequestRoutes } from './certificate-requests.routes.js';
export type { CertificateRequestView, InternalCaView } from './certificate-requests.types.js';
export { createCertificateGroups, type CertificateGroups } from './certificate-groups.service.js';
export { createCertificateShares, type CertificateShares } from './certificate-shares.service.js';
export { createSslAgentInstallKeys, type SslAgentInstallKeys } from './install-key.service.js';
export { registerCertificateGroupRoutes } from './certificate-groups.routes.js';
export { registerCertificateShareRoutes } from './certificate-shares.routes.js';
export {
  createCertificateDeployment,
  type CertificateDeployment,
  type PfxWriter,
} from './certificate-deployment.service.js';
export { createCertificateFilesConnector } from './certificate-deployment.connector.js';
export { registerCertificateDeploymentRoutes } from './certificate-deployment.routes.js';
export { createCertificateExpiry, EXPIRY_JOB, type CertificateExpiry } from './certificate-expiry.service.js';
export { registerCertificateExpiryRoutes } from './certificate-expiry.routes.js';
export type { ExpiringCertificate } from './certificate-expiry.types.js';
export { registerCertificateConsoleRoutes } from './certificates.console.js';
export { registerCertificateRequestConsoleRoutes } from './certificate-requests.console.js';
export { registerCertificateDiscoveryConsoleRoutes } from './discovery.console.js';
export { registerCertificateGroupConsoleRoutes } from './certificate-groups.console.js';
export { registerCertificateShareConsoleRoutes } from './certificate-shares.console.js';
export { registerCertificateDeploymentConsoleRoutes } from './certificate-deployment.console.js';
