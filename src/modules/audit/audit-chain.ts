import { createHmac } from 'node:crypto';
import type { AuditRecord } from './audit.types.js';

/**
 * The audit trail is a hash chain: each record stores the hash of its predecessor and its own
 * hash, HMAC-SHA-256 (keyed by a data key, so only a holder of the master key can forge a
 * link) over the predecessor's hash and the record's fields in a fixed order. Editing a
 * record changes its hash; deleting one breaks the sequence and the next record's link.
 */
export const GENESIS_HASH = '0'.repeat(64);

export function chainHash(key: Buffer, prevHash: string, record: AuditRecord): string {
  const canonical = JSON.stringify([
    record.seq,
    record.at,
    record.auditType,
    record.operation,
    record.operatorId,
    record.operatorName,
    record.clientIp,
    record.client,
    record.resourceId,
    record.resourceName,
    record.accountId,
    record.accountName,
    record.targetUser,
    record.reason,
    record.ticketId,
  ]);
  return createHmac('sha256', key).update(prevHash).update('\n').update(canonical).digest('hex');
}
