/**
 * The console's client of the JSON API under /api/v1 (same origin, session cookie).
 *
 * The CSRF token lives only in this module's memory: never in storage or the URL. Every
 * POST/PUT/DELETE except the login sends it as X-CSRF-Token; every answer that carries a newer
 * token replaces it. A 401 on anything but the login itself calls the unauthorised handler, which
 * takes the user back to the sign-in screen.
 */

export interface SessionUser {
  readonly id: number;
  readonly username: string;
  readonly role: string;
  readonly isSuperAdmin: boolean;
}

export interface Session {
  readonly user: SessionUser;
  readonly csrfToken: string;
  /** Epoch milliseconds, absolute. */
  readonly expiresAt: number;
  readonly idleTimeoutSeconds: number;
  readonly clipboardClearSeconds: number;
}

export interface Enrolment {
  readonly secret: string;
  readonly otpauthUri: string;
  readonly qrSvg: string;
}

export type LoginAnswer =
  | { readonly next: 'totp'; readonly csrfToken: string }
  | { readonly next: 'enrol'; readonly csrfToken: string; readonly enrolment: Enrolment };

export interface SecondFactorAnswer {
  readonly session: Session;
  readonly recoveryCodes?: readonly string[];
}

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

export type SharePermission = 'view' | 'modify' | 'full' | 'revoke';

/** A resource's editable details; an empty text clears the field. */
export interface ResourceEdit {
  readonly name: string;
  readonly type: string;
  readonly dnsName: string;
  readonly description: string;
  readonly url: string;
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

export interface ResourceGroup {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly type: 'static' | 'dynamic';
  readonly parentId: number | null;
  readonly isOwner: boolean;
  readonly access: string;
}

export interface ResourceGroups {
  readonly items: readonly ResourceGroup[];
  /** The criteria builder's fields (name, type, dnsName...) and operators. */
  readonly fields: readonly string[];
  readonly operators: readonly string[];
}

export interface Criterion {
  readonly field: string;
  readonly operator: string;
  readonly value: string;
}

export interface NewResourceGroup {
  readonly name: string;
  readonly description?: string;
  readonly type: 'static' | 'dynamic';
  readonly matchAll: boolean;
  readonly criteria: readonly Criterion[];
}

export interface UserGroup {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly members: number;
}

/** A downloaded file: its bytes and the name the server gave it. */
export interface DownloadedFile {
  readonly blob: Blob;
  readonly fileName: string;
}

export const ROLES = [
  'Administrator',
  'Password Administrator',
  'Privileged Administrator',
  'Password Auditor',
  'Password User',
] as const;
export type Role = (typeof ROLES)[number];

/** A user as everyone sees it; user managers also get the optional fields. */
export interface DirectoryUser {
  readonly id: number;
  readonly username: string;
  readonly fullName: string | null;
  readonly isApiUser: boolean;
  readonly email?: string | null;
  readonly role?: string;
  readonly isSuperAdmin?: boolean;
  readonly locked?: boolean;
  readonly hasTotp?: boolean;
}

export interface NewUser {
  readonly username: string;
  readonly fullName?: string;
  readonly email?: string;
  readonly role: string;
  readonly apiUser: boolean;
  readonly password?: string;
}

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

export interface Dashboard {
  readonly passwords: {
    readonly accounts: number;
    readonly expired: number;
    readonly byAge: readonly { readonly label: string; readonly count: number }[];
  };
  readonly certificates: readonly {
    readonly id: number;
    readonly commonName: string;
    readonly notAfter: number;
    readonly daysLeft: number;
  }[];
  readonly retrievals: {
    readonly scope: 'everyone' | 'mine';
    readonly days: readonly { readonly day: string; readonly count: number }[];
  };
  readonly failedLogins?: {
    readonly days: number;
    readonly total: number;
    readonly recent: readonly {
      readonly at: number;
      readonly user: string;
      readonly clientIp: string;
      readonly reason: string | null;
    }[];
  };
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

/** Whether the role may manage users (the server decides; this only hides what would be refused). */
export function managesUsers(user: SessionUser): boolean {
  return user.isSuperAdmin || user.role === 'Administrator' || user.role === 'Privileged Administrator';
}

/** Whether the role may read the audit trail. */
export function readsAudit(user: SessionUser): boolean {
  return managesUsers(user) || user.role === 'Password Auditor';
}

/** A failed request: the HTTP status (0 when the server could not be reached) and the field at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;
let unauthorised: (() => void) | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called on a 401 from anything but the login (the session ended or never existed). */
export function onUnauthorised(handler: (() => void) | undefined): void {
  unauthorised = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface RequestOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** The login answers 401 for wrong credentials: that is a form error, not a lost session. */
  readonly unauthorisedIsFormError?: boolean;
}

function errorFrom(status: number, payload: unknown): ApiError {
  const error = (payload as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
  const message =
    typeof error?.message === 'string' && error.message !== ''
      ? error.message
      : status === 503
        ? 'The server is temporarily unavailable. Try again shortly.'
        : `The request failed (HTTP ${status}).`;
  return new ApiError(
    status,
    message,
    typeof error?.code === 'number' ? error.code : undefined,
    typeof error?.field === 'string' ? error.field : undefined,
  );
}

async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options, 'application/json');
  const payload = await parsed(response);
  if (!response.ok) throw failure(response.status, payload, options);
  const token = (payload as { csrfToken?: unknown } | null)?.csrfToken;
  if (typeof token === 'string') csrfToken = token;
  return payload as T;
}

async function parsed(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function failure(status: number, payload: unknown, options: RequestOptions): ApiError {
  const error = errorFrom(status, payload);
  if (status === 401 && !options.unauthorisedIsFormError) {
    csrfToken = undefined;
    unauthorised?.();
  }
  return error;
}

/** The file name of a Content-Disposition header (RFC 6266: filename* first, then filename). */
export function dispositionFileName(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/.exec(header);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  return name && name !== '' ? name : fallback;
}

async function requestFile(path: string, body: unknown, fallbackName: string): Promise<DownloadedFile> {
  const response = await send('POST', path, { body }, 'application/octet-stream, application/json');
  if (!response.ok) throw failure(response.status, await parsed(response), {});
  return {
    blob: await response.blob(),
    fileName: dispositionFileName(response.headers.get('Content-Disposition'), fallbackName),
  };
}

async function send(
  method: Method,
  path: string,
  options: RequestOptions,
  accept: string,
): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  let body: string | undefined;
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body ?? {});
    if (path !== '/session/login' && csrfToken !== undefined) headers['X-CSRF-Token'] = csrfToken;
  }
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'The server cannot be reached. Check your connection and try again.');
  }
  return response;
}

export const api = {
  login(username: string, password: string): Promise<LoginAnswer> {
    return request('POST', '/session/login', { body: { username, password }, unauthorisedIsFormError: true });
  },
  async secondFactor(code: string): Promise<SecondFactorAnswer> {
    const answer = await request<SecondFactorAnswer>('POST', '/session/second-factor', { body: { code } });
    csrfToken = answer.session.csrfToken;
    return answer;
  },
  session(): Promise<Session> {
    return request('GET', '/session');
  },
  async logout(): Promise<void> {
    try {
      await request('POST', '/session/logout');
    } finally {
      csrfToken = undefined;
    }
  },
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
  resourceGroups(signal?: AbortSignal): Promise<ResourceGroups> {
    return request('GET', '/resource-groups', { signal });
  },
  createResourceGroup(group: NewResourceGroup): Promise<{ id: number }> {
    return request('POST', '/resource-groups', { body: group });
  },
  deleteResourceGroup(id: number): Promise<unknown> {
    return request('DELETE', `/resource-groups/${id}`);
  },
  userGroups(signal?: AbortSignal): Promise<{ items: readonly UserGroup[] }> {
    return request('GET', '/user-groups', { signal });
  },
  createUserGroup(group: { name: string; description?: string }): Promise<{ id: number }> {
    return request('POST', '/user-groups', { body: group });
  },
  addUserGroupMember(groupId: number, username: string): Promise<unknown> {
    return request('POST', `/user-groups/${groupId}/members`, { body: { username } });
  },
  deleteUserGroup(id: number): Promise<unknown> {
    return request('DELETE', `/user-groups/${id}`);
  },
  userGroupMembers(
    groupId: number,
  ): Promise<{ items: readonly { id: number; username: string; fullName: string | null }[] }> {
    return request('GET', `/user-groups/${groupId}/members`);
  },
  removeUserGroupMember(groupId: number, userId: number): Promise<unknown> {
    return request('DELETE', `/user-groups/${groupId}/members/${userId}`);
  },
  password(
    accountId: number,
    justification: { reason?: string; ticketId?: string },
  ): Promise<{ password: string }> {
    return request('POST', `/accounts/${accountId}/password`, { body: justification });
  },
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
  share(share: {
    resourceId: number;
    grantee: { kind: 'user' | 'group'; id: number };
    permission: SharePermission;
  }): Promise<{ target: 'resource' | 'account' }> {
    return request('POST', '/shares', { body: share });
  },
  users(
    query: { search: string; offset: number; limit: number },
    signal?: AbortSignal,
  ): Promise<{ total: number; items: readonly DirectoryUser[] }> {
    const params = new URLSearchParams({
      search: query.search,
      offset: String(query.offset),
      limit: String(query.limit),
    });
    return request('GET', `/users?${params.toString()}`, { signal });
  },
  createUser(user: NewUser): Promise<{ id: number; username: string; authToken: string | null }> {
    return request('POST', '/users', { body: user });
  },
  userAction(verb: 'lock' | 'unlock' | 'reset-mfa', username: string): Promise<unknown> {
    return request('POST', `/users/${verb}`, { body: { username } });
  },
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
  dashboard(signal?: AbortSignal): Promise<Dashboard> {
    return request('GET', '/dashboard', { signal });
  },
};
