/**
 * Users and API users over a real HTTPS port, on SQLite and PostgreSQL: endpoints 17, 23, 24,
 * 46, 47, 49, 50, 84 and 92, the roles allowed to manage users, host binding, throttling of
 * wrong tokens, and the User audit records. Other client hosts are other loopback addresses
 * (127.0.0.2, …): all traffic stays on this machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import * as pmp from '../helpers/expect-pmp.js';
import { sqlOn } from '../helpers/sql.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const TOKEN_SHAPE = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const FAILURE_LIMIT = 4;

type PmpCallArgs = NonNullable<Parameters<ReturnType<typeof pmpClient>>[1]>;

/** Users answers also carry their result code: 20000, or a 4xxxx client error. */
function expectSuccess(answer: PmpAnswer): PmpAnswer {
  expect(pmp.expectSuccess(answer).statusCode).toBe(20000);
  return answer;
}

function expectFailed(answer: PmpAnswer, message: RegExp | string): PmpAnswer {
  expect(pmp.expectFailed(answer, message).statusCode).toBeGreaterThanOrEqual(40000);
  expect(answer.statusCode).toBeLessThan(50000);
  return answer;
}

/** A date `days` from now as yyyy-mm-dd (UTC; the server runs in the same zone as the test). */
function isoDay(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

describe.each(dialects())('users and API users on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;

  beforeAll(async () => {
    server = await startServer(dialect, {
      BULWARK_AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT),
      BULWARK_AUTH_LOCKOUT_SECONDS: '600',
      BULWARK_AUTH_FAILURE_DELAY_MS: '50',
      TZ: 'UTC',
    });
    admin = pmpClient(server.baseUrl, server.token);
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  const createUser = (fields: Record<string, unknown>, call = admin) =>
    call(`${V1}/user`, { method: 'POST', input: details(fields) });
  const as = (token: string) => pmpClient(server.baseUrl, token);
  const userId = async (username: string) =>
    (await admin(`${V1}/user/getUserId`, { query: { USERNAME: username } })).details?.USERID as
      string | undefined;

  describe('creating users (17) and API users (24)', () => {
    it('creates a user with every documented field and answers USERID', async () => {
      const answer = expectSuccess(
        await createUser({
          USERNAME: 'jason1',
          FIRSTNAME: 'Jason',
          LASTNAME: 'J',
          FULLNAME: 'JasonThomas',
          EMAIL: 'jason@opmanager.com',
          POLICY: 'Strong',
          ROLE: 'Password User',
          ISSUPERADMIN: 'false',
          PASSWORD: 'Test@123',
          DEPARTMENT: 'NOC',
          LOCATION: 'Level 10 - South Wing',
          ISAPIUSER: 'false',
          HOSTNAME: 'localhost',
          EXPIRYDATE: 'NeverExpires',
        }),
      );
      expect(answer.name).toBe('CREATE_USER');
      expect(answer.message).toBe('User Created Successfully');
      expect(answer.details.USERID).toMatch(/^\d+$/);
      expect(answer.details.AUTHTOKEN).toBeUndefined();
      expect(answer.http.text).not.toContain('Test@123');
    });

    it('creates an API user whose token is returned once and works at once', async () => {
      const answer = expectSuccess(
        await createUser({
          USERNAME: 'sechard',
          FULLNAME: 'SecHard integration',
          EMAIL: 'sechard@example.test',
          POLICY: 'Strong',
          ROLE: 'password user',
          ISSUPERADMIN: 'false',
          DEPARTMENT: 'NOC',
          LOCATION: 'Level 10 - South Wing',
          ISAPIUSER: 'true',
          EXPIRYDATE: 'NeverExpires',
        }),
      );
      expect(answer.name).toBe('CREATE_USER');
      expect(answer.message).toBe('SUCCESS');
      expect(answer.details.AUTHTOKEN).toMatch(TOKEN_SHAPE);
      expect(answer.details.USERID).toMatch(/^\d+$/);
      // An API user with nothing shared sees nothing: no Details, totalRows 0.
      const list = expectSuccess(await as(answer.details.AUTHTOKEN)(`${V1}/resources`));
      expect(list.totalRows).toBe(0);
      expect(list.details).toBeUndefined();
    });

    it('accepts the fields as query parameters too, and a role in any letter case', async () => {
      const answer = expectSuccess(
        await admin(`${V1}/user`, {
          method: 'POST',
          query: {
            USERNAME: 'queryuser',
            ROLE: 'PASSWORD AUDITOR',
            PASSWORD: 'Qu3ry+P&ss=%',
            EMAIL: 'q@x.test',
          },
        }),
      );
      expect(answer.details.USERID).toMatch(/^\d+$/);
    });

    it('creates an API user with a token valid until a given day', async () => {
      const answer = expectSuccess(
        await createUser({
          USERNAME: 'until-user',
          ROLE: 'Password User',
          ISAPIUSER: 'true',
          EXPIRYDATE: isoDay(1),
        }),
      );
      expectSuccess(await as(answer.details.AUTHTOKEN)(`${V1}/resources`));
    });

    it('creates users that can work: a Password User owns what they create', async () => {
      const created = expectSuccess(
        await createUser({ USERNAME: 'worker', ROLE: 'Password User', ISAPIUSER: 'true' }),
      );
      const worker = as(created.details.AUTHTOKEN);
      expectSuccess(
        await worker(`${V1}/resources`, {
          method: 'POST',
          input: details({
            RESOURCENAME: 'worker-box',
            RESOURCETYPE: 'Linux',
            ACCOUNTNAME: 'root',
            PASSWORD: 'x',
          }),
        }),
      );
      const list = expectSuccess(await worker(`${V1}/resources`));
      expect(list.details.map((r: any) => r['RESOURCE NAME'])).toEqual(['worker-box']);
    });
  });

  describe('getUserId (46)', () => {
    it('answers the id of a user, by name in any letter case, to any user', async () => {
      const created = expectSuccess(
        await createUser({ USERNAME: 'lookup-user', ROLE: 'Password User', ISAPIUSER: 'true' }),
      );
      const answer = expectSuccess(
        await as(created.details.AUTHTOKEN)(`${V1}/user/getUserId`, { query: { USERNAME: 'JASON1' } }),
      );
      expect(answer.name).toBe('get_USERID');
      expect(answer.message).toBe('User Id for the specified username have been fetched successfully');
      expect(answer.details).toEqual({ USERID: await userId('jason1') });
    });

    it('reads USERNAME from INPUT_DATA too', async () => {
      const answer = expectSuccess(
        await admin(`${V1}/user/getUserId`, { input: details({ USERNAME: 'jason1' }) }),
      );
      expect(answer.details.USERID).toMatch(/^\d+$/);
    });

    it('refuses an unknown user and a missing USERNAME', async () => {
      expectFailed(
        await admin(`${V1}/user/getUserId`, { query: { USERNAME: 'nobody' } }),
        'User nobody does not exist',
      );
      expectFailed(await admin(`${V1}/user/getUserId`), /USERNAME is mandatory/);
    });
  });

  describe('roles: only administrators manage users', () => {
    const roles = [
      ['Administrator', true],
      ['Privileged Administrator', true],
      ['Password Administrator', false],
      ['Password Auditor', false],
      ['Password User', false],
    ] as const;

    it.each(roles)('%s may manage users: %s', async (role, allowed) => {
      const slug = role.toLowerCase().replace(/\s+/g, '-');
      const created = expectSuccess(
        await createUser({ USERNAME: `role-${slug}`, ROLE: role, ISAPIUSER: 'true' }),
      );
      const caller = as(created.details.AUTHTOKEN);
      const victim = `victim-of-${slug}`;
      expectSuccess(await createUser({ USERNAME: victim, ROLE: 'Password User', ISAPIUSER: 'true' }));
      const attempts: [string, PmpCallArgs][] = [
        [
          `${V1}/user`,
          {
            method: 'POST',
            input: details({ USERNAME: `made-by-${slug}`, ROLE: 'Password User', ISAPIUSER: 'true' }),
          },
        ],
        [`${V1}/user/lock`, { method: 'PUT', query: { USERNAME: victim } }],
        [`${V1}/user/unlock`, { method: 'PUT', query: { USERNAME: victim } }],
        [`${V1}/user/resetMFA`, { method: 'PUT', query: { USERNAME: victim } }],
        [`${V1}/user`, { method: 'DELETE', query: { USERNAME: victim } }],
      ];
      for (const [target, options] of attempts) {
        const answer = await caller(target, options);
        if (allowed) expectSuccess(answer);
        else expectFailed(answer, 'Only administrators may manage users');
      }
      expect(await userId(`made-by-${slug}`)).toEqual(allowed ? expect.stringMatching(/^\d+$/) : undefined);
      expect(await userId(victim)).toEqual(allowed ? undefined : expect.stringMatching(/^\d+$/));
    });

    it('an administrator without "All passwords" may not create, lock or delete a super administrator', async () => {
      const created = expectSuccess(
        await createUser({ USERNAME: 'plain-admin', ROLE: 'Administrator', ISAPIUSER: 'true' }),
      );
      const plain = as(created.details.AUTHTOKEN);
      expectFailed(
        await createUser(
          { USERNAME: 'escalated', ROLE: 'Administrator', ISSUPERADMIN: 'true', ISAPIUSER: 'true' },
          plain,
        ),
        /Only a super administrator may create a super administrator/,
      );
      expect(await userId('escalated')).toBeUndefined();
      expectFailed(
        await plain(`${V1}/user/lock`, { method: 'PUT', query: { USERNAME: 'admin' } }),
        /Only a super administrator may lock/,
      );
      expectFailed(
        await plain(`${V1}/user`, { method: 'DELETE', query: { USERNAME: 'admin' } }),
        /Only a super administrator may delete/,
      );
      expectSuccess(await admin(`${V1}/resources`));
    });

    it('a super administrator creates another one, who sees every resource', async () => {
      const created = expectSuccess(
        await createUser({
          USERNAME: 'root2',
          ROLE: 'Privileged Administrator',
          ISSUPERADMIN: 'true',
          ISAPIUSER: 'true',
        }),
      );
      const list = expectSuccess(await as(created.details.AUTHTOKEN)(`${V1}/resources`));
      expect(list.details.map((r: any) => r['RESOURCE NAME'])).toContain('worker-box');
    });
  });

  describe('lock (49) and unlock (50)', () => {
    it('a locked user is refused; unlocked, the same token works again', async () => {
      const created = expectSuccess(
        await createUser({ USERNAME: 'apiuser', ROLE: 'Password User', ISAPIUSER: 'true' }),
      );
      const user = as(created.details.AUTHTOKEN);
      const locked = expectSuccess(
        await admin(`${V1}/user/lock`, { method: 'PUT', query: { USERNAME: 'apiuser' } }),
      );
      expect(locked.name).toBe('LOCK USER');
      expect(locked.message).toBe('User account apiuser locked successfully.');
      const refused = await user(`${V1}/resources`);
      expectFailed(refused, 'User account is locked. Contact your administrator. Authentication failed.');
      expect(refused.name).toBe('Authentication');
      expect(refused.details).toBeUndefined();
      const unlocked = expectSuccess(
        await admin(`${V1}/user/unlock`, { method: 'PUT', input: details({ USERNAME: 'APIUSER' }) }),
      );
      expect(unlocked.name).toBe('UNLOCK USER');
      expect(unlocked.message).toBe('User account apiuser unlocked successfully. ');
      expectSuccess(await user(`${V1}/resources`));
    });

    it('refuses unknown users, a missing USERNAME, and locking yourself', async () => {
      expectFailed(
        await admin(`${V1}/user/lock`, { method: 'PUT', query: { USERNAME: 'ghost' } }),
        'User ghost does not exist',
      );
      expectFailed(
        await admin(`${V1}/user/unlock`, { method: 'PUT', query: { USERNAME: 'ghost' } }),
        'User ghost does not exist',
      );
      expectFailed(await admin(`${V1}/user/lock`, { method: 'PUT' }), /USERNAME is mandatory/);
      expectFailed(
        await admin(`${V1}/user/lock`, { method: 'PUT', query: { USERNAME: 'admin' } }),
        'You cannot lock yourself',
      );
      expectSuccess(await admin(`${V1}/resources`));
    });
  });

  describe('delete by id (23) and by user name (47)', () => {
    it('deletes a user; what they owned passes to the deleting administrator; their token dies', async () => {
      const created = expectSuccess(
        await createUser({ USERNAME: 'Michael', ROLE: 'Password User', ISAPIUSER: 'true' }),
      );
      const michael = as(created.details.AUTHTOKEN);
      const resource = expectSuccess(
        await michael(`${V1}/resources`, {
          method: 'POST',
          input: details({
            RESOURCENAME: 'michael-box',
            RESOURCETYPE: 'Linux',
            ACCOUNTNAME: 'root',
            PASSWORD: 'M1ch@el',
          }),
        }),
      ).details.RESOURCEID;
      const answer = expectSuccess(await admin(`${V1}/user/${created.details.USERID}`, { method: 'DELETE' }));
      expect(answer.name).toBe('DELETE USER');
      expect(answer.message).toBe('User Michael deleted Successfully');
      expect(await userId('michael')).toBeUndefined();
      expectFailed(await michael(`${V1}/resources`), /not associated to any user/);
      const owned = expectSuccess(await admin(`${V1}/resources/${resource}/accounts`));
      expect(owned.details['RESOURCE OWNER']).toBe('admin');
    });

    it('deletes by user name', async () => {
      expectSuccess(await createUser({ USERNAME: 'admin1', ROLE: 'Administrator', PASSWORD: 'Adm1n#pass' }));
      const answer = expectSuccess(
        await admin(`${V1}/user`, { method: 'DELETE', query: { USERNAME: 'ADMIN1' } }),
      );
      expect(answer.message).toBe('User admin1 deleted successfully');
      expect(await userId('admin1')).toBeUndefined();
    });

    it('refuses unknown and junk ids, unknown names, and deleting yourself', async () => {
      expectFailed(
        await admin(`${V1}/user/999999`, { method: 'DELETE' }),
        'User with ID 999999 does not exist',
      );
      expectFailed(
        await admin(`${V1}/user/abc'%20OR%201=1--`, { method: 'DELETE' }),
        /is not a valid user ID/,
      );
      expectFailed(
        await admin(`${V1}/user`, { method: 'DELETE', query: { USERNAME: 'ghost' } }),
        'User ghost does not exist',
      );
      expectFailed(
        await admin(`${V1}/user/${await userId('admin')}`, { method: 'DELETE' }),
        'You cannot delete yourself',
      );
      expectSuccess(await admin(`${V1}/resources`));
    });
  });

  describe('reset two-factor authentication (84)', () => {
    it('clears the enrolled TOTP secret', async () => {
      expectSuccess(await createUser({ USERNAME: 'mfa-user', ROLE: 'Password User', PASSWORD: 'Mfa-us3r!' }));
      const id = Number(await userId('mfa-user'));
      await sqlOn(server.instance, 'update users set totp_secret_sealed = $1 where id = $2', [
        Buffer.from('sealed-totp'),
        id,
      ]);
      const totpOf = async () =>
        (await sqlOn(server.instance, 'select totp_secret_sealed as t from users where id = $1', [id]))[0]!.t;
      expect(await totpOf()).not.toBeNull();
      const answer = expectSuccess(
        await admin(`${V1}/user/resetMFA`, { method: 'PUT', query: { USERNAME: 'mfa-user' } }),
      );
      expect(answer.name).toBe('Reset MFA');
      expect(answer.message).toBe('Two Factor Authentication reset successfully');
      expect(await totpOf()).toBeNull();
      expectFailed(
        await admin(`${V1}/user/resetMFA`, { method: 'PUT', query: { USERNAME: 'ghost' } }),
        'User ghost does not exist',
      );
    });
  });

  describe('regenerate the auth token (92)', () => {
    it('replaces the caller’s token: the old one stops working at once', async () => {
      const created = expectSuccess(
        await createUser({ USERNAME: 'regen', ROLE: 'Password User', ISAPIUSER: 'true' }),
      );
      const old = created.details.AUTHTOKEN as string;
      const answer = expectSuccess(await as(old)(`${V1}/user/regenerateAuthtoken`, { method: 'PUT' }));
      expect(answer.name).toBe('REGENERATE AUTHTOKEN');
      const fresh = answer.details.AUTHTOKEN as string;
      expect(fresh).toMatch(TOKEN_SHAPE);
      expect(fresh).not.toBe(old);
      expectFailed(await as(old)(`${V1}/resources`), /not associated to any user/);
      expectSuccess(await as(fresh)(`${V1}/resources`));
    });
  });

  describe('host binding (HOSTNAME)', () => {
    it('an API user bound to another address is refused from here, and served from there', async () => {
      const created = expectSuccess(
        await createUser({
          USERNAME: 'bound-elsewhere',
          ROLE: 'Password User',
          ISAPIUSER: 'true',
          HOSTNAME: '127.0.0.2',
        }),
      );
      const user = as(created.details.AUTHTOKEN);
      const refused = await user(`${V1}/resources`);
      expectFailed(refused, 'User is not allowed to access from this host');
      expect(refused.name).toBe('Authentication');
      expect(refused.details).toBeUndefined();
      expectSuccess(await user(`${V1}/resources`, { localAddress: '127.0.0.2' }));
    });

    it('a host name is resolved: localhost serves 127.0.0.1 and refuses 127.0.0.2', async () => {
      const created = expectSuccess(
        await createUser({
          USERNAME: 'bound-local',
          ROLE: 'Password User',
          ISAPIUSER: 'true',
          HOSTNAME: 'localhost',
        }),
      );
      const user = as(created.details.AUTHTOKEN);
      expectSuccess(await user(`${V1}/resources`));
      expectFailed(
        await user(`${V1}/resources`, { localAddress: '127.0.0.2' }),
        'User is not allowed to access from this host',
      );
    });
  });

  describe('wrong tokens from one address: slowed, the failing key locked out, valid keys served (ADR 021)', () => {
    it(`locks a key out of the address after ${FAILURE_LIMIT} failures; a valid token from there still works`, async () => {
      const from = '127.0.0.3';
      const wrong = 'DEADBEEF-0000-4000-8000-00000000BAD0';
      for (let i = 0; i < FAILURE_LIMIT; i++) {
        expectFailed(
          await as(wrong)(`${V1}/resources`, { localAddress: from }),
          'API key received is not associated to any user. Authentication failed.',
        );
      }
      const locked = await as(wrong)(`${V1}/resources`, { localAddress: from });
      expectFailed(
        locked,
        /^Too many failed authentication attempts with this credential from this address; try again in \d+ seconds\. Authentication failed\.$/,
      );
      expect(locked.name).toBe('Authentication');
      // Someone else's failures never refuse a valid token, from the same address or any other.
      expectSuccess(await admin(`${V1}/resources`, { localAddress: from }));
      expectSuccess(await admin(`${V1}/resources`));
      // The wrong key from another address is judged there on its own.
      expectFailed(
        await as(wrong)(`${V1}/resources`, { localAddress: '127.0.0.9' }),
        'API key received is not associated to any user. Authentication failed.',
      );
      const audit = expectSuccess(
        await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '1000' } }),
      );
      const failures = audit.details.filter(
        (r: any) => r.OPERATIONTYPE === 'Authentication Failed' && r.IPADDRESS === from,
      );
      expect(failures).toHaveLength(FAILURE_LIMIT);
      expect(failures[0]).toMatchObject({
        OPERATEDBY: 'Unknown',
        REASON: expect.stringMatching(/locked out from this address/),
      });
      expect(audit.http.text).not.toContain(wrong);
      expect(audit.http.text).not.toContain(wrong.toLowerCase());
    });
  });

  describe('a key used from a host it is not bound to counts as a failure, like a wrong key', () => {
    it(`locks that key out of the address after ${FAILURE_LIMIT} such attempts`, async () => {
      const from = '127.0.0.4';
      const created = expectSuccess(
        await createUser({
          USERNAME: 'bound-to-two',
          ROLE: 'Password User',
          ISAPIUSER: 'true',
          HOSTNAME: '127.0.0.2',
        }),
      );
      const elsewhere = as(created.details.AUTHTOKEN);
      for (let i = 0; i < FAILURE_LIMIT; i++) {
        expectFailed(
          await elsewhere(`${V1}/resources`, { localAddress: from }),
          'User is not allowed to access from this host',
        );
      }
      expectFailed(
        await elsewhere(`${V1}/resources`, { localAddress: from }),
        /^Too many failed authentication attempts with this credential from this address/,
      );
      expectSuccess(await admin(`${V1}/resources`, { localAddress: from }));
      // The key itself still works from its host.
      expectSuccess(await elsewhere(`${V1}/resources`, { localAddress: '127.0.0.2' }));
    });
  });

  describe('User audit records (55, AUDITTYPE=User)', () => {
    it('records creation, token issue and regeneration, lock, unlock, MFA reset, deletion and refused authentication', async () => {
      const audit = expectSuccess(
        await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '1000' } }),
      );
      const about = (user: string) =>
        audit.details.filter((r: any) => r.USERNAME === user).map((r: any) => r.OPERATIONTYPE as string);
      expect(about('sechard')).toEqual(expect.arrayContaining(['User Added', 'API Token Generated']));
      expect(about('regen')).toEqual(expect.arrayContaining(['API Token Regenerated']));
      expect(about('apiuser')).toEqual(
        expect.arrayContaining(['User Locked', 'User Unlocked', 'Authentication Failed']),
      );
      expect(about('mfa-user')).toContain('Two Factor Authentication Reset');
      expect(about('Michael')).toContain('User Deleted');
      expect(about('bound-elsewhere')).toContain('Authentication Failed');
      const deleted = audit.details.find(
        (r: any) => r.USERNAME === 'Michael' && r.OPERATIONTYPE === 'User Deleted',
      );
      expect(deleted).toMatchObject({
        OPERATEDBY: 'admin',
        IPADDRESS: '127.0.0.1',
        REASON: '2 owned objects transferred to admin',
      });
      // No secret ever reaches the trail.
      for (const secret of ['Test@123', 'M1ch@el', 'Mfa-us3r!', 'Adm1n#pass'])
        expect(audit.http.text).not.toContain(secret);
    });
  });

  describe('bad input when creating: Failed, and nothing created', () => {
    const cases: { name: string; fields: Record<string, unknown>; message: RegExp; user?: string }[] = [
      {
        name: 'no USERNAME',
        fields: { ROLE: 'Password User', PASSWORD: 'Test@123' },
        message: /USERNAME is mandatory/,
      },
      {
        name: 'no ROLE',
        fields: { USERNAME: 'norole', PASSWORD: 'Test@123' },
        message: /ROLE is mandatory/,
        user: 'norole',
      },
      {
        name: 'an unknown role',
        fields: { USERNAME: 'badrole', ROLE: 'Overlord', PASSWORD: 'Test@123' },
        message:
          /ROLE must be one of Administrator, Password Administrator, Privileged Administrator, Password Auditor, Password User/,
        user: 'badrole',
      },
      {
        name: 'no PASSWORD for a user who is not an API user',
        fields: { USERNAME: 'nopass', ROLE: 'Password User' },
        message: /PASSWORD is mandatory/,
        user: 'nopass',
      },
      {
        name: 'a password breaking the Strong policy',
        fields: { USERNAME: 'weak', ROLE: 'Password User', PASSWORD: 'password', POLICY: 'Strong' },
        message:
          /^PASSWORD does not satisfy the password policy Strong: Password must contain at least 1 upper-case letter$/,
        user: 'weak',
      },
      {
        name: 'a password too short for the Strong policy',
        fields: { USERNAME: 'short', ROLE: 'Password User', PASSWORD: 'Ab1$', POLICY: 'strong' },
        message: /policy Strong: Password must be at least 8 characters long/,
        user: 'short',
      },
      {
        name: 'a password breaking the Medium policy',
        fields: { USERNAME: 'medium', ROLE: 'Password User', PASSWORD: 'alllowercase1', POLICY: 'medium' },
        message: /policy Medium: Password must contain at least 1 upper-case letter/,
        user: 'medium',
      },
      {
        name: 'an unknown POLICY',
        fields: { USERNAME: 'nopolicy', ROLE: 'Password User', PASSWORD: 'Test@123', POLICY: 'Ultra' },
        message: /POLICY "Ultra" is not a known password policy/,
        user: 'nopolicy',
      },
      {
        name: 'a malformed EXPIRYDATE',
        fields: { USERNAME: 'baddate', ROLE: 'Password User', ISAPIUSER: 'true', EXPIRYDATE: '31/12/2030' },
        message: /EXPIRYDATE must be a date as yyyy-mm-dd or NeverExpires; got "31\/12\/2030"/,
        user: 'baddate',
      },
      {
        name: 'an EXPIRYDATE that is not a calendar day',
        fields: { USERNAME: 'feb30', ROLE: 'Password User', ISAPIUSER: 'true', EXPIRYDATE: '2031-02-30' },
        message: /EXPIRYDATE must be a date/,
        user: 'feb30',
      },
      {
        name: 'an EXPIRYDATE in the past',
        fields: { USERNAME: 'pastdate', ROLE: 'Password User', ISAPIUSER: 'true', EXPIRYDATE: isoDay(-2) },
        message: /EXPIRYDATE is in the past/,
        user: 'pastdate',
      },
      {
        name: 'a HOSTNAME that does not resolve',
        fields: {
          USERNAME: 'nohost',
          ROLE: 'Password User',
          ISAPIUSER: 'true',
          HOSTNAME: 'no-such-host.invalid',
        },
        message: /^HOSTNAME no-such-host.invalid does not resolve to any address$/,
        user: 'nohost',
      },
      {
        name: 'a malformed EMAIL',
        fields: {
          USERNAME: 'bademail',
          ROLE: 'Password User',
          PASSWORD: 'Test@123',
          EMAIL: 'not-an-address',
        },
        message: /EMAIL "not-an-address" is not an e-mail address/,
        user: 'bademail',
      },
      {
        name: 'ISSUPERADMIN that is not a boolean',
        fields: {
          USERNAME: 'badflag',
          ROLE: 'Administrator',
          PASSWORD: 'Test@123',
          ISSUPERADMIN: 'true|false',
        },
        message: /ISSUPERADMIN must be "true" or "false"/,
        user: 'badflag',
      },
      {
        name: 'super administrator scope for a Password User',
        fields: { USERNAME: 'superuser', ROLE: 'Password User', PASSWORD: 'Test@123', ISSUPERADMIN: 'true' },
        message: /ISSUPERADMIN "true" .* not to Password User/,
        user: 'superuser',
      },
      {
        name: 'a duplicate user name in another letter case',
        fields: { USERNAME: 'JASON1', ROLE: 'Password User', PASSWORD: 'Test@123' },
        message: /^User JASON1 already exists$/,
      },
    ];

    it.each(cases)('$name', async ({ fields, message, user }) => {
      const before = await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '1' } });
      expectFailed(await createUser(fields), message);
      if (user !== undefined) expect(await userId(user)).toBeUndefined();
      const after = await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '1' } });
      expect(after.totalRows).toBe(before.totalRows);
    });

    it('a duplicate changes nothing: the first user keeps its id', async () => {
      const id = await userId('jason1');
      expectFailed(
        await createUser({ USERNAME: ' Jason1 ', ROLE: 'Administrator', PASSWORD: 'Test@123' }),
        /already exists/,
      );
      expect(await userId('jason1')).toBe(id);
    });
  });
});
