import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser } from '../helpers/actors.js';
import { details } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import {
  adminCall,
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  expectNoSecret,
  V1,
  vaultPassword,
  type Call,
  type TargetResource,
} from '../helpers/remote-reset.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import {
  canLogIn,
  createUser,
  removeUsers,
  setPassword,
  randomPassword,
  sshdProblem,
  startSshd,
  type LocalUser,
  type SshServer,
} from '../helpers/sshd.js';
import { until } from '../helpers/wait.js';

/**
 * Rotation and verification schedules over the real HTTPS API on both dialects (ADR 029),
 * against a real OpenSSH server with real local accounts: a due schedule rotates the accounts
 * and the new passwords open the target; the policy's validity marks passwords expired and an
 * "only expired" schedule rotates just those; a verification schedule audits `Password
 * Verification Failed` after the password was changed behind the vault's back (chpasswd); bad
 * schedule input and callers without the right answer Failed. Next-run computation is unit
 * tested with fixed instants (src/modules/rotation/schedules/schedules.types.test.ts).
 */
const noSshd = sshdProblem();
const SCHEDULES = `${V1}/rotationschedules`;
const DAY = 86_400_000;

describe.skipIf(noSshd !== undefined)('rotation schedules', () => {
  let sshd: SshServer;
  const secrets: string[] = [];
  const remember = (user: LocalUser) => (secrets.push(user.password), user);

  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
    removeUsers();
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let admin: Call;
    let n = 0;
    const name = (what: string) => `${what}-${dialect}-${++n}`;
    const answers: string[] = [];
    const record = <T extends { raw: unknown }>(answer: T): T => (
      answers.push(JSON.stringify(answer.raw)),
      answer
    );

    beforeAll(async () => {
      // A refused login costs sshd's PAM failure delays (about 2 s for each of password and
      // keyboard-interactive): the verification of a wrong password needs more than 5 s.
      server = await startServer(dialect, { BULWARK_REMOTE_TIMEOUT_SECONDS: '15' });
      admin = adminCall(server);
    });
    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    /**
     * A Linux resource on the sshd whose accounts change their own passwords (passwd), under the
     * built-in Strong policy (30 days validity; its passwords pass the target's pam_unix checks).
     */
    async function linuxResource(users: LocalUser[]): Promise<TargetResource> {
      const resource = await createTargetResource(admin, name('linux'), 'Linux', sshd.host, users);
      ok(
        await admin(`${V1}/resources/${resource.resourceId}`, {
          method: 'PUT',
          input: details({ RESOURCEPASSWORDPOLICY: 'Strong' }),
        }),
      );
      await configureRemoteReset(admin, resource.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(sshd.port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
      });
      return resource;
    }

    const createSchedule = (fields: Record<string, unknown>, call: Call = admin) =>
      call(SCHEDULES, { method: 'POST', input: details(fields) });

    const accountList = async (resourceId: string) =>
      ok(await admin(`${V1}/resources/${resourceId}/accounts`)).details['ACCOUNT LIST'] as Record<
        string,
        string
      >[];

    /** Waits until the vault holds a password other than `before` for the account. */
    const rotatedFrom = (path: string, before: string) =>
      until(`the rotation of ${path}`, async () => {
        const now = await vaultPassword(admin, path);
        return now !== before ? now : undefined;
      });

    it('a due schedule rotates every account of a resource; the new passwords open the target, the old ones do not', async () => {
      const users = [remember(createUser()), remember(createUser())];
      const resource = await linuxResource(users);
      const created = record(
        ok(
          await createSchedule({
            SCHEDULENAME: name('monthly'),
            RESOURCEID: resource.resourceId,
            INTERVALDAYS: '30',
            STARTAT: 'now',
          }),
          'CREATE ROTATION SCHEDULE',
        ),
      );
      expect(created.details).toMatchObject({
        ACTION: 'ROTATE',
        SCOPE: 'RESOURCE',
        RESOURCEID: resource.resourceId,
        INTERVALDAYS: '30',
        CRON: 'N/A',
        ONLYEXPIRED: 'false',
        ENABLED: 'true',
      });
      for (const user of users) {
        const path = resource.passwordPath(user.name);
        const next = await rotatedFrom(path, user.password);
        secrets.push(next);
        expect(await canLogIn(sshd, user.name, next)).toBe(true);
        expect(await canLogIn(sshd, user.name, user.password)).toBe(false);
      }
      // The run is recorded and the next one planned 30 days after the first.
      const id = String(created.details.SCHEDULEID);
      const after = await until('the run to be recorded', async () => {
        const s = ok(await admin(`${SCHEDULES}/${id}`)).details as Record<string, string>;
        return s.LASTRUN !== 'N/A' ? s : undefined;
      });
      expect(after.LASTRUNSUMMARY).toMatch(/^2 job\(s\) queued/);
      const row = await sqlOn(
        server.instance,
        'select next_run_at, last_run_at from rotation_schedules where id = $1',
        [Number(id)],
      );
      expect(Number(row[0]!.next_run_at) - Number(row[0]!.last_run_at)).toBeLessThanOrEqual(30 * DAY);
      expect(Number(row[0]!.next_run_at) - Number(row[0]!.last_run_at)).toBeGreaterThan(29 * DAY);
      // Audited: the schedule, and each change as a scheduled rotation by the system.
      const trail = await auditTrail(admin);
      expect(trail.some((r) => r.OPERATIONTYPE === 'Rotation Schedule Created')).toBe(true);
      for (const user of users) {
        const changed = trail.find(
          (r) => r.OPERATIONTYPE === 'Password Changed' && r.ACCOUNTNAME === user.name,
        );
        expect(changed?.OPERATEDBY).toBe('System');
      }
    });

    // Creating a group schedule once hung the whole server on SQLite: the group was authorised on
    // the database beside the open transaction, which on SQLite's one connection waits forever.
    it('a due resource-group schedule rotates the accounts of every resource in the group; an account schedule only its account', async () => {
      // A group of two resources, one account each.
      const inGroup = [remember(createUser()), remember(createUser())];
      const resources = [await linuxResource([inGroup[0]!]), await linuxResource([inGroup[1]!])];
      const group = ok(
        await admin(`${V1}/resourcegroup`, {
          method: 'POST',
          input: details({ RESOURCEGROUPNAME: name('scheduled'), GROUPTYPE: 'STATIC' }),
        }),
      );
      const groupId = String(group.details.RESOURCEGROUPID);
      ok(
        await admin(`${V1}/resourcegroup/${groupId}/associateResources`, {
          method: 'POST',
          input: details({ RESOURCEIDS: resources.map((r) => r.resourceId) }),
        }),
      );
      const byGroup = record(
        ok(
          await createSchedule({
            SCHEDULENAME: name('group'),
            RESOURCEGROUPID: groupId,
            INTERVALDAYS: '7',
            STARTAT: 'now',
          }),
          'CREATE ROTATION SCHEDULE',
        ),
      );
      expect(byGroup.details).toMatchObject({ SCOPE: 'RESOURCEGROUP', RESOURCEGROUPID: groupId });
      for (const [i, user] of inGroup.entries()) {
        const next = await rotatedFrom(resources[i]!.passwordPath(user.name), user.password);
        secrets.push(next);
        expect(await canLogIn(sshd, user.name, next)).toBe(true);
        expect(await canLogIn(sshd, user.name, user.password)).toBe(false);
      }

      // An account schedule on a resource with two accounts: only that account changes.
      const [chosen, untouched] = [remember(createUser()), remember(createUser())];
      const pair = await linuxResource([chosen, untouched]);
      const byAccount = record(
        ok(
          await createSchedule({
            SCHEDULENAME: name('account'),
            ACCOUNTID: pair.accounts[chosen.name],
            INTERVALDAYS: '7',
            STARTAT: 'now',
          }),
          'CREATE ROTATION SCHEDULE',
        ),
      );
      expect(byAccount.details).toMatchObject({ SCOPE: 'ACCOUNT', ACCOUNTID: pair.accounts[chosen.name] });
      const next = await rotatedFrom(pair.passwordPath(chosen.name), chosen.password);
      secrets.push(next);
      expect(await canLogIn(sshd, chosen.name, next)).toBe(true);
      const id = String(byAccount.details.SCHEDULEID);
      const run = await until('the account run to be recorded', async () => {
        const s = ok(await admin(`${SCHEDULES}/${id}`)).details as Record<string, string>;
        return s.LASTRUN !== 'N/A' ? s : undefined;
      });
      expect(run.LASTRUNSUMMARY).toMatch(/^1 job\(s\) queued/);
      expect(await vaultPassword(admin, pair.passwordPath(untouched.name))).toBe(untouched.password);
      expect(await canLogIn(sshd, untouched.name, untouched.password)).toBe(true);
    }, 120_000);

    it('a cron schedule is planned at the next matching minute in the instance time zone; list, edit, delete', async () => {
      const user = remember(createUser());
      const resource = await linuxResource([user]);
      const accountId = resource.accounts[user.name]!;
      const created = record(
        ok(
          await createSchedule({
            SCHEDULENAME: name('nightly'),
            ACCOUNTID: accountId,
            CRON: '15 3 * * *',
          }),
        ),
      );
      const id = String(created.details.SCHEDULEID);
      expect(created.details).toMatchObject({ SCOPE: 'ACCOUNT', ACCOUNTID: accountId, CRON: '15 3 * * *' });
      const [row] = await sqlOn(server.instance, 'select next_run_at from rotation_schedules where id = $1', [
        Number(id),
      ]);
      const next = new Date(Number(row!.next_run_at));
      // The test servers run in UTC (BULWARK_TIMEZONE unset → the default).
      expect(next.getTime()).toBeGreaterThan(Date.now());
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(DAY);
      expect(next.getUTCMinutes()).toBe(15);
      const listed = ok(await admin(SCHEDULES)).details as Record<string, string>[];
      expect(listed.map((s) => s.SCHEDULEID)).toContain(id);

      const edited = ok(
        await admin(`${SCHEDULES}/${id}`, {
          method: 'PUT',
          input: details({ INTERVALDAYS: '7', ENABLED: 'false' }),
        }),
        'EDIT ROTATION SCHEDULE',
      );
      expect(edited.details).toMatchObject({
        INTERVALDAYS: '7',
        CRON: 'N/A',
        ENABLED: 'false',
        NEXTRUN: 'N/A',
      });
      ok(await admin(`${SCHEDULES}/${id}`, { method: 'DELETE' }), 'DELETE ROTATION SCHEDULE');
      failed(await admin(`${SCHEDULES}/${id}`), /does not exist/);
      const trail = await auditTrail(admin);
      expect(
        trail.some((r) => r.OPERATIONTYPE === 'Rotation Schedule Modified' && /nightly/.test(r.REASON)),
      ).toBe(true);
      expect(
        trail.some((r) => r.OPERATIONTYPE === 'Rotation Schedule Deleted' && /nightly/.test(r.REASON)),
      ).toBe(true);
      // Nothing ran: the vault still holds the first password.
      expect(await vaultPassword(admin, resource.passwordPath(user.name))).toBe(user.password);
    });

    it("the policy's validity marks a password expired (2, 3); an only-expired schedule rotates only those", async () => {
      const fresh = remember(createUser());
      const old = remember(createUser());
      const resource = await linuxResource([fresh, old]);
      let list = await accountList(resource.resourceId);
      for (const a of list) expect(a).toMatchObject({ 'PASSWORD STATUS': '*****', 'EXPIRY STATUS': 'Valid' });
      // Strong keeps a password valid 30 days: this one was set 31 days ago.
      await sqlOn(server.instance, 'update accounts set password_changed_at = $1 where id = $2', [
        Date.now() - 31 * DAY,
        Number(resource.accounts[old.name]),
      ]);
      list = await accountList(resource.resourceId);
      const byName = (who: LocalUser) => list.find((a) => a['ACCOUNT NAME'] === who.name)!;
      expect(byName(old)).toMatchObject({ 'PASSWORD STATUS': '[Expired]', 'EXPIRY STATUS': 'Expired' });
      expect(byName(fresh)).toMatchObject({ 'PASSWORD STATUS': '*****', 'EXPIRY STATUS': 'Valid' });
      const account = ok(
        await admin(`${V1}/resources/${resource.resourceId}/accounts/${resource.accounts[old.name]}`),
      );
      expect(account.details).toMatchObject({ 'PASSWORD STATUS': '[Expired]', 'EXPIRY STATUS': 'Expired' });

      const created = record(
        ok(
          await createSchedule({
            SCHEDULENAME: name('expired'),
            RESOURCEID: resource.resourceId,
            INTERVALDAYS: 1,
            ONLYEXPIRED: true,
            STARTAT: new Date(Date.now() - 60_000).toISOString(),
          }),
        ),
      );
      const next = await rotatedFrom(resource.passwordPath(old.name), old.password);
      secrets.push(next);
      expect(await canLogIn(sshd, old.name, next)).toBe(true);
      const summary = await until('the run to be recorded', async () => {
        const s = ok(await admin(`${SCHEDULES}/${String(created.details.SCHEDULEID)}`)).details as Record<
          string,
          string
        >;
        return s.LASTRUN !== 'N/A' ? s.LASTRUNSUMMARY : undefined;
      });
      expect(summary).toBe('1 job(s) queued, 1 not expired');
      // Rotated: no longer expired; the other was never touched.
      list = await accountList(resource.resourceId);
      expect(byName(old)).toMatchObject({ 'EXPIRY STATUS': 'Valid' });
      expect(await vaultPassword(admin, resource.passwordPath(fresh.name))).toBe(fresh.password);
      expect(await canLogIn(sshd, fresh.name, fresh.password)).toBe(true);
    });

    it('a verification schedule audits Password Verification Failed once the password was changed behind the vault (chpasswd)', async () => {
      const good = remember(createUser());
      const drifted = remember(createUser());
      const resource = await linuxResource([good, drifted]);
      const behind = randomPassword();
      secrets.push(behind);
      setPassword(drifted.name, behind);
      record(
        ok(
          await createSchedule({
            SCHEDULENAME: name('verify'),
            ACTION: 'VERIFY',
            RESOURCEID: resource.resourceId,
            INTERVALDAYS: '1',
            STARTAT: 'now',
          }),
        ),
      );
      const failure = await until('Password Verification Failed', async () =>
        (await auditTrail(admin)).find(
          (r) => r.OPERATIONTYPE === 'Password Verification Failed' && r.ACCOUNTNAME === drifted.name,
        ),
      );
      expect(failure.OPERATEDBY).toBe('System');
      // Both verifications finished: the good one is not reported, the drifted one once.
      await until('both verification jobs to finish', async () => {
        const jobs = ok(await admin(`${V1}/jobs`, { query: { KIND: 'verification.account' } })).details as {
          STATUS: string;
          PAYLOAD: { accountId: number };
        }[];
        const mine = jobs.filter((j) =>
          [resource.accounts[good.name], resource.accounts[drifted.name]].includes(
            String(j.PAYLOAD.accountId),
          ),
        );
        return mine.length === 2 && mine.every((j) => j.STATUS === 'succeeded' || j.STATUS === 'failed')
          ? mine
          : undefined;
      });
      const trail = await auditTrail(admin);
      expect(
        trail.filter(
          (r) => r.OPERATIONTYPE === 'Password Verification Failed' && r.ACCOUNTNAME === drifted.name,
        ),
      ).toHaveLength(1);
      expect(
        trail.some((r) => r.OPERATIONTYPE === 'Password Verification Failed' && r.ACCOUNTNAME === good.name),
      ).toBe(false);
      // Verification changes nothing: the vault still holds the old password of the drifted account.
      expect(await vaultPassword(admin, resource.passwordPath(drifted.name))).toBe(drifted.password);
    });

    it('bad schedule input answers Failed and creates nothing', async () => {
      const user = remember(createUser());
      const resource = await linuxResource([user]);
      const base = { SCHEDULENAME: name('bad'), RESOURCEID: resource.resourceId, INTERVALDAYS: '30' };
      const before = (ok(await admin(SCHEDULES)).details as unknown[]).length;
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ ...base, SCHEDULENAME: '' }, /SCHEDULENAME/],
        [{ ...base, RESOURCEID: undefined }, /exactly one of ACCOUNTID, RESOURCEID or RESOURCEGROUPID/],
        [{ ...base, ACCOUNTID: resource.accounts[user.name] }, /exactly one of/],
        [{ ...base, RESOURCEID: 'abc' }, /not a valid resource ID/],
        [{ ...base, INTERVALDAYS: undefined }, /INTERVALDAYS .* or CRON/],
        [{ ...base, CRON: '0 3 * * *' }, /not both/],
        [{ ...base, INTERVALDAYS: '0' }, /INTERVALDAYS must be a whole number/],
        [{ ...base, INTERVALDAYS: '1.5' }, /INTERVALDAYS must be a whole number/],
        [{ ...base, INTERVALDAYS: '99999' }, /INTERVALDAYS must be a whole number/],
        [{ ...base, INTERVALDAYS: undefined, CRON: 'every day' }, /not a valid cron expression/],
        [{ ...base, INTERVALDAYS: undefined, CRON: '0 0 0 * * *' }, /not a valid cron expression/],
        [{ ...base, INTERVALDAYS: undefined, CRON: '0 0 31 2 *' }, /never runs/],
        [{ ...base, STARTAT: 'tomorrow' }, /STARTAT must be an ISO 8601/],
        [{ ...base, STARTAT: '2027-01-01 02:00' }, /STARTAT must be an ISO 8601/],
        [{ ...base, ACTION: 'DELETE' }, /ACTION must be one of ROTATE, VERIFY/],
        [{ ...base, ACTION: 'VERIFY', ONLYEXPIRED: 'true' }, /ONLYEXPIRED applies to rotation/],
        [{ ...base, ENABLED: 'maybe' }, /ENABLED must be "true" or "false"/],
        [{ ...base, RESOURCEID: '999999' }, /does not exist or is not accessible/],
      ];
      for (const [fields, message] of cases) {
        record(failed(await createSchedule(fields), message, 'CREATE ROTATION SCHEDULE'));
      }
      ok(await createSchedule(base));
      record(failed(await createSchedule(base), /already exists/));
      failed(await admin(`${SCHEDULES}/abc`), /not a valid rotation schedule ID/);
      failed(
        await admin(`${SCHEDULES}/1`, { method: 'PUT', input: details({ RESOURCEID: resource.resourceId }) }),
        /scope does not change/,
      );
      expect((ok(await admin(SCHEDULES)).details as unknown[]).length).toBe(before + 1);
    });

    it('only who may change the passwords schedules them: a user without access is told the resource does not exist; a view share is not enough', async () => {
      const user = remember(createUser());
      const resource = await linuxResource([user]);
      const outsider = await createApiUser(server, name('outsider'), 'Password User');
      const viewer = await createApiUser(server, name('viewer'), 'Password User');
      ok(
        await admin(`${V1}/resources/${resource.resourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'view', USERID: viewer.id }),
        }),
      );
      const fields = { SCHEDULENAME: name('theirs'), RESOURCEID: resource.resourceId, INTERVALDAYS: '1' };
      failed(await createSchedule(fields, outsider.call), /does not exist or is not accessible/);
      failed(await createSchedule(fields, viewer.call), /not allowed to change the passwords/);
      const mine = ok(await createSchedule(fields));
      // The outsider does not see it, nor may change it.
      expect(ok(await outsider.call(SCHEDULES)).totalRows).toBe(0);
      failed(
        await outsider.call(`${SCHEDULES}/${String(mine.details.SCHEDULEID)}`, { method: 'DELETE' }),
        /does not exist or is not accessible/,
      );
    });

    it('no password appears in any answer or audit record', async () => {
      const trail = await auditTrail(admin);
      expectNoSecret([...answers, JSON.stringify(trail)], secrets);
    });
  });
});
