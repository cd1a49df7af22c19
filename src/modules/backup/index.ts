export {
  createBackupService,
  type BackupService,
  type BackupSummary,
  type RestoreTarget,
  type VerifySummary,
} from './backup.service.js';
export { BackupError } from './backup.format.js';
export { backupTakenEvent, restoredEvent } from './backup.audit.js';
export {
  BACKUP_JOB,
  backupFileName,
  createScheduledBackups,
  retentionVictims,
  scheduledBackupsIn,
  type ScheduledBackupResult,
  type ScheduledBackups,
  type ScheduledBackupSettings,
} from './backup.schedule.js';
