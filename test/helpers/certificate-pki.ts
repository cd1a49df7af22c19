import { expect } from 'vitest';
import type { Actor } from './actors.js';
import type { RunningServer } from './server.js';
import { details, rawRequest, type RawResponse } from './client.js';

/**
 * Calls of the PKI API for the certificate tests (issue 14): answers parsed from the top-level
 * envelope (ADR 031), asserted Success with their name or Failed with a message.
 */
const PKI = '/api/pki/restapi';

export interface Pki {
  readonly http: RawResponse;
  readonly raw: any;
}

export function pkiOf(http: RawResponse): Pki {
  expect(http.status, http.text).toBe(200);
  return { http, raw: JSON.parse(http.text) };
}
export const ok = (a: Pki, name: string) => {
  expect(a.raw.result?.status, a.http.text).toBe('Success');
  expect(a.raw.name).toBe(name);
  return a.raw;
};
export const failed = (a: Pki, message: RegExp) => {
  expect(a.raw.result?.status, a.http.text).toBe('Failed');
  expect(a.raw.result?.message).toMatch(message);
  return a.raw;
};

/** Calls the PKI API as an actor (or the server's admin), INPUT_DATA in the query or a form body. */
export function pkiCaller(server: () => RunningServer) {
  return async (
    who: Actor | 'admin',
    method: string,
    endpoint: string,
    input?: Record<string, unknown>,
  ): Promise<Pki> => {
    const token = who === 'admin' ? server().token : who.token;
    const data = input === undefined ? undefined : encodeURIComponent(JSON.stringify(details(input)));
    const asBody = method === 'POST' && data !== undefined;
    const http = await rawRequest(server().baseUrl, {
      method,
      path: `${PKI}/${endpoint}${data !== undefined && !asBody ? `?INPUT_DATA=${data}` : ''}`,
      headers: {
        AUTHTOKEN: token,
        ...(asBody ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(asBody ? { body: `INPUT_DATA=${data}` } : {}),
    });
    if (http.status === 500) console.log(server().output().slice(-3000));
    return pkiOf(http);
  };
}

/**
 * What pypmp's get_certificate_details returns from a getCertificateDetails answer: every
 * top-level key but `name` and `result`; one key gives that certificate, several a list.
 */
export function pypmpCertificateDetails(answer: Record<string, unknown>): unknown {
  const rest = Object.keys(answer)
    .filter((key) => key !== 'name' && key !== 'result')
    .map((key) => answer[key]);
  return rest.length === 1 ? rest[0] : rest;
}
