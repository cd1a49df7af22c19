import type { IncomingHttpHeaders } from 'node:http';
import { parseFormLike } from './form.js';
import { rejectNul } from './field-reader.js';

/**
 * The API token, from the headers or the query string only (ADR 016): header AUTHTOKEN
 * (documented) or APP_AUTHTOKEN (Ansible, with APP_TYPE), in any letter case, or the same
 * names as query parameters — the five ways of compat.md. Never from the body: the body is
 * read only once the caller is authenticated. Node lower-cases header names already.
 */
export function extractToken(headers: IncomingHttpHeaders, url: string): string | undefined {
  for (const candidate of [headers.authtoken, headers.app_authtoken]) {
    const value = usable(Array.isArray(candidate) ? candidate[0] : candidate);
    if (value !== undefined) return value;
  }
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return undefined;
  const query = url.slice(queryAt + 1);
  // Most requests carry the token in a header; parse the query only when it may hold one.
  if (!/authtoken=/i.test(query)) return undefined;
  let token: string | undefined;
  let appToken: string | undefined;
  for (const field of parseFormLike(query)) {
    if (typeof field.value !== 'string') continue;
    const name = field.name.toLowerCase();
    // A repeated parameter: the last one counts, as for every other parameter.
    if (name === 'authtoken') token = field.value;
    else if (name === 'app_authtoken') appToken = field.value;
  }
  const value = usable(token) ?? usable(appToken);
  if (value !== undefined) rejectNul(value, 'AUTHTOKEN');
  return value;
}

function usable(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
