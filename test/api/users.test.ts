/**
 * Users and API users over a real HTTPS port, on SQLite and PostgreSQL: endpoints 17, 23, 24,
 * 46, 47, 49, 50, 84 and 92, the roles allowed to manage users, host binding, throttling of
 * wrong tokens, and the User audit records. Other client hosts are other loopback addresses
 * (127.0.0.2, …): all traffic stays on this machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const TOKEN_SHAPE = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const FAILURE_LIMIT = 4;

function expectSuccess(answer: PmpAnswer): PmpAnswer {
  expect(answer.http.status).toBe(200);
  expect(answer.status, answer.message).toBe('Success');
  expect(answer.statusCode).toBe(20000);
  return answer;
}

function expectFailed(answer: PmpAnswer, message: RegExp | string): PmpAnswer {
  expect(answer.http.status).toBe(200);
  expect(answer.status, answer.message).toBe('Failed');
  if (typeof message === 'string') expect(answer.message).toBe(message);
  else expect(answer.message).toMatch(message);
  expect(answer.statusCode).toBeGreaterThanOrEqual(40000);
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
          /^PASSWORD does not satisfy the password policy Strong: it needs both upper-case and lower-case letters, a digit, a special character$/,
        user: 'weak',
      },
      {
        name: 'a password too short for the default policy',
        fields: { USERNAME: 'short', ROLE: 'Password User', PASSWORD: 'Ab1$' },
        message: /policy Strong: it needs at least 8 characters/,
        user: 'short',
      },
      {
        name: 'a password breaking the Medium policy',
        fields: { USERNAME: 'medium', ROLE: 'Password User', PASSWORD: 'alllowercase1', POLICY: 'medium' },
        message: /policy Medium: it needs both upper-case and lower-case letters/,
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
