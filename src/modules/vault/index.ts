export { createVaultService, type VaultService, type AccountDraft } from './vault.service.js';
export type { ShareableObject } from './vault.types.js';
export { registerVaultRoutes } from './vault.routes.js';
export { RESOURCE_TYPES, findResourceType } from './resource-types.js';
