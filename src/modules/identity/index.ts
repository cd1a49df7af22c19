export { createIdentityService, type IdentityService } from './identity.service.js';
export { ROLES, usernameKey, type Role, type BootstrapCredentials } from './identity.types.js';
export { createUserDirectory, type UserDirectory } from './user-directory.js';
