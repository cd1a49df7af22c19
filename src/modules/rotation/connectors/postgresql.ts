import pg from 'pg';
import type { Secret } from '../../../platform/crypto/secret.js';
import {
  RemoteChangeFailure,
  type ChangeRequest,
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
import { scramSha256Verifier } from './scram.js';

/**
 * PostgreSQL: `ALTER ROLE <role> PASSWORD '<SCRAM-SHA-256 verifier>'`, the verifier computed here
 * (as libpq does), so the clear password never reaches the server. One connection per call, no
 * retries, every connection closed on every path, the whole call bounded by the request's
 * timeoutMs (connection, authentication and statement). See docs/adr/026-database-connectors.md.
 */

const PRODUCT = 'PostgreSQL';
/** The drivers' own timeouts are a backstop behind the call's deadline, which classifies first. */
const BACKSTOP_MS = 1_000;

function databaseTarget(target: RemoteTarget): DatabaseTarget {
  if (target.kind !== 'postgresql') {
    throw new RemoteChangeFailure(
      'protocol',
      `the PostgreSQL connector cannot reach a ${target.kind} target`,
      false,
    );
  }
  return target;
}

/** The SQLSTATE of a server error (pg's DatabaseError), or undefined for any other error. */
function sqlState(err: unknown): string | undefined {
  if (!(err instanceof pg.DatabaseError)) return undefined;
  return err.code;
}

function newClient(target: DatabaseTarget, user: string, password: Secret, deadline: number): pg.Client {
  const left = remaining(deadline);
  const client = new pg.Client({
    host: target.endpoint.host,
    port: target.endpoint.port,
    database: target.database ?? 'postgres',
    user,
    password: password.reveal(),
    application_name: 'bulwark',
    connectionTimeoutMillis: left + BACKSTOP_MS,
    statement_timeout: left,
    query_timeout: left + BACKSTOP_MS,
  });
  // Errors after connect (the server going away) must not become an unhandled 'error' event.
  client.on('error', () => undefined);
  return client;
}

/** Ends the connection gracefully when it can, and destroys its socket otherwise. */
async function close(client: pg.Client): Promise<void> {
  const ended = client.end().then(
    () => true,
    () => false,
  );
  const inTime = await Promise.race([
    ended,
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 1_000)),
  ]);
  if (!inTime) destroy(client);
}

function destroy(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

function isDriverTimeout(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return /connection timeout|timeout expired|query read timeout/i.test(message);
}

/** A failure to connect and log in (before anything was sent). */
function connectFailure(
  err: unknown,
  target: DatabaseTarget,
  user: string,
  timeoutMs: number,
): RemoteChangeFailure {
  const place = where(PRODUCT, target.endpoint);
  if (err instanceof DeadlineExpired || isDriverTimeout(err)) {
    return timeoutFailure(place, 'connecting and logging in', timeoutMs, false);
  }
  const network = networkFailure(err);
  if (network === 'unreachable') {
    return new RemoteChangeFailure(
      'unreachable',
      `cannot connect to ${place} (${unreachableDetail(err)})`,
      false,
    );
  }
  if (network === 'timeout') return timeoutFailure(place, 'connecting', timeoutMs, false);
  if (network === 'lost' || (err instanceof Error && /terminated/i.test(err.message))) {
    return new RemoteChangeFailure('unreachable', `${place} closed the connection while logging in`, false);
  }
  const state = sqlState(err);
  switch (state) {
    case '28P01':
    case '28000':
      return new RemoteChangeFailure(
        'authentication',
        `${place} refused the login of ${quoted(user)} (wrong password, no such role, or not allowed to log in)`,
        false,
      );
    case '3D000':
      return new RemoteChangeFailure(
        'protocol',
        `${place} has no database ${quoted(target.database ?? 'postgres')} to connect to`,
        false,
      );
    case '57P03':
    case '53300':
      return new RemoteChangeFailure(
        'unreachable',
        `${place} does not accept connections now (SQLSTATE ${state})`,
        false,
      );
    case undefined:
      return new RemoteChangeFailure(
        'protocol',
        `${place} could not be logged in to (an unexpected answer)`,
        false,
      );
    default:
      return new RemoteChangeFailure('protocol', `${place} refused the login (SQLSTATE ${state})`, false);
  }
}

/** A failure after the login: the version check, or the ALTER ROLE (`sent`). */
function changeFailure(
  err: unknown,
  request: ChangeRequest,
  target: DatabaseTarget,
  self: boolean,
  sent: boolean,
  secrets: readonly (Secret | undefined)[],
): RemoteChangeFailure {
  const place = where(PRODUCT, target.endpoint);
  if (err instanceof DeadlineExpired || isDriverTimeout(err)) {
    return timeoutFailure(
      place,
      sent ? 'changing the password' : 'preparing the change',
      request.timeoutMs,
      sent,
    );
  }
  const state = sqlState(err);
  if (state === undefined) {
    // No answer: the connection broke (after the statement was sent, or before).
    return new RemoteChangeFailure(
      'unreachable',
      sent
        ? `${place} closed the connection after the change was sent; its outcome is unknown`
        : `${place} closed the connection before the change was sent`,
      sent,
    );
  }
  // The server answered with an error: the statement did not take effect.
  const account = quoted(request.account);
  switch (state) {
    case '42501':
      return new RemoteChangeFailure(
        'authentication',
        self
          ? `${place}: role ${account} may not change its own password (insufficient privilege)`
          : `${place}: the reset account ${quoted(target.login.username)} may not change role ${account} (insufficient privilege)`,
        false,
      );
    case '42704':
      return new RemoteChangeFailure('protocol', `${place} has no role ${account}`, false);
    case '57014':
      return timeoutFailure(
        place,
        'changing the password; the statement was cancelled',
        request.timeoutMs,
        false,
      );
    case '25006':
      return new RemoteChangeFailure(
        'protocol',
        `${place} is read-only (a standby?); the password was not changed`,
        false,
      );
    case '22023': {
      // A check_password_hook (the passwordcheck module, or another) refused the password.
      const text = err instanceof Error ? serverText(err.message, secrets) : '';
      return new RemoteChangeFailure('policy', `${place} refused the new password: ${text}`, false);
    }
    default:
      return new RemoteChangeFailure(
        'protocol',
        `${place} refused the change of role ${account} (SQLSTATE ${state})`,
        false,
      );
  }
}

/** Refuses, before connecting, what PostgreSQL cannot store or name. */
function checkInput(request: ChangeRequest): void {
  const place = where(PRODUCT, databaseTarget(request.target).endpoint);
  if (request.account === '' || request.account.includes('\u0000')) {
    throw new RemoteChangeFailure(
      'protocol',
      `${place}: the account name is empty or contains a NUL character`,
      false,
    );
  }
  const value = request.newPassword.reveal();
  if (value === '' || value.includes('\u0000')) {
    throw new RemoteChangeFailure(
      'policy',
      `${place} cannot take an empty password or one with a NUL character`,
      false,
    );
  }
}

export function createPostgresConnector(): RemoteConnector {
  return {
    async changePassword(request) {
      const target = databaseTarget(request.target);
      const place = where(PRODUCT, target.endpoint);
      checkInput(request);
      const deadline = Date.now() + request.timeoutMs;
      const self = target.login.username === request.account;
      const password = loginPassword(target.login, self, request.currentPassword);
      if (password === undefined) {
        throw new RemoteChangeFailure(
          'authentication',
          `no password to log in to ${place} as ${quoted(target.login.username)}`,
          false,
        );
      }
      const secrets = [request.newPassword, request.currentPassword, target.login.password];
      const verifier = await scramSha256Verifier(request.newPassword.reveal());
      // SESSION_USER: the role that logged in (SET ROLE NONE below undoes a `SET role` from the
      // login role's configuration, which would make CURRENT_USER another role).
      const role = self ? 'SESSION_USER' : pg.escapeIdentifier(request.account);
      const statement = `ALTER ROLE ${role} PASSWORD ${pg.escapeLiteral(verifier)}`;

      const client = newClient(target, target.login.username, password, deadline);
      let connected = false;
      let sent = false;
      try {
        await raceDeadline(
          (async () => {
            await client.connect();
            connected = true;
            // A login role configured with `SET role = ...` acts as that role; the change (and its
            // privilege check) is the login role's own.
            await client.query('SET ROLE NONE');
            // Before 10 the server would take the verifier for a password and store *it*: the
            // account would then have a password nobody knows.
            const version = await client.query<{ v: string }>(
              "SELECT current_setting('server_version_num') AS v",
            );
            if (Number(version.rows[0]?.v) < 100_000) {
              throw new RemoteChangeFailure(
                'protocol',
                `${place} is older than PostgreSQL 10 and cannot take a SCRAM-SHA-256 verifier; the password was not changed`,
                false,
              );
            }
            sent = true;
            await client.query(statement);
          })(),
          deadline,
          () => destroy(client),
        );
      } catch (err) {
        if (err instanceof RemoteChangeFailure) throw err;
        if (!connected) throw connectFailure(err, target, target.login.username, request.timeoutMs);
        throw changeFailure(err, request, target, self, sent, secrets);
      } finally {
        await close(client);
      }
      return { observedHostKeys: [] };
    },

    async verifyPassword(request: VerifyRequest) {
      const target = databaseTarget(request.target);
      const deadline = Date.now() + request.timeoutMs;
      const client = newClient(target, request.account, request.password, deadline);
      try {
        await raceDeadline(client.connect(), deadline, () => destroy(client));
        return { observedHostKeys: [], outcome: 'opens' as const };
      } catch (err) {
        const state = sqlState(err);
        if (state === '28P01' || state === '28000')
          return { observedHostKeys: [], outcome: 'refused' as const };
        // The server authenticates before it looks at the database: these answers mean the
        // password was accepted (the database is missing, or the role may not connect to it).
        if (state === '3D000' || state === '42501')
          return { observedHostKeys: [], outcome: 'opens' as const };
        throw connectFailure(err, target, request.account, request.timeoutMs);
      } finally {
        await close(client);
      }
    },
  };
}
