import { z } from 'zod';
import { NativeFile, type NativeRouter } from '../../http/native.js';
import { pageFields } from '../../http/native-fields.js';
import { NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { can } from '../access/index.js';
import type { AuditSearch } from './audit.repository.js';
import type { AuditService } from './audit.service.js';
import { AuditOperation, type AuditRecord } from './audit.types.js';

const OPERATIONS = [...new Set(Object.values(AuditOperation))].sort();

const filters = z
  .object({
    type: z.enum(['Resource', 'User']).optional(),
    operation: z.string().max(100).optional(),
    user: z.string().max(255, 'At most 255 characters').optional(),
    search: z.string().max(255, 'At most 255 characters').optional(),
    from: z.coerce.number().int().min(0).max(8.64e15).optional().describe('epoch ms, inclusive'),
    to: z.coerce.number().int().min(0).max(8.64e15).optional().describe('epoch ms, exclusive'),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from < f.to, {
    message: 'The end must be after the start',
    path: ['to'],
  });

const page = z.object(pageFields);

const listQuery = z.intersection(filters, page);

const record = z.object({
  seq: z.number(),
  at: z.number(),
  auditType: z.string(),
  operation: z.string(),
  operatorName: z.string(),
  clientIp: z.string(),
  client: z.string(),
  resourceName: z.string().nullable(),
  accountName: z.string().nullable(),
  targetUser: z.string().nullable(),
  reason: z.string().nullable(),
  ticketId: z.string().nullable(),
});

function searchOf(q: z.infer<typeof filters>): AuditSearch {
  const text = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  return {
    auditType: q.type,
    operation: text(q.operation),
    operator: text(q.user),
    text: text(q.search),
    since: q.from,
    until: q.to,
  };
}

function view(r: AuditRecord) {
  return {
    seq: r.seq,
    at: r.at,
    auditType: r.auditType,
    operation: r.operation,
    operatorName: r.operatorName,
    clientIp: r.clientIp,
    client: r.client,
    resourceName: r.resourceName,
    accountName: r.accountName,
    targetUser: r.targetUser,
    reason: r.reason,
    ticketId: r.ticketId,
  };
}

const CSV_COLUMNS = [
  'Sequence',
  'Time (UTC)',
  'Type',
  'Operation',
  'User',
  'Client IP',
  'Client',
  'Resource',
  'Account',
  'Target user',
  'Reason',
  'Ticket ID',
] as const;

/**
 * One CSV field (RFC 4180). A value a spreadsheet would run as a formula (=, +, -, @, tab, CR)
 * is prefixed with an apostrophe: the trail holds names and reasons users typed.
 */
export function csvField(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(r: AuditRecord): string {
  return `${[
    r.seq,
    new Date(r.at).toISOString(),
    r.auditType,
    r.operation,
    r.operatorName,
    r.clientIp,
    r.client,
    r.resourceName,
    r.accountName,
    r.targetUser,
    r.reason,
    r.ticketId,
  ]
    .map(csvField)
    .join(',')}\r\n`;
}

function requireAuditReader(caller: Caller): void {
  if (!can(caller.principal, 'readAudit')) {
    throw new NotPermittedError('Only administrators and password auditors may read the audit trail');
  }
}

/** The audit trail in the console (ADR 042): search, paging, CSV export, chain verification. */
export function registerAuditConsoleRoutes(router: NativeRouter, deps: { audit: AuditService }): void {
  const { audit } = deps;

  router.add({
    method: 'GET',
    url: '/api/v1/audit',
    summary: 'Audit records, newest first: filter by type, operation, user, text and time; paged',
    tag: 'audit',
    access: 'signed-in',
    query: listQuery,
    response: z.object({ total: z.number(), items: z.array(record) }),
    async handle({ caller, query }) {
      const found = await audit.search(caller.principal, searchOf(query), query.offset, query.limit);
      return { total: found.total, items: found.records.map(view) };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/audit/operations',
    summary: 'The operation names the trail records (for the filter)',
    tag: 'audit',
    access: 'signed-in',
    response: z.object({ items: z.array(z.string()) }),
    async handle({ caller }) {
      requireAuditReader(caller);
      return { items: OPERATIONS };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/audit/export',
    summary: 'The records the filters find, as CSV (the export is itself recorded)',
    tag: 'audit',
    access: 'signed-in',
    query: filters,
    async handle({ caller, query }) {
      const pages = await audit.exportRecords(caller, searchOf(query));
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      return new NativeFile(
        `bulwark-audit-${stamp}.csv`,
        'text/csv; charset=utf-8',
        (async function* () {
          // A byte order mark: spreadsheet programs then read the names as UTF-8.
          yield `\ufeff${CSV_COLUMNS.join(',')}\r\n`;
          for await (const records of pages) yield records.map(csvLine).join('');
        })(),
      );
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/audit/verify',
    summary: 'Verify the hash chain of the whole trail now',
    tag: 'audit',
    access: 'signed-in',
    response: z.object({
      ok: z.boolean(),
      checked: z.number(),
      lastSeq: z.number(),
      problemCount: z.number(),
      problems: z.array(z.object({ seq: z.number(), kind: z.string(), message: z.string() })),
    }),
    async handle({ caller }) {
      requireAuditReader(caller);
      const result = await audit.verify();
      return {
        ok: result.ok,
        checked: result.checked,
        lastSeq: result.lastSeq,
        problemCount: result.problemCount,
        problems: result.problems.map((p) => ({ seq: p.seq, kind: p.kind, message: p.message })),
      };
    },
  });
}
