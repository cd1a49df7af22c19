import { createHmac } from 'node:crypto';
import type { AuditRecordsTable } from '../../platform/db/schema.js';
import type { AuditRecord, ChainHead, PendingRecord, StoredAuditRecord } from './audit.types.js';

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

/**
 * Appends `records` to the chain after `head`: consecutive sequence numbers, each hashed over
 * its predecessor. Pure; the caller stores the records and the new head in one transaction.
 */
export function linkRecords(
  key: Buffer,
  head: ChainHead,
  records: readonly PendingRecord[],
): { stored: StoredAuditRecord[]; head: ChainHead } {
  let { lastSeq, lastHash } = head;
  const stored = records.map((partial) => {
    const record: AuditRecord = { ...partial, seq: ++lastSeq };
    const hash = chainHash(key, lastHash, record);
    const linked = { ...record, prevHash: lastHash, hash };
    lastHash = hash;
    return linked;
  });
  return { stored, head: { lastSeq, lastHash } };
}

/** The audit_records row of a stored record (the same mapping on both connections). */
export function toAuditRow(r: StoredAuditRecord): AuditRecordsTable {
  return {
    seq: r.seq,
    at: r.at,
    audit_type: r.auditType,
    operation: r.operation,
    operator_id: r.operatorId,
    operator_name: r.operatorName,
    client_ip: r.clientIp,
    client: r.client,
    resource_id: r.resourceId,
    resource_name: r.resourceName,
    account_id: r.accountId,
    account_name: r.accountName,
    target_user: r.targetUser,
    reason: r.reason,
    ticket_id: r.ticketId,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}
