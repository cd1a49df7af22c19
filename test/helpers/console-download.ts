import { rawRequest, type RawResponse } from './client.js';
import { SESSION_COOKIE, type ConsoleClient } from './console-client.js';

/**
 * A console download (a POST answered with a file) with the client's session cookie and CSRF
 * token: the raw answer, whose body is the file's bytes (the JSON client would parse them).
 */
export function consoleDownload(
  baseUrl: string,
  client: ConsoleClient,
  path: string,
  body: unknown = {},
): Promise<RawResponse> {
  return rawRequest(baseUrl, {
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/json',
      ...(client.cookie !== undefined ? { cookie: `${SESSION_COOKIE}=${client.cookie}` } : {}),
      ...(client.csrf !== undefined ? { 'x-csrf-token': client.csrf } : {}),
    },
    body: JSON.stringify(body),
  });
}
