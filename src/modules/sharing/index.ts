export { createSharingService, type SharingService } from './sharing.service.js';
export { registerSharingRoutes } from './sharing.routes.js';
export { registerSharingConsoleRoutes } from './sharing.console.js';
