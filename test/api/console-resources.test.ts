import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, parsePmp, pmpClient, rawRequest } from '../helpers/client.js';
import { SESSION_COOKIE, signIn, totpCode, type ConsoleClient } from '../helpers/console-client.js';
import { multipart } from '../helpers/multipart.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

/**
 * The console's resources API (ADR 042) on both dialects: paging and search over what the
 * caller may see, creation with field-level refusals, and the password through the release gate
 * with its reason prompt, audited like any retrieval.
 */
describe.each(dialects())('console resources on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let console_: ConsoleClient;
  let frank: ConsoleClient;
  const password = 'Wr1te-Only#Resources';

  beforeAll(async () => {
    // The product's default policy (Strong), so a weak password is refused as in production.
    server = await startServer(dialect, {}, { realDefaultPolicy: true });
    admin = pmpClient(server.baseUrl, server.token);
    const { credentials } = server.instance;
    console_ = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
    expectSuccess(
      await admin(`${V1}/user`, {
        method: 'POST',
        input: details({ USERNAME: 'frank', ROLE: 'Password User', PASSWORD: password }),
      }),
    );
    frank = (await signIn(server.baseUrl, 'frank', password)).client;
    // 250 resources through the PMP API: the console pages through them.
    for (let i = 0; i < 250; i++) {
      const n = String(i).padStart(3, '0');
      expectSuccess(
        await admin(`${V1}/resources`, {
          method: 'POST',
          input: details({
            RESOURCENAME: `host-${n}`,
            RESOURCETYPE: i % 2 === 0 ? 'Linux' : 'Windows',
            DNSNAME: `host-${n}.corp.example`,
            RESOURCEDESCRIPTION: i === 7 ? 'the payroll database' : '',
            ACCOUNTNAME: 'root',
            PASSWORD: `Qz-${n}-Vb7#kLm`,
            ...(i === 7 ? { ISREASONREQUIRED: 'true' } : {}),
          }),
        }),
      );
    }
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('pages through the resources by name, with the total, a search and a type filter', async () => {
    const first = await console_.get('/api/v1/resources?limit=100');
    expect(first.status).toBe(200);
    expect(first.json.total).toBe(250);
    expect(first.json.items).toHaveLength(100);
    expect(first.json.items[0]).toEqual({
      id: expect.any(Number),
      name: 'host-000',
      type: 'Linux',
      dnsName: 'host-000.corp.example',
      description: null,
      accountCount: 1,
    });
    const last = await console_.get('/api/v1/resources?offset=200&limit=100');
    expect(last.json.items.map((r: { name: string }) => r.name).at(-1)).toBe('host-249');
    expect(last.json.items).toHaveLength(50);
    const past = await console_.get('/api/v1/resources?offset=400');
    expect(past.json).toEqual({ total: 250, items: [] });

    const payroll = await console_.get('/api/v1/resources?search=PAYROLL');
    expect(payroll.json.items.map((r: { name: string }) => r.name)).toEqual(['host-007']);
    const byDns = await console_.get(`/api/v1/resources?search=${encodeURIComponent('host-12')}`);
    expect(byDns.json.total).toBe(10);
    const windows = await console_.get('/api/v1/resources?type=windows&limit=1');
    expect(windows.json.total).toBe(125);
    // LIKE wildcards are text, not patterns.
    expect((await console_.get('/api/v1/resources?search=%25')).json.total).toBe(0);
    expect((await console_.get('/api/v1/resources?search=_')).json.total).toBe(0);

    // A user sees only what is shared to them.
    expect((await frank.get('/api/v1/resources')).json).toEqual({ total: 0, items: [] });
  });

  it('refuses a bad query with the field named', async () => {
    for (const [query, field] of [
      ['limit=0', 'query.limit'],
      ['limit=501', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['offset=-1', 'query.offset'],
      [`search=${'x'.repeat(300)}`, 'query.search'],
    ] as const) {
      const answer = await console_.get(`/api/v1/resources?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.json.error.field, query).toBe(field);
    }
  });

  it('creates a resource with its first account; a refusal names the field and saves nothing', async () => {
    const account = { name: 'postgres', password: 'Tq9#vWx-4Lp!' };
    const refusals: [unknown, string, number?][] = [
      [{ name: '', type: 'Linux', accounts: [account] }, 'name'],
      [{ name: 'db-01', type: 'Toaster', accounts: [account] }, 'type'],
      [{ name: 'db-01', type: 'Linux', accounts: [] }, 'accounts'],
      [
        { name: 'db-01', type: 'Linux', accounts: [{ name: 'postgres', password: '' }] },
        'accounts.0.password',
      ],
      [{ name: 'db-\u0007', type: 'Linux', accounts: [account] }, 'name'],
      // A name taken is a conflict (409), beside the field like the rest.
      [{ name: 'host-001', type: 'Linux', accounts: [account] }, 'name', 409],
      [
        { name: 'db-01', type: 'Linux', accounts: [{ name: 'postgres', password: 'x' }] },
        'accounts.0.password',
      ],
      [{ name: 'db-01', type: 'Linux', dnsName: 7, accounts: [account] }, 'dnsName'],
    ];
    for (const [body, field, status = 400] of refusals) {
      const answer = await console_.post('/api/v1/resources', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.json.error.field, JSON.stringify(body)).toBe(field);
    }
    expect((await console_.get('/api/v1/resources?search=db-')).json.total).toBe(0);

    const created = await console_.post('/api/v1/resources', {
      name: 'db-01',
      type: 'Linux',
      dnsName: 'db-01.corp.example',
      description: 'primary database',
      accounts: [{ ...account, reasonRequired: true }],
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const shown = await console_.get(`/api/v1/resources/${created.json.id}`);
    expect(shown.json.resource).toMatchObject({ name: 'db-01', type: 'Linux', owner: 'admin' });
    expect(shown.json.accounts).toEqual([
      expect.objectContaining({ id: created.json.accountId, name: 'postgres', reasonRequired: true }),
    ]);
  });

  it('releases a password through the gate: a required reason is asked for, then audited', async () => {
    const found = (await console_.get('/api/v1/resources?search=host-007')).json.items[0];
    const resource = (await console_.get(`/api/v1/resources/${found.id}`)).json;
    const account = resource.accounts[0];
    expect(account.reasonRequired).toBe(true);
    const asked = await console_.post(`/api/v1/accounts/${account.id}/password`, {});
    expect(asked.status).toBe(400);
    expect(asked.json.error).toMatchObject({
      field: 'reason',
      message: 'Enter the reason for this retrieval',
    });
    const released = await console_.post(`/api/v1/accounts/${account.id}/password`, {
      reason: 'INC-42 payroll run',
    });
    expect(released.status).toBe(200);
    expect(released.json).toEqual({ password: 'Qz-007-Vb7#kLm' });

    const trail = expectSuccess(await admin(`${V1}/audit`, { query: { AUDITTYPE: 'Resource', LIMIT: '20' } }))
      .details as Record<string, string>[];
    const retrieval = trail.find((r) => (r.OPERATIONTYPE ?? r.OPERATION) === 'Password Retrieved');
    expect(retrieval).toMatchObject({ REASON: 'INC-42 payroll run' });
    expect(JSON.stringify(trail)).not.toContain('Qz-007-Vb7#kLm');

    // Someone without access learns nothing, and an unknown id answers the same.
    const refused = await frank.post(`/api/v1/accounts/${account.id}/password`, { reason: 'curious' });
    const unknown = await frank.post('/api/v1/accounts/999999/password', { reason: 'curious' });
    expect(refused.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(refused.json.error.message).toBe(
      `Account with ID ${account.id} does not exist in this resource or is not accessible to you`,
    );
    expect(unknown.json.error.message).toBe(
      'Account with ID 999999 does not exist in this resource or is not accessible to you',
    );
    expect((await frank.get(`/api/v1/resources/${found.id}`)).status).toBe(404);
    expect((await console_.post('/api/v1/accounts/abc/password', {})).status).toBe(400);
  });

  it('edits a resource, adds and edits accounts, changes a password and shows the history', async () => {
    const created = await console_.post('/api/v1/resources', {
      name: 'app-01',
      type: 'Linux',
      accounts: [{ name: 'deploy', password: 'Kx4#Tq9-Zr7!' }],
    });
    const id = created.json.id;
    expect(
      (await console_.call('PUT', `/api/v1/resources/${id}`, { body: { name: 'host-002' } })).json.error
        .field,
    ).toBe('name');
    const edited = await console_.call('PUT', `/api/v1/resources/${id}`, {
      body: { name: 'app-01a', description: 'renamed', dnsName: '' },
    });
    expect(edited.status, JSON.stringify(edited.json)).toBe(200);
    expect((await console_.get(`/api/v1/resources/${id}`)).json.resource).toMatchObject({
      name: 'app-01a',
      description: 'renamed',
      dnsName: null,
    });

    const added = await console_.post(`/api/v1/resources/${id}/accounts`, {
      name: 'backup',
      password: 'Vq8#Zk-Rw3!p',
      ticketRequired: true,
      ticketRequiredMandatory: true,
    });
    expect(added.status, JSON.stringify(added.json)).toBe(201);
    expect(
      (
        await console_.post(`/api/v1/resources/${id}/accounts`, {
          name: 'BACKUP',
          password: 'Vq8#Zk-Rw3!p',
        })
      ).json.error.field,
    ).toBe('name');
    expect((await console_.post(`/api/v1/accounts/${added.json.id}/password`, {})).json.error.field).toBe(
      'ticketId',
    );
    expect(
      (await console_.post(`/api/v1/accounts/${added.json.id}/password`, { ticketId: 'T-1' })).json,
    ).toEqual({
      password: 'Vq8#Zk-Rw3!p',
    });
    const relaxed = await console_.call('PUT', `/api/v1/resources/${id}/accounts/${added.json.id}`, {
      body: { ticketRequired: false, ticketRequiredMandatory: false, notes: 'nightly' },
    });
    expect(relaxed.status, JSON.stringify(relaxed.json)).toBe(200);
    expect((await console_.post(`/api/v1/accounts/${added.json.id}/password`, {})).status).toBe(200);
    // The details answer what the edit stored, and nothing secret.
    const shown = await console_.get(`/api/v1/resources/${id}/accounts/${added.json.id}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({
      id: added.json.id,
      name: 'backup',
      notes: 'nightly',
      passwordPolicy: 'Strong', // realDefaultPolicy above
      reasonRequired: false,
      ticketRequired: false,
      ticketRequiredMandatory: false,
      accessControl: false,
      hasFile: false,
    });
    expect(shown.json.lastAccessedAt).toBeGreaterThan(0);
    expect(JSON.stringify(shown.json)).not.toContain('Vq8#Zk-Rw3!p');
    expect((await frank.get(`/api/v1/resources/${id}/accounts/${added.json.id}`)).status).toBe(404);
    // The account's password policy, chosen by name as the policies list names them: one that does
    // not exist is refused beside the field and nothing changes; a real one is stored and followed.
    const accountUrl = `/api/v1/resources/${id}/accounts/${added.json.id}`;
    const unknownPolicy = await console_.call('PUT', accountUrl, {
      body: { passwordPolicy: 'No such policy', notes: 'not saved' },
    });
    expect(unknownPolicy.status).toBe(400);
    expect(unknownPolicy.json.error).toMatchObject({
      field: 'passwordPolicy',
      message: expect.stringContaining('there is no password policy named "No such policy"'),
    });
    expect((await console_.get(accountUrl)).json).toMatchObject({
      passwordPolicy: 'Strong',
      notes: 'nightly',
    });
    expect((await console_.call('PUT', accountUrl, { body: { passwordPolicy: '' } })).json.error.field).toBe(
      'passwordPolicy',
    );
    const lowered = await console_.call('PUT', accountUrl, { body: { passwordPolicy: 'low' } });
    expect(lowered.status, JSON.stringify(lowered.json)).toBe(200);
    expect((await console_.get(accountUrl)).json.passwordPolicy).toBe('Low');
    expect((await console_.get(`${accountUrl}/password-policy`)).json.policy.name).toBe('Low');
    // frank may not edit it (he cannot see it), whatever the policy.
    expect((await frank.call('PUT', accountUrl, { body: { passwordPolicy: 'Medium' } })).status).toBe(404);
    expect((await console_.get(accountUrl)).json.passwordPolicy).toBe('Low');
    expect((await console_.get(`/api/v1/resources/${id}/accounts/x1`)).status).toBe(400);

    const weak = await console_.post(
      `/api/v1/resources/${id}/accounts/${created.json.accountId}/password-change`,
      {
        password: 'x',
      },
    );
    expect(weak.status).toBe(400);
    expect(weak.json.error.field).toBe('password');
    const changed = await console_.post(
      `/api/v1/resources/${id}/accounts/${created.json.accountId}/password-change`,
      {
        password: 'Nw5#Jx2-Qt8!',
      },
    );
    expect(changed.json).toEqual({ changed: 'vault' });
    // No remote reset configured for the resource: refused, nothing changed.
    const remote = await console_.post(
      `/api/v1/resources/${id}/accounts/${created.json.accountId}/password-change`,
      {
        password: 'Nw6#Hy3-Lp9!',
        remote: true,
      },
    );
    expect(remote.status).toBe(422);
    expect(remote.json.error.message).toMatch(/not configured/);
    const history = await console_.post(
      `/api/v1/resources/${id}/accounts/${created.json.accountId}/history`,
      {},
    );
    expect(history.json.items).toEqual([{ password: 'Kx4#Tq9-Zr7!', replacedAt: expect.any(Number) }]);
    expect((await console_.get(`/api/v1/accounts/${created.json.accountId}/rotations`)).json).toEqual({
      items: [],
    });
    // frank cannot see any of it.
    expect(
      (await frank.post(`/api/v1/resources/${id}/accounts/${created.json.accountId}/history`, {})).status,
    ).toBe(404);

    expect((await console_.call('DELETE', `/api/v1/resources/${id}/accounts/${added.json.id}`)).status).toBe(
      200,
    );
    expect((await console_.get(`/api/v1/resources/${id}`)).json.accounts).toHaveLength(1);
    expect((await console_.call('DELETE', `/api/v1/resources/${id}`)).status).toBe(200);
    expect((await console_.get(`/api/v1/resources/${id}`)).status).toBe(404);
  });

  it('shows the TOTP code of an account with its remaining validity', async () => {
    expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'mfa-portal',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'ops',
          PASSWORD: 'Mf7#Portal-Pw!',
          TOTP_SECRET: 'JBSWY3DPEHPK3PXP',
        }),
      }),
    );
    const found = (await console_.get('/api/v1/resources?search=mfa-portal')).json.items[0];
    const account = (await console_.get(`/api/v1/resources/${found.id}`)).json.accounts[0];
    expect(account.totpPeriod).toBe(30);
    const code = await console_.post(`/api/v1/accounts/${account.id}/totp`, {});
    // The server's step, or the one before when a step boundary fell between the two clocks.
    expect([totpCode('JBSWY3DPEHPK3PXP'), totpCode('JBSWY3DPEHPK3PXP', Date.now() - 30_000)]).toContain(
      code.json.code,
    );
    expect(code.json.period).toBe(30);
    expect(code.json.validForSeconds).toBeGreaterThan(0);
    expect(code.json.validForSeconds).toBeLessThanOrEqual(30);
  });

  it("downloads an account's file after its reason", async () => {
    const form = multipart([
      {
        name: 'INPUT_DATA',
        value: JSON.stringify(
          details({
            RESOURCENAME: 'licences',
            RESOURCETYPE: 'File Store',
            ACCOUNTNAME: 'key',
            PASSWORD: 'Lc9#Zq4-Wm2!',
            ISREASONREQUIRED: 'true',
          }),
        ),
      },
      { name: 'file', value: 'FILE-CONTENT-42', fileName: 'licence.key' },
    ]);
    const created = parsePmp(
      await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${V1}/resources`,
        headers: { AUTHTOKEN: server.token, 'Content-Type': form.contentType },
        body: form.body,
      }),
    );
    expect(created.status, created.message).toBe('Success');
    const url = `/api/v1/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/file`;
    const refused = await console_.post(url, {});
    expect(refused.json.error.field).toBe('reason');
    const file = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: url,
      headers: {
        cookie: `${SESSION_COOKIE}=${console_.cookie}`,
        'x-csrf-token': console_.csrf!,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ reason: 'renewal' }),
    });
    expect(file.status).toBe(200);
    expect(file.text).toBe('FILE-CONTENT-42');
    expect(file.headers['content-disposition']).toContain('filename="licence.key"');
  });
});
