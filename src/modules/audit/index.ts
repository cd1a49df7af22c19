export { createAuditService, actorOf, type AuditService } from './audit.service.js';
export { registerAuditRoutes } from './audit.routes.js';
export { AuditOperation, type AuditActor, type AuditEvent, type ChainVerification } from './audit.types.js';
