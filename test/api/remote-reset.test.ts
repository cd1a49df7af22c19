import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { startMariaDbOrSkip, type MariaDbServer } from '../helpers/mariadb.js';
import { startPostgresTargetOrSkip, type PostgresTarget } from '../helpers/postgres-target.js';
import {
  adminCall,
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  expectNoSecret,
  resetRemote,
  V1,
  vaultPassword,
  type Call,
} from '../helpers/remote-reset.js';
import { createApiUser } from '../helpers/actors.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import {
  blackholedPort,
  canLogIn,
  closedPort,
  createUser,
  randomPassword,
  removeUsers,
  sshdProblem,
  startSshd,
  type Blackhole,
  type LocalUser,
  type SshServer,
} from '../helpers/sshd.js';

/**
 * Remote password reset over the real HTTPS API (ADR 028): endpoint 5 with RESETTYPE REMOTE
 * against a real OpenSSH server with real local accounts, and a real PostgreSQL target (roles
 * with scram-sha-256), on both dialects. Every success is proved by logging in with the new
 * password; every failure answers `Password reset failed: <why>` with the vault's password
 * unchanged, proved by logging in with the password the vault gives back.
 */
const noSshd = sshdProblem();
const TIMEOUT_SECONDS = 12;

const linuxConfig = (port: number, extra: Record<string, unknown> = {}) => ({
  RESOURCETYPE: 'Linux',
  LINUX_SSHTELNETPORT: String(port),
  LINUX_USERPROMPT: '$',
  LINUXROOTUSERPROMPT: '#',
  ...extra,
});

describe.skipIf(noSshd !== undefined)('remote password reset', () => {
  let sshd: SshServer;
  let pgTarget: PostgresTarget | undefined;
  let mariadb: MariaDbServer | undefined;
  let blackhole: Blackhole;
  /** Every password this file uses: none may appear in an answer or an audit record. */
  const secrets: string[] = [];
  const remember = (user: LocalUser) => (secrets.push(user.password), user);
  const fresh = () => {
    const p = randomPassword();
    secrets.push(p);
    return p;
  };
  const answers: string[] = [];
  const record = <T extends { raw: unknown }>(answer: T): T => (
    answers.push(JSON.stringify(answer.raw)),
    answer
  );

  beforeAll(async () => {
    sshd = await startSshd();
    blackhole = await blackholedPort();
    pgTarget = await startPostgresTargetOrSkip();
    mariadb = await startMariaDbOrSkip();
  });
  afterAll(async () => {
    await blackhole?.close();
    await sshd?.stop();
    pgTarget?.stop();
    await mariadb?.stop();
    removeUsers();
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let admin: Call;
    let n = 0;
    const name = (what: string) => `${what}-${dialect}-${++n}`;

    beforeAll(async () => {
      server = await startServer(dialect, {
        BULWARK_REMOTE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
        BULWARK_RESET_ON_CHECKIN: 'true',
      });
      admin = adminCall(server);
    });
    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    /** A Linux resource with the target account and a sudo login account, configured for sudo. */
    async function sudoResource(options: { loginPassword?: string; port?: number } = {}) {
      const user = remember(createUser());
      const ops = remember(createUser({ sudo: true }));
      const resource = await createTargetResource(admin, name('linux'), 'Linux', sshd.host, [
        user,
        { name: ops.name, password: options.loginPassword ?? ops.password },
      ]);
      await configureRemoteReset(
        admin,
        resource.resourceId,
        linuxConfig(options.port ?? sshd.port, { REMOTELOGINACCOUNT: ops.name, ELEVATIONTYPE: 'sudo' }),
      );
      return { user, ops, resource, path: resource.passwordPath(user.name) };
    }

    /** The failure left everything as it was: the vault's password still opens the target. */
    async function expectUnchanged(path: string, user: LocalUser) {
      expect(await vaultPassword(admin, path)).toBe(user.password);
      expect(await canLogIn(sshd, user.name, user.password)).toBe(true);
    }

    it('RESETTYPE REMOTE changes the password on the target (sudo), verified by logging in, then in the vault', async () => {
      const { user, ops, path } = await sudoResource();
      const next = fresh();
      const answer = record(ok(await resetRemote(admin, path, next)));
      expect(answer.message).toBe('Password changed successfully');
      expect(await canLogIn(sshd, user.name, next)).toBe(true);
      expect(await canLogIn(sshd, user.name, user.password)).toBe(false);
      expect(await vaultPassword(admin, path)).toBe(next);
      // The old password is in the history.
      const history = ok(await admin(path.replace(/\/password$/, '/passwordhistory')));
      expect(JSON.stringify(history.raw)).toContain(user.password);
      // Audited as a change noting the remote reset and whose passwords the server used.
      const changed = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'Password Changed' && r.ACCOUNTNAME === user.name,
      );
      expect(changed?.REASON).toMatch(/^Remote password reset on 127\.0\.0\.1:\d+ \(linux\)/);
      expect(changed?.REASON).toContain(`login account ${ops.name}`);
      expect(changed?.REASON).toContain('verified by logging in with the new password');
      // The host key was pinned on first use.
      const keys = ok(await admin(`${V1}/sshhostkeys`));
      expect(JSON.stringify(keys.raw)).toContain(sshd.hostKey().fingerprint);
    });

    it('without a login account the account changes its own password (passwd); the target policy refusing it fails cleanly', async () => {
      const user = remember(createUser());
      const resource = await createTargetResource(admin, name('self'), 'Linux', sshd.host, [user]);
      await configureRemoteReset(admin, resource.resourceId, linuxConfig(sshd.port));
      const path = resource.passwordPath(user.name);
      // pam_unix refuses a too short password: the target's own policy (the vault's lenient test policy allows it).
      const refused = record(failed(await resetRemote(admin, path, 'ab1'), /^Password reset failed: .+/));
      expect(refused.statusCode).toBe(42210);
      expect(refused.message).toMatch(/refused the new password/);
      await expectUnchanged(path, user);
      const audit = await auditTrail(admin);
      const failure = audit.find(
        (r) => r.OPERATIONTYPE === 'Password Reset Failed' && r.ACCOUNTNAME === user.name,
      );
      expect(failure?.REASON).toMatch(/failed: .*refused the new password/);
      // A good one goes through.
      const next = fresh();
      record(ok(await resetRemote(admin, path, next)));
      expect(await canLogIn(sshd, user.name, next)).toBe(true);
      expect(await vaultPassword(admin, path)).toBe(next);
    });

    it('su elevation with the root account of the configuration (ROOTACCOUNT), then through a landing server', async () => {
      const user = remember(createUser());
      const ops = remember(createUser());
      const root = remember(createUser({ uid0: true }));
      const resource = await createTargetResource(admin, name('su'), 'Linux', sshd.host, [user, ops, root]);
      await configureRemoteReset(
        admin,
        resource.resourceId,
        linuxConfig(sshd.port, { REMOTELOGINACCOUNT: ops.name, ELEVATIONTYPE: 'su', ROOTACCOUNT: root.name }),
      );
      const path = resource.passwordPath(user.name);
      const next = fresh();
      record(ok(await resetRemote(admin, path, next)));
      expect(await canLogIn(sshd, user.name, next)).toBe(true);
      expect(await vaultPassword(admin, path)).toBe(next);
      const audit = await auditTrail(admin);
      const changed = audit.find(
        (r) => r.OPERATIONTYPE === 'Password Changed' && r.ACCOUNTNAME === user.name,
      );
      expect(changed?.REASON).toContain(`root account ${root.name}`);

      // The same target reached through a landing server (its own configuration names who logs in there).
      const jumper = remember(createUser());
      const jumpName = name('jump');
      const jump = await createTargetResource(admin, jumpName, 'Linux', sshd.host, [jumper]);
      await configureRemoteReset(
        admin,
        jump.resourceId,
        linuxConfig(sshd.port, { REMOTELOGINACCOUNT: jumper.name }),
      );
      await configureRemoteReset(
        admin,
        resource.resourceId,
        linuxConfig(sshd.port, {
          REMOTELOGINACCOUNT: ops.name,
          ELEVATIONTYPE: 'su',
          ROOTACCOUNT: root.name,
          LINUX_LANDINGSERVER: jumpName,
        }),
      );
      const after = fresh();
      record(ok(await resetRemote(admin, path, after)));
      expect(await canLogIn(sshd, user.name, after)).toBe(true);
      const hop = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'Password Changed' && r.ACCOUNTNAME === user.name,
      );
      expect(hop?.REASON).toContain(`through landing server ${jumpName}`);
      expect(hop?.REASON).toContain(`landing server login account ${jumper.name}`);
    });

    it('key authentication (AUTHENTICATION keyauth): the login account logs in with its stored key, sudo answered with its password', async () => {
      const key = utils.generateKeyPairSync('ed25519');
      const user = remember(createUser());
      const ops = remember(createUser({ sudo: true, authorizedKey: key.public }));
      const resource = await createTargetResource(admin, name('key'), 'Linux', sshd.host, [user, ops]);
      await configureRemoteReset(
        admin,
        resource.resourceId,
        linuxConfig(sshd.port, {
          REMOTELOGINACCOUNT: ops.name,
          ELEVATIONTYPE: 'sudo',
          AUTHENTICATION: 'keyauth',
          PRIVATEKEY: key.private,
        }),
      );
      const path = resource.passwordPath(user.name);
      const next = fresh();
      record(ok(await resetRemote(admin, path, next)));
      expect(await canLogIn(sshd, user.name, next)).toBe(true);
      const changed = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'Password Changed' && r.ACCOUNTNAME === user.name,
      );
      expect(changed?.REASON).toContain('the configured SSH login key');
      expectNoSecret(answers, [key.private.trim().split('\n')[1]!]);
    });

    it('a wrong password of the login account: Password reset failed, the vault unchanged', async () => {
      const { user, path } = await sudoResource({ loginPassword: fresh() });
      const answer = record(failed(await resetRemote(admin, path, fresh()), /^Password reset failed: .+/));
      expect(answer.statusCode).toBe(42210);
      await expectUnchanged(path, user);
    });

    it('an unreachable target (connection refused; a blackholed port ends within its timeout): failed, the vault unchanged', async () => {
      const refused = await sudoResource({ port: await closedPort() });
      const a = record(
        failed(await resetRemote(admin, refused.path, fresh()), /^Password reset failed: .*unreachable/),
      );
      expect(a.statusCode).toBe(42210);
      await expectUnchanged(refused.path, refused.user);

      const silent = await sudoResource({ port: blackhole.port });
      const started = Date.now();
      record(
        failed(
          await resetRemote(admin, silent.path, fresh()),
          /^Password reset failed: .*(no SSH answer|within)/,
        ),
      );
      expect(Date.now() - started).toBeLessThan(TIMEOUT_SECONDS * 1000 + 3000);
      await expectUnchanged(silent.path, silent.user);
    });

    it('a second rotation of an account while one is pending is refused', async () => {
      const { user, ops, resource, path } = await sudoResource({ port: blackhole.port });
      const first = resetRemote(admin, path, fresh());
      await new Promise((r) => setTimeout(r, 500));
      const second = record(failed(await resetRemote(admin, path, fresh()), /already in progress/));
      expect(second.statusCode).toBe(40900);
      record(failed(await first, /^Password reset failed/));
      await expectUnchanged(path, user);
      // Once settled, the account may be rotated again (the refusal held only while pending).
      await configureRemoteReset(
        admin,
        resource.resourceId,
        linuxConfig(sshd.port, { REMOTELOGINACCOUNT: ops.name, ELEVATIONTYPE: 'sudo' }),
      );
      const next = fresh();
      record(ok(await resetRemote(admin, path, next)));
      expect(await canLogIn(sshd, user.name, next)).toBe(true);
    });

    it('LOCAL and REMOTE on a resource without remote reset: REMOTE is refused as before', async () => {
      const user = remember(createUser());
      const resource = await createTargetResource(admin, name('plain'), 'Linux', sshd.host, [user]);
      const path = resource.passwordPath(user.name);
      record(failed(await resetRemote(admin, path, fresh()), /not configured for resource/));
      expect(await vaultPassword(admin, path)).toBe(user.password);
    });

    it('a PostgreSQL role: ALTER ROLE by the reset account (WDRESOURCEID/WDACCOUNTID), verified by logging in', async (ctx) => {
      if (!pgTarget) return ctx.skip();
      const role = `bw_${dialect}_${++n}`;
      const admRole = `bw_adm_${dialect}_${n}`;
      const rolePassword = fresh();
      const admPassword = fresh();
      await pgTarget.createRole(role, rolePassword);
      await pgTarget.createRole(admRole, admPassword, { createRole: true });
      const resource = await createTargetResource(admin, name('pg'), 'PostgreSQL', pgTarget.host, [
        { name: role, password: rolePassword },
        { name: admRole, password: admPassword },
      ]);
      await configureRemoteReset(admin, resource.resourceId, {
        RESOURCETYPE: 'PostgreSQL',
        PORT: String(pgTarget.port),
        DATABASE: 'postgres',
        WDRESOURCEID: resource.resourceId,
        WDACCOUNTID: resource.accounts[admRole],
      });
      const path = resource.passwordPath(role);
      const next = fresh();
      record(ok(await resetRemote(admin, path, next)));
      expect(await pgTarget.canLogin(role, next)).toBe(true);
      expect(await pgTarget.canLogin(role, rolePassword)).toBe(false);
      expect(await vaultPassword(admin, path)).toBe(next);
      // The reset account's wrong password: failed, unchanged.
      const wrongAdm = fresh();
      ok(
        await admin(resource.passwordPath(admRole), {
          method: 'PUT',
          input: details({ NEWPASSWORD: wrongAdm, RESETTYPE: 'LOCAL' }),
        }),
      );
      record(failed(await resetRemote(admin, path, fresh()), /^Password reset failed: .+/));
      expect(await vaultPassword(admin, path)).toBe(next);
      expect(await pgTarget.canLogin(role, next)).toBe(true);
    });

    it("a MariaDB user: ALTER USER by the reset account, verified by logging in; the server's own policy refusing it fails cleanly", async (ctx) => {
      if (!mariadb) return ctx.skip();
      const userName = `bw_${dialect}_${++n}`;
      const resetter = `bw_rst_${dialect}_${n}`;
      const userPassword = fresh();
      const resetterPassword = fresh();
      await mariadb.createUser(userName, userPassword);
      await mariadb.createUser(resetter, resetterPassword, { grantReset: true });
      const resource = await createTargetResource(admin, name('mariadb'), 'MySQL server', mariadb.host, [
        { name: userName, password: userPassword },
        { name: resetter, password: resetterPassword },
      ]);
      await configureRemoteReset(admin, resource.resourceId, {
        RESOURCETYPE: 'MySQL',
        PORT: String(mariadb.port),
        WDRESOURCEID: resource.resourceId,
        WDACCOUNTID: resource.accounts[resetter],
      });
      const path = resource.passwordPath(userName);
      const next = fresh();
      record(ok(await resetRemote(admin, path, next)));
      expect(await mariadb.canLogin(userName, next)).toBe(true);
      expect(await mariadb.canLogin(userName, userPassword)).toBe(false);
      expect(await vaultPassword(admin, path)).toBe(next);
      await mariadb.enablePasswordCheck();
      try {
        const refused = record(
          failed(await resetRemote(admin, path, 'weakpolicy'), /^Password reset failed: .+/),
        );
        expect(refused.statusCode).toBe(42210);
        expect(refused.message).toMatch(/simple_password_check/);
      } finally {
        await mariadb.disablePasswordCheck();
      }
      expect(await vaultPassword(admin, path)).toBe(next);
      expect(await mariadb.canLogin(userName, next)).toBe(true);
    });

    it('a changed SSH host key refuses the reset until an administrator accepts the new key', async () => {
      const { user, path } = await sudoResource();
      const next = fresh();
      record(ok(await resetRemote(admin, path, next)));
      await sshd.restart({ newHostKey: true });
      try {
        const refused = record(
          failed(await resetRemote(admin, path, fresh()), /^Password reset failed: .*host key/i),
        );
        expect(refused.statusCode).toBe(42210);
        expect(await vaultPassword(admin, path)).toBe(next);
        expect(await canLogIn(sshd, user.name, next)).toBe(true);
        const audit = await auditTrail(admin);
        expect(
          audit.some((r) => r.OPERATIONTYPE === 'Password Reset Failed' && /host key/i.test(r.REASON)),
        ).toBe(true);
        // The administrator accepts the key the server now offers; the reset goes through.
        ok(
          await admin(`${V1}/sshhostkeys/accept`, {
            method: 'POST',
            input: details({
              HOST: sshd.host,
              PORT: String(sshd.port),
              FINGERPRINT: sshd.hostKey().fingerprint,
            }),
          }),
        );
        const after = fresh();
        record(ok(await resetRemote(admin, path, after)));
        expect(await canLogIn(sshd, user.name, after)).toBe(true);
      } finally {
        // Later files and dialects start from a pin-free instance anyway; nothing to undo on sshd.
      }
    });

    it('reset on check-in rotates on the target after the check-in commits (a queued job), verified by logging in', async () => {
      const user = remember(createUser());
      const resource = await createTargetResource(admin, name('checkin'), 'Linux', sshd.host, [user], {
        ACCESS_CONTROL: 'true',
      });
      await configureRemoteReset(admin, resource.resourceId, linuxConfig(sshd.port));
      const rita = await createApiUser(server, `rita-${dialect}`, 'Password User');
      ok(
        await admin(`${V1}/resources/${resource.resourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'view', USERID: rita.id }),
        }),
      );
      const accountId = resource.accounts[user.name]!;
      ok(
        await rita.call(`${V1}/accounts/${accountId}/requestpassword`, {
          method: 'POST',
          input: details({ REASON: 'maintenance' }),
        }),
      );
      ok(await admin(`${V1}/accounts/${accountId}/requester/${rita.id}/approve`, { method: 'POST' }));
      ok(await rita.call(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }));
      const path = resource.passwordPath(user.name);
      expect(String(ok(await rita.call(path)).details.PASSWORD)).toBe(user.password);
      ok(await rita.call(`${V1}/accounts/${accountId}/requester/${rita.id}/checkin`, { method: 'POST' }));
      // The check-in answered at once; the rotation runs as a job and settles shortly after.
      let rotated = user.password;
      for (let i = 0; i < 150 && rotated === user.password; i++) {
        await new Promise((r) => setTimeout(r, 200));
        rotated = await vaultPassword(admin, path);
      }
      expect(rotated).not.toBe(user.password);
      secrets.push(rotated);
      expect(await canLogIn(sshd, user.name, rotated)).toBe(true);
      const changed = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'Password Changed' && r.ACCOUNTNAME === user.name,
      );
      expect(changed?.REASON).toMatch(/reset on check-in/);
      expect(changed?.OPERATEDBY).toBe(`rita-${dialect}`);
    });

    it("no password appears in any answer, audit record or the server's log", async () => {
      const audit = await auditTrail(admin);
      expect(audit.length).toBeGreaterThan(10);
      // The server's log (stdout and stderr) includes the failed resets' warnings.
      expect(server.output()).toContain('BULWARK_LISTENING');
      expectNoSecret(
        [...answers, ...audit.map((r) => JSON.stringify(r)), server.output()],
        secrets.filter((s) => s.length >= 8),
      );
    });
  });
});
