import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretWatch, settle, silentPort } from '../../../../test/helpers/connector-checks.js';
import { startMariaDbOrSkip, type MariaDbServer } from '../../../../test/helpers/mariadb.js';
import { freePort } from '../../../../test/helpers/postgres.js';
import { secret } from '../../../platform/crypto/secret.js';
import type { ChangeRequest, DatabaseTarget } from './connector.js';
import { createMysqlConnector, parseAccount } from './mysql.js';

/**
 * The MySQL/MariaDB connector against a real, throw-away mariadbd (test/helpers/mariadb.ts):
 * every change is checked by logging in with the new password and with the old one. Every
 * password used is collected, and no failure text may contain any of them.
 */

const connector = createMysqlConnector();
const watch = new SecretWatch();
const pw = (value: string) => watch.pw(value);
const failure = (call: Promise<unknown>) => watch.failure(call);

let server: MariaDbServer | undefined;

beforeAll(async () => {
  server = await startMariaDbOrSkip();
  if (server) await server.createUser('resetter', watch.pw('Resetter-pass-1!'), { grantReset: true });
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

it('parses account names: user@host, quoted parts, bare names', () => {
  expect(parseAccount('alice')).toEqual({ user: 'alice' });
  expect(parseAccount('alice@127.0.0.1')).toEqual({ user: 'alice', host: '127.0.0.1' });
  expect(parseAccount("'first.last@example.com'@'%'")).toEqual({ user: 'first.last@example.com', host: '%' });
  expect(parseAccount('`app`@`10.%`')).toEqual({ user: 'app', host: '10.%' });
  expect(parseAccount('a@b@localhost')).toEqual({ user: 'a@b', host: 'localhost' });
  expect(parseAccount('trailing@')).toEqual({ user: 'trailing' });
});

describe('the MySQL/MariaDB connector (a real mariadbd)', () => {
  function target(username: string, password: string | undefined, port = server!.port): DatabaseTarget {
    return {
      kind: 'mysql',
      endpoint: { host: '127.0.0.1', port },
      login: { username, ...(password === undefined ? {} : { password: secret(password) }) },
    };
  }

  const reset = () => target('resetter', 'Resetter-pass-1!');

  function change(
    t: DatabaseTarget,
    account: string,
    current: string | undefined,
    next: string,
    timeoutMs = 10_000,
  ): ChangeRequest {
    return {
      target: t,
      account,
      currentPassword: current === undefined ? undefined : secret(current),
      newPassword: secret(next),
      timeoutMs,
    };
  }

  it('an account changes its own password (SET PASSWORD on MariaDB): the new one logs in, the old one is refused', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const old = pw('Selfie-old-1!');
    const next = pw(`Selfie-new-2 it's "quoted" \\ and \\' tricky`);
    await server.createUser('selfie', old);
    await connector.changePassword(change(target('selfie', old), 'selfie', old, next));
    expect(await server.canLogin('selfie', next)).toBe(true);
    expect(await server.canLogin('selfie', old)).toBe(false);
    const verify = (password: string) =>
      connector.verifyPassword({
        target: target('selfie', next),
        account: 'selfie',
        password: secret(password),
        timeoutMs: 5_000,
      });
    expect((await verify(next)).outcome).toBe('opens');
    expect((await verify(old)).outcome).toBe('refused');
  });

  it('user@host naming the account that logs in is a self change too (no CREATE USER needed)', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const old = pw('Selfhost-old-1!');
    const next = pw('Selfhost-new-2! é€ ünïcode');
    await server.createUser('selfhost', old);
    // As the rotation service builds it: the login is the vault account, named user@host too.
    await connector.changePassword(change(target('selfhost@%', undefined), 'selfhost@%', old, next));
    expect(await server.canLogin('selfhost', next)).toBe(true);
    expect(await server.canLogin('selfhost', old)).toBe(false);
  });

  it('the reset account changes a bare name on every host it has (one statement), and user@host accounts alone', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const old = pw('Twohost-old-1!');
    await server.createUser('twohost', old);
    await server.createUser('twohost', old, { host: '10.0.0.%' });
    const next = pw('Twohost-new-2!');
    await connector.changePassword(change(reset(), 'twohost', undefined, next));
    expect(await server.canLogin('twohost', next)).toBe(true);
    expect(await server.canLogin('twohost', old)).toBe(false);
    // Both rows carry the new password's hash (the 10.0.0.% row cannot be logged in to from here).
    const rows = await server.query(
      "SELECT Host, Password FROM mysql.user WHERE User = 'twohost' ORDER BY Host",
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]?.Password).toBe(rows[1]?.Password);

    // user@host: only that account changes; the same user name on another host keeps its password.
    const bobOld = pw('Bob-old-1!');
    await server.createUser('bob', bobOld, { host: '127.0.0.1' });
    await server.createUser('bob', bobOld, { host: '10.9.9.9' });
    const bobNext = pw('Bob-new-2!');
    await connector.changePassword(change(reset(), 'bob@127.0.0.1', undefined, bobNext));
    expect(await server.canLogin('bob', bobNext)).toBe(true);
    expect(await server.canLogin('bob', bobOld)).toBe(false);
    const [other] = await server.query(
      "SELECT Password FROM mysql.user WHERE User = 'bob' AND Host = '10.9.9.9'",
    );
    const [changed] = await server.query(
      "SELECT Password FROM mysql.user WHERE User = 'bob' AND Host = '127.0.0.1'",
    );
    expect(other?.Password).not.toBe(changed?.Password);
    const opens = await connector.verifyPassword({
      target: reset(),
      account: 'bob@127.0.0.1',
      password: secret(bobNext),
      timeoutMs: 5_000,
    });
    expect(opens.outcome).toBe('opens');
  });

  it("a reset account that may not read mysql.user changes a bare name as name@'%'", async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const blindPassword = pw('Blind-reset-1!');
    await server.createUser('blind_reset', blindPassword, { grantReset: true, readUsers: false });
    const old = pw('Carol-old-1!');
    await server.createUser('carol', old);
    const next = pw('Carol-new-2!');
    await connector.changePassword(change(target('blind_reset', blindPassword), 'carol', undefined, next));
    expect(await server.canLogin('carol', next)).toBe(true);
    expect(await server.canLogin('carol', old)).toBe(false);
  });

  it('values are escaped correctly even when the server runs with NO_BACKSLASH_ESCAPES', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const old = pw('Escape-old-1!');
    await server.createUser('escaper', old);
    const next = pw(`Esc\\'; DROP USER resetter; -- ' "x" \\\\ 2`);
    const before = await server.query('SELECT @@GLOBAL.sql_mode AS mode');
    await server.query("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')");
    try {
      await connector.changePassword(change(reset(), 'escaper', undefined, next));
    } finally {
      await server.query('SET GLOBAL sql_mode = ?', [before[0]?.mode]);
    }
    expect(await server.canLogin('escaper', next)).toBe(true);
    expect(await server.canLogin('escaper', old)).toBe(false);
    expect(await server.canLogin('resetter', 'Resetter-pass-1!')).toBe(true);
  });

  it("the target's own password policy (simple_password_check) refuses: reason policy with the server's text, unchanged", async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const old = pw('Policy-old-1!');
    await server.createUser('policed', old);
    await server.enablePasswordCheck();
    try {
      for (const request of [
        change(reset(), 'policed', undefined, pw('weakpolicy')),
        change(reset(), 'policed@%', undefined, pw('weakpolicy2')),
        change(target('policed', old), 'policed', old, pw('weakself')),
      ]) {
        const f = await failure(connector.changePassword(request));
        expect(f.reason).toBe('policy');
        expect(f.targetMayHaveChanged).toBe(false);
        expect(f.message).toContain('refused the new password');
        expect(f.message).toMatch(/simple_password_check/);
        expect(await server.canLogin('policed', old)).toBe(true);
      }
      // A password the policy accepts still goes through.
      const strong = pw('Str0ng-Policy-Pass!');
      await connector.changePassword(change(reset(), 'policed', undefined, strong));
      expect(await server.canLogin('policed', strong)).toBe(true);
    } finally {
      await server.disablePasswordCheck();
    }
  });

  it('a reset account without the privilege: reason authentication, a clear message, unchanged', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const weak = pw('Weak-admin-1!');
    const old = pw('Guarded-old-1!');
    await server.createUser('weak_admin', weak);
    await server.createUser('guarded', old);
    const f = await failure(
      connector.changePassword(
        change(target('weak_admin', weak), 'guarded', undefined, pw('Guarded-new-2!')),
      ),
    );
    expect(f.reason).toBe('authentication');
    expect(f.message).toContain('the reset account "weak_admin" may not change "guarded"@"%"');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(await server.canLogin('guarded', old)).toBe(true);
  });

  it('a wrong login password: reason authentication, unchanged', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const old = pw('Wrongl-old-1!');
    await server.createUser('wrongl', old);
    const f = await failure(
      connector.changePassword(
        change(target('resetter', pw('not-the-password')), 'wrongl', undefined, pw('Wrongl-new-2!')),
      ),
    );
    expect(f.reason).toBe('authentication');
    expect(f.message).toContain('refused the login of "resetter"');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(await server.canLogin('wrongl', old)).toBe(true);
  });

  it('a configured database: the change needs no rights on it; verification opens even where the account may not use it', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    await server.query('CREATE DATABASE IF NOT EXISTS appdb');
    const old = pw('Dbuser-old-1!');
    const next = pw('Dbuser-new-2!');
    await server.createUser('dbuser', old);
    const withDb = (t: DatabaseTarget): DatabaseTarget => ({ ...t, database: 'appdb' });
    await connector.changePassword(change(withDb(reset()), 'dbuser', undefined, next));
    expect(await server.canLogin('dbuser', next)).toBe(true);
    const verify = (password: string) =>
      connector.verifyPassword({
        target: withDb(reset()),
        account: 'dbuser',
        password: secret(password),
        timeoutMs: 5_000,
      });
    // dbuser has no rights on appdb: the server says so only after it accepted the password.
    expect((await verify(next)).outcome).toBe('opens');
    expect((await verify(old)).outcome).toBe('refused');
  });

  it('an account that does not exist: reason protocol', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    let f = await failure(connector.changePassword(change(reset(), 'ghost', undefined, pw('Ghost-new-1!'))));
    expect(f.reason).toBe('protocol');
    expect(f.message).toContain('has no account named "ghost"');
    f = await failure(
      connector.changePassword(change(reset(), 'ghost@10.1.1.1', undefined, pw('Ghost-new-2!'))),
    );
    expect(f.reason).toBe('protocol');
    expect(f.message).toContain('has no account "ghost"@"10.1.1.1"');
    expect(f.targetMayHaveChanged).toBe(false);
  });

  it('a closed port: reason unreachable, at once', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const port = await freePort();
    const started = Date.now();
    const f = await failure(
      connector.changePassword(
        change(target('resetter', 'Resetter-pass-1!', port), 'carol', undefined, pw('Unreach-1!')),
      ),
    );
    expect(f.reason).toBe('unreachable');
    expect(f.message).toContain('(connection refused)');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    const v = await failure(
      connector.verifyPassword({
        target: target('carol', undefined, port),
        account: 'carol',
        password: secret('x'),
        timeoutMs: 2_000,
      }),
    );
    expect(v.reason).toBe('unreachable');
  });

  it('a blackholed port: reason timeout within timeoutMs, and the connection is closed', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const hole = await silentPort();
    try {
      for (const call of [
        () =>
          connector.changePassword(
            change(
              target('resetter', 'Resetter-pass-1!', hole.port),
              'carol',
              undefined,
              pw('Blackhole-1!'),
              1_500,
            ),
          ),
        () =>
          connector.verifyPassword({
            target: target('carol', undefined, hole.port),
            account: 'carol',
            password: secret('x'),
            timeoutMs: 1_500,
          }),
      ]) {
        const started = Date.now();
        const f = await failure(call());
        const elapsed = Date.now() - started;
        expect(f.reason).toBe('timeout');
        expect(f.targetMayHaveChanged).toBe(false);
        expect(elapsed).toBeGreaterThanOrEqual(1_400);
        expect(elapsed).toBeLessThan(3_000); // timeoutMs plus slack for a loaded machine
        expect(await settle(() => hole.open() === 0)).toBe(true);
      }
    } finally {
      await hole.close();
    }
  });

  it('an ALTER USER that waits on the server: timeout within timeoutMs (outcome unknown), and the server gives up too', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const s = server;
    const old = pw('Locked-old-1!');
    const next = pw('Locked-new-2!');
    await s.createUser('locked', old);
    // An administrator holds the account table: the connector's ALTER USER waits for it.
    const admin = await mysql.createConnection({ host: '127.0.0.1', port: s.port, user: 'root' });
    try {
      await admin.query('LOCK TABLES mysql.global_priv WRITE');
      const started = Date.now();
      const f = await failure(connector.changePassword(change(reset(), 'locked@%', undefined, next, 2_000)));
      const elapsed = Date.now() - started;
      expect(f.reason).toBe('timeout');
      expect(f.message).toContain('outcome is unknown');
      expect(f.targetMayHaveChanged).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(1_900);
      expect(elapsed).toBeLessThan(3_500); // timeoutMs plus slack for a loaded machine
      // The waiting statement ends on the server while the lock is still held: its session goes
      // away (MariaDB notices the closed connection during the lock wait; lock_wait_timeout,
      // the request's time in whole seconds, bounds it on a server that would not).
      const sessions = async () =>
        Number(
          (
            await s.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'resetter'")
          )[0]?.n,
        );
      expect(await settle(async () => (await sessions()) === 0, 5_000)).toBe(true);
    } finally {
      await admin.query('UNLOCK TABLES').catch(() => undefined);
      await admin.end();
    }
    expect(await s.canLogin('locked', old)).toBe(true);
    expect(await s.canLogin('locked', next)).toBe(false);
  });

  it('closes every connection it opened, on every path', async (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    const s = server;
    const open = async () =>
      Number(
        (
          await s.query(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER NOT IN ('root', 'system user', 'event_scheduler')",
          )
        )[0]?.n,
      );
    expect(await settle(async () => (await open()) === 0, 5_000)).toBe(true);
  });

  it('no failure text holds a password', (ctx) => {
    if (!server) return ctx.skip('no MariaDB');
    expect(watch.texts.length).toBeGreaterThan(8);
    watch.expectClean();
  });
});
