import { decodeBase32, totp, TOTP_DEFAULTS } from '../../src/platform/crypto/totp.js';
import { rawRequest, type RawResponse } from './client.js';

export const SESSION_COOKIE = '__Host-bulwark-session';

export interface ConsoleAnswer {
  readonly status: number;
  readonly headers: RawResponse['headers'];
  readonly json: any;
}

export interface ConsoleCallOptions {
  readonly body?: unknown;
  /** Extra headers, sent as given (override the defaults). */
  readonly headers?: Record<string, string>;
  /** Leave out the X-CSRF-Token header this client otherwise sends on changes. */
  readonly withoutCsrf?: boolean;
}

/**
 * A browser-like client of the console's native API: it keeps the session cookie the server
 * sets and the latest CSRF token it answered, and sends them back as the console does.
 */
export function consoleClient(baseUrl: string) {
  let cookie: string | undefined;
  let csrf: string | undefined;

  async function call(
    method: string,
    path: string,
    options: ConsoleCallOptions = {},
  ): Promise<ConsoleAnswer> {
    const changing = method !== 'GET';
    const body = options.body === undefined ? (changing ? '{}' : undefined) : JSON.stringify(options.body);
    const response = await rawRequest(baseUrl, {
      method,
      path,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(cookie !== undefined ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {}),
        ...(changing && csrf !== undefined && !options.withoutCsrf ? { 'x-csrf-token': csrf } : {}),
        ...options.headers,
      },
      ...(body !== undefined ? { body } : {}),
    });
    const set = response.headers['set-cookie'];
    for (const line of set ?? []) {
      const match = new RegExp(`^${SESSION_COOKIE.replace(/[-]/g, '\\-')}=([^;]*)`).exec(line);
      if (match) cookie = match[1] === '' ? undefined : match[1];
    }
    const json = response.text === '' ? undefined : JSON.parse(response.text);
    const token = json?.csrfToken ?? json?.session?.csrfToken;
    if (typeof token === 'string') csrf = token;
    return { status: response.status, headers: response.headers, json };
  }

  return {
    call,
    get: (path: string, options?: ConsoleCallOptions) => call('GET', path, options),
    post: (path: string, body?: unknown, options?: ConsoleCallOptions) =>
      call('POST', path, { ...options, body }),
    get cookie() {
      return cookie;
    },
    set cookie(value: string | undefined) {
      cookie = value;
    },
    get csrf() {
      return csrf;
    },
  };
}

export type ConsoleClient = ReturnType<typeof consoleClient>;

/** The code an authenticator app shows for `base32Secret` at `atMs` (or a step later/earlier). */
export function totpCode(base32Secret: string, atMs = Date.now()): string {
  return totp(decodeBase32(base32Secret)!, Math.floor(atMs / 1000), TOTP_DEFAULTS);
}

/**
 * Signs a user in with the password and the second factor, enrolling one when the server asks;
 * returns the signed-in client, the user's TOTP secret and, after an enrolment, the recovery codes.
 */
export async function signIn(
  baseUrl: string,
  username: string,
  password: string,
  knownSecret?: string,
): Promise<{ client: ConsoleClient; secret: string; recoveryCodes: string[] | undefined }> {
  const client = consoleClient(baseUrl);
  const login = await client.post('/api/v1/session/login', { username, password });
  if (login.status !== 200)
    throw new Error(`login of ${username}: ${login.status} ${JSON.stringify(login.json)}`);
  const secret: string | undefined = login.json.enrolment?.secret ?? knownSecret;
  if (secret === undefined) throw new Error(`${username} is enrolled; pass the known secret`);
  // A code of a step not used before: the previous sign-in may have used the current one.
  let done = await client.post('/api/v1/session/second-factor', { code: totpCode(secret) });
  if (done.status !== 200) {
    done = await client.post('/api/v1/session/second-factor', {
      code: totpCode(secret, Date.now() + 30_000),
    });
  }
  if (done.status !== 200)
    throw new Error(`second factor of ${username}: ${done.status} ${JSON.stringify(done.json)}`);
  return { client, secret, recoveryCodes: done.json.recoveryCodes };
}
