import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient } from '../helpers/client.js';
import { consoleClient, signIn, type ConsoleClient } from '../helpers/console-client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { rawRequest } from '../helpers/client.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

/** A wrong console password for gina: one failed sign-in for the dashboard to show. */
async function consoleFailure(baseUrl: string): Promise<void> {
  const answer = await consoleClient(baseUrl).post('/api/v1/session/login', {
    username: 'gina',
    password: 'wrong',
  });
  expect(answer.status).toBe(401);
}

/**
 * The console's sharing, access requests, users and audit trail (ADR 042) on both dialects:
 * each over the same services as the PMP endpoints, so the same rules hold.
 */
describe.each(dialects())('console workflow on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let boss: ConsoleClient;
  let gina: ConsoleClient;
  let ginaId = 0;
  let resourceId = 0;
  let accountId = 0;
  const password = 'Wr1te-Only#Workflow';

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    const { credentials } = server.instance;
    boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
    const created = await boss.post('/api/v1/users', {
      username: 'gina',
      fullName: 'Gina Operator',
      email: 'gina@corp.example',
      role: 'Password User',
      password,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json.authToken).toBeNull();
    ginaId = created.json.id;
    gina = (await signIn(server.baseUrl, 'gina', password)).client;
    const resource = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'vault-db',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'dbadmin',
          PASSWORD: 'Controlled-Pw-1!',
          ACCESS_CONTROL: 'true',
        }),
      }),
    );
    resourceId = Number((resource.details as Record<string, string>).RESOURCEID);
    accountId = Number((resource.details as Record<string, string>).ACCOUNTID);
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('shares a resource to a user, who then sees it; a user cannot grant what they do not hold', async () => {
    expect((await gina.get('/api/v1/resources')).json.total).toBe(0);
    const refused = await gina.post('/api/v1/shares', {
      resourceId,
      grantee: { kind: 'user', id: ginaId },
      permission: 'full',
    });
    expect(refused.status).toBe(404);
    const bad = await boss.post('/api/v1/shares', {
      grantee: { kind: 'user', id: ginaId },
      permission: 'view',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('resourceId');
    const shared = await boss.post('/api/v1/shares', {
      resourceId,
      grantee: { kind: 'user', id: ginaId },
      permission: 'view',
    });
    expect(shared.status, JSON.stringify(shared.json)).toBe(200);
    expect(shared.json).toEqual({ target: 'resource' });
    const seen = (await gina.get('/api/v1/resources')).json;
    expect(seen.items.map((r: { name: string }) => r.name)).toEqual(['vault-db']);
    const page = (await gina.get(`/api/v1/resources/${resourceId}`)).json;
    expect(page.accounts[0]).toMatchObject({ name: 'dbadmin', accessControl: true, checkoutRequired: true });
    expect(page.resource.permission).toBe('view');
    // The owner (the admin created it) is not subject to access control.
    const owners = (await boss.get(`/api/v1/resources/${resourceId}`)).json;
    expect(owners.accounts[0]).toMatchObject({ accessControl: true, checkoutRequired: false });
    expect(owners.resource.permission).toBe('full');
  });

  it('request, approve, check out, retrieve, check in', async () => {
    // Under access control a share alone does not release the password.
    expect((await gina.post(`/api/v1/accounts/${accountId}/password`, {})).status).toBe(403);
    const requested = await gina.post(`/api/v1/accounts/${accountId}/requests`, { reason: 'CHG-7 patching' });
    expect(requested.status, JSON.stringify(requested.json)).toBe(201);
    expect((await gina.post(`/api/v1/accounts/${accountId}/requests`, { reason: 'again' })).status).toBe(409);
    expect((await gina.get('/api/v1/requests/mine')).json.items[0]).toMatchObject({
      accountName: 'dbadmin',
      resourceName: 'vault-db',
      status: 'waiting',
      reason: 'CHG-7 patching',
      checkoutExpiresAt: null,
    });
    // Nobody approves their own request.
    expect((await gina.get('/api/v1/requests/pending')).json.items).toEqual([]);
    expect((await gina.post(`/api/v1/accounts/${accountId}/requests/${ginaId}/approve`)).status).toBe(403);

    const pending = (await boss.get('/api/v1/requests/pending')).json.items;
    expect(pending).toEqual([
      expect.objectContaining({ requesterName: 'gina', accountId, status: 'waiting' }),
    ]);
    expect((await boss.post(`/api/v1/accounts/${accountId}/requests/${ginaId}/approve`)).json).toEqual({
      status: 'approved',
    });
    expect((await gina.post(`/api/v1/accounts/${accountId}/checkout`, { reason: 'CHG-7' })).status).toBe(200);
    const mine = (await gina.get('/api/v1/requests/mine')).json.items[0];
    expect(mine.status).toBe('checked_out');
    expect(mine.checkoutExpiresAt).toBeGreaterThan(Date.now());
    expect((await gina.post(`/api/v1/accounts/${accountId}/password`, {})).json).toEqual({
      password: 'Controlled-Pw-1!',
    });
    expect((await gina.post(`/api/v1/accounts/${accountId}/requests/${ginaId}/checkin`)).status).toBe(200);
    expect((await gina.get('/api/v1/requests/mine')).json.items[0].status).toBe('checked_in');
    expect((await gina.post(`/api/v1/accounts/${accountId}/password`, {})).status).toBe(403);
    expect((await gina.post('/api/v1/accounts/0/requests', {})).status).toBe(400);
  });

  it('lists users: names for everyone, the rest for administrators; manages them', async () => {
    const asGina = (await gina.get('/api/v1/users?search=GIN')).json;
    expect(asGina).toEqual({
      total: 1,
      items: [{ id: ginaId, username: 'gina', fullName: 'Gina Operator', isApiUser: false }],
    });
    const asBoss = (await boss.get('/api/v1/users?search=gina')).json.items[0];
    expect(asBoss).toMatchObject({
      role: 'Password User',
      locked: false,
      hasTotp: true,
      email: 'gina@corp.example',
    });

    const robot = await boss.post('/api/v1/users', {
      username: 'robot',
      role: 'Password User',
      apiUser: true,
    });
    expect(robot.status).toBe(201);
    expect(robot.json.authToken).toMatch(/^[0-9A-F]{8}-/);
    const listed = JSON.stringify((await boss.get('/api/v1/users')).json);
    expect(listed).not.toContain(robot.json.authToken);

    for (const [body, field, status] of [
      [{ username: '', role: 'Password User', password }, 'username', 400],
      [{ username: 'x1', role: 'Overlord', password }, 'role', 400],
      [{ username: 'x1', role: 'Password User' }, 'password', 400],
      [{ username: 'x1', role: 'Password User', password, email: 'not-mail' }, 'email', 400],
      [{ username: 'gina', role: 'Password User', password }, 'username', 409],
    ] as const) {
      const answer = await boss.post('/api/v1/users', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.json.error.field, JSON.stringify(body)).toBe(field);
    }
    expect(
      (await gina.post('/api/v1/users', { username: 'x2', role: 'Administrator', password })).status,
    ).toBe(403);

    expect((await boss.post('/api/v1/users/lock', { username: 'robot' })).status).toBe(200);
    expect((await boss.get('/api/v1/users?search=robot')).json.items[0].locked).toBe(true);
    expect((await boss.post('/api/v1/users/unlock', { username: 'robot' })).status).toBe(200);
    expect((await gina.post('/api/v1/users/lock', { username: 'robot' })).status).toBe(403);
  });

  it('searches the audit trail, exports it as CSV, and verifies the chain', async () => {
    const found = await boss.get(
      `/api/v1/audit?type=Resource&operation=${encodeURIComponent('Password Retrieved')}&user=GIN`,
    );
    expect(found.status, JSON.stringify(found.json)).toBe(200);
    expect(found.json.total).toBe(1);
    expect(found.json.items[0]).toMatchObject({
      operation: 'Password Retrieved',
      operatorName: 'gina',
      client: 'Web Client',
      resourceName: 'vault-db',
      accountName: 'dbadmin',
    });
    const byText = await boss.get('/api/v1/audit?search=chg-7');
    expect(byText.json.items.map((r: { operation: string }) => r.operation)).toEqual(
      expect.arrayContaining(['Password Requested', 'Password Checked Out']),
    );
    const paged = await boss.get('/api/v1/audit?limit=2&offset=1');
    expect(paged.json.items).toHaveLength(2);
    expect(paged.json.total).toBeGreaterThan(10);
    const future = await boss.get(`/api/v1/audit?from=${Date.now() + 86_400_000}`);
    expect(future.json).toEqual({ total: 0, items: [] });
    const backwards = await boss.get('/api/v1/audit?from=2000&to=1000');
    expect(backwards.status).toBe(400);
    expect(backwards.json.error.field).toBe('query.to');
    expect((await gina.get('/api/v1/audit')).status).toBe(403);
    expect((await gina.get('/api/v1/audit/export')).status).toBe(403);

    // A reason that a spreadsheet would run as a formula is exported as text.
    await gina.post(`/api/v1/accounts/${accountId}/requests`, { reason: '=HYPERLINK("http://x")' });
    const csv = await rawRequest(server.baseUrl, {
      path: '/api/v1/audit/export?type=Resource&search=hyperlink',
      headers: { cookie: `__Host-bulwark-session=${boss.cookie}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="bulwark-audit-.*\.csv"/);
    const lines = csv.text
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(
      'Sequence,Time (UTC),Type,Operation,User,Client IP,Client,Resource,Account,Target user,Reason,Ticket ID',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://x"")"`);
    const all = await rawRequest(server.baseUrl, {
      path: '/api/v1/audit/export',
      headers: { cookie: `__Host-bulwark-session=${boss.cookie}` },
    });
    // Every record up to the export's own record, which comes first (newest first).
    const exported = all.text.trimEnd().split('\r\n').slice(1);
    expect(exported.length).toBe((await boss.get('/api/v1/audit?limit=1')).json.total);
    expect(exported[0]).toContain('Audit Trail Exported');
    expect((await boss.get('/api/v1/audit?operation=Audit%20Trail%20Exported')).json.total).toBe(2);

    const verified = await boss.post('/api/v1/audit/verify');
    expect(verified.json).toMatchObject({ ok: true, problemCount: 0 });
    expect(verified.json.checked).toBeGreaterThan(10);
  });

  it('summarises on the dashboard what each caller may see', async () => {
    await consoleFailure(server.baseUrl);
    const mine = (await gina.get('/api/v1/dashboard')).json;
    expect(mine.passwords).toEqual({
      accounts: 1,
      expired: 0,
      byAge: expect.arrayContaining([{ label: 'under 30 days', count: 1 }]),
    });
    expect(mine.retrievals.scope).toBe('mine');
    expect(mine.retrievals.days).toHaveLength(30);
    expect(mine.retrievals.days.at(-1)).toEqual({ day: new Date().toISOString().slice(0, 10), count: 1 });
    expect(mine.failedLogins).toBeUndefined();
    expect(mine.certificates).toEqual([]);

    const all = (await boss.get('/api/v1/dashboard')).json;
    expect(all.passwords.accounts).toBe(1);
    expect(all.retrievals.scope).toBe('everyone');
    expect(all.failedLogins.total).toBeGreaterThanOrEqual(1);
    expect(all.failedLogins.recent[0]).toMatchObject({ user: 'gina', clientIp: '127.0.0.1' });
  });
});
