export { createIdentityService, type IdentityService } from './identity.service.js';
export { registerIdentityRoutes } from './identity.routes.js';
export { createHostResolver, type HostResolver, type HostLookup } from './host-binding.js';
export { createAuthThrottle, type AuthThrottle, type AuthThrottleSettings } from './auth-throttle.js';
export { ROLES, usernameKey, type Role, type BootstrapCredentials } from './identity.types.js';
export { createUserDirectory, type UserDirectory } from './user-directory.js';
export { createConsoleSessions, type ConsoleSessions, type SessionSettings } from './sessions.service.js';
export { registerSessionRoutes } from './sessions.routes.js';
export { registerUserConsoleRoutes } from './users.console.js';
