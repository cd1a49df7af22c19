import mysql from 'mysql2';
import type { Secret } from '../../../platform/crypto/secret.js';
import {
  RemoteChangeFailure,
  type DatabaseTarget,
  type RemoteConnector,
  type RemoteTarget,
  type VerifyRequest,
} from './connector.js';
import {
  DeadlineExpired,
  loginPassword,
  networkFailure,
  quoted,
  raceDeadline,
  remaining,
  serverText,
  timeoutFailure,
  unreachableDetail,
  where,
} from './db-errors.js';

/**
 * MySQL and MariaDB: `ALTER USER ?@? IDENTIFIED BY ?` with the values escaped by mysql2 (never
 * concatenated), after the session's sql_mode lost NO_BACKSLASH_ESCAPES (mysql2 escapes with
 * backslashes: under that mode an escaped quote would end the string). A self change uses
 * `ALTER USER CURRENT_USER()`, or `SET PASSWORD = PASSWORD(?)` where the server wants the CREATE
 * USER privilege for that (MariaDB). One connection per call, no retries, closed on every path,
 * the whole call bounded by the request's timeoutMs. See docs/adr/026-database-connectors.md.
 */

const PRODUCT = 'MySQL/MariaDB';
const BACKSTOP_MS = 1_000;

/** Server error numbers the connector tells apart (MySQL's and MariaDB's share these). */
const ER = {
  DBACCESS_DENIED: 1044,
  ACCESS_DENIED: 1045,
  BAD_DB: 1049,
  CON_COUNT: 1040,
  HOST_IS_BLOCKED: 1129,
  HOST_NOT_PRIVILEGED: 1130,
  PASSWORD_NO_MATCH: 1133,
  TABLEACCESS_DENIED: 1142,
  SPECIFIC_ACCESS_DENIED: 1227,
  OPTION_PREVENTS_STATEMENT: 1290,
  CANNOT_USER: 1396,
  NOT_VALID_PASSWORD: 1819,
  MUST_CHANGE_PASSWORD_LOGIN: 1862,
  ACCOUNT_LOCKED_MYSQL: 3118,
  MISSING_CURRENT_PASSWORD: 3892,
  ACCOUNT_LOCKED_MARIADB: 4151,
} as const;

const PRIVILEGE_ERRORS: ReadonlySet<number> = new Set([
  ER.DBACCESS_DENIED,
  ER.ACCESS_DENIED,
  ER.TABLEACCESS_DENIED,
  ER.SPECIFIC_ACCESS_DENIED,
]);

interface Account {
  readonly user: string;
  /** Absent: a bare name (its hosts are looked up). */
  readonly host?: string;
}

/**
 * `user@host` (the last `@` separates them; either part may be quoted with ', " or `, as in
 * `'first.last@example.com'@'%'`), or a bare user name.
 */
export function parseAccount(account: string): Account {
  const unquote = (part: string) => {
    const m = /^(['"`])(.*)\1$/s.exec(part);
    return m ? m[2]! : part;
  };
  const quotedForm = /^(['"`])(.*)\1@(['"`]?)(.*)\3$/s.exec(account);
  if (quotedForm) return { user: quotedForm[2]!, host: quotedForm[4]! === '' ? '%' : quotedForm[4]! };
  const at = account.lastIndexOf('@');
  if (at <= 0 || at === account.length - 1)
    return { user: unquote(at === account.length - 1 ? account.slice(0, -1) : account) };
  return { user: unquote(account.slice(0, at)), host: unquote(account.slice(at + 1)) };
}

function databaseTarget(target: RemoteTarget): DatabaseTarget {
  if (target.kind !== 'mysql') {
    throw new RemoteChangeFailure(
      'protocol',
      `the MySQL connector cannot reach a ${target.kind} target`,
      false,
    );
  }
  return target;
}

/** The server's error number of a server answer (mysql2 sets errno and sqlState), else undefined. */
function serverErrno(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { errno?: unknown; sqlState?: unknown; fatal?: unknown };
  return typeof e.errno === 'number' && typeof e.sqlState === 'string' ? e.errno : undefined;
}

/** An error that ended the connection (network, protocol), not an answer to a statement. */
function isFatal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { fatal?: unknown }).fatal === true;
}

type Connection = mysql.Connection;

/**
 * A connection as `user`. The change connects to no database (ALTER USER needs none, and a
 * reset account need not have rights on the configured one); verification to the configured one.
 */
function open(
  target: DatabaseTarget,
  user: string,
  password: Secret,
  deadline: number,
  withDatabase: boolean,
): Connection {
  const connection = mysql.createConnection({
    host: target.endpoint.host,
    port: target.endpoint.port,
    user,
    password: password.reveal(),
    ...(!withDatabase || target.database === undefined || target.database === ''
      ? {}
      : { database: target.database }),
    connectTimeout: remaining(deadline) + BACKSTOP_MS,
    multipleStatements: false,
    charset: 'utf8mb4',
  });
  // Errors after the call (the server going away) must not become an unhandled 'error' event.
  connection.on('error', () => undefined);
  return connection;
}

function connect(connection: Connection): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.connect((err) => (err ? reject(err) : resolve()));
  });
}

function run(connection: Connection, sql: string, values: unknown[], deadline: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.query({ sql, values, timeout: remaining(deadline) + BACKSTOP_MS }, (err, rows) =>
      err ? reject(err) : resolve(rows),
    );
  });
}

/** Ends the connection gracefully when it can (COM_QUIT), and destroys its socket otherwise. */
async function close(connection: Connection): Promise<void> {
  const ended = new Promise<boolean>((resolve) => {
    try {
      connection.end((err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });
  const inTime = await Promise.race([
    ended,
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 1_000)),
  ]);
  if (!inTime) connection.destroy();
}

/** A failure to connect and log in (before anything was sent). */
function connectFailure(
  err: unknown,
  target: DatabaseTarget,
  user: string,
  timeoutMs: number,
): RemoteChangeFailure {
  const place = where(PRODUCT, target.endpoint);
  if (err instanceof DeadlineExpired)
    return timeoutFailure(place, 'connecting and logging in', timeoutMs, false);
  const network = networkFailure(err);
  if (network === 'unreachable')
    return new RemoteChangeFailure(
      'unreachable',
      `cannot connect to ${place} (${unreachableDetail(err)})`,
      false,
    );
  if (network === 'timeout') return timeoutFailure(place, 'connecting and logging in', timeoutMs, false);
  if (network === 'lost') {
    return new RemoteChangeFailure('unreachable', `${place} closed the connection while logging in`, false);
  }
  const errno = serverErrno(err);
  switch (errno) {
    case ER.ACCESS_DENIED:
      return new RemoteChangeFailure(
        'authentication',
        `${place} refused the login of ${quoted(user)} (wrong password or no such account)`,
        false,
      );
    case ER.HOST_NOT_PRIVILEGED:
      return new RemoteChangeFailure(
        'authentication',
        `${place} does not let ${quoted(user)} log in from this host`,
        false,
      );
    case ER.ACCOUNT_LOCKED_MYSQL:
    case ER.ACCOUNT_LOCKED_MARIADB:
      return new RemoteChangeFailure(
        'authentication',
        `${place}: the account ${quoted(user)} is locked`,
        false,
      );
    case ER.MUST_CHANGE_PASSWORD_LOGIN:
      return new RemoteChangeFailure(
        'authentication',
        `${place}: the password of ${quoted(user)} has expired (the server accepts only a change in sandbox mode)`,
        false,
      );
    case ER.DBACCESS_DENIED:
      return new RemoteChangeFailure(
        'authentication',
        `${place}: ${quoted(user)} may not use the database ${quoted(target.database ?? '')}`,
        false,
      );
    case ER.BAD_DB:
      return new RemoteChangeFailure(
        'protocol',
        `${place} has no database ${quoted(target.database ?? '')}`,
        false,
      );
    case ER.CON_COUNT:
    case ER.HOST_IS_BLOCKED:
      return new RemoteChangeFailure(
        'unreachable',
        `${place} does not accept connections now (error ${errno})`,
        false,
      );
    case undefined:
      return new RemoteChangeFailure(
        'protocol',
        `${place} could not be logged in to (an unexpected answer)`,
        false,
      );
    default:
      return new RemoteChangeFailure('protocol', `${place} refused the login (error ${errno})`, false);
  }
}

/** The details of a password-policy refusal (code 1819) from the statement's warnings. */
async function policyRefusal(
  connection: Connection,
  errno: number,
  deadline: number,
): Promise<string[] | undefined> {
  let rows: unknown;
  try {
    rows = await run(connection, 'SHOW WARNINGS', [], deadline);
  } catch {
    return errno === ER.NOT_VALID_PASSWORD ? [] : undefined;
  }
  const notes = (Array.isArray(rows) ? (rows as { Code?: unknown; Message?: unknown }[]) : [])
    .filter((row) => Number(row.Code) === ER.NOT_VALID_PASSWORD && typeof row.Message === 'string')
    .map((row) => String(row.Message));
  if (notes.length === 0 && errno !== ER.NOT_VALID_PASSWORD) return undefined;
  return notes;
}

export function createMysqlConnector(): RemoteConnector {
  return {
    async changePassword(request) {
      const target = databaseTarget(request.target);
      const place = where(PRODUCT, target.endpoint);
      const account = parseAccount(request.account);
      if (account.user === '' || request.account.includes('\u0000')) {
        throw new RemoteChangeFailure(
          'protocol',
          `${place}: the account name is empty or contains a NUL character`,
          false,
        );
      }
      // The same user name: the account logs in itself (for user@host, if the server agrees that
      // this login is that account, CURRENT_USER(), checked once connected).
      // A login names the user only (a vault account may be named user@host).
      const loginUser = parseAccount(target.login.username).user;
      const sameName = account.user === loginUser;
      let self = sameName && account.host === undefined;
      const password = loginPassword(target.login, sameName, request.currentPassword);
      if (password === undefined) {
        throw new RemoteChangeFailure(
          'authentication',
          `no password to log in to ${place} as ${quoted(target.login.username)}`,
          false,
        );
      }
      const secrets = [request.newPassword, request.currentPassword, target.login.password];
      const next = request.newPassword.reveal();
      const deadline = Date.now() + request.timeoutMs;
      const connection = open(target, loginUser, password, deadline, false);
      let step: 'connect' | 'prepare' | 'change' = 'connect';
      let sent = false;
      let shown = quoted(request.account);
      let hostCount = 1;

      /** Sends the change; a server error answer rejects with it (the statement did not apply). */
      const alter = async (sql: string, values: unknown[]) => {
        sent = true;
        await run(connection, sql, values, deadline);
      };

      try {
        await raceDeadline(
          (async () => {
            await connect(connection);
            step = 'prepare';
            // mysql2 escapes values with backslashes: make sure the server reads them that way.
            // And a change that waits for a lock (the account tables) gives up on the server
            // too, about when this call does (lock_wait_timeout is in whole seconds).
            await run(
              connection,
              "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', ''), SESSION lock_wait_timeout = ?",
              [Math.max(1, Math.ceil(remaining(deadline) / 1_000))],
              deadline,
            );
            if (sameName && account.host !== undefined) {
              const rows = await run(connection, 'SELECT CURRENT_USER() AS me', [], deadline);
              const me = (rows as { me?: unknown }[])[0]?.me;
              self = me === `${account.user}@${account.host}`;
            }
            if (self) {
              step = 'change';
              try {
                await alter('ALTER USER CURRENT_USER() IDENTIFIED BY ?', [next]);
              } catch (err) {
                const errno = serverErrno(err);
                if (errno === ER.SPECIFIC_ACCESS_DENIED) {
                  // MariaDB wants CREATE USER for ALTER USER, even on oneself; SET PASSWORD does not.
                  await alter('SET PASSWORD = PASSWORD(?)', [next]);
                } else if (errno === ER.MISSING_CURRENT_PASSWORD && request.currentPassword !== undefined) {
                  // MySQL with password_require_current: the current password goes with the change.
                  await alter('ALTER USER CURRENT_USER() IDENTIFIED BY ? REPLACE ?', [
                    next,
                    request.currentPassword.reveal(),
                  ]);
                } else {
                  throw err;
                }
              }
              return;
            }
            let hosts: string[];
            if (account.host !== undefined) {
              hosts = [account.host];
            } else {
              try {
                const rows = await run(
                  connection,
                  'SELECT Host FROM mysql.user WHERE User = ?',
                  [account.user],
                  deadline,
                );
                hosts = (rows as { Host?: unknown }[]).map((row) => String(row.Host));
              } catch (err) {
                const errno = serverErrno(err);
                if (errno === undefined || !PRIVILEGE_ERRORS.has(errno)) throw err;
                // The reset account may not read the account table: the usual host, any host.
                hosts = ['%'];
              }
              if (hosts.length === 0) {
                throw new RemoteChangeFailure(
                  'protocol',
                  `${place} has no account named ${quoted(account.user)}`,
                  false,
                );
              }
            }
            hostCount = hosts.length;
            shown = hosts.map((host) => `${quoted(account.user)}@${quoted(host)}`).join(', ');
            step = 'change';
            // One statement for every host of the account (MySQL applies it atomically; MariaDB
            // changes the hosts it can and names the others in its error).
            await alter(
              `ALTER USER ${hosts.map(() => '?@? IDENTIFIED BY ?').join(', ')}`,
              hosts.flatMap((host) => [account.user, host, next]),
            );
          })(),
          deadline,
          () => connection.destroy(),
        );
      } catch (err) {
        if (err instanceof RemoteChangeFailure) throw err;
        if (step === 'connect') throw connectFailure(err, target, loginUser, request.timeoutMs);
        if (err instanceof DeadlineExpired) {
          throw timeoutFailure(
            place,
            sent ? 'changing the password' : 'preparing the change',
            request.timeoutMs,
            sent,
          );
        }
        const errno = serverErrno(err);
        if (errno === undefined || isFatal(err)) {
          const network = networkFailure(err);
          if (network === 'timeout') {
            throw timeoutFailure(
              place,
              sent ? 'changing the password' : 'preparing the change',
              request.timeoutMs,
              sent,
            );
          }
          throw new RemoteChangeFailure(
            'unreachable',
            sent
              ? `${place} closed the connection after the change was sent; its outcome is unknown`
              : `${place} closed the connection before the change was sent`,
            sent,
          );
        }
        // The server answered with an error: the statement did not apply.
        if (step === 'change' && (errno === ER.NOT_VALID_PASSWORD || errno === ER.CANNOT_USER)) {
          const notes = await raceDeadline(policyRefusal(connection, errno, deadline), deadline, () =>
            connection.destroy(),
          ).catch(() => (errno === ER.NOT_VALID_PASSWORD ? [] : undefined));
          if (notes !== undefined) {
            const text = serverText(notes.join('; '), secrets);
            throw new RemoteChangeFailure(
              'policy',
              `${place} refused the new password${text === '' ? ' (its password policy)' : `: ${text}`}`,
              false,
            );
          }
        }
        if (PRIVILEGE_ERRORS.has(errno)) {
          throw new RemoteChangeFailure(
            'authentication',
            self
              ? `${place}: ${quoted(account.user)} may not change its own password (error ${errno})`
              : `${place}: the reset account ${quoted(target.login.username)} may not change ${shown} (insufficient privilege)`,
            false,
          );
        }
        if (errno === ER.CANNOT_USER || errno === ER.PASSWORD_NO_MATCH) {
          // With several hosts, MariaDB may have changed some of them before it refused another.
          const several = hostCount > 1;
          throw new RemoteChangeFailure(
            'protocol',
            several
              ? `${place} refused the change of some of ${shown} (no such account?); the others may have changed`
              : `${place} has no account ${shown}`,
            several,
          );
        }
        if (errno === ER.OPTION_PREVENTS_STATEMENT) {
          throw new RemoteChangeFailure(
            'protocol',
            `${place} refuses to change passwords now (read-only?)`,
            false,
          );
        }
        throw new RemoteChangeFailure(
          'protocol',
          `${place} refused the change of ${shown} (error ${errno})`,
          false,
        );
      } finally {
        await close(connection);
      }
      return { observedHostKeys: [] };
    },

    async verifyPassword(request: VerifyRequest) {
      const target = databaseTarget(request.target);
      const deadline = Date.now() + request.timeoutMs;
      // A login names the user only; the server picks the account row that matches this host.
      const user = parseAccount(request.account).user;
      const connection = open(target, user, request.password, deadline, true);
      try {
        await raceDeadline(connect(connection), deadline, () => connection.destroy());
        return { observedHostKeys: [], outcome: 'opens' as const };
      } catch (err) {
        const errno = serverErrno(err);
        if (errno === ER.ACCESS_DENIED) return { observedHostKeys: [], outcome: 'refused' as const };
        // Answers that come after the password was accepted: it opens the account.
        if (errno === ER.BAD_DB || errno === ER.DBACCESS_DENIED || errno === ER.MUST_CHANGE_PASSWORD_LOGIN) {
          return { observedHostKeys: [], outcome: 'opens' as const };
        }
        throw connectFailure(err, target, user, request.timeoutMs);
      } finally {
        await close(connection);
      }
    },
  };
}
