export { createDashboardService, type DashboardService } from './dashboard.service.js';
export { registerDashboardConsoleRoutes } from './dashboard.console.js';
