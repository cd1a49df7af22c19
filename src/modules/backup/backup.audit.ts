/**
 * The audit records of backups and restores (ADR 050). Their text names the file, what the
 * snapshot held (row counts, the audit chain head) and the master key's id, never key material:
 * the id is written in clear in every backup's header anyway.
 */
import { AuditOperation, type AuditEvent } from '../audit/index.js';
import type { BackupSummary, VerifySummary } from './backup.service.js';

/** The tables an operator recognises, named in the record beside the totals. */
const NAMED_TABLES: readonly (readonly [string, string])[] = [
  ['resources', 'resources'],
  ['accounts', 'accounts'],
  ['users', 'users'],
  ['audit_records', 'audit records'],
];

function contents(rows: Record<string, number>): string {
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const named = NAMED_TABLES.filter(([table]) => rows[table] !== undefined)
    .map(([table, words]) => `${words} ${rows[table]}`)
    .join(', ');
  return `${Object.keys(rows).length} tables, ${total} rows (${named})`;
}

/**
 * "Backup Taken": written after the snapshot, so the backup holds every record up to
 * `chainHead.lastSeq` and not this one (it lands in the trail after the snapshot).
 */
export function backupTakenEvent(summary: BackupSummary, how: string): AuditEvent {
  return {
    auditType: 'User',
    operation: AuditOperation.backupTaken,
    reason:
      `${summary.file} (${how}), snapshot of ${summary.createdAt} under master key ${summary.masterKeyId}: ` +
      `${contents(summary.rows)}; audit chain head ${summary.chainHead.lastSeq} (${summary.chainHead.lastHash})`,
  };
}

/** "Restored From Backup": the first record of the restored store after the backup's own. */
export function restoredEvent(file: string, backup: VerifySummary): AuditEvent {
  return {
    auditType: 'User',
    operation: AuditOperation.restoredFromBackup,
    reason:
      `${file}, taken ${backup.manifest.createdAt} on ${backup.manifest.source}: ${contents(backup.rows)}; ` +
      `source audit chain head ${backup.chainHead.lastSeq} (${backup.chainHead.lastHash})`,
  };
}
