import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretWatch, settle, silentPort } from '../../../../test/helpers/connector-checks.js';
import { freePort } from '../../../../test/helpers/postgres.js';
import { startPostgresTargetOrSkip, type PostgresTarget } from '../../../../test/helpers/postgres-target.js';
import { secret } from '../../../platform/crypto/secret.js';
import type { ChangeRequest, DatabaseTarget } from './connector.js';
import { createPostgresConnector } from './postgresql.js';
import { scramSha256Verifier } from './scram.js';

/**
 * The PostgreSQL connector against a real cluster whose TCP connections authenticate with
 * scram-sha-256 (test/helpers/postgres-target.ts), so "logs in with the new password" and "the
 * old one is refused" mean what they say. Every password used is collected, and no error text
 * may contain any of them.
 */

const connector = createPostgresConnector();
const watch = new SecretWatch();
const pw = (value: string) => watch.pw(value);
const failure = (call: Promise<unknown>) => watch.failure(call);

let server: PostgresTarget | undefined;

beforeAll(async () => {
  // passwordcheck: the server's own password policy (it can judge a verifier only for
  // "password must not equal user name").
  server = await startPostgresTargetOrSkip({ logStatements: true, preload: ['passwordcheck'] });
  await server?.createRole('resetter', watch.pw('Resetter-pass-1'), { createRole: true });
}, 120_000);

afterAll(() => {
  server?.stop();
});

describe('the PostgreSQL connector (a real scram-sha-256 cluster)', () => {
  function target(username: string, password: string | undefined, port = server!.port): DatabaseTarget {
    return {
      kind: 'postgresql',
      endpoint: { host: '127.0.0.1', port },
      login: { username, ...(password === undefined ? {} : { password: secret(password) }) },
    };
  }

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

  it('builds the same SCRAM-SHA-256 verifier as the server does (ASCII and non-ASCII passwords)', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    for (const [role, password] of [
      ['scram_ascii', pw("Plain-ascii 'quoted' \\ pass 1")],
      ['scram_unicode', pw('Ünïcødé\u00a0space ﬁ-ligature\u00ad 2')],
    ] as const) {
      await server.createRole(role, password);
      const [row] = await server.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
      const stored = String(row?.rolpassword);
      const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored);
      expect(match, stored).not.toBeNull();
      const ours = await scramSha256Verifier(password, Buffer.from(match![2]!, 'base64'), Number(match![1]));
      expect(ours).toBe(stored);
    }
  });

  it('a role changes its own password: the new one logs in, the old one is refused, the log holds no clear password', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const old = pw('Selfie-old-1');
    const next = pw("Selfie-new-2 with 'quote' and \\ backslash");
    await server.createRole('selfie', old);
    const result = await connector.changePassword(change(target('selfie', old), 'selfie', old, next));
    expect(result.observedHostKeys).toEqual([]);
    expect(await server.canLogin('selfie', next)).toBe(true);
    expect(await server.canLogin('selfie', old)).toBe(false);
    const opens = await connector.verifyPassword({
      target: target('selfie', next),
      account: 'selfie',
      password: secret(next),
      timeoutMs: 5_000,
    });
    expect(opens.outcome).toBe('opens');
    const refused = await connector.verifyPassword({
      target: target('selfie', next),
      account: 'selfie',
      password: secret(old),
      timeoutMs: 5_000,
    });
    expect(refused.outcome).toBe('refused');
    const [row] = await server.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', ['selfie']);
    expect(String(row?.rolpassword)).toMatch(/^SCRAM-SHA-256\$4096:/);
    // log_statement=all: the ALTER ROLE is in the log, with the verifier, never the password.
    const log = server.logs();
    expect(log).toMatch(/ALTER ROLE SESSION_USER PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(log).not.toContain(next);
    expect(log).not.toContain('Selfie-new-2');
  });

  it("a role whose configuration switches to another role (SET role) changes its own password, not the other role's", async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const old = pw('Switcher-old-1');
    const next = pw('Switcher-new-2');
    const ownerPassword = pw('Owner-pass-1');
    await server.createRole('owner_role', ownerPassword);
    await server.createRole('switcher', old);
    await server.query('GRANT owner_role TO switcher');
    await server.query("ALTER ROLE switcher SET role = 'owner_role'");
    await connector.changePassword(change(target('switcher', old), 'switcher', old, next));
    expect(await server.canLogin('switcher', next)).toBe(true);
    expect(await server.canLogin('switcher', old)).toBe(false);
    expect(await server.canLogin('owner_role', ownerPassword)).toBe(true);
  });

  it('a reset role (CREATEROLE) changes another role (also one whose name needs quoting) and the change is verified', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const resetPassword = 'Resetter-pass-1';
    for (const [i, role] of ['app_user', 'Mixed "Case" role'].entries()) {
      const old = pw(`Old-pass-${i}-1`);
      const next = pw(`New-pass-${i}-2`);
      await server.createRole(role, old);
      await connector.changePassword(change(target('resetter', resetPassword), role, undefined, next));
      expect(await server.canLogin(role, next)).toBe(true);
      expect(await server.canLogin(role, old)).toBe(false);
      expect(await server.canLogin('resetter', resetPassword)).toBe(true);
      expect(server.logs()).not.toContain(next);
    }
  });

  it('a reset account without the privilege: reason authentication, a clear message, the role unchanged', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const weakPassword = pw('Weak-admin-1');
    const old = pw('Guarded-old-1');
    await server.createRole('weak_admin', weakPassword);
    await server.createRole('guarded', old);
    const f = await failure(
      connector.changePassword(
        change(target('weak_admin', weakPassword), 'guarded', undefined, pw('Guarded-new-2')),
      ),
    );
    expect(f.reason).toBe('authentication');
    expect(f.message).toContain('the reset account "weak_admin" may not change role "guarded"');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(await server.canLogin('guarded', old)).toBe(true);
  });

  it("the server's password policy (passwordcheck) refuses: reason policy with its text, the role unchanged", async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const old = pw('Samename-old-1');
    await server.createRole('samename', old);
    const f = await failure(
      connector.changePassword(
        change(target('resetter', 'Resetter-pass-1'), 'samename', undefined, 'samename'),
      ),
    );
    expect(f.reason).toBe('policy');
    expect(f.message).toContain('refused the new password: password must not equal user name');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(await server.canLogin('samename', old)).toBe(true);
  });

  it('a wrong login password: reason authentication, nothing sent, the role unchanged', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const old = pw('Wrong-login-old-1');
    await server.createRole('wrong_login', old);
    const f = await failure(
      connector.changePassword(
        change(
          target('wrong_login', pw('not-the-password')),
          'wrong_login',
          undefined,
          pw('Wrong-login-new-2'),
        ),
      ),
    );
    expect(f.reason).toBe('authentication');
    expect(f.message).toContain('refused the login of "wrong_login"');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(await server.canLogin('wrong_login', old)).toBe(true);
  });

  it('verification: a database the role may not connect to, or one that does not exist, still opens with the right password', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const password = pw('Verifier-pass-1');
    await server.createRole('verifier', password);
    await server.query('CREATE DATABASE closeddb');
    await server.query('REVOKE CONNECT ON DATABASE closeddb FROM PUBLIC');
    for (const database of ['closeddb', 'no_such_db']) {
      const t: DatabaseTarget = { ...target('verifier', password), database };
      const verify = (p: string) =>
        connector.verifyPassword({ target: t, account: 'verifier', password: secret(p), timeoutMs: 5_000 });
      expect((await verify(password)).outcome, database).toBe('opens');
      expect((await verify('Not-the-password-1')).outcome, database).toBe('refused');
    }
  });

  it('a role that does not exist: reason protocol, nothing changed', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const f = await failure(
      connector.changePassword(
        change(target('resetter', 'Resetter-pass-1'), 'no_such_role', undefined, pw('Ghost-new-1')),
      ),
    );
    expect(f.reason).toBe('protocol');
    expect(f.message).toContain('has no role "no_such_role"');
    expect(f.targetMayHaveChanged).toBe(false);
  });

  it('a closed port: reason unreachable, at once', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const port = await freePort();
    const started = Date.now();
    const f = await failure(
      connector.changePassword(
        change(target('resetter', 'Resetter-pass-1', port), 'app_user', undefined, pw('Unreach-1')),
      ),
    );
    expect(f.reason).toBe('unreachable');
    expect(f.message).toContain('(connection refused)');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    const v = await failure(
      connector.verifyPassword({
        target: target('app_user', undefined, port),
        account: 'app_user',
        password: secret('x'),
        timeoutMs: 2_000,
      }),
    );
    expect(v.reason).toBe('unreachable');
  });

  it('a blackholed port: reason timeout within timeoutMs, and the connection is closed', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const hole = await silentPort();
    try {
      for (const call of [
        () =>
          connector.changePassword(
            change(
              target('resetter', 'Resetter-pass-1', hole.port),
              'app_user',
              undefined,
              pw('Blackhole-1'),
              1_500,
            ),
          ),
        () =>
          connector.verifyPassword({
            target: target('app_user', undefined, hole.port),
            account: 'app_user',
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

  it('an ALTER ROLE that waits on the server: timeout within timeoutMs (outcome unknown), and the server cancels it too', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const s = server;
    const old = pw('Locked-old-1');
    const next = pw('Locked-new-2');
    await s.createRole('locked_role', old);
    // An administrator's open transaction holds the role's row: the connector's ALTER waits for it.
    const lock = new pg.Client({ host: s.socketDir, port: s.port, user: 'postgres', database: 'postgres' });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query("ALTER ROLE locked_role VALID UNTIL 'infinity'");
      const started = Date.now();
      const f = await failure(
        connector.changePassword(
          change(target('resetter', 'Resetter-pass-1'), 'locked_role', undefined, next, 2_000),
        ),
      );
      const elapsed = Date.now() - started;
      expect(f.reason).toBe('timeout');
      // Two clocks end the wait at about the same time: the connector's deadline (the change was
      // sent, its outcome unknown) and the server's statement_timeout, set to what was left of the
      // deadline (the server cancelled it: nothing changed). On a loaded machine the server's
      // cancel can arrive before the connector's timer fires; both answers are right.
      if (f.message.includes('the statement was cancelled')) {
        expect(f.targetMayHaveChanged).toBe(false);
      } else {
        expect(f.message).toContain('outcome is unknown');
        expect(f.targetMayHaveChanged).toBe(true);
      }
      expect(elapsed).toBeGreaterThanOrEqual(1_900);
      expect(elapsed).toBeLessThan(3_500); // timeoutMs plus slack for a loaded machine
      // The statement_timeout (the request's timeoutMs) ends the waiting statement on the server
      // as well: its backend goes away while the lock is still held.
      const waiting = async () =>
        Number(
          (await s.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'bulwark'"))[0]
            ?.n,
        );
      expect(await settle(async () => (await waiting()) === 0, 5_000)).toBe(true);
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
    expect(await s.canLogin('locked_role', old)).toBe(true);
    expect(await s.canLogin('locked_role', next)).toBe(false);
  });

  it('closes every connection it opened, on every path', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const s = server;
    const open = async () =>
      Number(
        (await s.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'bulwark'"))[0]
          ?.n,
      );
    expect(await settle(async () => (await open()) === 0, 5_000)).toBe(true);
  });

  it('no error text and no server log line holds a password', (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    expect(watch.texts.length).toBeGreaterThan(5);
    watch.expectClean();
    // The setup's own CREATE ROLE statements (over the socket) are in the log; the connector's
    // statements (new passwords) never are.
    const log = server.logs();
    for (const password of watch.passwords) {
      if (/new|Blackhole|Unreach/i.test(password)) expect(log).not.toContain(password);
    }
  });
});
