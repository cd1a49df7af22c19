import type { Secret } from '../../../platform/crypto/secret.js';
import { RemoteChangeFailure, type Endpoint, type Login } from './connector.js';

/**
 * What the PostgreSQL and MySQL/MariaDB connectors share: one deadline for the whole operation,
 * the classification of network errors, and texts that never carry a secret. The drivers' error
 * objects are never passed on: they may hold the statement (mysql2 keeps it in `sql`, with the
 * escaped password) or quote part of it (a syntax error "near ..."). Every message is written here
 * from known parts (host, port, account names, error codes), plus, for a policy refusal, the
 * server's own text with every secret of the request removed.
 */

/** Rejection of `raceDeadline` when the operation's time ran out. */
export class DeadlineExpired extends Error {
  constructor() {
    super('the operation did not finish in time');
    this.name = 'DeadlineExpired';
  }
}

/**
 * Resolves with `work`, or rejects with DeadlineExpired at `deadline` (epoch ms) after calling
 * `abort` (which must destroy the connection, so nothing of the operation outlives it).
 */
export async function raceDeadline<T>(work: Promise<T>, deadline: number, abort: () => void): Promise<T> {
  // A rejection of `work` after the deadline (the aborted connection) is expected and ignored.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        abort();
        reject(new DeadlineExpired());
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Milliseconds left before `deadline`, at least 1 (drivers treat 0 as "no timeout"). */
export function remaining(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EADDRNOTAVAIL',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'PROTOCOL_SEQUENCE_TIMEOUT']);
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'PROTOCOL_CONNECTION_LOST']);

/** The `code` of a Node or driver error (or of the first error of an AggregateError). */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
  return undefined;
}

/** How a network-level error classifies, or undefined when it is not one. */
export function networkFailure(err: unknown): 'unreachable' | 'timeout' | 'lost' | undefined {
  const code = errorCode(err);
  if (code === undefined) return undefined;
  if (UNREACHABLE_CODES.has(code)) return 'unreachable';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (LOST_CODES.has(code)) return 'lost';
  return undefined;
}

/** Why a connection could not be made, for a message ("connection refused", …). */
export function unreachableDetail(err: unknown): string {
  const code = errorCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return 'host name not resolved';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'no route to host';
    default:
      return code ?? 'network error';
  }
}

export function where(product: string, endpoint: Endpoint): string {
  return `${product} at ${endpoint.host}:${endpoint.port}`;
}

/** Quotes a name for a message (account names are not secrets; control characters are dropped). */
export function quoted(name: string): string {
  return `"${name.replace(/[\u0000-\u001f\u007f]/g, '')}"`;
}

/**
 * A server text for a message: every secret of the request removed (also in a form where the
 * server doubled quotes or backslashes), control characters dropped, at most 300 characters.
 */
export function serverText(text: string, secrets: readonly (Secret | undefined)[]): string {
  let clean = text;
  for (const s of secrets) {
    const value = s?.reveal();
    if (value === undefined || value === '') continue;
    for (const form of new Set([value, value.replaceAll("'", "''"), value.replace(/[\\'"]/g, '\\$&')])) {
      clean = clean.split(form).join('[redacted]');
    }
  }
  clean = clean.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

/** The password to log in with: the login's own, or (a self change) the account's current one. */
export function loginPassword(login: Login, self: boolean, current: Secret | undefined): Secret | undefined {
  return login.password ?? (self ? current : undefined);
}

/** The failure for a deadline that ran out, phrased by the step it interrupted. */
export function timeoutFailure(
  place: string,
  step: string,
  timeoutMs: number,
  sent: boolean,
): RemoteChangeFailure {
  return new RemoteChangeFailure(
    'timeout',
    `${place} did not answer within ${timeoutMs} ms (${step})` +
      (sent ? '; the change was sent, its outcome is unknown' : ''),
    sent,
  );
}
