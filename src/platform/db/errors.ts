/** True when a database error is a unique-constraint violation (either dialect). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** PostgreSQL refusing text it cannot store (NUL, invalid encoding): bad input, not a fault. */
export function isUnstorableText(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}

/** A fault of the storage under the server, not of the request (ADR 022). */
export type StorageFault = 'storage-full' | 'database-unavailable';

/** The error codes of an error and of its causes (an error wrapped by another keeps its `cause`). */
function codesOf(err: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (typeof message === 'string') messages.push(message);
    current = cause;
  }
  return { codes, messages };
}

/** Errors of the network layer under a PostgreSQL connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * What node-postgres says, without a code, when the server closed the connection under a query
 * (stopped, restarted, killed) or when a client of the pool lost it earlier.
 */
const LOST_CONNECTION = [
  /^Connection terminated/,
  /connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /timeout exceeded when trying to connect/,
];

/**
 * Classifies an error thrown by a database call (or by the file system under it):
 * - 'storage-full': SQLite's SQLITE_FULL, the file system's ENOSPC, PostgreSQL's
 *   disk_full (53100);
 * - 'database-unavailable': the connection could not be made or was lost (ECONNREFUSED and
 *   the like), PostgreSQL shutting down or starting up (57P01 admin shutdown, 57P02 crash
 *   shutdown, 57P03 cannot connect now) and connection exceptions (class 08), and SQLite's
 *   write lock held by another process for longer than the connection waits (SQLITE_BUSY after
 *   BUSY_WAIT_MS): the request changed nothing and can be retried.
 * Anything else is undefined: a bug, answered as an internal error.
 */
export function storageFaultOf(err: unknown): StorageFault | undefined {
  const { codes, messages } = codesOf(err);
  if (codes.some((c) => c === 'SQLITE_FULL' || c === 'ENOSPC' || c === '53100')) return 'storage-full';
  if (
    codes.some(
      (c) =>
        NETWORK_CODES.has(c) ||
        c === 'SQLITE_BUSY' ||
        c === '57P01' ||
        c === '57P02' ||
        c === '57P03' ||
        /^08[0-9A-Z]{3}$/.test(c),
    ) ||
    messages.some((m) => LOST_CONNECTION.some((pattern) => pattern.test(m)))
  )
    return 'database-unavailable';
  return undefined;
}

/**
 * True when the error came from *making* a connection (refused, no such host, PostgreSQL still
 * starting or shutting down: 57P03, the pool's connect timeout): nothing of the request reached
 * the database, so even a change may be sent again. A connection lost under a statement is not
 * one of these: a COMMIT may have arrived before the connection broke.
 */
export function isConnectFailure(err: unknown): boolean {
  const { codes, messages } = codesOf(err);
  return (
    codes.some((c) => CONNECT_CODES.has(c)) ||
    // node-postgres throws these before it sends anything: the client already knew it was broken.
    messages.some((m) => CONNECT_MESSAGES.some((pattern) => pattern.test(m)))
  );
}

const CONNECT_MESSAGES = [
  /timeout exceeded when trying to connect/,
  /connection error and is not queryable/,
  /^Client was closed and is not queryable/,
];

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P03',
]);

/** True when a database error is a foreign-key violation (either dialect): the row referred to is gone. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
