export {
  createRotationSchedulesService,
  DEFAULT_SCHEDULE_SETTINGS,
  SCHEDULE_JOB_KINDS,
  ScheduleAuditOperation,
  type BulkJobResult,
  type RotationSchedulesService,
  type ScheduleSettings,
} from './schedules.service.js';
export { registerRotationScheduleRoutes } from './schedules.routes.js';
export { isExpired, nextRunAfter, firstRun, validateCron } from './schedules.types.js';
