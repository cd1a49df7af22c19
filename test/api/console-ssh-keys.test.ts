/**
 * SSH keys through the console's API on both dialects (issue 15; ADR 031, 033): the list, create
 * and import (read back by the real ssh-keygen), the export through the release gate (audited
 * with the Web Client), refusals of users without access, bad input answered 400 with its
 * field, delete, and associate / dissociate against a real sshd with real local accounts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pmpClient } from '../helpers/client.js';
import { signIn, type ConsoleClient } from '../helpers/console-client.js';
import { consoleDownload } from '../helpers/console-download.js';
import { configureRemoteReset, createTargetResource } from '../helpers/remote-reset.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { createUser, removeUsers, sshdProblem, startSshd, type SshServer } from '../helpers/sshd.js';

const sshKeygen = (args: string[]) => execFileSync('ssh-keygen', args, { stdio: 'pipe' }).toString().trim();
const noSshd = sshdProblem();

describe.each(dialects())('console SSH keys on %s', (dialect) => {
  let server: RunningServer;
  let boss: ConsoleClient;
  let ivan: ConsoleClient;
  let bossName: string;
  let dir: string;
  let sshd: SshServer | undefined;
  const password = 'Wr1te-Only#Keys';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-console-keys-'));
    server = await startServer(dialect, { BULWARK_REMOTE_TIMEOUT_SECONDS: '12' });
    const { credentials } = server.instance;
    bossName = credentials.username;
    boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
    expect(
      (await boss.post('/api/v1/users', { username: 'ivan', role: 'Password User', password })).status,
    ).toBe(201);
    ivan = (await signIn(server.baseUrl, 'ivan', password)).client;
  }, 120_000);

  afterAll(async () => {
    await sshd?.stop();
    await server?.stop();
    server?.instance.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const keys = async (client: ConsoleClient) => (await client.get('/api/v1/ssh-keys')).json.items as any[];
  const exported = (client: ConsoleClient, id: number) =>
    consoleDownload(server.baseUrl, client, `/api/v1/ssh-keys/${id}/export`);

  /** Writes the file and reads its public key (type and base64, without the comment) with the real ssh-keygen. */
  function publicOf(file: Buffer, name: string, passphrase = ''): string {
    const at = path.join(dir, name);
    rmSync(at, { force: true });
    writeFileSync(at, file, { mode: 0o600 });
    return sshKeygen(['-y', '-P', passphrase, '-f', at]).split(' ').slice(0, 2).join(' ');
  }

  it('creates keys of the choices the list offers; the export is the key ssh-keygen reads, audited', async () => {
    const listed = (await boss.get('/api/v1/ssh-keys')).json;
    expect(listed.items).toEqual([]);
    expect(listed.types).toEqual([
      { type: 'ssh-rsa', lengths: [1024, 2048, 4096] },
      { type: 'ssh-dss', lengths: [1024] },
      { type: 'ed25519', lengths: [256] },
      { type: 'ecdsa', lengths: [256, 384, 521] },
    ]);

    const created = await boss.post('/api/v1/ssh-keys', {
      name: 'deploy-ed',
      type: 'ed25519',
      comment: 'ci deploy',
      passphrase: 'open sesame 1',
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({
      name: 'deploy-ed',
      type: 'ed25519',
      bits: 256,
      comment: 'ci deploy',
      hasPassphrase: true,
      createdBy: bossName,
      origin: 'created',
    });
    expect(created.json.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const ecdsa = await boss.post('/api/v1/ssh-keys', { name: 'ec-384', type: 'ecdsa', bits: 384 });
    expect(ecdsa.status).toBe(201);
    expect(ecdsa.json).toMatchObject({ bits: 384, hasPassphrase: false, comment: '' });
    expect((await keys(boss)).map((k) => k.name).sort()).toEqual(['deploy-ed', 'ec-384']);

    const file = await exported(boss, created.json.id);
    expect(file.status).toBe(200);
    expect(file.headers['content-disposition']).toMatch(/filename="deploy-ed\.key"/);
    expect(file.text).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    // Encrypted with the passphrase: ssh-keygen opens it only with it, and finds the listed key.
    expect(publicOf(file.body, 'deploy-ed', 'open sesame 1')).toBe(
      created.json.publicKey.split(' ').slice(0, 2).join(' '),
    );
    expect(() => publicOf(file.body, 'deploy-ed-wrong', 'not it')).toThrow();
    const plain = await exported(boss, ecdsa.json.id);
    expect(publicOf(plain.body, 'ec-384')).toBe(ecdsa.json.publicKey.split(' ').slice(0, 2).join(' '));

    const audit = await boss.get(`/api/v1/audit?operation=${encodeURIComponent('SSH Key Exported')}`);
    expect(audit.json.items.map((r: any) => [r.resourceName, r.operatorName, r.client])).toEqual([
      ['SSH key ec-384', bossName, 'Web Client'],
      ['SSH key deploy-ed', bossName, 'Web Client'],
    ]);
  });

  it('answers bad input 400 with the field, and a taken name beside the name', async () => {
    const cases: [unknown, string][] = [
      [{ name: '', type: 'ed25519' }, 'name'],
      [{ name: 'x', type: 'rsa' }, 'type'],
      [{ name: 'x', type: 'ssh-rsa', bits: 3000 }, 'bits'],
      [{ name: 'x', type: 'ssh-rsa', bits: 'big' }, 'bits'],
      [{ name: 'x', type: 'ed25519', comment: 'a\nb' }, 'comment'],
      [{ name: 'x', type: 'ed25519', passphrase: 'p'.repeat(1025) }, 'passphrase'],
    ];
    for (const [body, field] of cases) {
      const answer = await boss.post('/api/v1/ssh-keys', body);
      expect([answer.status, answer.json.error.field], JSON.stringify(body)).toEqual([400, field]);
    }
    const taken = await boss.post('/api/v1/ssh-keys', { name: 'DEPLOY-ED', type: 'ed25519' });
    expect([taken.status, taken.json.error.field]).toEqual([409, 'name']);
    const garbage = await boss.post('/api/v1/ssh-keys/import', { name: 'junk', privateKey: 'not a key' });
    expect([garbage.status, garbage.json.error.field]).toEqual([400, 'privateKey']);
    expect((await boss.post('/api/v1/ssh-keys/import', { name: 'junk' })).json.error.field).toBe(
      'privateKey',
    );
    expect((await boss.post('/api/v1/ssh-keys/abc/export')).status).toBe(400);
    expect((await keys(boss)).map((k) => k.name).sort()).toEqual(['deploy-ed', 'ec-384']);
  });

  it('imports a key made by ssh-keygen (its passphrase asked for); the export opens with it', async () => {
    const at = path.join(dir, 'made');
    rmSync(at, { force: true });
    rmSync(`${at}.pub`, { force: true });
    sshKeygen(['-q', '-t', 'rsa', '-b', '2048', '-N', 'made pass', '-C', 'made@host', '-f', at]);
    const text = readFileSync(at, 'utf8');
    const noPass = await boss.post('/api/v1/ssh-keys/import', { name: 'made', privateKey: text });
    expect([noPass.status, noPass.json.error.field]).toEqual([400, 'passphrase']);
    const wrong = await boss.post('/api/v1/ssh-keys/import', {
      name: 'made',
      privateKey: text,
      passphrase: 'nope',
    });
    expect([wrong.status, wrong.json.error.field]).toEqual([400, 'passphrase']);
    const imported = await boss.post('/api/v1/ssh-keys/import', {
      name: 'made',
      privateKey: text,
      passphrase: 'made pass',
    });
    expect(imported.status, JSON.stringify(imported.json)).toBe(201);
    expect(imported.json).toMatchObject({
      name: 'made',
      type: 'ssh-rsa',
      bits: 2048,
      comment: 'made@host',
      hasPassphrase: true,
      origin: 'imported',
    });
    const fingerprint = sshKeygen(['-l', '-f', `${at}.pub`]).split(' ')[1];
    expect(imported.json.fingerprint).toBe(fingerprint);
    const file = await exported(boss, imported.json.id);
    expect(publicOf(file.body, 'made-export', 'made pass')).toBe(
      readFileSync(`${at}.pub`, 'utf8').split(' ').slice(0, 2).join(' '),
    );
  });

  it('users without access see none of the keys and are refused as if they did not exist', async () => {
    const theirs = await keys(boss);
    const target = theirs.find((k) => k.name === 'deploy-ed')!;
    expect(await keys(ivan)).toEqual([]);
    const refused = await exported(ivan, target.id);
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.text).error.message).toBe(`SSH key with ID ${target.id} does not exist`);
    expect((await ivan.call('DELETE', `/api/v1/ssh-keys/${target.id}`)).status).toBe(404);
    expect((await ivan.get(`/api/v1/ssh-keys/${target.id}/deployments`)).status).toBe(404);
    // Their own key is theirs alone.
    const own = await ivan.post('/api/v1/ssh-keys', { name: 'ivan-key', type: 'ed25519' });
    expect(own.status).toBe(201);
    expect((await keys(ivan)).map((k) => k.name)).toEqual(['ivan-key']);
    expect((await exported(ivan, own.json.id)).status).toBe(200);
    expect((await ivan.call('DELETE', `/api/v1/ssh-keys/${own.json.id}`)).status).toBe(200);
    expect(await keys(ivan)).toEqual([]);
    // The audit of the export names ivan.
    const audit = await boss.get(
      `/api/v1/audit?operation=${encodeURIComponent('SSH Key Exported')}&user=ivan`,
    );
    expect(audit.json.items.map((r: any) => r.resourceName)).toEqual(['SSH key ivan-key']);
  });

  it('deletes a key (confirmed in the console); its deployments list is empty, an unknown resource is named', async () => {
    const key = (await keys(boss)).find((k) => k.name === 'ec-384')!;
    expect((await boss.get(`/api/v1/ssh-keys/${key.id}/deployments`)).json).toEqual({ items: [] });
    const nowhere = await boss.post(`/api/v1/ssh-keys/${key.id}/deployments`, {
      resourceName: 'no-such-host',
      userName: 'root',
    });
    expect([nowhere.status, nowhere.json.error.field]).toEqual([404, 'resourceName']);
    const blank = await boss.post(`/api/v1/ssh-keys/${key.id}/deployments`, {
      resourceName: 'x',
      userName: ' ',
    });
    expect([blank.status, blank.json.error.field]).toEqual([400, 'userName']);
    const deleted = await boss.call('DELETE', `/api/v1/ssh-keys/${key.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ dissociated: [], left: [], hiddenLeft: 0 });
    expect((await keys(boss)).map((k) => k.name).sort()).toEqual(['deploy-ed', 'made']);
    expect((await boss.call('DELETE', `/api/v1/ssh-keys/${key.id}`)).status).toBe(404);
  });

  it.skipIf(noSshd !== undefined)(
    'associates a key with an account on a real host (ssh logs in with it), lists it, dissociates it',
    async () => {
      sshd = await startSshd();
      const knownHosts = path.join(dir, 'known_hosts');
      const hostKey = sshd.hostKey();
      writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${hostKey.algorithm} ${hostKey.key}\n`);
      try {
        const ops = createUser({ sudo: true });
        const user = createUser();
        const admin = pmpClient(server.baseUrl, server.token);
        const resource = `web-${dialect}`;
        const created = await createTargetResource(admin, resource, 'Linux', sshd.host, [ops]);
        await configureRemoteReset(admin, created.resourceId, {
          RESOURCETYPE: 'Linux',
          LINUX_SSHTELNETPORT: String(sshd.port),
          LINUX_USERPROMPT: '$',
          LINUXROOTUSERPROMPT: '#',
          REMOTELOGINACCOUNT: ops.name,
          ELEVATIONTYPE: 'sudo',
        });
        const key = await boss.post('/api/v1/ssh-keys', { name: `host-${dialect}`, type: 'ed25519' });
        const keyFile = path.join(dir, `host-${dialect}`);
        writeFileSync(keyFile, (await exported(boss, key.json.id)).body, { mode: 0o600 });
        const logsIn = () =>
          spawnSync(
            'ssh',
            [
              '-F',
              '/dev/null',
              '-i',
              keyFile,
              '-p',
              String(sshd!.port),
              '-o',
              'BatchMode=yes',
              '-o',
              'IdentitiesOnly=yes',
              '-o',
              'PasswordAuthentication=no',
              '-o',
              'StrictHostKeyChecking=yes',
              '-o',
              `UserKnownHostsFile=${knownHosts}`,
              '-o',
              'GlobalKnownHostsFile=/dev/null',
              '-o',
              'ConnectTimeout=10',
              `${user.name}@127.0.0.1`,
              'true',
            ],
            { encoding: 'utf8', timeout: 30_000 },
          ).status === 0;
        expect(logsIn()).toBe(false);

        const associated = await boss.post(`/api/v1/ssh-keys/${key.json.id}/deployments`, {
          resourceName: resource,
          userName: user.name,
        });
        expect(associated.status, JSON.stringify(associated.json)).toBe(201);
        expect(associated.json).toEqual({ resourceName: resource, userName: user.name, outcome: 'added' });
        expect(logsIn()).toBe(true);
        const listed = (await boss.get(`/api/v1/ssh-keys/${key.json.id}/deployments`)).json.items;
        expect(listed).toEqual([
          {
            resourceName: resource,
            userName: user.name,
            deployedBy: bossName,
            deployedAt: expect.any(Number),
          },
        ]);
        const again = await boss.post(`/api/v1/ssh-keys/${key.json.id}/deployments`, {
          resourceName: resource,
          userName: user.name,
        });
        expect(again.status).toBe(409);
        expect(again.json.error.message).toMatch(/already associated/);
        // An account the host does not have: the service's message, nothing recorded.
        const missing = await boss.post(`/api/v1/ssh-keys/${key.json.id}/deployments`, {
          resourceName: resource,
          userName: 'nobody-here-x',
        });
        expect(missing.status).toBe(422);
        expect(missing.json.error.message).toMatch(/^Key association failed: /);
        expect((await boss.get(`/api/v1/ssh-keys/${key.json.id}/deployments`)).json.items).toEqual(listed);

        const gone = await boss.call('DELETE', `/api/v1/ssh-keys/${key.json.id}/deployments`, {
          body: { resourceName: resource, userName: user.name },
        });
        expect(gone.status, JSON.stringify(gone.json)).toBe(200);
        expect(gone.json).toEqual({ removed: 1 });
        expect(logsIn()).toBe(false);
        expect((await boss.get(`/api/v1/ssh-keys/${key.json.id}/deployments`)).json.items).toEqual([]);
        expect(existsSync(`/home/${user.name}/.ssh/authorized_keys`)).toBe(true);
      } finally {
        removeUsers();
      }
    },
    120_000,
  );
});
