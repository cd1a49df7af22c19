import { request } from './http';

export interface AuditFilters {
  readonly type: '' | 'Resource' | 'User';
  readonly operation: string;
  readonly user: string;
  readonly search: string;
  /** Epoch ms, inclusive; undefined for no bound. */
  readonly from?: number | undefined;
  /** Epoch ms, exclusive. */
  readonly to?: number | undefined;
}

export interface AuditRecord {
  readonly seq: number;
  readonly at: number;
  readonly auditType: string;
  readonly operation: string;
  readonly operatorName: string;
  readonly clientIp: string;
  readonly client: string;
  readonly resourceName: string | null;
  readonly accountName: string | null;
  readonly targetUser: string | null;
  readonly reason: string | null;
  readonly ticketId: string | null;
}

export interface ChainVerification {
  readonly ok: boolean;
  readonly checked: number;
  readonly lastSeq: number;
  readonly problemCount: number;
  readonly problems: readonly { readonly seq: number; readonly kind: string; readonly message: string }[];
}

/** The query string of the audit filters (no paging): the list's and the CSV export's. */
export function auditQuery(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.type !== '') params.set('type', filters.type);
  if (filters.operation !== '') params.set('operation', filters.operation);
  if (filters.user.trim() !== '') params.set('user', filters.user.trim());
  if (filters.search.trim() !== '') params.set('search', filters.search.trim());
  if (filters.from !== undefined) params.set('from', String(filters.from));
  if (filters.to !== undefined) params.set('to', String(filters.to));
  return params;
}

export const auditApi = {
  audit(
    filters: AuditFilters,
    page: { offset: number; limit: number },
    signal?: AbortSignal,
  ): Promise<{ total: number; items: readonly AuditRecord[] }> {
    const params = auditQuery(filters);
    params.set('offset', String(page.offset));
    params.set('limit', String(page.limit));
    return request('GET', `/audit?${params.toString()}`, { signal });
  },
  auditOperations(): Promise<{ items: readonly string[] }> {
    return request('GET', '/audit/operations');
  },
  verifyAudit(): Promise<ChainVerification> {
    return request('POST', '/audit/verify');
  },
};
