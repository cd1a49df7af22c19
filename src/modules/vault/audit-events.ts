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
