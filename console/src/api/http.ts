/**
 * The console's one door to the JSON API under /api/v1 (same origin, session cookie).
 *
 * The CSRF token lives only in this module's memory: never in storage or the URL. Every
 * POST/PUT/DELETE except the login sends it as X-CSRF-Token; every answer that carries a newer
 * token replaces it. A 401 on anything but the login itself calls the unauthorised handler, which
 * takes the user back to the sign-in screen.
 */

/** A file the server sent (a download): its bytes and the name the server gave it. */
export interface DownloadedFile {
  readonly blob: Blob;
  readonly fileName: string;
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
/**
 * When the session ends unless a request is sent first, on the performance clock (milliseconds;
 * immune to changes of the wall clock), from the server's Bulwark-Session-Seconds-Left.
 */
let endsAt: number | undefined;
const endListeners = new Set<() => void>();

export function setSessionSecondsLeft(seconds: number | undefined): void {
  endsAt = seconds === undefined ? undefined : performance.now() + seconds * 1000;
  for (const listener of endListeners) listener();
}

export function sessionEndsAt(): number | undefined {
  return endsAt;
}

export function subscribeSessionEnd(listener: () => void): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

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

export async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
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
    setSessionSecondsLeft(undefined);
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

export async function requestFile(
  path: string,
  body: unknown,
  fallbackName: string,
): Promise<DownloadedFile> {
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
  const left = response.headers.get('Bulwark-Session-Seconds-Left');
  if (left !== null && /^[0-9]{1,9}$/.test(left)) setSessionSecondsLeft(Number(left));
  return response;
}
