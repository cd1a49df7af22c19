export { createJobsService, type JobQuery, type JobReader, type JobsService } from './jobs.service.js';
export { jobAttributes, registerJobRoutes } from './jobs.routes.js';
export { registerJobConsoleRoutes } from './jobs.console.js';
