import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser } from '../helpers/actors.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

/**
 * Password policies over a real HTTPS port on each dialect, with the product's real default
 * policy (Strong): listing (77), generation (16), validation (86), the native create, edit and
 * delete, the CLI, and enforcement when accounts are created (6, 21) and passwords changed (5).
 */
describe.each(dialects())('password policies on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let user: ReturnType<typeof pmpClient>;
  const V1 = '/restapi/json/v1';
  const POLICIES = `${V1}/passwords/policies`;

  const list = async () => ok(await admin(POLICIES)).details.POLICIES as Record<string, string>[];
  const byName = async (name: string) => (await list()).find((p) => p.POLICYNAME === name);

  beforeAll(async () => {
    server = await startServer(dialect, {}, { realDefaultPolicy: true });
    admin = pmpClient(server.baseUrl, server.token);
    user = (await createApiUser(server, 'plain', 'Password User')).call;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('77 lists the four built-ins with every attribute; Strong is the default', async () => {
    const answer = ok(await user(POLICIES), 'GET PASSWORD POLICIES');
    expect(answer.message).toBe('Password Policies fetched successfully');
    const policies = answer.details.POLICIES as Record<string, string>[];
    expect(policies.map((p) => p.POLICYNAME)).toEqual(['Low', 'Medium', 'Strong', 'Offline Password File']);
    const strong = policies[2]!;
    expect(strong).toMatchObject({
      POLICYNAME: 'Strong',
      DEFAULTPOLICY: 'true',
      'PASSWORD MIN LENGTH': '8',
      'ENFORCE MIXED CASE': 'true',
      'ENFORCE SPL CHARS': 'true',
      'NO OF SPL CHARS REQUIRED': '1',
      'ENFORCE STARTING WITH AN ALPHABET': 'true',
      'CHECK DICTIONARY WORD': 'true',
      'CHECK SEQUENCE': 'true',
      'SEQUENCE LENGTH': '5',
      'CHECK REPEATED SUBSTRING': 'true',
      'REUSE OF OLD PASSWORDS': "Don't allow last 10 passwords",
      'PASSWORD VALIDITY PERIOD': '30',
      'KEYBOARD LAYOUT': 'QWERTY',
    });
    // Every attribute of the document's sample, on every policy.
    for (const policy of policies) {
      for (const key of [
        'POLICYID',
        'DESCRIPTION',
        'PASSWORD MAX LENGTH',
        'ENFORCE NUMERALS',
        'NUMBER OF NUMERALS',
        'NUMBER OF UPPERCASE CHARACTERS REQUIRED',
        'NUMBER OF LOWERCASE CHARACTERS REQUIRED',
        'CHECK ANAGRAM OF LOGINNAME',
        'PASSWORD CAN CONTAIN LOGINNAME',
        'CHECK OBVIOUS SUBSTITUTION',
        'CHECK KEYBOARD SEQUENCE',
        'CHECK ALPHABET SEQUENCE',
        'CHECK NUMERIC SEQUENCE',
        'CHECK CONSECUTIVE SEQUENCE',
        'CHECK SIMILARITY OF PASSWORDS',
        'NUMBER OF PASSWORDS TO CHECK FOR SIMILARITY',
        'DICTIONARY NAME',
      ]) {
        expect(typeof policy[key], `${policy.POLICYNAME}: ${key}`).toBe('string');
      }
    }
    expect(policies.filter((p) => p.DEFAULTPOLICY === 'true')).toHaveLength(1);
  });

  it('16 generates passwords that the named (or default) policy accepts; 86 validates them', async () => {
    for (const policy of [undefined, 'Low', 'medium', 'Strong', 'Offline Password File']) {
      for (let i = 0; i < 5; i++) {
        const answer = ok(
          await user(`${V1}/passwords/generate`, policy ? { input: details({ POLICY: policy }) } : {}),
          'GENERATE PASSWORD',
        );
        expect(answer.message).toBe('Password generated successfully.');
        const password = answer.details.PASSWORD as string;
        const check = ok(
          await user(`${V1}/passwords/validate`, {
            method: 'POST',
            input: { operation: { details: { password, passwordPolicy: policy ?? 'Strong' } } },
          }),
          'VALIDATE_PASSWORD',
        );
        expect(check.message).toBe('Valid');
        expect(check.statusCode).toBe(20000);
        expect(check.details).toBeUndefined();
      }
    }
    failed(
      await user(`${V1}/passwords/generate`, { input: details({ POLICY: 'Ultra' }) }),
      /no password policy named "Ultra"/,
    );
  });

  it('86 answers the rule that failed, by name or id, never quoting the password', async () => {
    const validate = (fields: Record<string, unknown>) =>
      user(`${V1}/passwords/validate`, { method: 'POST', input: { operation: { details: fields } } });
    ok(await validate({ password: 'Test@123', passwordPolicy: 'Strong' }));
    const strongId = (await byName('Strong'))!.POLICYID;
    ok(await validate({ password: 'Test@123', passwordPolicyId: strongId }));
    const weak = failed(
      await validate({ password: 'secretpassword', passwordPolicy: 'Strong' }),
      'Password must contain at least 1 upper-case letter',
    );
    expect(weak.name).toBe('VALIDATE_PASSWORD');
    expect(weak.http.text).not.toContain('secretpassword');
    failed(await validate({ password: 'Xq#9Summer', passwordPolicyId: strongId }), /dictionary word/);
    failed(await validate({ password: 'abc', passwordPolicy: 'Low' }), /at least 4 characters/);
    failed(await validate({ password: 'abc', passwordPolicy: 'Nope' }), /no password policy "Nope"/);
    failed(await validate({ password: 'abc', passwordPolicyId: '12x' }), /not a valid password policy ID/);
    failed(await validate({ password: 'abc' }), /passwordPolicy or passwordPolicyId is mandatory/);
    failed(await validate({ passwordPolicy: 'Low' }), /password is mandatory/);
  });

  it('administrators create, edit and delete custom policies; contradictions and others change nothing', async () => {
    const before = await list();
    const create = (fields: Record<string, unknown>, who = admin) =>
      who(POLICIES, { method: 'POST', input: details(fields) });
    failed(
      await create({ POLICYNAME: 'Bad', 'PASSWORD MIN LENGTH': '12', 'PASSWORD MAX LENGTH': '8' }),
      /minimum length \(12\) is above the maximum length \(8\)/,
    );
    failed(
      await create({ POLICYNAME: 'Bad', 'PASSWORD MAX LENGTH': '4', 'NO OF SPL CHARS REQUIRED': '5' }),
      /exceed the maximum length/,
    );
    failed(await create({ POLICYNAME: 'Bad', 'PASSWORD MIN LENGTH': '-1' }), /whole number/);
    failed(await create({ POLICYNAME: 'Bad', 'ENFORCE MIXED CASE': 'maybe' }), /"true" or "false"/);
    failed(await create({ POLICYNAME: 'strong' }), /already exists/);
    failed(await create({ 'PASSWORD MIN LENGTH': '8' }), /POLICYNAME is mandatory/);
    failed(await create({ POLICYNAME: 'Mine' }, user), /Only administrators may manage password policies/);
    expect(await list()).toEqual(before);

    const created = ok(
      await create({
        POLICYNAME: 'Database',
        DESCRIPTION: 'for database accounts',
        'PASSWORD MIN LENGTH': '10',
        'PASSWORD MAX LENGTH': '20',
        'ENFORCE NUMERALS': 'true',
        'NUMBER OF NUMERALS': 2,
        'PASSWORD CAN CONTAIN LOGINNAME': 'false',
        'REUSE OF OLD PASSWORDS': "Don't allow last 2 passwords",
      }),
      'CREATE PASSWORD POLICY',
    );
    expect(created.message).toBe('Password policy Database created successfully');
    const id = created.details.POLICYID as string;
    expect(await byName('Database')).toMatchObject({
      POLICYID: id,
      'PASSWORD MIN LENGTH': '10',
      'NUMBER OF NUMERALS': '2',
      'PASSWORD CAN CONTAIN LOGINNAME': 'false',
      'REUSE OF OLD PASSWORDS': "Don't allow last 2 passwords",
      DEFAULTPOLICY: 'false',
    });

    const edit = (policyId: string, fields: Record<string, unknown>, who = admin) =>
      who(`${POLICIES}/${policyId}`, { method: 'PUT', input: details(fields) });
    const saved = await byName('Database');
    failed(await edit(id, { 'PASSWORD MAX LENGTH': '5' }), /minimum length \(10\) is above/);
    failed(await edit(id, { 'PASSWORD MAX LENGTH': '30' }, user), /Only administrators/);
    failed(await edit('99999', { 'PASSWORD MAX LENGTH': '30' }), /does not exist/);
    failed(await edit('junk', { 'PASSWORD MAX LENGTH': '30' }), /not a valid password policy ID/);
    failed(await edit('1', { POLICYNAME: 'Lowest' }), /cannot be renamed/);
    expect(await byName('Database')).toEqual(saved);
    ok(await edit(id, { 'PASSWORD MAX LENGTH': '30', DEFAULTPOLICY: 'true' }), 'EDIT PASSWORD POLICY');
    expect(await byName('Database')).toMatchObject({ 'PASSWORD MAX LENGTH': '30', DEFAULTPOLICY: 'true' });
    expect((await byName('Strong'))!.DEFAULTPOLICY).toBe('false');
    // The default applies where no policy is named.
    failed(
      await user(`${V1}/passwords/validate`, {
        method: 'POST',
        input: { operation: { details: { password: 'Test@123', passwordPolicyId: id } } },
      }),
      /at least 10 characters/,
    );
    const generated = ok(await user(`${V1}/passwords/generate`)).details.PASSWORD as string;
    expect(generated.length).toBeGreaterThanOrEqual(10);
    failed(await admin(`${POLICIES}/${id}`, { method: 'DELETE' }), /is the default/);
    ok(await edit((await byName('Strong'))!.POLICYID!, { DEFAULTPOLICY: 'true' }));

    failed(await admin(`${POLICIES}/1`, { method: 'DELETE' }), /built-in policy Low cannot be deleted/);
  });

  it('a policy in use cannot be deleted; an unused one can, by administrators only', async () => {
    const id = (await byName('Database'))!.POLICYID!;
    const resource = ok(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'pg-main',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'postgres',
          PASSWORD: 'Kv7#mWq2zr',
          RESOURCEPASSWORDPOLICY: 'database',
        }),
      }),
    );
    failed(
      await admin(`${POLICIES}/${id}`, { method: 'DELETE' }),
      /in use by 1 resource\(s\) and cannot be deleted/,
    );
    ok(await admin(`${V1}/resources/${resource.details.RESOURCEID}`, { method: 'DELETE' }));
    failed(await user(`${POLICIES}/${id}`, { method: 'DELETE' }), /Only administrators/);
    const deleted = ok(await admin(`${POLICIES}/${id}`, { method: 'DELETE' }), 'DELETE PASSWORD POLICY');
    expect(deleted.message).toBe('Password policy Database deleted successfully');
    expect(await byName('Database')).toBeUndefined();
    failed(await admin(`${POLICIES}/${id}`, { method: 'DELETE' }), /does not exist/);
    const audit = ok(await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User' } }));
    const operations = JSON.stringify(audit.details);
    expect(operations).toContain('Password Policy Created');
    expect(operations).toContain('Password Policy Modified');
    expect(operations).toContain('Password Policy Deleted');
  });

  it('6 and 21 refuse a password that breaks the account, resource or default policy, with the reason', async () => {
    const createResource = (fields: Record<string, unknown>) =>
      admin(`${V1}/resources`, { method: 'POST', input: details({ RESOURCETYPE: 'Linux', ...fields }) });
    const weak = failed(
      await createResource({ RESOURCENAME: 'weak', ACCOUNTNAME: 'root', PASSWORD: 'hunter2' }),
      /password policy Strong: Password must be at least 8 characters long/,
    );
    expect(weak.http.text).not.toContain('hunter2');
    ok(
      await createResource({
        RESOURCENAME: 'low',
        ACCOUNTNAME: 'root',
        PASSWORD: 'hunter2',
        RESOURCEPASSWORDPOLICY: 'Low',
      }),
    );
    failed(
      await createResource({
        RESOURCENAME: 'low2',
        ACCOUNTNAME: 'root',
        PASSWORD: 'hunter2',
        RESOURCEPASSWORDPOLICY: 'Low',
        ACCOUNTPASSWORDPOLICY: 'Strong',
      }),
      /policy Strong/,
    );
    failed(
      await createResource({
        RESOURCENAME: 'nope',
        ACCOUNTNAME: 'root',
        PASSWORD: 'Kv7#mWq2zr',
        RESOURCEPASSWORDPOLICY: 'Nope',
      }),
      /no password policy named "Nope"/,
    );
    const strong = ok(
      await createResource({ RESOURCENAME: 'strong', ACCOUNTNAME: 'root', PASSWORD: 'Kv7#mWq2zr' }),
    );
    const rid = strong.details.RESOURCEID as string;
    const resources = ok(await admin(`${V1}/resources`)).details as Record<string, string>[];
    expect(resources.map((r) => r['RESOURCE NAME']).sort()).toEqual(['low', 'strong']);

    const added = await admin(`${V1}/resources/${rid}/accounts`, {
      method: 'POST',
      input: details({
        ACCOUNTLIST: [
          { ACCOUNTNAME: 'weakling', PASSWORD: 'password1' },
          { ACCOUNTNAME: 'lowly', PASSWORD: 'abcd', ACCOUNTPASSWORDPOLICY: 'Low' },
          { ACCOUNTNAME: 'solid', PASSWORD: 'Qm4!vTr8pz' },
        ],
      }),
    });
    expect(added.status).toBe('Success');
    const outcomes = added.details[0] as Record<string, { STATUS: string }>;
    expect(outcomes.weakling!.STATUS).toMatch(
      /password policy Strong: Password must contain at least 1 upper-case letter/,
    );
    expect(outcomes.lowly!.STATUS).toBe('Account added successfully');
    expect(outcomes.solid!.STATUS).toBe('Account added successfully');
    expect(added.http.text).not.toContain('password1');
    const accounts = ok(await admin(`${V1}/resources/${rid}/accounts`)).details['ACCOUNT LIST'] as Record<
      string,
      string
    >[];
    expect(accounts.map((a) => a['ACCOUNT NAME']).sort()).toEqual(['lowly', 'root', 'solid']);
  });

  it('5 refuses a new password that breaks the policy or reuses one of the last N', async () => {
    ok(
      await admin(POLICIES, {
        method: 'POST',
        input: details({
          POLICYNAME: 'Reuse3',
          'PASSWORD MIN LENGTH': '4',
          'REUSE OF OLD PASSWORDS': '3',
          'PASSWORD CAN CONTAIN LOGINNAME': 'false',
        }),
      }),
    );
    const created = ok(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'rotating',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'deploy',
          PASSWORD: 'first',
          ACCOUNTPASSWORDPOLICY: 'reuse3',
        }),
      }),
    );
    const path = `${V1}/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/password`;
    const change = (password: string) =>
      admin(path, { method: 'PUT', input: details({ NEWPASSWORD: password, RESETTYPE: 'LOCAL' }) });
    const current = async () => ok(await admin(path)).details.PASSWORD as string;
    failed(await change('first'), /policy Reuse3: Password must not be one of the last 3 passwords/);
    failed(await change('xx'), /at least 4 characters/);
    failed(await change('my-deploy-key'), /login name/);
    ok(await change('second'), 'CHANGE PASSWORD');
    ok(await change('third'));
    failed(await change('first'), /last 3 passwords/);
    failed(await change('second'), /last 3 passwords/);
    ok(await change('fourth'));
    // 'first' is now the 4th most recent: allowed again.
    ok(await change('first'));
    expect(await current()).toBe('first');
    const history = ok(await admin(`${path.replace(/\/password$/, '')}/passwordhistory`))
      .details as unknown[];
    expect(history).toHaveLength(4);
  });

  it('login passwords of new users follow their POLICY with the same engine', async () => {
    const create = (fields: Record<string, unknown>) =>
      admin(`${V1}/user`, { method: 'POST', input: details({ ROLE: 'Password User', ...fields }) });
    failed(
      await create({ USERNAME: 'weakuser', PASSWORD: 'Summer#2024' }),
      /password policy Strong: Password must not be or contain a common dictionary word/,
    );
    ok(await create({ USERNAME: 'jason1', PASSWORD: 'Test@123', POLICY: 'Strong' }));
    ok(await create({ USERNAME: 'lowuser', PASSWORD: 'abcd', POLICY: 'low' }));
  });

  it('the CLI lists, creates, edits and deletes policies', async () => {
    const cli = (...args: string[]) =>
      server.instance.cli('policy', ...args, '--data-dir', server.instance.dataDir);
    const listed = await cli('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^3\tStrong \(default, built-in\)\tPassword with strict constraints$/m);
    const bad = await cli(
      'create',
      '--name',
      'Cli',
      '--set',
      'PASSWORD MIN LENGTH=20',
      '--set',
      'PASSWORD MAX LENGTH=10',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/minimum length \(20\) is above the maximum length \(10\)/);
    const created = await cli(
      'create',
      '--name',
      'Cli',
      '--description',
      'from the shell',
      '--set',
      'PASSWORD MIN LENGTH=14',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/Password policy Cli \(\d+\) created/);
    expect(await byName('Cli')).toMatchObject({ 'PASSWORD MIN LENGTH': '14', DESCRIPTION: 'from the shell' });
    expect((await cli('edit', 'cli', '--set', 'ENFORCE SPL CHARS=true')).code).toBe(0);
    expect(await byName('Cli')).toMatchObject({
      'ENFORCE SPL CHARS': 'true',
      'NO OF SPL CHARS REQUIRED': '1',
    });
    const json = JSON.parse((await cli('list', '--json')).stdout) as Record<string, string>[];
    expect(json.map((p) => p.POLICYNAME)).toContain('Cli');
    const builtIn = await cli('delete', 'Strong');
    expect(builtIn.code).toBe(1);
    expect(builtIn.stderr).toMatch(/built-in policy Strong cannot be deleted/);
    expect((await cli('delete', 'Cli')).code).toBe(0);
    expect(await byName('Cli')).toBeUndefined();
    expect((await cli('delete', 'Cli')).stderr).toMatch(/there is no password policy "Cli"/);
  });
});
