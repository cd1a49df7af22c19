/**
 * The SSH key lifecycle through the console's API on both dialects (issue 15; ADR 031, 033, 034,
 * 035): sharing with users and groups (only the owner or a super administrator; a share shows the
 * key to the grantee, a revoke hides it again; refusals beside their field), and against a real
 * sshd with real local accounts: discovery of one resource (known and unknown keys, an unknown one
 * imported becomes known) and of a resource group as a job, rotation now (the host's
 * authorized_keys holds the new line and not the old one; the rotations listed), and deleting a
 * key that has deployments (removed from the host first, or left there when asked).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pmpClient } from '../helpers/client.js';
import { signIn, type ConsoleClient } from '../helpers/console-client.js';
import { configureRemoteReset, createTargetResource } from '../helpers/remote-reset.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import {
  authorizedKeyBlobs,
  createUser,
  keyBlob,
  removeUsers,
  sshdProblem,
  startSshd,
  type SshServer,
} from '../helpers/sshd.js';

const noSshd = sshdProblem();

describe.each(dialects())('console SSH key lifecycle on %s', (dialect) => {
  let server: RunningServer;
  let boss: ConsoleClient;
  let ivan: ConsoleClient;
  let dir: string;
  let sshd: SshServer | undefined;
  const password = 'Wr1te-Only#Keys';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-console-key-life-'));
    server = await startServer(dialect, { BULWARK_REMOTE_TIMEOUT_SECONDS: '12' });
    const { credentials } = server.instance;
    boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
    for (const username of ['ivan', 'olga']) {
      expect((await boss.post('/api/v1/users', { username, role: 'Password User', password })).status).toBe(
        201,
      );
    }
    ivan = (await signIn(server.baseUrl, 'ivan', password)).client;
  }, 120_000);

  afterAll(async () => {
    await sshd?.stop();
    removeUsers();
    await server?.stop();
    server?.instance.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const names = async (client: ConsoleClient) =>
    ((await client.get('/api/v1/ssh-keys')).json.items as { name: string }[]).map((k) => k.name).sort();
  const share = (
    client: ConsoleClient,
    id: number,
    kind: 'user' | 'group',
    name: string,
    permission: string,
  ) => client.post(`/api/v1/ssh-keys/${id}/shares`, { grantee: { kind, name }, permission });

  it('shares a key with a user and a user group; the grantee sees it until the share is revoked', async () => {
    const key = await boss.post('/api/v1/ssh-keys', { name: 'shared-ed', type: 'ed25519' });
    expect(key.status).toBe(201);
    expect(await names(ivan)).toEqual([]);

    const shared = await share(boss, key.json.id, 'user', 'ivan', 'view');
    expect(shared.status, JSON.stringify(shared.json)).toBe(200);
    expect(shared.json).toEqual({ key: 'shared-ed', grantee: 'user ivan', shared: true });
    expect(await names(ivan)).toEqual(['shared-ed']);
    // View access: the key is one ivan may read, not one he may pass on (only the owner shares).
    const passedOn = await share(ivan, key.json.id, 'user', 'olga', 'view');
    expect(passedOn.status).toBe(403);
    expect(passedOn.json.error.message).toMatch(/Only the owner of SSH key shared-ed/);

    // Refusals about whom the share names are beside that field; nothing is saved.
    const nobody = await share(boss, key.json.id, 'user', 'no-such-user', 'view');
    expect([nobody.status, nobody.json.error.field]).toEqual([404, 'grantee.name']);
    const owner = await share(boss, key.json.id, 'user', server.instance.credentials.username, 'full');
    expect([owner.status, owner.json.error.field]).toEqual([400, 'grantee.name']);
    const badPermission = await share(boss, key.json.id, 'user', 'olga', 'everything');
    expect([badPermission.status, badPermission.json.error.field]).toEqual([400, 'permission']);
    const blank = await share(boss, key.json.id, 'user', '  ', 'view');
    expect([blank.status, blank.json.error.field]).toEqual([400, 'grantee.name']);
    const noGroup = await share(boss, key.json.id, 'group', 'no-such-group', 'view');
    expect([noGroup.status, noGroup.json.error.field]).toEqual([404, 'grantee.name']);
    const olga = (await signIn(server.baseUrl, 'olga', password)).client;
    expect(await names(olga)).toEqual([]);

    // A group share reaches its members.
    const group = await boss.post('/api/v1/user-groups', { name: 'key-ops', description: '' });
    expect(group.status, JSON.stringify(group.json)).toBe(201);
    expect(
      (await boss.post(`/api/v1/user-groups/${group.json.id}/members`, { username: 'olga' })).status,
    ).toBeLessThan(300);
    expect((await share(boss, key.json.id, 'group', 'key-ops', 'view')).status).toBe(200);
    expect(await names(olga)).toEqual(['shared-ed']);

    const revoked = await share(boss, key.json.id, 'user', 'ivan', 'revoke');
    expect(revoked.json).toEqual({ key: 'shared-ed', grantee: 'user ivan', shared: false });
    expect(await names(ivan)).toEqual([]);
    // Refused by the console's own lookup (getById, the same check as the service), before anything reads it.
    const hidden = await ivan.get(`/api/v1/ssh-keys/${key.json.id}/deployments`);
    expect([hidden.status, hidden.json.error.message]).toEqual([
      404,
      `SSH key with ID ${key.json.id} does not exist`,
    ]);
    const again = await share(boss, key.json.id, 'user', 'ivan', 'revoke');
    expect([again.status, again.json.error.field]).toEqual([404, 'grantee.name']);

    const audit = await boss.get(`/api/v1/audit?operation=${encodeURIComponent('SSH Key Shared')}`);
    expect(audit.json.items.map((r: any) => [r.resourceName, r.client])).toEqual([
      ['SSH key shared-ed', 'Web Client'],
      ['SSH key shared-ed', 'Web Client'],
    ]);
  });

  it('sets, changes and removes a rotation schedule; bad timings are refused beside their field', async () => {
    const key = await boss.post('/api/v1/ssh-keys', { name: `scheduled-${dialect}`, type: 'ed25519' });
    expect(key.status).toBe(201);
    const url = `/api/v1/ssh-keys/${key.json.id}/rotation-schedule`;
    const put = (client: ConsoleClient, body: unknown) => client.call('PUT', url, { body });
    const schedule = async () => (await boss.get(`/api/v1/ssh-keys/${key.json.id}/rotations`)).json.schedule;

    for (const [body, field] of [
      [{}, 'everyDays'],
      [{ everyDays: 30, cron: '0 2 * * 0' }, 'everyDays'],
      [{ everyDays: 0 }, 'everyDays'],
      [{ everyDays: 3651 }, 'everyDays'],
      [{ everyDays: 1.5 }, 'everyDays'],
      [{ cron: 'not a cron' }, 'cron'],
      [{ cron: '0 0 31 2 *' }, 'cron'],
      [{ cron: '   ' }, 'cron'],
    ] as const) {
      const refused = await put(boss, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.json.error.field, JSON.stringify(refused.json)).toBe(field);
    }
    expect(await schedule()).toBeNull();
    // Ivan cannot see the key: as if it did not exist, and nothing is set.
    expect((await put(ivan, { everyDays: 7 })).status).toBe(404);
    expect((await ivan.call('DELETE', url)).status).toBe(404);
    expect(await schedule()).toBeNull();

    const before = Date.now();
    const weekly = await put(boss, { everyDays: 7 });
    expect(weekly.status, JSON.stringify(weekly.json)).toBe(200);
    expect(weekly.json).toMatchObject({ timing: { kind: 'interval', days: 7 }, lastRunAt: null });
    expect(weekly.json.nextRunAt).toBeGreaterThan(before);
    expect(await schedule()).toEqual(weekly.json);

    const sundays = await put(boss, { cron: '0 2 * * 0' });
    expect(sundays.status, JSON.stringify(sundays.json)).toBe(200);
    expect(await schedule()).toMatchObject({ timing: { kind: 'cron', expression: '0 2 * * 0' } });

    expect((await boss.call('DELETE', url)).json).toEqual({ removed: true });
    expect(await schedule()).toBeNull();
    expect((await boss.call('DELETE', url)).status).toBe(404);

    const audit = await boss.get(`/api/v1/audit?search=${encodeURIComponent(`scheduled-${dialect}`)}`);
    expect(
      (audit.json.items as { operation: string }[])
        .map((r) => r.operation)
        .filter((op) => op.startsWith('SSH Key Rotation Schedule'))
        .sort(),
    ).toEqual([
      'SSH Key Rotation Schedule Removed',
      'SSH Key Rotation Scheduled',
      'SSH Key Rotation Scheduled',
    ]);
  });

  it('refuses discovery input beside its field', async () => {
    const unknown = await boss.post('/api/v1/ssh-key-discovery/resource', { resourceName: 'no-such-host' });
    expect([unknown.status, unknown.json.error.field]).toEqual([404, 'resourceName']);
    const blank = await boss.post('/api/v1/ssh-key-discovery/resource', { resourceName: ' ' });
    expect([blank.status, blank.json.error.field]).toEqual([400, 'resourceName']);
    const noGroup = await boss.post('/api/v1/ssh-key-discovery/group', { groupName: 'no-such-group' });
    expect([noGroup.status, noGroup.json.error.field]).toEqual([404, 'groupName']);
    const noKey = await boss.get('/api/v1/ssh-keys/999999/rotations');
    expect(noKey.status).toBe(404);
  });

  it.skipIf(noSshd !== undefined)(
    'discovers, imports a found key, rotates a deployed key on the host and deletes keys with deployments',
    async () => {
      sshd = await startSshd();
      const ops = createUser({ sudo: true });
      // A key nobody put in the vault, already trusted by the account: discovery finds it unknown.
      const stray = path.join(dir, 'stray');
      execFileSync('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        `stray@${dialect}-api`,
        '-f',
        stray,
      ]);
      const strayPublic = readFileSync(`${stray}.pub`, 'utf8').trim();
      const user = createUser({ authorizedKey: strayPublic });
      const admin = pmpClient(server.baseUrl, server.token);
      const resource = `life-${dialect}`;
      const created = await createTargetResource(admin, resource, 'Linux', sshd.host, [ops]);
      await configureRemoteReset(admin, created.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(sshd.port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
        REMOTELOGINACCOUNT: ops.name,
        ELEVATIONTYPE: 'sudo',
      });

      // Rotation and deletion of a key deployed on the account.
      const key = await boss.post('/api/v1/ssh-keys', { name: `rot-${dialect}`, type: 'ed25519' });
      const oldLine = keyBlob(key.json.publicKey);
      const associated = await boss.post(`/api/v1/ssh-keys/${key.json.id}/deployments`, {
        resourceName: resource,
        userName: user.name,
      });
      expect(associated.status, JSON.stringify(associated.json)).toBe(201);
      expect(authorizedKeyBlobs(user.name)).toContain(oldLine);

      const found = await boss.post('/api/v1/ssh-key-discovery/resource', { resourceName: resource });
      expect(found.status, JSON.stringify(found.json)).toBe(200);
      expect(found.json.resourceName).toBe(resource);
      const onUser = (found.json.keys as any[]).filter((k) => k.userName === user.name);
      expect(onUser.map((k) => [keyBlob(k.publicKey), k.known, k.vaultKeys]).sort()).toEqual(
        [
          [keyBlob(strayPublic), false, []],
          [oldLine, true, [`rot-${dialect}`]],
        ].sort(),
      );
      expect(onUser.find((k) => !k.known).comment).toBe(`stray@${dialect}-api`);

      // Adopting the stray key: importing its private key makes the finding known.
      const imported = await boss.post('/api/v1/ssh-keys/import', {
        name: `stray-${dialect}`,
        privateKey: readFileSync(stray, 'utf8'),
      });
      expect(imported.status, JSON.stringify(imported.json)).toBe(201);
      const after = await boss.get(
        `/api/v1/ssh-key-discovery/findings?resourceName=${encodeURIComponent(resource)}`,
      );
      expect(after.status).toBe(200);
      const stillThere = (after.json.keys as any[]).find(
        (k) => keyBlob(k.publicKey) === keyBlob(strayPublic),
      );
      expect([stillThere.known, stillThere.vaultKeys]).toEqual([true, [`stray-${dialect}`]]);
      // Ivan may not see the resource: its findings answer as a missing resource.
      const refused = await ivan.get(
        `/api/v1/ssh-key-discovery/findings?resourceName=${encodeURIComponent(resource)}`,
      );
      expect(refused.status).toBe(404);

      // A group discovery runs as a job whose progress the console polls.
      const group = await boss.post('/api/v1/resource-groups', { name: `hosts-${dialect}`, type: 'static' });
      expect(group.status, JSON.stringify(group.json)).toBe(201);
      const member = await boss.post(`/api/v1/resource-groups/${group.json.id}/resources`, {
        resourceIds: [Number(created.resourceId)],
        add: true,
      });
      expect(member.json.items, JSON.stringify(member.json)).toMatchObject([{ ok: true }]);
      const started = await boss.post('/api/v1/ssh-key-discovery/group', { groupName: `hosts-${dialect}` });
      expect(started.status, JSON.stringify(started.json)).toBe(201);
      expect(started.json).toMatchObject({ group: `hosts-${dialect}`, total: 1, permitted: 1 });
      let job: any;
      for (let i = 0; i < 120; i++) {
        job = (await boss.get(`/api/v1/jobs/${started.json.jobId}`)).json;
        if (!['queued', 'running'].includes(job.status)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(job.status, JSON.stringify(job)).toBe('succeeded');
      expect(job.progress).toMatchObject({ done: 1, total: 1 });
      expect(job.result).toMatchObject({ discovered: 1, failed: 0 });

      expect((await boss.get(`/api/v1/ssh-keys/${key.json.id}/rotations`)).json).toEqual({
        items: [],
        schedule: null,
      });
      // Ivan has no access to the key: rotating it answers as a missing key.
      expect((await ivan.post(`/api/v1/ssh-keys/${key.json.id}/rotations`, {})).status).toBe(404);
      const rotated = await boss.post(`/api/v1/ssh-keys/${key.json.id}/rotations`, {});
      expect(rotated.status, JSON.stringify(rotated.json)).toBe(200);
      expect(rotated.json.outcome).toBe('rotated');
      expect(rotated.json.rotation).toMatchObject({
        status: 'completed',
        oldFingerprint: key.json.fingerprint,
        hosts: [{ resourceName: resource, userName: user.name, status: 'rotated' }],
      });
      const listed = (await boss.get('/api/v1/ssh-keys')).json.items.find((k: any) => k.id === key.json.id);
      expect(listed.fingerprint).toBe(rotated.json.rotation.newFingerprint);
      expect(listed.fingerprint).not.toBe(key.json.fingerprint);
      const lines = authorizedKeyBlobs(user.name);
      expect(lines).toContain(keyBlob(listed.publicKey));
      expect(lines).not.toContain(oldLine);
      const history = (await boss.get(`/api/v1/ssh-keys/${key.json.id}/rotations`)).json;
      expect(history.items.map((r: any) => [r.rotationId, r.status, r.trigger])).toEqual([
        [rotated.json.rotation.rotationId, 'completed', expect.any(String)],
      ]);

      // Deleting a key with deployments removes its line from the host first.
      const deleted = await boss.call('DELETE', `/api/v1/ssh-keys/${key.json.id}`, {
        body: { withoutDissociation: false },
      });
      expect(deleted.status, JSON.stringify(deleted.json)).toBe(200);
      expect(deleted.json).toEqual({ dissociated: [`${user.name}@${resource}`], left: [], hiddenLeft: 0 });
      expect(authorizedKeyBlobs(user.name)).not.toContain(keyBlob(listed.publicKey));
      expect(await names(boss)).not.toContain(`rot-${dialect}`);

      // Without dissociating: the vault forgets the key, the host keeps trusting it.
      const kept = await boss.post('/api/v1/ssh-keys', { name: `kept-${dialect}`, type: 'ed25519' });
      expect(
        (
          await boss.post(`/api/v1/ssh-keys/${kept.json.id}/deployments`, {
            resourceName: resource,
            userName: user.name,
          })
        ).status,
      ).toBe(201);
      const forgotten = await boss.call('DELETE', `/api/v1/ssh-keys/${kept.json.id}`, {
        body: { withoutDissociation: true },
      });
      expect(forgotten.status, JSON.stringify(forgotten.json)).toBe(200);
      expect(forgotten.json).toEqual({ dissociated: [], left: [`${user.name}@${resource}`], hiddenLeft: 0 });
      expect(authorizedKeyBlobs(user.name)).toContain(keyBlob(kept.json.publicKey));
    },
    240_000,
  );
});
