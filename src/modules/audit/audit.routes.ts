import { InvalidInputError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { PmpInput } from '../../http/input.js';
import type { PmpRouter } from '../../http/server.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { AuditService } from './audit.service.js';
import type { AuditDuration, AuditRecord, AuditType } from './audit.types.js';

const AUDIT_TYPES: readonly AuditType[] = ['Resource', 'User'];
const DURATIONS: readonly AuditDuration[] = ['TODAY', 'YESTERDAY', 'LAST_7_DAYS', 'LAST_30_DAYS', 'ALL'];
const MAX_LIMIT = 1000;

/** Endpoint 55: GET /restapi/json/v1/audit?AUDITTYPE=Resource&STARTINDEX=1&LIMIT=2&DURATION=YESTERDAY */
export function registerAuditRoutes(
  router: PmpRouter,
  deps: { audit: AuditService; time: TimeFormatter },
): void {
  router.add({
    method: 'GET',
    url: '/restapi/json/v1/audit',
    operation: 'GET_AUDIT',
    schema: inputSchema({
      auditType: f.group(['AUDITTYPE'], (input) => pick(input, 'AUDITTYPE', AUDIT_TYPES) ?? 'Resource'),
      duration: f.group(['DURATION'], (input) => pick(input, 'DURATION', DURATIONS) ?? 'ALL'),
      startIndex: f.group(['STARTINDEX'], (input) =>
        positiveInt(input, 'STARTINDEX', 1, Number.MAX_SAFE_INTEGER),
      ),
      limit: f.group(['LIMIT'], (input) => positiveInt(input, 'LIMIT', 100, MAX_LIMIT)),
    }),
    async handle({ caller, fields }) {
      const { total, records } = await deps.audit.list(caller.principal, fields);
      return {
        message: 'Audits fetched successfully.',
        details: records.map((r) => present(r, deps.time)),
        totalRows: total,
      };
    },
  });
}

function present(r: AuditRecord, time: TimeFormatter) {
  return {
    AUDITID: String(r.seq),
    RESOURCENAME: r.resourceName ?? (r.auditType === 'Resource' ? 'N/A' : 'Not Applicable'),
    ACCOUNTNAME: r.accountName ?? 'N/A',
    OPERATIONTYPE: r.operation,
    OPERATEDBY: r.operatorName,
    IPADDRESS: r.clientIp,
    USERNAME: r.targetUser ?? 'N/A',
    LASTACCESSEDTIME: time.auditTime(r.at),
    REASON: r.reason ?? 'N/A',
    TICKETID: r.ticketId ?? 'N/A',
    NAME: r.targetUser ?? 'N/A',
    CLIENT: r.client,
  };
}

function pick<T extends string>(input: PmpInput, name: string, allowed: readonly T[]): T | undefined {
  const value = input.value(name, 50);
  if (value === undefined || value === '') return undefined;
  const normalised = value.toUpperCase().replace(/[\s-]+/g, '_');
  const match = allowed.find((a) => a.toUpperCase() === normalised);
  if (match === undefined) {
    throw new InvalidInputError(`${name} must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return match;
}

function positiveInt(input: PmpInput, name: string, fallback: number, max: number): number {
  const value = input.value(name, 20);
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidInputError(`${name} must be a positive whole number; got "${value}"`);
  }
  return Math.min(Number(value), max);
}
