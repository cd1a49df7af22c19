import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient } from '../helpers/client.js';
import { consoleClient, signIn, SESSION_COOKIE, totpCode } from '../helpers/console-client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

/**
 * Console sign-in (ADR 042) against a real server on both dialects: password, TOTP enrolment
 * and sign-in, recovery codes, the session cookie, CSRF, sign-out, throttling, lock and resetMFA.
 */
describe.each(dialects())('console sessions on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  const password = 'Wr1te-Only#Sessions';

  beforeAll(async () => {
    server = await startServer(dialect, {
      BULWARK_AUTH_FAILURE_LIMIT: '6',
      BULWARK_AUTH_FAILURE_DELAY_MS: '0',
    });
    admin = pmpClient(server.baseUrl, server.token);
    for (const name of ['carol', 'dave', 'erin', 'fay']) {
      expectSuccess(
        await admin(`${V1}/user`, {
          method: 'POST',
          input: details({ USERNAME: name, ROLE: 'Password User', PASSWORD: password }),
        }),
      );
    }
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  const audit = async (type = 'User') =>
    expectSuccess(await admin(`${V1}/audit`, { query: { AUDITTYPE: type, LIMIT: '50' } })).details as {
      OPERATION?: string;
      OPERATIONTYPE?: string;
      REASON?: string;
      USERNAME?: string;
    }[];

  it('enrols TOTP at the first sign-in, rotates the cookie, and signs out with the CSRF token', async () => {
    const client = consoleClient(server.baseUrl);
    const wrong = await client.post('/api/v1/session/login', { username: 'carol', password: 'not it' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.message).toBe('Wrong user name or password');
    expect(client.cookie).toBeUndefined();

    const login = await client.post('/api/v1/session/login', { username: 'Carol', password });
    expect(login.status, JSON.stringify(login.json)).toBe(200);
    expect(login.json.next).toBe('enrol');
    expect(login.json.enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(login.json.enrolment.otpauthUri).toContain(`secret=${login.json.enrolment.secret}`);
    expect(login.json.enrolment.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const cookieLine = (login.headers['set-cookie'] ?? [])[0]!;
    expect(cookieLine).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/'])
      expect(cookieLine).toContain(attribute);
    const pendingCookie = client.cookie;

    // Before the second factor the session opens nothing.
    expect((await client.get('/api/v1/resources')).status).toBe(401);
    const badCode = await client.post('/api/v1/session/second-factor', { code: '000000' });
    expect(badCode.status).toBe(400);
    expect(badCode.json.error.field).toBe('code');

    const done = await client.post('/api/v1/session/second-factor', {
      code: totpCode(login.json.enrolment.secret),
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json.recoveryCodes).toHaveLength(10);
    expect(done.json.session.user).toMatchObject({
      username: 'carol',
      role: 'Password User',
      isSuperAdmin: false,
    });
    expect(client.cookie).not.toBe(pendingCookie);
    const session = await client.get('/api/v1/session');
    expect(session.status).toBe(200);
    expect(session.json).toMatchObject({ idleTimeoutSeconds: 1800, clipboardClearSeconds: 30 });
    // Every answer to a signed-in session says how long it has left (the console's warning).
    expect(session.json.secondsLeft).toBeGreaterThan(1790);
    expect(session.json.secondsLeft).toBeLessThanOrEqual(1800);
    expect(Number(session.headers['bulwark-session-seconds-left'])).toBe(session.json.secondsLeft);
    expect(done.json.session.secondsLeft).toBe(1800);
    expect(login.headers['bulwark-session-seconds-left']).toBeUndefined();
    expect(session.json.csrfToken).toBe(done.json.session.csrfToken);

    // The token from before the second factor is worthless now.
    const stale = consoleClient(server.baseUrl);
    stale.cookie = pendingCookie;
    expect((await stale.get('/api/v1/session')).status).toBe(401);

    // A change without the CSRF token is refused and changes nothing.
    const forged = await client.call('POST', '/api/v1/session/logout', { withoutCsrf: true });
    expect(forged.status).toBe(403);
    expect((await client.get('/api/v1/session')).status).toBe(200);
    const out = await client.post('/api/v1/session/logout');
    expect(out.status).toBe(200);
    expect((out.headers['set-cookie'] ?? [])[0]).toContain('Max-Age=0');
    expect((await client.get('/api/v1/session')).status).toBe(401);

    const records = await audit();
    const operations = records
      .filter((r) => r.USERNAME === 'carol')
      .map((r) => r.OPERATIONTYPE ?? r.OPERATION);
    expect(operations).toEqual(
      expect.arrayContaining([
        'Authentication Failed',
        'Two Factor Authentication Enrolled',
        'User Logged In',
        'User Logged Out',
      ]),
    );
    // Neither the password nor a code ever reaches the trail.
    expect(JSON.stringify(records)).not.toContain(password);
  });

  it('signs in with a TOTP code once per code, and with each recovery code once', async () => {
    const first = await signIn(server.baseUrl, 'dave', password);
    const codes = first.recoveryCodes!;
    const client = consoleClient(server.baseUrl);
    expect((await client.post('/api/v1/session/login', { username: 'dave', password })).json.next).toBe(
      'totp',
    );
    // The code that signed in a moment ago does not sign in again (the enrolment used it).
    const replay = await client.post('/api/v1/session/second-factor', { code: totpCode(first.secret) });
    expect(replay.status).toBe(400);
    const recovered = await client.post('/api/v1/session/second-factor', { code: codes[0]!.toUpperCase() });
    expect(recovered.status, JSON.stringify(recovered.json)).toBe(200);
    expect(recovered.json.recoveryCodes).toBeUndefined();

    const again = consoleClient(server.baseUrl);
    await again.post('/api/v1/session/login', { username: 'dave', password });
    expect((await again.post('/api/v1/session/second-factor', { code: codes[0]! })).status).toBe(400);
    expect((await again.post('/api/v1/session/second-factor', { code: codes[1]! })).status).toBe(200);
    const used = (await audit()).filter((r) => (r.OPERATIONTYPE ?? r.OPERATION) === 'Recovery Code Used');
    expect(used.length).toBe(2);
  });

  it('ends a sign-in after five wrong codes; wrong codes count toward the lockout like wrong passwords', async () => {
    const { secret } = await signIn(server.baseUrl, 'fay', password);
    const client = consoleClient(server.baseUrl);
    await client.post('/api/v1/session/login', { username: 'fay', password });
    for (let i = 0; i < 4; i++) {
      expect((await client.post('/api/v1/session/second-factor', { code: '123456' })).status).toBe(400);
    }
    const last = await client.post('/api/v1/session/second-factor', { code: '123456' });
    expect(last.status).toBe(401);
    expect(last.json.error.message).toMatch(/sign in again/);
    // The sixth wrong code from this address locks the user name out here, right code or not:
    // signing in again and again with a known password does not buy more guesses.
    await client.post('/api/v1/session/login', { username: 'fay', password });
    expect((await client.post('/api/v1/session/second-factor', { code: '123456' })).status).toBe(400);
    const right = await client.post('/api/v1/session/second-factor', {
      code: totpCode(secret, Date.now() + 30_000),
    });
    expect(right.status).toBe(401);
    expect(right.json.error.message).toMatch(/Too many failed/);
    expect((await client.post('/api/v1/session/login', { username: 'fay', password })).status).toBe(401);
  });

  it('locks out a user name after repeated wrong passwords from one address, right password or not', async () => {
    const client = consoleClient(server.baseUrl);
    for (let i = 0; i < 6; i++) {
      expect(
        (await client.post('/api/v1/session/login', { username: 'erin', password: `nope${i}` })).status,
      ).toBe(401);
    }
    const refused = await client.post('/api/v1/session/login', { username: 'erin', password });
    expect(refused.status).toBe(401);
    expect(refused.json.error.message).not.toBe('Wrong user name or password');
  });

  it('a locked user is signed out at the next request; resetMFA makes the next sign-in enrol again', async () => {
    const { client } = await signIn(server.baseUrl, 'carol', password, undefined).catch(async () => {
      // carol enrolled in the first test: reset to start from a known state.
      expectSuccess(
        await admin(`${V1}/user/resetMFA`, { method: 'PUT', input: details({ USERNAME: 'carol' }) }),
      );
      return signIn(server.baseUrl, 'carol', password);
    });
    expectSuccess(await admin(`${V1}/user/lock`, { method: 'PUT', input: details({ USERNAME: 'carol' }) }));
    expect((await client.get('/api/v1/session')).status).toBe(401);
    expect(
      (await consoleClient(server.baseUrl).post('/api/v1/session/login', { username: 'carol', password }))
        .status,
    ).toBe(401);
    expectSuccess(await admin(`${V1}/user/unlock`, { method: 'PUT', input: details({ USERNAME: 'carol' }) }));
    expectSuccess(
      await admin(`${V1}/user/resetMFA`, { method: 'PUT', input: details({ USERNAME: 'carol' }) }),
    );
    const fresh = consoleClient(server.baseUrl);
    expect((await fresh.post('/api/v1/session/login', { username: 'carol', password })).json.next).toBe(
      'enrol',
    );
  });

  it('API users have no console; the bootstrap admin signs in', async () => {
    const created = expectSuccess(
      await admin(`${V1}/user`, {
        method: 'POST',
        input: details({ USERNAME: 'robot', ROLE: 'Password User', ISAPIUSER: 'true' }),
      }),
    );
    expect(created.details).toBeDefined();
    const robot = await consoleClient(server.baseUrl).post('/api/v1/session/login', {
      username: 'robot',
      password: 'x',
    });
    expect(robot.status).toBe(401);
    const { credentials } = server.instance;
    const { client } = await signIn(server.baseUrl, credentials.username, credentials.password);
    expect((await client.get('/api/v1/session')).json.user).toMatchObject({
      username: 'admin',
      isSuperAdmin: true,
    });
  });

  it('refuses cross-site requests and bodies that are not JSON, in the native shape', async () => {
    const client = consoleClient(server.baseUrl);
    const crossSite = await client.post(
      '/api/v1/session/login',
      { username: 'dave', password },
      {
        headers: { 'sec-fetch-site': 'cross-site' },
      },
    );
    expect(crossSite.status).toBe(403);
    const otherOrigin = await client.post(
      '/api/v1/session/login',
      { username: 'dave', password },
      {
        headers: { origin: 'https://evil.example' },
      },
    );
    expect(otherOrigin.status).toBe(403);
    const form = await client.post('/api/v1/session/login', undefined, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(400);
    expect(form.json.error.message).toMatch(/JSON/);
    const broken = await client.call('POST', '/api/v1/session/login', {
      headers: { 'content-type': 'application/json' },
      body: undefined,
    });
    expect(broken.status).toBe(400);
    expect(broken.json.error.field).toBe('username');
    // Before anyone is authenticated, only a small body is read.
    const huge = await client.post('/api/v1/session/login', {
      username: 'dave',
      password: 'x'.repeat(20_000),
    });
    expect(huge.status).toBe(413);
    expect(huge.json.error.code).toBe(41300);
    const wrongMethod = await client.call('DELETE', '/api/v1/session/login');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json.error.message).toMatch(/use POST/);
    const unknown = await client.get('/api/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toMatch(/no API endpoint/);
    expect(client.cookie).toBeUndefined();
  });

  it('serves its OpenAPI document', async () => {
    const doc = await consoleClient(server.baseUrl).get('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining(['/api/v1/session/login', '/api/v1/session/second-factor', '/api/v1/resources']),
    );
    expect(
      doc.json.paths['/api/v1/session/login'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('password');
  });
});
