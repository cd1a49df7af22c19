import type { IncomingHttpHeaders } from 'node:http';
import type { PmpInput } from './input.js';

/**
 * The API token, from wherever the client put it: header AUTHTOKEN (documented) or
 * APP_AUTHTOKEN (Ansible, with APP_TYPE), in any letter case, or the same names as query or
 * form parameters. Node lower-cases header names, so case is handled for headers already.
 */
export function extractToken(headers: IncomingHttpHeaders, input: PmpInput): string | undefined {
  for (const candidate of [
    headers.authtoken,
    headers.app_authtoken,
    input.param('AUTHTOKEN'),
    input.param('APP_AUTHTOKEN'),
  ]) {
    const value = Array.isArray(candidate) ? candidate[0] : candidate;
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}
