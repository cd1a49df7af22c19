/**
 * SSH keys on hosts over the real HTTPS API on both dialects (issue 13, ADR 033): associate (52),
 * dissociate (53), 30 (with `reconcile`), 31 and delete (26) with and without dissociation,
 * against a real OpenSSH server with real local accounts. Every association is proved with the
 * real `ssh` client and the key exported through endpoint 29; every failure answers `Failed`
 * saying why, with the account's authorized_keys byte for byte as it was and nothing recorded.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, rawRequest, type PmpCall, type RawResponse } from '../helpers/client.js';
import {
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  expectNoSecret,
  V1,
  type Call,
} from '../helpers/remote-reset.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import {
  closedPort,
  createUser,
  removeUsers,
  sshdProblem,
  startSshd,
  type LocalUser,
  type SshServer,
} from '../helpers/sshd.js';
import { registerA2aApplication } from '../helpers/a2a-app.js';

const PKI = '/api/pki/restapi';
const noSshd = sshdProblem();

interface PkiAnswer {
  readonly http: RawResponse;
  readonly raw: any;
  readonly status: string;
  readonly message: string;
  readonly details: any;
}

function pkiOf(http: RawResponse): PkiAnswer {
  expect(http.status, http.text).toBe(200);
  const raw = JSON.parse(http.text);
  return { http, raw, status: raw.result?.status, message: raw.result?.message, details: raw.details };
}
const ok = (a: PkiAnswer): PkiAnswer => (expect(a.status, a.http.text).toBe('Success'), a);
const failed = (a: PkiAnswer, message: RegExp): PkiAnswer => {
  expect(a.status, a.http.text).toBe('Failed');
  expect(a.message).toMatch(message);
  expect(a.raw.result.statusCode).toBeGreaterThanOrEqual(40000);
  expect(a.raw.result.statusCode).toBeLessThan(50000);
  return a;
};

const linuxConfig = (port: number, extra: Record<string, unknown> = {}) => ({
  RESOURCETYPE: 'Linux',
  LINUX_SSHTELNETPORT: String(port),
  LINUX_USERPROMPT: '$',
  LINUXROOTUSERPROMPT: '#',
  ...extra,
});

const fileOf = (user: string) => `/home/${user}/.ssh/authorized_keys`;
const bytesOf = (user: string) => (existsSync(fileOf(user)) ? readFileSync(fileOf(user)) : undefined);
const uidOf = (user: string) => Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());

/** Other keys of the account, one with options, and a comment: what dissociate must leave alone. */
function plantOtherLines(user: string): Buffer {
  const one = utils.generateKeyPairSync('ed25519').public;
  const two = utils.generateKeyPairSync('ecdsa', { bits: 256 }).public;
  const text = `# keys put here by hand\nfrom="10.0.0.0/8",no-pty ${one} first\n\n${two} second\n`;
  mkdirSync(`/home/${user}/.ssh`, { recursive: true, mode: 0o700 });
  writeFileSync(fileOf(user), text, { mode: 0o600 });
  execFileSync('chown', ['-R', `${user}:${user}`, `/home/${user}/.ssh`]);
  return Buffer.from(text);
}

describe.skipIf(noSshd !== undefined)('SSH keys on hosts', () => {
  let sshd: SshServer;
  let closed: number;
  let dir: string;
  let knownHosts: string;

  beforeAll(async () => {
    sshd = await startSshd();
    closed = await closedPort();
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-key-deployments-'));
    const hostKey = sshd.hostKey();
    knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${hostKey.algorithm} ${hostKey.key}\n`);
  });
  afterAll(async () => {
    await sshd?.stop();
    removeUsers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The real ssh client with only this key: true when `true` ran as the user. */
  function sshLogsIn(keyFile: string, user: string): boolean {
    const run = spawnSync(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-i',
        keyFile,
        '-p',
        String(sshd.port),
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
        `${user}@127.0.0.1`,
        'true',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    return run.status === 0;
  }

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let admin: Call;
    let paul: Actor;
    let n = 0;
    const name = (what: string) => `${what}-${dialect}-${++n}`;
    const answers: string[] = [];
    const secrets: string[] = [];

    beforeAll(async () => {
      server = await startServer(dialect, { BULWARK_REMOTE_TIMEOUT_SECONDS: '12' });
      admin = pmpClient(server.baseUrl, server.token);
      paul = await createApiUser(server, 'paul', 'Password User');
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    async function pki(who: Actor | 'admin', endpoint: string, options: PmpCall = {}): Promise<PkiAnswer> {
      const call = who === 'admin' ? admin : who.call;
      const answer = pkiOf((await call(`${PKI}/${endpoint}`, { transport: 'query', ...options })).http);
      answers.push(answer.http.text);
      return answer;
    }
    const target = (keyName: string, resourceName: string, userName: string) =>
      details({ keyName, resourceName, userName });
    const associate = (who: Actor | 'admin', key: string, resource: string, user: string) =>
      pki(who, 'associateKey', { method: 'POST', input: target(key, resource, user) });
    const dissociate = (who: Actor | 'admin', key: string, resource: string, user: string) =>
      pki(who, 'dissociateKey', { method: 'POST', input: target(key, resource, user) });
    const keysFor = (who: Actor | 'admin', resource: string, user: string, reconcile?: boolean) =>
      pki(who, 'getSSHkeysforuser', {
        input: details({ userName: user, resourceName: resource, ...(reconcile ? { reconcile: true } : {}) }),
      });
    const deployments = async (who: Actor | 'admin' = 'admin') =>
      ok(await pki(who, 'getAllAssociatedUsers')).details as Record<string, string>[];
    const deleteKey = (key: string, extra: Record<string, unknown> = {}) =>
      pki('admin', 'deleteSSHKey', { method: 'DELETE', input: details({ key_name: key, ...extra }) });

    async function createKey(keyName: string, passphrase?: string): Promise<void> {
      if (passphrase) secrets.push(passphrase);
      ok(
        await pki('admin', 'createsshkey', {
          method: 'POST',
          input: details({ keyName, keyType: 'ed25519', ...(passphrase ? { passPhrase: passphrase } : {}) }),
        }),
      );
    }

    /** Endpoint 29, written 0600; a passphrase is taken off the copy (ssh runs in batch mode). */
    async function exportKey(keyName: string, passphrase?: string): Promise<string> {
      const http = await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${PKI}/exportSSHKey?AUTHTOKEN=${server.token}`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ keyName })))}`,
      });
      expect(http.text).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
      const file = path.join(dir, `${keyName}.key`);
      rmSync(file, { force: true });
      writeFileSync(file, http.body, { mode: 0o600 });
      if (passphrase) execFileSync('ssh-keygen', ['-q', '-p', '-P', passphrase, '-N', '', '-f', file]);
      return file;
    }

    /** A Linux resource whose login account (sudo) writes other accounts' files. */
    async function sudoResource(port = sshd.port): Promise<{ resource: string; id: string; ops: LocalUser }> {
      const ops = createUser({ sudo: true });
      secrets.push(ops.password);
      const resource = name('web');
      const created = await createTargetResource(admin, resource, 'Linux', sshd.host, [ops]);
      await configureRemoteReset(
        admin,
        created.resourceId,
        linuxConfig(port, { REMOTELOGINACCOUNT: ops.name, ELEVATIONTYPE: 'sudo' }),
      );
      return { resource, id: created.resourceId, ops };
    }

    const recorded = async (key: string) => (await deployments()).filter((d) => d.KeyName === key);
    const audits = async (operation: string, user: string) =>
      (await auditTrail(admin)).filter((r) => r.OPERATIONTYPE === operation && r.ACCOUNTNAME === user);

    it('52 puts the key on the host (real ssh logs in with the exported key); 30 and 31 report it; 53 takes exactly its line off', async () => {
      const { resource, ops } = await sudoResource();
      const fresh = createUser(); // no ~/.ssh yet
      const kept = createUser();
      const before = plantOtherLines(kept.name);
      const key = name('deploy');
      const other = name('second');
      await createKey(key);
      await createKey(other);
      const file = await exportKey(key);
      expect(sshLogsIn(file, fresh.name)).toBe(false);

      const associated = ok(await associate('admin', key, resource, fresh.name));
      expect(associated.raw).toMatchObject({
        name: 'associateKey',
        result: { status: 'Success', message: 'Key associated successfully' },
      });
      expect(sshLogsIn(file, fresh.name)).toBe(true);
      // .ssh 0700 and authorized_keys 0600, both owned by the account.
      const sshDir = statSync(`/home/${fresh.name}/.ssh`);
      const keysFile = statSync(fileOf(fresh.name));
      expect(sshDir.mode & 0o777).toBe(0o700);
      expect(keysFile.mode & 0o777).toBe(0o600);
      expect([sshDir.uid, keysFile.uid]).toEqual([uidOf(fresh.name), uidOf(fresh.name)]);

      // Into a file with other lines; a second key for the same account.
      ok(await associate('admin', key, resource, kept.name));
      ok(await associate('admin', other, resource, kept.name));
      expect(sshLogsIn(file, kept.name)).toBe(true);
      failed(await associate('admin', key, resource, kept.name), /already associated/);

      const forKept = ok(await keysFor('admin', resource, kept.name));
      expect(forKept.raw).toMatchObject({
        name: 'GetSSHKeysForUser',
        result: { message: `SSH keys for user ${kept.name} of resource ${resource} fetched successfully` },
      });
      expect(forKept.details).toBe([key, other].sort().join(','));
      // By the resource's DNS name, as the reference's sample names it (the only resource on it so far).
      expect(ok(await keysFor('admin', '127.0.0.1', kept.name)).message).toContain(
        `of resource ${resource} fetched`,
      );
      const all = (await deployments()).filter((d) => d.ResourceName === resource);
      expect(all.map((d) => `${d.KeyName} ${d.UserName}`).sort()).toEqual(
        [`${key} ${fresh.name}`, `${key} ${kept.name}`, `${other} ${kept.name}`].sort(),
      );
      expect(all[0]).toMatchObject({ AssociatedBy: 'admin' });
      expect(all[0]!.AssociatedTime).toMatch(/\d{4}/);

      const audit = (await audits('SSH Key Associated', kept.name))[0];
      expect(audit?.REASON).toContain(
        `added to ~${kept.name}/.ssh/authorized_keys on 127.0.0.1:${sshd.port}`,
      );
      expect(audit?.REASON).toMatch(/SSH key .+ \(SHA256:[A-Za-z0-9+/]{43}\)/);
      expect(audit?.REASON).toContain(`login account ${ops.name}`);
      expect(audit?.REASON).toContain('verified by logging in');

      const gone = ok(await dissociate('admin', key, resource, kept.name));
      expect(gone.raw).toMatchObject({
        name: 'dissociateKey',
        result: { message: 'Key dissociated successfully.' },
      });
      expect(sshLogsIn(file, kept.name)).toBe(false);
      ok(await dissociate('admin', other, resource, kept.name));
      expect(bytesOf(kept.name)).toEqual(before);
      expect((await audits('SSH Key Dissociated', kept.name))[0]?.REASON).toMatch(/1 line\(s\) removed from/);
      failed(await dissociate('admin', key, resource, kept.name), /is not associated with/);
      expect(ok(await keysFor('admin', resource, kept.name)).details).toBe('');
      // The fresh account keeps its key.
      expect(sshLogsIn(file, fresh.name)).toBe(true);
    });

    it('su elevation through a landing server, with a passphrase-protected key', async () => {
      const jumper = createUser();
      const ops = createUser();
      const root = createUser({ uid0: true });
      const user = createUser();
      secrets.push(jumper.password, ops.password, root.password);
      const jump = name('jump');
      const jumpResource = await createTargetResource(admin, jump, 'Linux', sshd.host, [jumper]);
      await configureRemoteReset(
        admin,
        jumpResource.resourceId,
        linuxConfig(sshd.port, { REMOTELOGINACCOUNT: jumper.name }),
      );
      const resource = name('behind');
      const created = await createTargetResource(admin, resource, 'Linux', sshd.host, [ops, root]);
      await configureRemoteReset(
        admin,
        created.resourceId,
        linuxConfig(sshd.port, {
          REMOTELOGINACCOUNT: ops.name,
          ELEVATIONTYPE: 'su',
          ROOTACCOUNT: root.name,
          LINUX_LANDINGSERVER: jump,
        }),
      );
      const key = name('locked');
      const passphrase = `pass ${dialect} phrase!`;
      await createKey(key, passphrase);
      ok(await associate('admin', key, resource, user.name));
      const file = await exportKey(key, passphrase);
      expect(sshLogsIn(file, user.name)).toBe(true);
      const audit = (await audits('SSH Key Associated', user.name))[0];
      expect(audit?.REASON).toContain(`through landing server ${jump}`);
      expect(audit?.REASON).toContain(`root account ${root.name}`);
      ok(await dissociate('admin', key, resource, user.name));
      expect(sshLogsIn(file, user.name)).toBe(false);
    });

    it('30 with reconcile reads the host: a record whose line is gone is flagged; dissociating it still succeeds', async () => {
      const { resource } = await sudoResource();
      const user = createUser();
      const [kept, lost] = [name('kept'), name('lost')];
      await createKey(kept);
      await createKey(lost);
      ok(await associate('admin', kept, resource, user.name));
      ok(await associate('admin', lost, resource, user.name));
      // Someone takes the second key's line off by hand.
      const lines = readFileSync(fileOf(user.name), 'utf8').split('\n');
      writeFileSync(fileOf(user.name), `${lines.slice(0, 1).join('\n')}\n`);
      const answer = ok(await keysFor('admin', resource, user.name, true));
      expect(answer.details).toBe([kept, lost].sort().join(','));
      expect(answer.message).toContain(`1 recorded key(s) gone from the host: ${lost}`);
      expect(answer.raw.Reconciliation).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ KeyName: kept, OnHost: true }),
          expect.objectContaining({ KeyName: lost, OnHost: false }),
        ]),
      );
      expect((await audits('SSH Keys Reconciled', user.name))[0]?.REASON).toContain(
        `gone from the host: ${lost}`,
      );
      const gone = ok(await dissociate('admin', lost, resource, user.name));
      expect(gone.message).toMatch(/not found on the host; its record is removed/);
      expect((await audits('SSH Key Dissociated', user.name))[0]?.REASON).toMatch(/was not found in/);
      expect((await recorded(lost)).length).toBe(0);
      // Reconciling needs full access to the resource; paul sees it with view only.
      const view = await admin(`${V1}/resources/${await resourceId(resource)}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'view', USERID: paul.id }),
      });
      expect(view.status).toBe('Success');
      failed(await keysFor(paul, resource, user.name, true), /needs full access to the resource/);
      // Without a grant on the keys, paul sees no key names.
      expect(ok(await keysFor(paul, resource, user.name)).details).toBe('');
    });

    async function resourceId(resource: string): Promise<string> {
      const rows = await sqlOn(server.instance, 'select id from resources where name = $1', [resource]);
      return String(rows[0]!.id);
    }

    it('26 dissociates from every host first; if a removal fails the key stays; withoutDisassociation leaves the hosts', async () => {
      const { resource, id, ops } = await sudoResource();
      const user = createUser();
      const before = plantOtherLines(user.name);
      const key = name('gone');
      await createKey(key);
      ok(await associate('admin', key, resource, user.name));
      const file = await exportKey(key);
      expect(sshLogsIn(file, user.name)).toBe(true);
      ok(await deleteKey(key));
      expect(sshLogsIn(file, user.name)).toBe(false);
      expect(bytesOf(user.name)).toEqual(before);
      expect((await auditTrail(admin)).find((r) => r.OPERATIONTYPE === 'SSH Key Deleted')?.REASON).toContain(
        `dissociated first from ${user.name}@${resource}`,
      );

      // A host that cannot be reached: the key is not deleted, and the answer says where it still is.
      const stuck = name('stuck');
      await createKey(stuck);
      ok(await associate('admin', stuck, resource, user.name));
      await configureRemoteReset(
        admin,
        id,
        linuxConfig(closed, { REMOTELOGINACCOUNT: ops.name, ELEVATIONTYPE: 'sudo' }),
      );
      failed(
        await deleteKey(stuck),
        new RegExp(`was not deleted: removing it failed on ${user.name}@${resource}`),
      );
      expect((await recorded(stuck)).length).toBe(1);
      const stuckFile = await exportKey(stuck);
      expect(sshLogsIn(stuckFile, user.name)).toBe(true);
      // withoutDisassociation: deleted, the host left as it is and named.
      const left = ok(await deleteKey(stuck, { withoutDisassociation: 'true' }));
      expect(left.message).toBe(
        `SSH keys ${stuck} deleted successfully; not dissociated, it stays in authorized_keys of ${user.name}@${resource}`,
      );
      expect(sshLogsIn(stuckFile, user.name)).toBe(true);
      expect((await recorded(stuck)).length).toBe(0);
      expect((await auditTrail(admin)).find((r) => r.OPERATIONTYPE === 'SSH Key Deleted')?.REASON).toMatch(
        new RegExp(
          `deleted without dissociation; left in authorized_keys of ${user.name}@${resource} \\(127\\.0\\.0\\.1\\)`,
        ),
      );
    });

    it('bad input and refusals answer Failed saying why: nothing changes on the host, nothing is recorded', async () => {
      const { resource, id } = await sudoResource();
      const user = createUser();
      const before = plantOtherLines(user.name);
      const key = name('refused');
      await createKey(key);
      const unchanged = async () => {
        expect(bytesOf(user.name)).toEqual(before);
        expect(await recorded(key)).toEqual([]);
      };

      failed(
        await associate('admin', key, resource, 'nosuchuser42'),
        /nosuchuser42: there is no such account on the host; nothing was changed/,
      );
      failed(await associate('admin', key, resource, 'bad name;rm'), /is not a Linux account name/);
      failed(
        await associate('admin', 'no-such-key', resource, user.name),
        /SSH key no-such-key does not exist/,
      );
      failed(
        await associate('admin', key, 'no-such-resource', user.name),
        /Resource no-such-resource does not exist or is not accessible/,
      );
      failed(
        await pki('admin', 'associateKey', {
          method: 'POST',
          input: details({ keyName: key, resourceName: resource }),
        }),
        /userName/,
      );
      // Several resources have DNS name 127.0.0.1 now: naming the host is ambiguous, and said so.
      failed(
        await associate('admin', key, '127.0.0.1', user.name),
        /resources you can see have the DNS name 127\.0\.0\.1: name the resource by its name/,
      );
      await unchanged();

      // Unreachable: the configuration points at a closed port.
      const down = await sudoResource(closed);
      failed(
        await associate('admin', key, down.resource, user.name),
        /Key association failed: .*(refused|unreachable|connect)/i,
      );
      // No remote reset configuration; a database configuration.
      const bare = name('bare');
      await createTargetResource(admin, bare, 'Linux', sshd.host, [createUser()]);
      failed(
        await associate('admin', key, bare, user.name),
        /has no remote reset configuration: configure it \(endpoint 63\)/,
      );
      const database = name('db');
      const db = await createTargetResource(admin, database, 'PostgreSQL', sshd.host, [
        { name: 'postgres', password: 'x' },
      ]);
      await configureRemoteReset(admin, db.resourceId, { RESOURCETYPE: 'PostgreSQL', PORT: 5432 });
      failed(
        await associate('admin', key, database, user.name),
        /configured as a postgresql target; SSH keys go on Linux hosts/,
      );
      await unchanged();

      // The key login is refused (an expired account: sshd's PAM account check): the line goes again.
      const expired = createUser();
      const expiredBefore = plantOtherLines(expired.name);
      execFileSync('usermod', ['-e', '1', expired.name]);
      failed(
        await associate('admin', key, resource, expired.name),
        /Key association failed: verifying the key by logging in as .* failed: .*; the line was removed again from/,
      );
      expect(bytesOf(expired.name)).toEqual(expiredBefore);
      expect(await recorded(key)).toEqual([]);
      expect((await audits('SSH Key Association Failed', expired.name))[0]?.REASON).toMatch(
        /line was removed again/,
      );

      // Shares: view on the key is not enough, modify is; full access to the resource is needed.
      const share = (permission: string) =>
        pki('admin', 'shareSSHKey', {
          method: 'POST',
          input: details({ keyName: key, userName: 'paul', permission }),
        });
      const shareResource = (type: string) =>
        admin(`${V1}/resources/${id}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: type, USERID: paul.id }),
        });
      failed(await associate(paul, key, resource, user.name), /SSH key .* does not exist/);
      ok(await share('view'));
      failed(await associate(paul, key, resource, user.name), /needs modify or full access to the key/);
      ok(await share('modify'));
      failed(
        await associate(paul, key, resource, user.name),
        /Resource .* does not exist or is not accessible/,
      );
      expect((await shareResource('modify')).status).toBe('Success');
      failed(await associate(paul, key, resource, user.name), /needs full access to the resource/);
      await unchanged();
      expect((await shareResource('full')).status).toBe('Success');
      ok(await associate(paul, key, resource, user.name));
      expect((await recorded(key)).map((d) => d.AssociatedBy)).toEqual(['paul']);
      ok(await share('view'));
      failed(await dissociate(paul, key, resource, user.name), /needs modify or full access to the key/);
      ok(await share('modify'));
      ok(await dissociate(paul, key, resource, user.name));
      await unchanged();
      expectNoSecret([...answers, JSON.stringify(await auditTrail(admin))], secrets);
    });

    it('an application (A2A) is refused, the host untouched', async () => {
      const { resource } = await sudoResource();
      const user = createUser();
      const before = plantOtherLines(user.name);
      const key = name('a2a');
      await createKey(key);
      const app = `Keys${dialect}`;
      const clientCert = await registerA2aApplication(server.instance, app, dir, 'RETRIEVE');
      const answer = pkiOf(
        await rawRequest(server.baseUrl, {
          method: 'POST',
          path: `${PKI}/associateKey`,
          headers: { 'Content-Type': 'text/json' },
          body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(target(key, resource, user.name)))}`,
          clientCert,
        }),
      );
      failed(answer, new RegExp(`The application ${app} is not allowed`));
      expect(bytesOf(user.name)).toEqual(before);
      expect(await recorded(key)).toEqual([]);
    });

    it('a delete racing the association: Failed (never 5xx), the line taken off again, nothing recorded', async () => {
      const { resource } = await sudoResource();
      const user = createUser();
      const before = plantOtherLines(user.name);
      const key = name('racing');
      await createKey(key);
      const [row] = await sqlOn(server.instance, 'select id from ssh_keys where name = $1', [key]);
      const keyId = Number(row!.id);
      // Hold the key's row (PostgreSQL) or the write lock (SQLite) so the association cannot be
      // recorded before the key is deleted, once its line is on the host.
      const lock = await holdKey(keyId);
      const pending = associate('admin', key, resource, user.name);
      try {
        const deadline = Date.now() + 20_000;
        while (bytesOf(user.name)?.equals(before) !== false && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(bytesOf(user.name)?.length).toBeGreaterThan(before.length);
        await lock.deleteAndRelease();
      } finally {
        // A failure above must not leave the database locked for the tests after this one.
        await lock.release();
        await pending.catch(() => undefined);
      }
      const answer = failed(
        await pending,
        /was deleted while the key was being associated|was deleted while it was being associated/,
      );
      expect(answer.message).toMatch(/the line was removed again/);
      expect(bytesOf(user.name)).toEqual(before);
      expect(
        await sqlOn(server.instance, 'select * from ssh_key_associations where key_id = $1', [keyId]),
      ).toEqual([]);
    });

    /** deleteAndRelease deletes the key and commits; release (idempotent) rolls back what is left. */
    async function holdKey(
      keyId: number,
    ): Promise<{ deleteAndRelease(): Promise<void>; release(): Promise<void> }> {
      if (server.instance.databaseUrl === undefined) {
        const db = new BetterSqlite3(path.join(server.instance.dataDir, 'bulwark.db'));
        db.pragma('busy_timeout = 10000');
        db.exec('begin immediate');
        return {
          async deleteAndRelease() {
            db.prepare('delete from ssh_key_shares where key_id = ?').run(keyId);
            db.prepare('delete from ssh_keys where id = ?').run(keyId);
            db.exec('commit');
            db.close();
          },
          async release() {
            if (!db.open) return;
            if (db.inTransaction) db.exec('rollback');
            db.close();
          },
        };
      }
      const client = new pg.Client({ connectionString: server.instance.databaseUrl });
      await client.connect();
      await client.query('begin');
      await client.query('select id from ssh_keys where id = $1 for update', [keyId]);
      let ended = false;
      return {
        async deleteAndRelease() {
          await client.query('delete from ssh_key_shares where key_id = $1', [keyId]);
          await client.query('delete from ssh_keys where id = $1', [keyId]);
          await client.query('commit');
          await client.end();
          ended = true;
        },
        async release() {
          if (ended) return;
          ended = true;
          await client.query('rollback').catch(() => undefined);
          await client.end();
        },
      };
    }

    it('bulwark sshkeys associate, deployments and dissociate as the local operator', async () => {
      const { resource } = await sudoResource();
      const user = createUser();
      const key = name('cli');
      await createKey(key);
      const bulwark = (...args: string[]) =>
        server.instance.cli('sshkeys', ...args, '--data-dir', server.instance.dataDir);
      const done = await bulwark('associate', '--name', key, '--resource', resource, '--user', user.name);
      expect(done.stderr).toBe('');
      expect(done.stdout).toContain(`SSH key ${key} associated with ${user.name} on ${resource}`);
      expect(sshLogsIn(await exportKey(key), user.name)).toBe(true);
      const listed = JSON.parse((await bulwark('deployments', '--name', key, '--json')).stdout);
      expect(listed).toEqual([
        expect.objectContaining({ keyName: key, resourceName: resource, userName: user.name }),
      ]);
      const refused = await bulwark(
        'associate',
        '--name',
        key,
        '--resource',
        resource,
        '--user',
        'nosuchuser42',
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/no such account on the host/);
      const off = await bulwark('dissociate', '--name', key, '--resource', resource, '--user', user.name);
      expect(off.stdout).toContain(`SSH key ${key} dissociated from ${user.name} on ${resource}.`);
      expect(sshLogsIn(path.join(dir, `${key}.key`), user.name)).toBe(false);
      expect(JSON.parse((await bulwark('deployments', '--json')).stdout)).not.toContainEqual(
        expect.objectContaining({ keyName: key }),
      );
    });

    it('file modes survive: an existing file keeps its 0600 and owner after add and remove', async () => {
      const { resource } = await sudoResource();
      const user = createUser();
      plantOtherLines(user.name);
      chmodSync(fileOf(user.name), 0o600);
      const key = name('modes');
      await createKey(key);
      ok(await associate('admin', key, resource, user.name));
      const stat = statSync(fileOf(user.name));
      expect([stat.mode & 0o777, stat.uid]).toEqual([0o600, uidOf(user.name)]);
      ok(await dissociate('admin', key, resource, user.name));
      expect(statSync(fileOf(user.name)).uid).toBe(uidOf(user.name));
    });
  });
});
