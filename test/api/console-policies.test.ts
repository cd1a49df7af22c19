import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient } from '../helpers/client.js';
import { consoleClient, signIn, type ConsoleClient } from '../helpers/console-client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { policyViolation } from '../../src/modules/policies/policy-engine.js';
import { LENIENT_RULES, type PolicyRules } from '../../src/modules/policies/policies.types.js';

const V1 = '/restapi/json/v1';

const STRICT: Partial<PolicyRules> = {
  minLength: 14,
  maxLength: 20,
  mixedCase: true,
  enforceNumerals: true,
  minNumerals: 2,
  enforceSpecials: true,
  minSpecials: 2,
  startWithLetter: true,
  checkDictionary: true,
  reuseLast: 3,
  validityDays: 90,
};

/**
 * Password policies in the console (list, create, edit, delete; refusals on their field), a
 * generated password for an account under its effective policy, and a user changing their own
 * sign-in password, against a real server on both dialects.
 */
describe.each(dialects())('console password policies on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let boss: ConsoleClient;
  let ivan: ConsoleClient;
  const password = 'Wr1te-Only#Policies';
  let strictId = 0;
  let resourceId = 0;
  let accountId = 0;

  beforeAll(async () => {
    // A lockout after 4 failures, so the throttle's reset on a successful change shows.
    server = await startServer(dialect, {
      BULWARK_AUTH_FAILURE_DELAY_MS: '0',
      BULWARK_AUTH_FAILURE_LIMIT: '4',
    });
    admin = pmpClient(server.baseUrl, server.token);
    const { credentials } = server.instance;
    boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
    expect(
      (await boss.post('/api/v1/users', { username: 'ivan', role: 'Password User', password })).status,
    ).toBe(201);
    ivan = (await signIn(server.baseUrl, 'ivan', password)).client;
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  const audit = async () =>
    expectSuccess(await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '100' } })).details as {
      OPERATION?: string;
      OPERATIONTYPE?: string;
      REASON?: string;
      USERNAME?: string;
    }[];
  const operationOf = (r: { OPERATION?: string; OPERATIONTYPE?: string }) => r.OPERATIONTYPE ?? r.OPERATION;

  it('lists the policies to everyone, the default marked', async () => {
    const listed = await ivan.get('/api/v1/password-policies');
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((p: { name: string }) => p.name)).toEqual([
      'Low',
      'Medium',
      'Strong',
      'Offline Password File',
      'Test Fixtures',
    ]);
    const defaults = listed.json.items.filter((p: { isDefault: boolean }) => p.isDefault);
    // The test servers' default (test/helpers/server.ts); the built-in ones are marked.
    expect(defaults).toEqual([expect.objectContaining({ name: 'Test Fixtures', builtIn: false })]);
    expect(
      listed.json.items.filter((p: { builtIn: boolean }) => p.builtIn).map((p: { name: string }) => p.name),
    ).toEqual(['Low', 'Medium', 'Strong', 'Offline Password File']);
    expect(Object.keys(defaults[0].rules).sort()).toEqual(Object.keys(LENIENT_RULES).sort());
  });

  it('creates a policy; bad input and refusals answer on their field; non-administrators are refused', async () => {
    const refused = await ivan.post('/api/v1/password-policies', { name: 'Mine', rules: {} });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toBe('Only administrators may manage password policies');

    const noName = await boss.post('/api/v1/password-policies', { name: '  ', rules: {} });
    expect(noName.status).toBe(400);
    expect(noName.json.error.field).toBe('name');
    const notNumber = await boss.post('/api/v1/password-policies', {
      name: 'Console strict',
      rules: { minLength: 'ten' },
    });
    expect(notNumber.status).toBe(400);
    expect(notNumber.json.error.field).toBe('rules.minLength');
    const tooLong = await boss.post('/api/v1/password-policies', {
      name: 'Console strict',
      rules: { sequenceLength: 11 },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error).toEqual(
      expect.objectContaining({ field: 'rules.sequenceLength', message: 'At most 10' }),
    );
    // The service's contradiction check, on the rule at fault.
    const contradictory = await boss.post('/api/v1/password-policies', {
      name: 'Console strict',
      rules: { minLength: 20, maxLength: 10 },
    });
    expect(contradictory.status).toBe(400);
    expect(contradictory.json.error).toEqual({
      code: expect.any(Number),
      field: 'rules.minLength',
      message: 'Contradictory password policy: the minimum length (20) is above the maximum length (10)',
    });
    expect(
      (await boss.get('/api/v1/password-policies')).json.items.map((p: { name: string }) => p.name),
    ).not.toContain('Console strict');

    const created = await boss.post('/api/v1/password-policies', {
      name: 'Console strict',
      description: 'For the console test',
      rules: STRICT,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toEqual({
      id: expect.any(Number),
      name: 'Console strict',
      description: 'For the console test',
      builtIn: false,
      isDefault: false,
      rules: { ...LENIENT_RULES, ...STRICT },
    });
    strictId = created.json.id;
    const duplicate = await boss.post('/api/v1/password-policies', { name: 'console STRICT', rules: {} });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.error.field).toBe('name');
    // Through the PMP API too: the same policy, stored.
    const pmp = expectSuccess(await admin(`${V1}/passwords/policies`)).details as {
      POLICIES: Record<string, string>[];
    };
    expect(pmp.POLICIES.find((p) => p.POLICYNAME === 'Console strict')).toEqual(
      expect.objectContaining({ 'PASSWORD MIN LENGTH': '14', 'NO OF SPL CHARS REQUIRED': '2' }),
    );
  });

  it('edits a policy and moves the default; the default cannot be unset', async () => {
    expect(
      (await ivan.call('PUT', `/api/v1/password-policies/${strictId}`, { body: { rules: {} } })).status,
    ).toBe(403);
    const edited = await boss.call('PUT', `/api/v1/password-policies/${strictId}`, {
      body: { description: 'Edited', rules: { validityDays: 60, checkKeyboardSequence: true } },
    });
    expect(edited.status, JSON.stringify(edited.json)).toBe(200);
    expect(edited.json.description).toBe('Edited');
    expect(edited.json.rules).toEqual({
      ...LENIENT_RULES,
      ...STRICT,
      validityDays: 60,
      checkKeyboardSequence: true,
    });
    // Minimum above maximum: refused beside Minimum length, nothing saved, whether both are sent
    // (the route's check) or the minimum alone against the stored maximum of 20 (the service's).
    const stored = (await boss.get('/api/v1/password-policies')).json.items.find(
      (p: { id: number }) => p.id === strictId,
    );
    for (const rules of [
      { minLength: 30, maxLength: 25, validityDays: 5 },
      { minLength: 21, validityDays: 5 },
    ]) {
      const refused = await boss.call('PUT', `/api/v1/password-policies/${strictId}`, {
        body: { description: 'Not saved', rules },
      });
      expect(refused.status, JSON.stringify(refused.json)).toBe(400);
      expect(refused.json.error.field).toBe('rules.minLength');
      expect(refused.json.error.message).toMatch(/the minimum length \(\d+\) is above the maximum length/);
      expect(
        (await boss.get('/api/v1/password-policies')).json.items.find(
          (p: { id: number }) => p.id === strictId,
        ),
      ).toEqual(stored);
    }
    const all = (await boss.get('/api/v1/password-policies')).json.items as { id: number; name: string }[];
    const strong = all.find((p) => p.name === 'Strong')!;
    const fixtures = all.find((p) => p.name === 'Test Fixtures')!;
    const builtInRename = await boss.call('PUT', `/api/v1/password-policies/${strong.id}`, {
      body: { name: 'Stronger' },
    });
    expect(builtInRename.status).toBe(400);
    expect(builtInRename.json.error).toEqual(
      expect.objectContaining({ field: 'name', message: 'The built-in policy Strong cannot be renamed' }),
    );
    const unset = await boss.call('PUT', `/api/v1/password-policies/${fixtures.id}`, {
      body: { isDefault: false },
    });
    expect(unset.status).toBe(400);
    expect(unset.json.error.field).toBe('isDefault');

    expect(
      (await boss.call('PUT', `/api/v1/password-policies/${strictId}`, { body: { isDefault: true } })).status,
    ).toBe(200);
    const defaults = (await boss.get('/api/v1/password-policies')).json.items
      .filter((p: { isDefault: boolean }) => p.isDefault)
      .map((p: { name: string }) => p.name);
    expect(defaults).toEqual(['Console strict']);
    // The default is not deleted.
    const deleteDefault = await boss.call('DELETE', `/api/v1/password-policies/${strictId}`);
    expect(deleteDefault.status).toBe(409);
    expect(
      (await boss.call('PUT', `/api/v1/password-policies/${strong.id}`, { body: { isDefault: true } }))
        .status,
    ).toBe(200);
    expect((await boss.call('PUT', '/api/v1/password-policies/abc', { body: { rules: {} } })).status).toBe(
      400,
    );
    expect((await boss.call('PUT', '/api/v1/password-policies/999999', { body: { rules: {} } })).status).toBe(
      404,
    );
  });

  it('generates a password under the account’s effective policy, and the change refuses one that breaks it', async () => {
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'strict-host',
          RESOURCETYPE: 'Linux',
          RESOURCEPASSWORDPOLICY: 'Console strict',
          ACCOUNTNAME: 'root',
          PASSWORD: 'Aq7#Rt2-Lm9!Zx4$',
        }),
      }),
    ).details as Record<string, string>;
    resourceId = Number(created.RESOURCEID);
    accountId = Number(created.ACCOUNTID);
    const base = `/api/v1/resources/${resourceId}/accounts/${accountId}`;

    // Someone who cannot change the account's password gets neither the policy nor a password.
    expect((await ivan.post(`${base}/generated-password`)).status).toBe(404);
    expect((await ivan.get(`${base}/password-policy`)).status).toBe(404);

    const policy = await boss.get(`${base}/password-policy`);
    expect(policy.status).toBe(200);
    expect(policy.json.policy.name).toBe('Console strict');

    const rules = policy.json.policy.rules as PolicyRules;
    for (let i = 0; i < 5; i++) {
      const generated = await boss.post(`${base}/generated-password`);
      expect(generated.status).toBe(200);
      expect(generated.json.policy.name).toBe('Console strict');
      const text: string = generated.json.password;
      expect(policyViolation(rules, text, { loginName: 'root' })).toBeUndefined();
      expect(text.length).toBeGreaterThanOrEqual(14);
      expect(text.length).toBeLessThanOrEqual(20);
      expect(text).toMatch(/^[A-Za-z]/);
      expect(text.replace(/[A-Za-z0-9]/g, '').length).toBeGreaterThanOrEqual(2);
      expect(text.replace(/[^0-9]/g, '').length).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/[A-Z]/);
      expect(text).toMatch(/[a-z]/);
    }
    const generated: string = (await boss.post(`${base}/generated-password`)).json.password;

    const weak = await boss.post(`${base}/password-change`, { password: 'short1!' });
    expect(weak.status).toBe(400);
    expect(weak.json.error.field).toBe('password');
    expect(weak.json.error.message).toContain('Console strict');
    const changed = await boss.post(`${base}/password-change`, { password: generated });
    expect(changed.status, JSON.stringify(changed.json)).toBe(200);
    const stored = expectSuccess(await admin(`${V1}/resources/${resourceId}/accounts/${accountId}/password`))
      .details as { PASSWORD: string };
    expect(stored.PASSWORD).toBe(generated);
  });

  it('refuses to delete a policy in use with the service’s message, then deletes it', async () => {
    const refused = await ivan.call('DELETE', `/api/v1/password-policies/${strictId}`);
    expect(refused.status).toBe(403);
    const inUse = await boss.call('DELETE', `/api/v1/password-policies/${strictId}`);
    expect(inUse.status).toBe(409);
    expect(inUse.json.error.message).toBe(
      'Password policy Console strict is in use by 1 resource(s) and cannot be deleted',
    );
    expectSuccess(await admin(`${V1}/resources/${resourceId}`, { method: 'DELETE' }));
    expect((await boss.call('DELETE', `/api/v1/password-policies/${strictId}`)).status).toBe(200);
    expect(
      (await boss.get('/api/v1/password-policies')).json.items.map((p: { name: string }) => p.name),
    ).not.toContain('Console strict');
    const operations = (await audit()).map(operationOf);
    expect(operations).toEqual(
      expect.arrayContaining([
        'Password Policy Created',
        'Password Policy Modified',
        'Password Policy Deleted',
      ]),
    );
  });

  it('changes one’s own password: the current one checked and counted, the policy applied, other sessions ended', async () => {
    expectSuccess(
      await admin(`${V1}/user`, {
        method: 'POST',
        input: details({ USERNAME: 'petra', ROLE: 'Password User', PASSWORD: password, POLICY: 'Medium' }),
      }),
    );
    const first = await signIn(server.baseUrl, 'petra', password);
    const here = first.client;
    const elsewhere = (await signIn(server.baseUrl, 'petra', password, first.secret)).client;
    const newPassword = 'Gr4nite-Harbour-88';

    const wrong = await here.post('/api/v1/session/password', {
      currentPassword: 'not my password',
      newPassword,
      confirmation: newPassword,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toEqual(
      expect.objectContaining({ field: 'currentPassword', message: 'The current password is not right' }),
    );
    const counted = (await audit()).filter(
      (r) => r.USERNAME === 'petra' && operationOf(r) === 'Authentication Failed',
    );
    expect(counted.map((r) => r.REASON)).toContain('change login password: wrong current password');

    const mismatch = await here.post('/api/v1/session/password', {
      currentPassword: password,
      newPassword,
      confirmation: 'something else',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error.field).toBe('confirmation');
    const weak = await here.post('/api/v1/session/password', {
      currentPassword: password,
      newPassword: 'abc',
      confirmation: 'abc',
    });
    expect(weak.status).toBe(400);
    expect(weak.json.error.field).toBe('newPassword');
    expect(weak.json.error.message).toMatch(/^The password does not satisfy the password policy Medium: /);
    const same = await here.post('/api/v1/session/password', {
      currentPassword: password,
      newPassword: password,
      confirmation: password,
    });
    expect(same.status).toBe(400);
    expect(same.json.error.field).toBe('newPassword');

    const changed = await here.post('/api/v1/session/password', {
      currentPassword: password,
      newPassword,
      confirmation: newPassword,
    });
    expect(changed.status, JSON.stringify(changed.json)).toBe(200);
    expect(changed.json).toEqual({ otherSessionsEnded: 1 });
    expect((await here.get('/api/v1/session')).status).toBe(200);
    expect((await elsewhere.get('/api/v1/session')).status).toBe(401);

    const old = await consoleClient(server.baseUrl).post('/api/v1/session/login', {
      username: 'petra',
      password,
    });
    expect(old.status).toBe(401);
    const again = consoleClient(server.baseUrl);
    const login = await again.post('/api/v1/session/login', { username: 'petra', password: newPassword });
    expect(login.status).toBe(200);
    expect(login.json.next).toBe('totp');
    // A recovery code: both TOTP steps around now may be spent by the two sign-ins above.
    const done = await again.post('/api/v1/session/second-factor', { code: first.recoveryCodes![0] });
    expect(done.status).toBe(200);

    const records = (await audit()).filter(
      (r) => r.USERNAME === 'petra' && operationOf(r) === 'Change Login Password',
    );
    expect(records).toHaveLength(1);
    expect(records[0]!.REASON).toBe('1 other console session(s) ended');
    expect(JSON.stringify(await audit())).not.toContain(newPassword);
  });

  it('a successful own password change forgets the wrong current passwords before it (as a sign-in does)', async () => {
    expectSuccess(
      await admin(`${V1}/user`, {
        method: 'POST',
        input: details({ USERNAME: 'quinn', ROLE: 'Password User', PASSWORD: password, POLICY: 'Medium' }),
      }),
    );
    const { client } = await signIn(server.baseUrl, 'quinn', password);
    const attempt = (currentPassword: string, newPassword: string) =>
      client.post('/api/v1/session/password', { currentPassword, newPassword, confirmation: newPassword });
    const next = 'Sl4te-Meadow-41';
    // Three of the four failures allowed, then the right one.
    for (let i = 0; i < 3; i++)
      expect((await attempt('wrong', next)).json.error.message).toBe('The current password is not right');
    expect((await attempt(password, next)).status).toBe(200);
    // Four more are four, not seven: answered as wrong (without the reset the second would be
    // refused as locked out); the fourth since the change starts the lockout.
    for (let i = 0; i < 4; i++)
      expect((await attempt('wrong', 'Other-Cl1ff-77')).json.error.message).toBe(
        'The current password is not right',
      );
    const locked = await attempt('wrong', 'Other-Cl1ff-77');
    expect(locked.json.error.field).toBe('currentPassword');
    expect(locked.json.error.message).toMatch(/Too many failed authentication attempts/);
  });

  it('refuses bad input to the own password change with the field', async () => {
    const empty = await ivan.post('/api/v1/session/password', {
      currentPassword: '',
      newPassword: 'x',
      confirmation: 'x',
    });
    expect(empty.status).toBe(400);
    expect(empty.json.error.field).toBe('currentPassword');
    const missing = await ivan.post('/api/v1/session/password', { currentPassword: password });
    expect(missing.status).toBe(400);
    expect(missing.json.error.field).toBe('newPassword');
  });
});
