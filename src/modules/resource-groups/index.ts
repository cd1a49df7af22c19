export {
  createGroupMembership,
  createResourceGroupsService,
  type GroupMembership,
  type ResourceGroupsService,
} from './resource-groups.service.js';
export { registerResourceGroupRoutes } from './resource-groups.routes.js';
export { registerResourceGroupConsoleRoutes } from './resource-groups.console.js';
