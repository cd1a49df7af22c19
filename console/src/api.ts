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
}

export interface AccountSummary {
  readonly id: number;
  readonly name: string;
  readonly reasonRequired: boolean;
  readonly ticketRequired: boolean;
  readonly ticketRequiredMandatory: boolean;
  readonly hasTotp: boolean;
  readonly passwordStatus: string;
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
  const headers: Record<string, string> = { Accept: 'application/json' };
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
  let payload: unknown = null;
  const text = await response.text();
  if (text !== '') {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (!response.ok) {
    const error = errorFrom(response.status, payload);
    if (response.status === 401 && !options.unauthorisedIsFormError) {
      csrfToken = undefined;
      unauthorised?.();
    }
    throw error;
  }
  const token = (payload as { csrfToken?: unknown } | null)?.csrfToken;
  if (typeof token === 'string') csrfToken = token;
  return payload as T;
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
    query: { search: string; type: string; offset: number; limit: number },
    signal?: AbortSignal,
  ): Promise<ResourcePage> {
    const params = new URLSearchParams({
      search: query.search,
      type: query.type,
      offset: String(query.offset),
      limit: String(query.limit),
    });
    return request('GET', `/resources?${params.toString()}`, { signal });
  },
  resourceTypes(): Promise<{ items: readonly string[] }> {
    return request('GET', '/resource-types');
  },
  createResource(resource: NewResource): Promise<{ id: number }> {
    return request('POST', '/resources', { body: resource });
  },
  resource(id: number, signal?: AbortSignal): Promise<ResourceWithAccounts> {
    return request('GET', `/resources/${id}`, { signal });
  },
  password(
    accountId: number,
    justification: { reason?: string; ticketId?: string },
  ): Promise<{ password: string }> {
    return request('POST', `/accounts/${accountId}/password`, { body: justification });
  },
};
