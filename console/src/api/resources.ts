import { request, requestFile, type DownloadedFile } from './http';

export interface ResourceSummary {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly dnsName: string;
  readonly description: string;
  readonly accountCount: number;
}

export interface ResourcePage {
  readonly total: number;
  readonly items: readonly ResourceSummary[];
}

export interface ResourceDetails {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly dnsName: string;
  readonly description: string;
  readonly url: string;
  readonly owner: string;
  /** The caller's grant on the resource itself: 'full' may edit, delete and add accounts. */
  readonly permission: 'none' | 'view' | 'modify' | 'full';
}

export interface AccountSummary {
  readonly id: number;
  readonly name: string;
  readonly reasonRequired: boolean;
  readonly ticketRequired: boolean;
  readonly ticketRequiredMandatory: boolean;
  readonly passwordStatus: string;
  /** Password access control is on for the account. */
  readonly accessControl: boolean;
  /** This caller must request, be approved and check out before the password (not an owner). */
  readonly checkoutRequired: boolean;
  /** The TOTP code's period in seconds when the account has a TOTP, else null. */
  readonly totpPeriod: number | null;
}

export interface ResourceWithAccounts {
  readonly resource: ResourceDetails;
  readonly accounts: readonly AccountSummary[];
}

export interface NewResource {
  readonly name: string;
  readonly type: string;
  readonly dnsName?: string;
  readonly description?: string;
  readonly url?: string;
  readonly accounts?: readonly { readonly name: string; readonly password: string }[];
}

export type SharePermission = 'view' | 'modify' | 'full' | 'revoke';

/** A resource's editable details; an empty text clears the field. */
export interface ResourceEdit {
  readonly name: string;
  readonly type: string;
  readonly dnsName: string;
  readonly description: string;
  readonly url: string;
}

/** What an account's owner and managers see of it (nothing secret). */
export interface AccountDetails {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly notes: string | null;
  readonly passwordPolicy: string;
  readonly owner: string;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly passwordChangedAt: number;
  readonly lastAccessedAt: number | null;
  /** null: the policy never expires the password. */
  readonly expired: boolean | null;
  readonly hasFile: boolean;
  readonly reasonRequired: boolean;
  readonly ticketRequired: boolean;
  readonly ticketRequiredMandatory: boolean;
  readonly accessControl: boolean;
}

/** An account's editable details; notes '' clears them. */
export interface AccountEdit {
  readonly name: string;
  readonly notes: string;
  /** A policy's name; left out, the account keeps the policy it has. */
  readonly passwordPolicy?: string;
  readonly reasonRequired: boolean;
  readonly ticketRequired: boolean;
  readonly ticketRequiredMandatory: boolean;
  readonly accessControl: boolean;
}

export interface NewAccount {
  readonly name: string;
  readonly password: string;
  readonly notes?: string;
  readonly reasonRequired: boolean;
  readonly ticketRequired: boolean;
  readonly ticketRequiredMandatory: boolean;
  readonly accessControl: boolean;
}

export interface Justification {
  readonly reason?: string;
  readonly ticketId?: string;
}

export interface EarlierPassword {
  /** Null when the vault cannot show it (a password it no longer holds in clear). */
  readonly password: string | null;
  /** Epoch ms when it was replaced. */
  readonly replacedAt: number;
}

export interface TotpCode {
  readonly code: string;
  readonly period: number;
  readonly validForSeconds: number;
}

export interface Rotation {
  readonly rotationId: number;
  readonly status: string;
  readonly trigger: string;
  readonly requestedBy: string;
  readonly message: string | null;
  readonly attempts: number;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

export const resourcesApi = {
  resources(
    query: { search: string; type: string; group?: number | undefined; offset: number; limit: number },
    signal?: AbortSignal,
  ): Promise<ResourcePage> {
    const params = new URLSearchParams({
      search: query.search,
      type: query.type,
      offset: String(query.offset),
      limit: String(query.limit),
    });
    if (query.group !== undefined) params.set('group', String(query.group));
    return request('GET', `/resources?${params.toString()}`, { signal });
  },
  resourceTypes(): Promise<{ items: readonly string[] }> {
    return request('GET', '/resource-types');
  },
  createResource(resource: NewResource): Promise<{ id: number; accountId?: number }> {
    return request('POST', '/resources', { body: resource });
  },
  resource(id: number, signal?: AbortSignal): Promise<ResourceWithAccounts> {
    return request('GET', `/resources/${id}`, { signal });
  },
  editResource(id: number, edit: ResourceEdit): Promise<unknown> {
    return request('PUT', `/resources/${id}`, { body: edit });
  },
  deleteResource(id: number): Promise<unknown> {
    return request('DELETE', `/resources/${id}`);
  },
  addAccount(resourceId: number, account: NewAccount): Promise<{ id: number }> {
    return request('POST', `/resources/${resourceId}/accounts`, { body: account });
  },
  account(resourceId: number, accountId: number, signal?: AbortSignal): Promise<AccountDetails> {
    return request('GET', `/resources/${resourceId}/accounts/${accountId}`, { signal });
  },
  editAccount(resourceId: number, accountId: number, edit: AccountEdit): Promise<unknown> {
    return request('PUT', `/resources/${resourceId}/accounts/${accountId}`, { body: edit });
  },
  deleteAccount(resourceId: number, accountId: number): Promise<unknown> {
    return request('DELETE', `/resources/${resourceId}/accounts/${accountId}`);
  },
  changePassword(
    resourceId: number,
    accountId: number,
    change: Justification & { password: string; remote: boolean },
  ): Promise<{ changed: string }> {
    return request('POST', `/resources/${resourceId}/accounts/${accountId}/password-change`, {
      body: change,
    });
  },
  passwordHistory(
    resourceId: number,
    accountId: number,
    justification: Justification,
  ): Promise<{ items: readonly EarlierPassword[] }> {
    return request('POST', `/resources/${resourceId}/accounts/${accountId}/history`, { body: justification });
  },
  totp(accountId: number, justification: Justification): Promise<TotpCode> {
    return request('POST', `/accounts/${accountId}/totp`, { body: justification });
  },
  downloadFile(resourceId: number, accountId: number, justification: Justification): Promise<DownloadedFile> {
    return requestFile(`/resources/${resourceId}/accounts/${accountId}/file`, justification, 'file');
  },
  rotations(accountId: number, signal?: AbortSignal): Promise<{ items: readonly Rotation[] }> {
    return request('GET', `/accounts/${accountId}/rotations`, { signal });
  },
  password(
    accountId: number,
    justification: { reason?: string; ticketId?: string },
  ): Promise<{ password: string }> {
    return request('POST', `/accounts/${accountId}/password`, { body: justification });
  },
  share(share: {
    resourceId: number;
    grantee: { kind: 'user' | 'group'; id: number };
    permission: SharePermission;
  }): Promise<{ target: 'resource' | 'account' }> {
    // Only the grantee's kind and id: the picker's grantee also carries its name.
    const { kind, id } = share.grantee;
    return request('POST', '/shares', { body: { ...share, grantee: { kind, id } } });
  },
};
