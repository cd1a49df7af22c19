import type { AuditEvent } from '../audit/index.js';
import type { AccessJustification } from './vault.types.js';

/** The audit event of an operation on a resource, or on one of its accounts. */
export function eventOn(
  operation: string,
  resource: { id: number; name: string },
  account?: { id: number; name: string },
  why?: AccessJustification,
): AuditEvent {
  return {
    auditType: 'Resource',
    operation,
    resourceId: resource.id,
    resourceName: resource.name,
    accountId: account?.id ?? null,
    accountName: account?.name ?? null,
    reason: why?.reason ?? null,
    ticketId: why?.ticketId ?? null,
  };
}

/**
 * The audit event of an operation on a key of the SSH key store (ADR 031): audited as type
 * Resource, the key named in the resource name column as `SSH key <name>` (no resource id).
 */
export function eventOnSshKey(operation: string, keyName: string, note?: string): AuditEvent {
  return {
    auditType: 'Resource',
    operation,
    resourceId: null,
    resourceName: `SSH key ${keyName}`,
    accountId: null,
    accountName: null,
    reason: note ?? null,
    ticketId: null,
  };
}

/**
 * The audit event of an operation on a certificate of the repository (ADR 036): audited as type
 * Resource, named `Certificate <common name> (serial <hex>)` in the resource name column.
 */
export function eventOnCertificate(
  operation: string,
  certificate: { commonName: string; serial: string },
  note?: string,
): AuditEvent {
  return {
    auditType: 'Resource',
    operation,
    resourceId: null,
    resourceName: `Certificate ${certificate.commonName} (serial ${certificate.serial})`,
    accountId: null,
    accountName: null,
    reason: note ?? null,
    ticketId: null,
  };
}
