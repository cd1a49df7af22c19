export { createUserGroupsService, type UserGroupsService } from './user-groups.service.js';
export { registerUserGroupRoutes } from './user-groups.routes.js';
export type { UserGroup } from './user-groups.types.js';
export { registerUserGroupConsoleRoutes } from './user-groups.console.js';
