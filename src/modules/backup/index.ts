export {
  createBackupService,
  type BackupService,
  type BackupSummary,
  type RestoreTarget,
  type VerifySummary,
} from './backup.service.js';
export { BackupError } from './backup.format.js';
