import { request } from './http';

export type RequestStatus = 'waiting' | 'approved' | 'rejected' | 'checked_out' | 'checked_in';

export interface MyRequest {
  readonly accountId: number;
  readonly accountName: string;
  readonly resourceId: number;
  readonly resourceName: string;
  readonly status: RequestStatus;
  readonly requestedAt: number;
  readonly reason: string | null;
  readonly ticketId: string | null;
  /** Epoch ms when a checkout ends, or null. */
  readonly checkoutExpiresAt: number | null;
}

export interface PendingRequest {
  readonly requesterId: number;
  readonly requesterName: string;
  readonly requesterFullName: string | null;
  readonly accountId: number;
  readonly accountName: string;
  readonly resourceId: number;
  readonly resourceName: string;
  readonly status: RequestStatus;
  readonly requestedAt: number;
  readonly reason: string | null;
  readonly ticketId: string | null;
}

export const workflowApi = {
  myRequests(signal?: AbortSignal): Promise<{ items: readonly MyRequest[] }> {
    return request('GET', '/requests/mine', { signal });
  },
  pendingRequests(signal?: AbortSignal): Promise<{ items: readonly PendingRequest[] }> {
    return request('GET', '/requests/pending', { signal });
  },
  requestAccess(accountId: number, justification: { reason?: string; ticketId?: string }): Promise<unknown> {
    return request('POST', `/accounts/${accountId}/requests`, { body: justification });
  },
  decide(accountId: number, requesterId: number, verb: 'approve' | 'reject'): Promise<unknown> {
    return request('POST', `/accounts/${accountId}/requests/${requesterId}/${verb}`);
  },
  checkout(accountId: number, reason?: string): Promise<unknown> {
    return request('POST', `/accounts/${accountId}/checkout`, { body: reason ? { reason } : {} });
  },
  checkin(accountId: number, requesterId: number): Promise<unknown> {
    return request('POST', `/accounts/${accountId}/requests/${requesterId}/checkin`);
  },
};
