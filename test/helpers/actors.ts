import { expect } from 'vitest';
import { details, pmpClient } from './client.js';
import type { RunningServer } from './server.js';

/** An API user a test acts as: its name, USERID, AUTHTOKEN and a client that sends that token. */
export interface Actor {
  readonly name: string;
  readonly id: string;
  readonly token: string;
  readonly call: ReturnType<typeof pmpClient>;
}

export interface ApiUserOptions {
  /** Sent as ISSUPERADMIN; left out (not a super admin) when not given. */
  readonly superAdmin?: boolean;
  /** More fields of the create request (FULLNAME, EMAIL, POLICY, EXPIRYDATE, ...), sent as given. */
  readonly fields?: Record<string, string>;
}

/**
 * Creates an API user through endpoint 24 (POST /user with ISAPIUSER true) as the server's
 * admin, and answers it with the id and token of the create answer. A fixture, not a test of
 * user creation: test/api/users.test.ts checks the request and answer themselves.
 */
export async function createApiUser(
  server: Pick<RunningServer, 'baseUrl' | 'token'>,
  name: string,
  role: string,
  options: ApiUserOptions = {},
): Promise<Actor> {
  const admin = pmpClient(server.baseUrl, server.token);
  const created = await admin('/restapi/json/v1/user', {
    method: 'POST',
    input: details({
      ...options.fields,
      USERNAME: name,
      ROLE: role,
      ISAPIUSER: 'true',
      ...(options.superAdmin !== undefined ? { ISSUPERADMIN: String(options.superAdmin) } : {}),
    }),
  });
  const why = `creating API user ${name}: HTTP ${created.http.status}, ${created.message ?? created.http.text}`;
  expect(created.http.status, why).toBe(200);
  expect(created.status, why).toBe('Success');
  const id = created.details?.USERID as unknown;
  const token = created.details?.AUTHTOKEN as unknown;
  if (typeof id !== 'string' || id === '') throw new Error(`${why}; the answer has no USERID`);
  if (typeof token !== 'string' || token === '') throw new Error(`${why}; the answer has no AUTHTOKEN`);
  return { name, id, token, call: pmpClient(server.baseUrl, token) };
}
