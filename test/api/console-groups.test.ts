import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient } from '../helpers/client.js';
import { signIn, type ConsoleClient } from '../helpers/console-client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

/**
 * Resource groups (static and dynamic, the criteria builder), the resource list filtered by a
 * group, and user groups as share targets, through the console's API on both dialects.
 */
describe.each(dialects())('console groups on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let boss: ConsoleClient;
  let ivan: ConsoleClient;
  const password = 'Wr1te-Only#Groups';
  const ids = new Map<string, number>();

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    const { credentials } = server.instance;
    boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
    expect(
      (await boss.post('/api/v1/users', { username: 'ivan', role: 'Password User', password })).status,
    ).toBe(201);
    ivan = (await signIn(server.baseUrl, 'ivan', password)).client;
    for (const [name, department] of [
      ['web-01', 'Operations'],
      ['web-02', 'Operations'],
      ['db-01', 'Finance'],
    ] as const) {
      const created = expectSuccess(
        await admin(`${V1}/resources`, {
          method: 'POST',
          input: details({
            RESOURCENAME: name,
            RESOURCETYPE: 'Linux',
            DEPARTMENT: department,
            ACCOUNTNAME: 'root',
            PASSWORD: 'Gq7#Rt2-Lm9!',
          }),
        }),
      );
      ids.set(name, Number((created.details as Record<string, string>).RESOURCEID));
    }
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  const names = async (client: ConsoleClient, query: string) =>
    ((await client.get(`/api/v1/resources?${query}`)).json.items ?? []).map((r: { name: string }) => r.name);

  it('creates a dynamic group from criteria and filters the list by it', async () => {
    const refused = await boss.post('/api/v1/resource-groups', {
      name: 'web',
      type: 'dynamic',
      criteria: [],
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error.field).toBe('criteria');
    const badOperator = await boss.post('/api/v1/resource-groups', {
      name: 'web',
      type: 'dynamic',
      criteria: [{ field: 'name', operator: 'LIKE', value: 'web' }],
    });
    expect(badOperator.json.error.field).toBe('criteria.0.operator');

    const created = await boss.post('/api/v1/resource-groups', {
      name: 'Operations web',
      type: 'dynamic',
      matchAll: true,
      criteria: [
        { field: 'department', operator: 'EQUALS', value: 'operations' },
        { field: 'name', operator: 'STARTS WITH', value: 'web-' },
      ],
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const listed = (await boss.get('/api/v1/resource-groups')).json;
    expect(listed.items).toEqual([
      expect.objectContaining({
        id: created.json.id,
        name: 'Operations web',
        type: 'dynamic',
        isOwner: true,
      }),
    ]);
    expect(listed.fields).toContain('department');
    expect(await names(boss, `group=${created.json.id}`)).toEqual(['web-01', 'web-02']);
    // A group the caller cannot see filters like one that does not exist.
    const hidden = await ivan.get(`/api/v1/resources?group=${created.json.id}`);
    expect(hidden.status).toBe(404);
    expect(hidden.json.error.field).toBe('query.group');
    expect((await boss.get('/api/v1/resources?group=abc')).status).toBe(400);
  });

  it('creates a static group, adds and removes members, deletes it', async () => {
    const created = await boss.post('/api/v1/resource-groups', { name: 'Databases', type: 'static' });
    expect(created.status).toBe(201);
    expect(
      (await boss.post('/api/v1/resource-groups', { name: 'databases', type: 'static' })).json.error.field,
    ).toBe('name');
    const added = await boss.post(`/api/v1/resource-groups/${created.json.id}/resources`, {
      resourceIds: [ids.get('db-01')],
      add: true,
    });
    expect(added.json.items).toEqual([expect.objectContaining({ id: ids.get('db-01'), ok: true })]);
    expect(await names(boss, `group=${created.json.id}`)).toEqual(['db-01']);
    await boss.post(`/api/v1/resource-groups/${created.json.id}/resources`, {
      resourceIds: [ids.get('db-01')],
      add: false,
    });
    expect(await names(boss, `group=${created.json.id}`)).toEqual([]);
    // A group ivan cannot see answers as one that does not exist.
    expect((await ivan.call('DELETE', `/api/v1/resource-groups/${created.json.id}`)).status).toBe(404);
    expect((await boss.call('DELETE', `/api/v1/resource-groups/${created.json.id}`)).status).toBe(200);
    expect(
      (await boss.get('/api/v1/resource-groups')).json.items.map((g: { name: string }) => g.name),
    ).toEqual(['Operations web']);
  });

  it('manages user groups and shares a resource to one; its members then see it', async () => {
    const created = await boss.post('/api/v1/user-groups', { name: 'Night shift', description: 'on call' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect((await ivan.post('/api/v1/user-groups', { name: 'Mine' })).status).toBe(403);
    expect((await boss.post('/api/v1/user-groups', { name: 'night SHIFT' })).json.error.field).toBe('name');
    expect(
      (await boss.post(`/api/v1/user-groups/${created.json.id}/members`, { username: 'ivan' })).status,
    ).toBe(200);
    expect(
      (await boss.post(`/api/v1/user-groups/${created.json.id}/members`, { username: 'ivan' })).status,
    ).toBe(409);
    expect((await boss.get(`/api/v1/user-groups/${created.json.id}/members`)).json.items).toEqual([
      { id: expect.any(Number), username: 'ivan', fullName: null },
    ]);
    expect((await ivan.get(`/api/v1/user-groups/${created.json.id}/members`)).status).toBe(403);
    expect((await boss.get('/api/v1/user-groups/999999/members')).status).toBe(404);
    // Everyone sees the groups: they are share targets.
    expect((await ivan.get('/api/v1/user-groups')).json.items).toEqual([
      { id: created.json.id, name: 'Night shift', description: 'on call', members: 1 },
    ]);

    expect(await names(ivan, '')).toEqual([]);
    const shared = await boss.post('/api/v1/shares', {
      resourceId: ids.get('web-01'),
      grantee: { kind: 'group', id: created.json.id },
      permission: 'view',
    });
    expect(shared.status, JSON.stringify(shared.json)).toBe(200);
    expect(await names(ivan, '')).toEqual(['web-01']);

    const me = (await ivan.get('/api/v1/session')).json.user.id;
    expect((await boss.call('DELETE', `/api/v1/user-groups/${created.json.id}/members/${me}`)).status).toBe(
      200,
    );
    expect(await names(ivan, '')).toEqual([]);
    expect((await boss.call('DELETE', `/api/v1/user-groups/${created.json.id}/members/${me}`)).status).toBe(
      404,
    );
    expect((await boss.call('DELETE', `/api/v1/user-groups/${created.json.id}`)).status).toBe(200);
    expect((await boss.get('/api/v1/user-groups')).json.items).toEqual([]);
  });
});
