import { groupRotation } from './group-rotation.js';
import { scheduleOperations } from './schedule-management.js';
import { scheduler } from './scheduler.js';
import {
  createSchedulesContext,
  SCHEDULE_JOB_KINDS,
  type RotationSchedulesDeps,
} from './schedules.context.js';

export type { BulkJobResult } from './group-rotation.js';
export {
  DEFAULT_SCHEDULE_SETTINGS,
  SCHEDULE_JOB_KINDS,
  ScheduleAuditOperation,
  type RotationSchedulesDeps,
  type ScheduleSettings,
} from './schedules.context.js';

export type RotationSchedulesService = ReturnType<typeof createRotationSchedulesService>;

/**
 * Rotation and verification schedules (ADR 029) and bulk rotation of a resource group, one file
 * per capability over a shared context: schedule management and its authorisation
 * (schedule-management.ts), the scheduler that runs due schedules (scheduler.ts), and bulk
 * rotation of a group (group-rotation.ts). This only assembles them.
 */
export function createRotationSchedulesService(deps: RotationSchedulesDeps) {
  const ctx = createSchedulesContext(deps);
  const runs = scheduler(ctx);
  const bulk = groupRotation(ctx);
  return {
    ...runs,
    ...bulk,
    ...scheduleOperations(ctx),
    // Replaces the parts' own registerJobs: the kinds are registered in one place, then the sweep.
    /** Registers the job kinds and the periodic sweep on the job runner (once, when services are built). */
    registerJobs(): void {
      runs.registerJobs();
      bulk.registerJobs();
      ctx.jobs.every(SCHEDULE_JOB_KINDS.sweep, ctx.settings.sweepMs);
    },
  };
}
