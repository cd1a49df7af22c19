import { createHmac } from 'node:crypto';
import type { AuditRecordsTable } from '../../platform/db/schema.js';
import type { AuditRecord, ChainHead, PendingRecord, StoredAuditRecord } from './audit.types.js';

/**
 * The audit trail is a hash chain: each record stores the hash of its predecessor and its own
 * hash, HMAC-SHA-256 (keyed by a data key, so only a holder of the master key can forge a
 * link) over the predecessor's hash and a canonical byte encoding of the record's fields.
 * Editing a record changes its hash; deleting one breaks the sequence and the next record's link.
 *
 * What is hashed is exactly what is stored (ADR 017): text is first made storable (a lone
 * surrogate or a NUL, which neither database keeps as given, becomes U+FFFD), then the stored
 * record is encoded. Each record names its encoding, so records written before encoding 2 verify
 * as they were written.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** 1: JSON of the fields (records before 2026-12-04). 2: length-prefixed UTF-8 of the stored text. */
export type AuditEncoding = 1 | 2;
export const CURRENT_ENCODING: AuditEncoding = 2;

/** The fields a record's hash covers, in their fixed order. */
function fieldsOf(record: AuditRecord): (string | number | null)[] {
  return [
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
  ];
}

// A high surrogate not followed by a low one, a low one not preceded by a high one, or NUL.
const UNSTORABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/g;

/** `text` as both databases store it: well-formed UTF-16 without NUL (each offender becomes U+FFFD). */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

function storableOrNull(text: string | null): string | null {
  return text === null ? null : storableText(text);
}

/** The record with every text field made storable: what is stored, and therefore what is hashed. */
export function storableRecord<R extends PendingRecord>(record: R): R {
  return {
    ...record,
    auditType: storableText(record.auditType),
    operation: storableText(record.operation),
    operatorName: storableText(record.operatorName),
    clientIp: storableText(record.clientIp),
    client: storableText(record.client),
    resourceName: storableOrNull(record.resourceName),
    accountName: storableOrNull(record.accountName),
    targetUser: storableOrNull(record.targetUser),
    reason: storableOrNull(record.reason),
    ticketId: storableOrNull(record.ticketId),
  };
}

const V2_PREFIX = Buffer.from('bulwark-audit/2\n', 'utf8');
const NULL_TAG = 0;
const TEXT_TAG = 1;
const INTEGER_TAG = 2;

/**
 * Encoding 2: a fixed prefix, the predecessor's hash, then each field as a tag byte (null, text,
 * integer) and, unless null, a 4-byte big-endian length and that many bytes (UTF-8 text, an
 * integer in decimal). Unambiguous: no field can spill into the next, null differs from ''.
 */
export function canonicalBytesV2(prevHash: string, record: AuditRecord): Buffer {
  const parts: Buffer[] = [V2_PREFIX];
  const push = (tag: number, bytes?: Buffer) => {
    const header = Buffer.alloc(bytes === undefined ? 1 : 5);
    header.writeUInt8(tag, 0);
    if (bytes !== undefined) header.writeUInt32BE(bytes.length, 1);
    parts.push(header);
    if (bytes !== undefined) parts.push(bytes);
  };
  push(TEXT_TAG, Buffer.from(prevHash, 'utf8'));
  for (const value of fieldsOf(record)) {
    if (value === null) push(NULL_TAG);
    else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new Error(`audit field ${value} is not an integer`);
      push(INTEGER_TAG, Buffer.from(String(value), 'ascii'));
    } else push(TEXT_TAG, Buffer.from(value, 'utf8'));
  }
  return Buffer.concat(parts);
}

/**
 * The record's hash under `encoding`. Encoding 1 is kept only to verify records written before
 * encoding 2: JSON.stringify escapes a lone surrogate that the database then stored as U+FFFD,
 * so such a record never verified.
 */
export function chainHash(
  key: Buffer,
  prevHash: string,
  record: AuditRecord,
  encoding: number = CURRENT_ENCODING,
): string {
  const mac = createHmac('sha256', key);
  switch (encoding) {
    case 1:
      return mac
        .update(prevHash)
        .update('\n')
        .update(JSON.stringify(fieldsOf(record)))
        .digest('hex');
    case 2:
      return mac.update(canonicalBytesV2(prevHash, record)).digest('hex');
    default:
      throw new Error(`unknown audit record encoding ${encoding}`);
  }
}

/**
 * Appends `records` to the chain after `head`: consecutive sequence numbers, each made storable
 * and hashed over its predecessor with the current encoding. Pure; the caller stores exactly the
 * returned records and the new head in one transaction.
 */
export function linkRecords(
  key: Buffer,
  head: ChainHead,
  records: readonly PendingRecord[],
): { stored: StoredAuditRecord[]; head: ChainHead } {
  let { lastSeq, lastHash } = head;
  const stored = records.map((partial) => {
    const record: AuditRecord = { ...storableRecord(partial), seq: ++lastSeq };
    const hash = chainHash(key, lastHash, record, CURRENT_ENCODING);
    const linked: StoredAuditRecord = { ...record, prevHash: lastHash, hash, encoding: CURRENT_ENCODING };
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
    encoding: r.encoding,
  };
}
