/**
 * SSH key rotation over the real HTTPS API on both dialects (issue 13, ADR 035), against a real
 * OpenSSH server with real local accounts: a key deployed on two accounts is rotated, after which
 * the real `ssh` logs in with the new key (exported through 29) and no longer with the old one,
 * the other lines of authorized_keys are intact and 27 shows the new fingerprint; a host that
 * fails in phase 1 leaves everything as it was; a server killed right after a host took the new
 * key is reconciled when it comes back (rolled back, or finished when every host has it); a due
 * schedule rotates once; authorisation, a second rotation while one is pending, bad input.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, rawRequest, type PmpCall, type RawResponse } from '../helpers/client.js';
import {
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  expectNoSecret,
  type Call,
} from '../helpers/remote-reset.js';
import { createInstance, dialects, serve, type Instance, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import { relayTo } from '../helpers/tcp-relay.js';
import {
  closedPort,
  createUser,
  removeUsers,
  sshdProblem,
  startSshd,
  type LocalUser,
  type SshServer,
} from '../helpers/sshd.js';
import { until as waitUntil } from '../helpers/wait.js';

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
  expect(raw.operation, http.text).toBeUndefined();
  return { http, raw, status: raw.result?.status, message: raw.result?.message, details: raw.details };
}
const ok = (a: PkiAnswer): PkiAnswer => (expect(a.status, a.http.text).toBe('Success'), a);
const failed = (a: PkiAnswer, message: RegExp, code?: number): PkiAnswer => {
  expect(a.status, a.http.text).toBe('Failed');
  expect(a.message).toMatch(message);
  if (code !== undefined) expect(a.raw.result.statusCode).toBe(code);
  expect(a.raw.result.statusCode).toBeGreaterThanOrEqual(40000);
  expect(a.raw.result.statusCode).toBeLessThan(50000);
  return a;
};

const ROTATION_FAILED = 42230;
const PASSPHRASE = 'rotate me, keep me';

const linuxConfig = (port: number, extra: Record<string, unknown> = {}) => ({
  RESOURCETYPE: 'Linux',
  LINUX_SSHTELNETPORT: String(port),
  LINUX_USERPROMPT: '$',
  LINUXROOTUSERPROMPT: '#',
  ...extra,
});

const fileOf = (user: string) => `/home/${user}/.ssh/authorized_keys`;
const textOf = (user: string) => (existsSync(fileOf(user)) ? readFileSync(fileOf(user), 'utf8') : '');

/** Other keys of the account, one with options, and a comment: what rotation must leave alone. */
function plantOtherLines(user: string): string {
  const one = utils.generateKeyPairSync('ed25519').public;
  const two = utils.generateKeyPairSync('ecdsa', { bits: 256 }).public;
  const text = `# keys put here by hand\nfrom="10.0.0.0/8",no-pty ${one} first\n\n${two} second\n`;
  mkdirSync(`/home/${user}/.ssh`, { recursive: true, mode: 0o700 });
  writeFileSync(fileOf(user), text, { mode: 0o600 });
  execFileSync('chown', ['-R', `${user}:${user}`, `/home/${user}/.ssh`]);
  return text;
}

/** The public key a private key file holds (ssh-keygen -y), without its comment. */
const publicOf = (file: string) =>
  execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(' ');

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000) =>
  waitUntil(what, probe, ms, { tolerateErrors: true });

describe.skipIf(noSshd !== undefined)('SSH key rotation', () => {
  let sshd: SshServer;
  let closed: number;
  let dir: string;
  let knownHosts: string;

  beforeAll(async () => {
    sshd = await startSshd();
    closed = await closedPort();
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-key-rotation-'));
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
        ...['-F', '/dev/null', '-i', keyFile, '-p', String(sshd.port)],
        ...['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'PasswordAuthentication=no'],
        ...['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`],
        ...['-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=10'],
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
    const secrets: string[] = [PASSPHRASE];
    /** The good resource (sudo login account) the tests deploy keys on. */
    let web: { resource: string; id: string; ops: LocalUser };

    beforeAll(async () => {
      server = await serve(await createInstance(dialect), { BULWARK_REMOTE_TIMEOUT_SECONDS: '12' });
      admin = pmpClient(server.baseUrl, server.token);
      paul = await createApiUser(server, 'paul', 'Password User');
      web = await sudoResource(server, 'a-web');
    }, 120_000);
    afterAll(async () => {
      expectNoSecret(answers, secrets);
      await server?.stop();
      server?.instance.remove();
    });

    async function pki(
      on: RunningServer,
      who: Actor | 'admin',
      endpoint: string,
      options: PmpCall = {},
    ): Promise<PkiAnswer> {
      const call = who === 'admin' ? pmpClient(on.baseUrl, on.token) : who.call;
      const answer = pkiOf((await call(`${PKI}/${endpoint}`, { transport: 'query', ...options })).http);
      answers.push(answer.http.text);
      return answer;
    }
    const rotate = (on: RunningServer, key: string, who: Actor | 'admin' = 'admin') =>
      pki(on, who, 'rotateSSHKey', { method: 'POST', input: details({ keyName: key }) });
    const rotations = async (on: RunningServer, key: string) =>
      ok(await pki(on, 'admin', 'getSSHKeyRotations', { input: details({ keyName: key }) })).details as any[];
    const keyOf = async (on: RunningServer, key: string) =>
      (ok(await pki(on, 'admin', 'getAllSSHKeys')).details as any[]).find((k) => k.KeyName === key);

    async function createKey(on: RunningServer, keyName: string): Promise<void> {
      ok(
        await pki(on, 'admin', 'createsshkey', {
          method: 'POST',
          input: details({ keyName, keyType: 'ed25519', passPhrase: PASSPHRASE, comment: `ci ${keyName}` }),
        }),
      );
    }

    /** Endpoint 29, written 0600; the passphrase is taken off the copy (ssh runs in batch mode). */
    async function exportKey(on: RunningServer, keyName: string, file: string): Promise<string> {
      const http = await rawRequest(on.baseUrl, {
        method: 'POST',
        path: `${PKI}/exportSSHKey?AUTHTOKEN=${on.token}`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ keyName })))}`,
      });
      expect(http.text).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
      const target = path.join(dir, `${dialect}-${file}.key`);
      rmSync(target, { force: true });
      writeFileSync(target, http.body, { mode: 0o600 });
      // The same passphrase as before the rotation opens it.
      execFileSync('ssh-keygen', ['-q', '-p', '-P', PASSPHRASE, '-N', '', '-f', target]);
      return target;
    }

    /** A Linux resource whose login account (sudo) writes other accounts' files. */
    async function sudoResource(on: RunningServer, prefix: string, port = sshd.port) {
      const ops = createUser({ sudo: true });
      secrets.push(ops.password);
      const resource = name(prefix);
      const call = pmpClient(on.baseUrl, on.token);
      const created = await createTargetResource(call, resource, 'Linux', sshd.host, [ops]);
      await configureRemoteReset(
        call,
        created.resourceId,
        linuxConfig(port, { REMOTELOGINACCOUNT: ops.name, ELEVATIONTYPE: 'sudo' }),
      );
      return { resource, id: created.resourceId, ops };
    }

    /** Associate (52): the key's line into the account's authorized_keys, proved and recorded. */
    async function associate(on: RunningServer, key: string, resource: string, user: string) {
      ok(
        await pki(on, 'admin', 'associateKey', {
          method: 'POST',
          input: details({ keyName: key, resourceName: resource, userName: user }),
        }),
      );
    }

    /**
     * A deployment recorded without reaching the host (a host that became unreachable after the
     * key was associated): the association row only.
     */
    async function recordDeployment(on: RunningServer, key: string, resourceId: string, user: string) {
      await sqlOn(
        on.instance,
        `insert into ssh_key_associations (key_id, resource_id, user_name, deployed_at, deployed_by)
         select id, $1, $2, $3, 'admin' from ssh_keys where name = $4`,
        [Number(resourceId), user, Date.now(), key],
      );
    }

    it('replaces the key on every host it is deployed on: the new key logs in, the old one no longer does, other lines stay', async () => {
      const key = name('deploy');
      await createKey(server, key);
      const one = createUser();
      const two = createUser();
      const others = plantOtherLines(one.name);
      await associate(server, key, web.resource, one.name);
      await associate(server, key, web.resource, two.name);
      const before = await keyOf(server, key);
      const oldFile = await exportKey(server, key, `${key}-old`);
      expect(sshLogsIn(oldFile, one.name)).toBe(true);
      expect(sshLogsIn(oldFile, two.name)).toBe(true);

      const answer = ok(await rotate(server, key));
      expect(answer.raw).toMatchObject({
        name: 'RotateSSHKey',
        result: { message: `SSH key ${key} rotated on 2 host(s)`, statusCode: 20000 },
        rotation: { Status: 'completed', PreviousFingerPrint: before.FingerPrint },
      });
      expect(answer.details.map((h: any) => `${h.UserName} ${h.Status}`).sort()).toEqual(
        [`${one.name} rotated`, `${two.name} rotated`].sort(),
      );

      const after = await keyOf(server, key);
      expect(after.FingerPrint).not.toBe(before.FingerPrint);
      expect(answer.raw.rotation.FingerPrint).toBe(after.FingerPrint);
      // Same type, length, comment and passphrase: users' workflows keep working.
      expect(after).toMatchObject({
        KeyType: before.KeyType,
        KeyLength: before.KeyLength,
        Comment: before.Comment,
        isPassphraseAvailable: true,
      });
      const newFile = await exportKey(server, key, `${key}-new`);
      expect(sshLogsIn(newFile, one.name)).toBe(true);
      expect(sshLogsIn(newFile, two.name)).toBe(true);
      expect(sshLogsIn(oldFile, one.name)).toBe(false);
      expect(sshLogsIn(oldFile, two.name)).toBe(false);
      // The other lines of the file, byte for byte, then the new key's line only.
      expect(textOf(one.name)).toBe(`${others}${after.PublicKey}\n`);
      expect(textOf(two.name)).toBe(`${after.PublicKey}\n`);

      const [record] = await rotations(server, key);
      expect(record).toMatchObject({
        KeyName: key,
        Status: 'completed',
        Phase: 'removing-old',
        Trigger: 'api',
        FingerPrint: after.FingerPrint,
        PreviousFingerPrint: before.FingerPrint,
        PreviousPublicKey: before.PublicKey,
        RequestedBy: 'admin',
      });
      expect(record.Hosts).toHaveLength(2);
      const trail = (await auditTrail(admin)).filter((r) => r.OPERATIONTYPE.startsWith('SSH Key Rotat'));
      expect(trail.map((r) => r.OPERATIONTYPE).slice(0, 3)).toEqual([
        'SSH Key Rotation Completed',
        'SSH Key Rotated',
        'SSH Key Rotation Started',
      ]);
      expect(trail[1]!.REASON).toContain(`${before.FingerPrint} replaced by ${after.FingerPrint}`);
      // The sealed material of a settled rotation is wiped.
      const rows = await sqlOn(
        server.instance,
        'select new_private_key_sealed, old_private_key_sealed from ssh_key_rotations where id = $1',
        [record.RotationId],
      );
      expect(rows[0]).toEqual({ new_private_key_sealed: null, old_private_key_sealed: null });
    });

    it('a key deployed nowhere just gets a new pair', async () => {
      const key = name('idle');
      await createKey(server, key);
      const before = await keyOf(server, key);
      const answer = ok(await rotate(server, key));
      expect(answer.message).toBe(`SSH key ${key} rotated on 0 host(s)`);
      expect(answer.details).toEqual([]);
      expect((await keyOf(server, key)).FingerPrint).not.toBe(before.FingerPrint);
    });

    it('a host that fails in phase 1 leaves everything as it was: old key works, no new line anywhere, vault unchanged', async () => {
      // An unreachable second resource (sorted after the good one).
      const key = name('unreachable');
      await createKey(server, key);
      const good = createUser();
      const others = plantOtherLines(good.name);
      await associate(server, key, web.resource, good.name);
      const down = await sudoResource(server, 'z-down', closed);
      const elsewhere = createUser();
      await recordDeployment(server, key, down.id, elsewhere.name);
      const before = await keyOf(server, key);
      const fileBefore = textOf(good.name);
      const oldFile = await exportKey(server, key, `${key}-old`);

      const answer = failed(
        await rotate(server, key),
        new RegExp(`^SSH key rotation failed: ${elsewhere.name}@${down.resource}: `),
        ROTATION_FAILED,
      );
      expect(answer.raw.rotation).toMatchObject({ Status: 'failed', FingerPrint: before.FingerPrint });
      expect(answer.message).toMatch(
        /rolled back: the vault keeps the old key and no host holds the new one/,
      );
      const hosts = Object.fromEntries(answer.details.map((h: any) => [h.UserName, h]));
      expect(hosts[good.name]).toMatchObject({
        Status: 'rolled back',
        Message: 'the new key was taken off again',
      });
      expect(hosts[elsewhere.name].Status).toBe('failed');
      expect(textOf(good.name)).toBe(fileBefore);
      expect(textOf(good.name)).toBe(`${others}${before.PublicKey}\n`);
      expect(sshLogsIn(oldFile, good.name)).toBe(true);
      expect(await keyOf(server, key)).toEqual(before);
      expect(publicOf(await exportKey(server, key, `${key}-again`))).toBe(publicOf(oldFile));
      const [record] = await rotations(server, key);
      expect(record).toMatchObject({
        Status: 'failed',
        Phase: 'rolling-back',
        PreviousFingerPrint: before.FingerPrint,
      });
      const audit = (await auditTrail(admin)).find((r) => r.OPERATIONTYPE === 'SSH Key Rotation Failed');
      expect(audit?.REASON).toContain(`rotation ${record.RotationId}`);

      // The account deleted on the host (sorted second on the same resource): the same.
      const key2 = name('deleted');
      await createKey(server, key2);
      const [first, second] = [createUser(), createUser()].sort((a, b) => a.name.localeCompare(b.name));
      await associate(server, key2, web.resource, first!.name);
      await associate(server, key2, web.resource, second!.name);
      const firstBefore = textOf(first!.name);
      execFileSync('userdel', ['-r', second!.name], { stdio: 'ignore' });
      const second2 = failed(
        await rotate(server, key2),
        /SSH key rotation failed: .*there is no such account on the host/,
      );
      expect(second2.details.find((h: any) => h.UserName === first!.name).Status).toBe('rolled back');
      expect(textOf(first!.name)).toBe(firstBefore);
    });

    it('refuses a second rotation while one is pending, and callers without full access to every host', async () => {
      const key = name('busy');
      await createKey(server, key);
      const user = createUser();
      await associate(server, key, web.resource, user.name);
      const keyId = (await sqlOn(server.instance, 'select id from ssh_keys where name = $1', [key]))[0]!.id;
      // A rotation in flight (touched now: reconciliation leaves it alone within its grace).
      await sqlOn(
        server.instance,
        `insert into ssh_key_rotations (key_id, status, phase, trigger, new_public_key, new_fingerprint,
           old_public_key, old_fingerprint, requested_by_name, created_at, updated_at)
         values ($1, 'pending', 'adding', 'api', 'x', 'SHA256:x', 'y', 'SHA256:y', 'admin', $2, $3)`,
        [keyId, Date.now(), Date.now()],
      );
      failed(await rotate(server, key), /already in progress \(rotation \d+\)/);
      // Its hosts must not change under it: associate, dissociate and delete wait (ADR 035).
      const other = createUser();
      const busy = /is being rotated \(rotation \d+\)/;
      failed(
        await pki(server, 'admin', 'associateKey', {
          method: 'POST',
          input: details({ keyName: key, resourceName: web.resource, userName: other.name }),
        }),
        busy,
      );
      failed(
        await pki(server, 'admin', 'dissociateKey', {
          method: 'POST',
          input: details({ keyName: key, resourceName: web.resource, userName: user.name }),
        }),
        busy,
      );
      failed(
        await pki(server, 'admin', 'deleteSSHKey', { method: 'DELETE', input: details({ keyName: key }) }),
        busy,
      );
      const pending = await rotations(server, key);
      expect(pending[0]).toMatchObject({ Status: 'pending', Phase: 'adding' });
      await sqlOn(server.instance, 'delete from ssh_key_rotations where key_id = $1', [keyId]);

      // paul may modify the key but holds no access to the resource it is deployed on.
      ok(
        await pki(server, 'admin', 'shareSSHKey', {
          method: 'POST',
          input: details({ keyName: key, userName: 'paul', permission: 'modify' }),
        }),
      );
      failed(
        await rotate(server, key, paul),
        /not allowed to rotate SSH key .*1 other deployment\(s\) you do not hold full access to/,
      );
      ok(
        await pki(server, 'admin', 'shareSSHKey', {
          method: 'POST',
          input: details({ keyName: key, userName: 'paul', permission: 'view' }),
        }),
      );
      failed(await rotate(server, key, paul), /needs modify or full access to the key/);
      failed(await rotate(server, name('nothing')), /does not exist/);
      failed(await pki(server, 'admin', 'rotateSSHKey', { method: 'POST', input: details({}) }), /keyName/);
      expect(await rotations(server, key)).toEqual([]);
    });

    it('a due schedule rotates the key once; schedules are shown, validated and removed', async () => {
      const key = name('scheduled');
      await createKey(server, key);
      const user = createUser();
      await associate(server, key, web.resource, user.name);
      const before = await keyOf(server, key);
      const set = (fields: Record<string, unknown>) =>
        pki(server, 'admin', 'setSSHKeyRotationSchedule', {
          method: 'POST',
          input: details({ keyName: key, ...fields }),
        });
      failed(await set({ cron: 'every tuesday' }), /not a valid cron expression/);
      failed(await set({}), /Give everyDays .* or cron/);
      failed(await set({ everyDays: '0' }), /everyDays must be a whole number of days from 1/);
      failed(await set({ everyDays: '7', cron: '0 3 * * *' }), /not both/);
      failed(await set({ everyDays: '7', startAt: 'tomorrow' }), /startAt must be/);
      const scheduled = ok(await set({ everyDays: '30', startAt: 'now' }));
      expect(scheduled.message).toMatch(new RegExp(`SSH key ${key} is rotated every 30 day\\(s\\)`));

      const done = await until('the scheduled rotation', async () => {
        const list = await rotations(server, key);
        return list.length > 0 && list[0].Status === 'completed' ? list : undefined;
      });
      expect(done[0]).toMatchObject({ Trigger: 'schedule', RequestedBy: 'System' });
      // Once: no second run (the next one is 30 days away).
      await new Promise((r) => setTimeout(r, 3000));
      expect(await rotations(server, key)).toHaveLength(1);
      const after = await keyOf(server, key);
      expect(after.FingerPrint).not.toBe(before.FingerPrint);
      expect(sshLogsIn(await exportKey(server, key, `${key}-new`), user.name)).toBe(true);
      const shown = ok(
        await pki(server, 'admin', 'getSSHKeyRotationSchedule', { input: details({ keyName: key }) }),
      ).details[0];
      expect(shown).toMatchObject({ KeyName: key, EveryDays: 30, Cron: '', CreatedBy: 'admin' });
      expect(Date.parse(shown.NextRunAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
      expect(shown.LastSummary).toMatch(/rotation \d+: rotated/);

      ok(await set({ cron: '0 3 * * 1' }));
      expect(
        ok(await pki(server, 'admin', 'getSSHKeyRotationSchedule', { input: details({ keyName: key }) }))
          .details[0],
      ).toMatchObject({ Cron: '0 3 * * 1', EveryDays: '' });
      // paul (view) may read it but not change it.
      ok(
        await pki(server, 'admin', 'shareSSHKey', {
          method: 'POST',
          input: details({ keyName: key, userName: 'paul', permission: 'view' }),
        }),
      );
      ok(await pki(server, paul, 'getSSHKeyRotationSchedule', { input: details({ keyName: key }) }));
      failed(
        await pki(server, paul, 'deleteSSHKeyRotationSchedule', {
          method: 'DELETE',
          input: details({ keyName: key }),
        }),
        /not allowed to rotate/,
      );
      ok(
        await pki(server, 'admin', 'deleteSSHKeyRotationSchedule', {
          method: 'DELETE',
          input: details({ keyName: key }),
        }),
      );
      failed(
        await pki(server, 'admin', 'getSSHKeyRotationSchedule', { input: details({ keyName: key }) }),
        /has no rotation schedule/,
      );
    });

    it('bulwark sshkeys rotate and schedule: the same rotation as the local operator, each host reported', async () => {
      const key = name('cli');
      await createKey(server, key);
      const user = createUser();
      await associate(server, key, web.resource, user.name);
      const before = await keyOf(server, key);
      const cli = (...args: string[]) =>
        server.instance.cli('sshkeys', ...args, '--data-dir', server.instance.dataDir);

      const rotated = await cli('rotate', '--name', key);
      expect(rotated.code, rotated.stderr).toBe(0);
      const after = await keyOf(server, key);
      expect(rotated.stdout).toContain(
        `SSH key ${key} rotated: ${before.FingerPrint} -> ${after.FingerPrint}`,
      );
      expect(rotated.stdout).toContain(`${user.name}@${web.resource}: rotated`);
      // Not a terminal: one plain line per host and step on stderr.
      expect(rotated.stderr).toContain(`[1/2] ${user.name}@${web.resource}: new key added and verified`);
      expect(rotated.stderr).toContain(`[2/2] ${user.name}@${web.resource}: old key removed`);
      expect(sshLogsIn(await exportKey(server, key, `${key}-cli`), user.name)).toBe(true);
      const [record] = await rotations(server, key);
      expect(record).toMatchObject({ Trigger: 'cli', Status: 'completed' });

      const json = await cli('rotate', '--name', name('missing'), '--json');
      expect(json.code).not.toBe(0);
      expect(json.stderr).toMatch(/does not exist/);

      const set = await cli('schedule', '--name', key, '--every-days', '90');
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toMatch(new RegExp(`SSH key ${key} is rotated every 90 day\\(s\\); next run `));
      const shown = await cli('schedule', '--name', key, '--json');
      expect(JSON.parse(shown.stdout)).toMatchObject({ key, everyDays: 90, cron: null });
      expect(
        (await cli('schedule', '--name', key, '--every-days', '9', '--cron', '0 3 * * *')).code,
      ).not.toBe(0);
      expect((await cli('schedule', '--name', key, '--cron', 'not a cron')).stderr).toMatch(
        /not a valid cron/,
      );
      expect((await cli('schedule', '--name', key, '--remove')).stdout).toContain('removed');
      expect((await cli('schedule', '--name', key)).stderr).toMatch(/has no rotation schedule/);
    });

    describe('a host that goes away in the middle', () => {
      const env: NodeJS.ProcessEnv = {
        BULWARK_REMOTE_TIMEOUT_SECONDS: '12',
        BULWARK_RECONCILE_SECONDS: '1',
        BULWARK_RECONCILE_GRACE_SECONDS: '0',
      };
      let instance: Instance;
      let on: RunningServer;
      let relay: Awaited<ReturnType<typeof relayTo>>;
      let direct: { resource: string; id: string };
      let relayed: { resource: string; id: string };

      beforeAll(async () => {
        instance = await createInstance(dialect, env);
        on = await serve(instance, env);
        relay = await relayTo(sshd.port);
        // Sorted by name: the direct host is worked on first, the relayed one second.
        direct = await sudoResource(on, 'a-direct');
        relayed = await sudoResource(on, 'r-relayed', relay.port);
      }, 120_000);
      afterAll(async () => {
        await on?.stop();
        await relay?.close();
        instance?.remove();
      });

      async function deployed(key: string) {
        await createKey(on, key);
        const near = createUser();
        const far = createUser();
        const farText = plantOtherLines(far.name);
        await associate(on, key, direct.resource, near.name);
        await associate(on, key, relayed.resource, far.name);
        return { near, far, farText: `${farText}${(await keyOf(on, key)).PublicKey}\n` };
      }
      const settled = (key: string) =>
        until('the rotation to settle', async () => {
          const [record] = await rotations(on, key);
          return record && record.Status !== 'pending' ? record : undefined;
        });

      it('after the switch: the old key stays where it could not be removed, until reconciliation removes it', async () => {
        const key = name('old-left');
        const { near, far } = await deployed(key);
        const oldFile = await exportKey(on, key, `${key}-old`);
        relay.state.allow = 2; // the relayed host's add and login with the new key, then down
        const answer = failed(
          await rotate(on, key),
          /is not finished: the vault holds the new key, which opens every host, but the old key is still on/,
          ROTATION_FAILED,
        );
        const hosts = Object.fromEntries(answer.details.map((h: any) => [h.UserName, h.Status]));
        expect(hosts).toEqual({ [near.name]: 'rotated', [far.name]: 'old key left' });
        expect(answer.raw.rotation).toMatchObject({ Status: 'pending' });
        const newFile = await exportKey(on, key, `${key}-new`);
        expect(sshLogsIn(newFile, near.name)).toBe(true);
        expect(sshLogsIn(newFile, far.name)).toBe(true);
        expect(sshLogsIn(oldFile, near.name)).toBe(false);
        expect(sshLogsIn(oldFile, far.name)).toBe(true);
        // Pending: the key's hosts do not change meanwhile.
        failed(
          await pki(on, 'admin', 'associateKey', {
            method: 'POST',
            input: details({ keyName: key, resourceName: direct.resource, userName: far.name }),
          }),
          /is being rotated/,
        );
        failed(await rotate(on, key), /already in progress/);

        relay.state.allow = Infinity;
        const record = await settled(key);
        expect(record).toMatchObject({ Status: 'completed', Phase: 'removing-old' });
        expect(sshLogsIn(oldFile, far.name)).toBe(false);
        expect(sshLogsIn(newFile, far.name)).toBe(true);
        const trail = (await auditTrail(pmpClient(on.baseUrl, on.token))).filter((r) =>
          r.REASON?.includes(`rotation ${record.RotationId}`),
        );
        // Newest first; an unsettled run is audited once per new reason (how the host failed).
        const operations = trail.map((r) => r.OPERATIONTYPE);
        expect(operations[0]).toBe('SSH Key Rotation Completed');
        expect(operations.slice(-2)).toEqual(['SSH Key Rotated', 'SSH Key Rotation Started']);
        expect(new Set(operations.slice(1, -2))).toEqual(new Set(['SSH Key Rotation Unsettled']));
        expect(trail[1]!.REASON).toMatch(/the old key is still on .*: reconciliation removes it/);
      });

      it('before the switch: the new key stays where it could not be taken off, until reconciliation takes it off', async () => {
        const key = name('new-left');
        const { near, far, farText } = await deployed(key);
        const before = await keyOf(on, key);
        const oldFile = await exportKey(on, key, `${key}-old`);
        relay.state.allow = 1; // the relayed host takes the new key, then is down for the login
        const answer = failed(
          await rotate(on, key),
          /is not finished: .*the vault keeps the old key, but the new key is still on/,
          ROTATION_FAILED,
        );
        const hosts = Object.fromEntries(answer.details.map((h: any) => [h.UserName, h.Status]));
        expect(hosts).toEqual({ [near.name]: 'rolled back', [far.name]: 'new key left' });
        expect(await keyOf(on, key)).toEqual(before);
        expect(sshLogsIn(oldFile, near.name)).toBe(true);
        expect(sshLogsIn(oldFile, far.name)).toBe(true);
        expect(textOf(far.name)).not.toBe(farText);

        relay.state.allow = Infinity;
        const record = await settled(key);
        expect(record).toMatchObject({ Status: 'failed', Phase: 'rolling-back' });
        expect(textOf(far.name)).toBe(farText);
        expect(await keyOf(on, key)).toEqual(before);
        expect(sshLogsIn(oldFile, far.name)).toBe(true);
        const farHost = record.Hosts.find((h: any) => h.UserName === far.name);
        expect(farHost).toMatchObject({ Status: 'failed' });
        expect(farHost.Message).toMatch(/could not be tried.*; the new key was taken off again/);
      });
    });

    describe('a server killed right after a host took the new key', () => {
      const hookEnv: NodeJS.ProcessEnv = {
        NODE_ENV: 'test',
        BULWARK_TEST_HOOKS: 'crash-after-remote-change',
        BULWARK_REMOTE_TIMEOUT_SECONDS: '12',
        // Reconcile at start with no grace (nothing is in flight in a process that just started).
        BULWARK_RECONCILE_SECONDS: '1',
        BULWARK_RECONCILE_GRACE_SECONDS: '0',
      };
      let instance: Instance;
      let crashing: RunningServer | undefined;
      let resource: { resource: string; id: string };
      let hooked = true;

      beforeAll(async () => {
        instance = await createInstance(dialect, hookEnv);
        crashing = await serve(instance, hookEnv);
        resource = await sudoResource(crashing, 'crash');
      }, 120_000);
      afterAll(async () => {
        await crashing?.kill();
        instance?.remove();
      });

      /** Rotates until the server dies, then serves again (without the hook) and waits for the settlement. */
      async function crashAndRestart(key: string): Promise<any> {
        if (!hooked) {
          await crashing!.stop();
          crashing = await serve(instance, hookEnv);
          hooked = true;
        }
        const running = crashing!;
        const answer = await rotate(running, key).then(
          (a) => `answered ${a.status}: ${a.message}`,
          () => 'no answer',
        );
        expect(answer).toBe('no answer');
        await running.kill();
        expect(running.process.signalCode).toBe('SIGKILL');
        crashing = await serve(instance, { ...hookEnv, BULWARK_TEST_HOOKS: '' });
        hooked = false;
        return until('the rotation to settle', async () => {
          const [record] = await rotations(crashing!, key);
          return record && record.Status !== 'pending' ? record : undefined;
        });
      }

      it('with a host still lacking the new key: rolled back, the old key works everywhere', async () => {
        const key = name('crash-two');
        await createKey(crashing!, key);
        const [first, second] = [createUser(), createUser()].sort((a, b) => a.name.localeCompare(b.name));
        await associate(crashing!, key, resource.resource, first!.name);
        await associate(crashing!, key, resource.resource, second!.name);
        const before = await keyOf(crashing!, key);
        const [firstText, secondText] = [textOf(first!.name), textOf(second!.name)];
        const oldFile = await exportKey(crashing!, key, `${key}-old`);

        const record = await crashAndRestart(key);
        expect(record).toMatchObject({ Status: 'failed', Phase: 'rolling-back', RequestedBy: 'admin' });
        expect(record.Message).toMatch(/interrupted before .* had the new key/);
        expect(await keyOf(crashing!, key)).toEqual(before);
        expect([textOf(first!.name), textOf(second!.name)]).toEqual([firstText, secondText]);
        expect(sshLogsIn(oldFile, first!.name)).toBe(true);
        expect(sshLogsIn(oldFile, second!.name)).toBe(true);
        const trail = (await auditTrail(pmpClient(crashing!.baseUrl, crashing!.token))).filter((r) =>
          r.REASON?.includes(`rotation ${record.RotationId}`),
        );
        expect(trail.map((r) => r.OPERATIONTYPE)).toEqual([
          'SSH Key Rotation Failed',
          'SSH Key Rotation Started',
        ]);
      });

      it('with every host holding the new key: finished, the new key works and the old one no longer does', async () => {
        const key = name('crash-one');
        await createKey(crashing!, key);
        const user = createUser();
        await associate(crashing!, key, resource.resource, user.name);
        const before = await keyOf(crashing!, key);
        const oldFile = await exportKey(crashing!, key, `${key}-old`);

        const record = await crashAndRestart(key);
        expect(record).toMatchObject({ Status: 'completed', Phase: 'removing-old' });
        const after = await keyOf(crashing!, key);
        expect(after.FingerPrint).toBe(record.FingerPrint);
        expect(after.FingerPrint).not.toBe(before.FingerPrint);
        expect(textOf(user.name)).toBe(`${after.PublicKey}\n`);
        expect(sshLogsIn(await exportKey(crashing!, key, `${key}-new`), user.name)).toBe(true);
        expect(sshLogsIn(oldFile, user.name)).toBe(false);
        const rotated = (await auditTrail(pmpClient(crashing!.baseUrl, crashing!.token))).find(
          (r) => r.OPERATIONTYPE === 'SSH Key Rotated' && r.REASON?.includes(`rotation ${record.RotationId}`),
        );
        expect(rotated?.OPERATEDBY).toBe('System');
      });
    });
  });
});
