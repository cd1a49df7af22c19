export { createAgentKeyService, type AgentKeyService } from './agent-key.service.js';
export { createClusterNode, type ClusterNode } from './cluster.js';
export { registerSystemRoutes } from './system.routes.js';
export type { ClusterSettings } from './system.types.js';
