export { createAuditService, actorOf, type AuditService } from './audit.service.js';
export { registerAuditRoutes } from './audit.routes.js';
export { verificationReport } from './chain-verifier.js';
export {
  AuditOperation,
  type AuditActor,
  type AuditEvent,
  type ChainVerification,
  type ChainProblem,
} from './audit.types.js';
export { registerAuditConsoleRoutes } from './audit.console.js';
export { createChainVerifier } from './chain-verifier.js';
export { fromRow as storedAuditRecordFromRow } from './audit.repository.js';
export type { ChainHead } from './audit.types.js';
