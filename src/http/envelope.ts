import type { DomainError } from '../platform/errors.js';
import { RESULT_CODES, type ResultCode } from '../platform/result-codes.js';

/**
 * The PMP response envelope, byte-compatible with what clients parse:
 * `{"operation":{"name":…,"result":{"status":"Success","message":…,"statusCode":20000},"Details":…,"totalRows":N}}`
 * compact (some clients search the raw text for `"status":"Success"`), `Details` omitted when
 * there is nothing to show (an empty list has only `"totalRows":0`), and a numeric
 * `statusCode` inside `result` so errors can be told apart without matching message text.
 */
export const PMP_CONTENT_TYPE = 'application/json;charset=UTF-8';
export const SUCCESS_CODE = RESULT_CODES.success.code;

export interface EnvelopeParts {
  readonly name: string;
  /** The key of the operation name: `name`, or `operationName` in newer PAM360 answers (60, 61). */
  readonly nameKey?: 'name' | 'operationName';
  readonly status: 'Success' | 'Failed';
  readonly message: string;
  /** A code of the catalogue (src/platform/result-codes.ts). */
  readonly statusCode: ResultCode;
  readonly details?: unknown;
  readonly totalRows?: number;
}

/**
 * The two shapes one router answers in: `pmp` (the v1 API, wrapped in `operation`) and `pki`
 * (`/api/pki/restapi/...`, compat.md): the same parts at the top level, `details` in lower case and
 * always present when given (clients index `details` and arrays such as `SSHKeys` without checking).
 */
export type EnvelopeDialect = 'pmp' | 'pki';

/** The path prefix of the PKI API; matched ignoring case, as the router matches paths. */
export const PKI_PREFIX = '/api/pki/restapi/';

/** The dialect a request path is answered in. */
export function dialectOfPath(path: string): EnvelopeDialect {
  return path
    .replace(/\/{2,}/g, '/')
    .toLowerCase()
    .startsWith(PKI_PREFIX)
    ? 'pki'
    : 'pmp';
}

export interface PkiParts extends EnvelopeParts {
  /** More top-level arrays some clients read instead of `details` (`SSHKeys`), in order. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export function envelopeIn(dialect: EnvelopeDialect, parts: PkiParts): string {
  return dialect === 'pki' ? pkiEnvelope(parts) : envelope(parts);
}

/** `{"name":…,"result":{"status":…,"message":…,"statusCode":N},"totalRows":N,"details":…}`. */
export function pkiEnvelope(parts: PkiParts): string {
  let json = `{"name":${JSON.stringify(parts.name)},"result":{"status":"${parts.status}","message":${JSON.stringify(parts.message)},"statusCode":${parts.statusCode}}`;
  if (parts.totalRows !== undefined) json += `,"totalRows":${parts.totalRows}`;
  if (parts.details !== undefined) json += `,"details":${JSON.stringify(parts.details)}`;
  for (const [key, value] of Object.entries(parts.extra ?? {})) {
    json += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return `${json}}`;
}

export function envelope(parts: EnvelopeParts): string {
  // Assembled as text (key order as clients expect it): every answer goes through here.
  let json = `{"operation":{"${parts.nameKey ?? 'name'}":${JSON.stringify(parts.name)},"result":{"status":"${parts.status}","message":${JSON.stringify(parts.message)},"statusCode":${parts.statusCode}}`;
  const emptyList = Array.isArray(parts.details) && parts.details.length === 0;
  if (parts.details !== undefined && !emptyList) json += `,"Details":${JSON.stringify(parts.details)}`;
  if (parts.totalRows !== undefined) json += `,"totalRows":${parts.totalRows}`;
  return `${json}}}`;
}

export function failureEnvelope(
  name: string,
  error: DomainError,
  nameKey?: EnvelopeParts['nameKey'],
  dialect: EnvelopeDialect = 'pmp',
): string {
  return envelopeIn(dialect, {
    name,
    nameKey,
    status: 'Failed',
    message: error.message,
    statusCode: error.code,
  });
}

export const AUTHENTICATION_OPERATION = 'Authentication';
