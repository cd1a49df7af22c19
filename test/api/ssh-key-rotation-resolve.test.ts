/**
 * The operator's way out of a pending SSH key rotation (ADR 035, docs/ssh-keys.md "Rotation"),
 * over the real HTTPS API and CLI on both dialects, against a real OpenSSH server with real local
 * accounts and a TCP relay that makes one host go away: settleSSHKeyRotation runs
 * reconciliation at once (still pending while the host is down, finished once it is back);
 * resolveSSHKeyRotation abandons the host that never answers: after the switch the rotation
 * completes and the old key's line stays there (the real ssh still logs in with it, the audit
 * names host, account and fingerprint); before the switch it rolls back and the new key's line
 * may stay there; the key is free for associate and dissociate again. Who may, the grace
 * period, bad input, `bulwark sshkeys rotations list|settle|resolve`.
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
  V1,
} from '../helpers/remote-reset.js';
import { createInstance, dialects, serve, type Instance, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import { createUser, removeUsers, sshdProblem, startSshd, type SshServer } from '../helpers/sshd.js';
import { relayTo, type TcpRelay } from '../helpers/tcp-relay.js';

const PKI = '/api/pki/restapi';
const noSshd = sshdProblem();
const ROTATION_FAILED = 42230;
const PASSPHRASE = 'resolve me, keep me';
/** The reconciliation grace of these servers: settle and resolve wait for it. */
const GRACE_SECONDS = 2;

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
const failed = (a: PkiAnswer, message: RegExp, code?: number): PkiAnswer => {
  expect(a.status, a.http.text).toBe('Failed');
  expect(a.message).toMatch(message);
  if (code !== undefined) expect(a.raw.result.statusCode).toBe(code);
  expect(a.raw.result.statusCode).toBeGreaterThanOrEqual(40000);
  expect(a.raw.result.statusCode).toBeLessThan(50000);
  return a;
};

const linuxConfig = (port: number, login: string) => ({
  RESOURCETYPE: 'Linux',
  LINUX_SSHTELNETPORT: String(port),
  LINUX_USERPROMPT: '$',
  LINUXROOTUSERPROMPT: '#',
  REMOTELOGINACCOUNT: login,
  ELEVATIONTYPE: 'sudo',
});

const fileOf = (user: string) => `/home/${user}/.ssh/authorized_keys`;
const textOf = (user: string) => (existsSync(fileOf(user)) ? readFileSync(fileOf(user), 'utf8') : '');
/** The fingerprints of an account's authorized_keys, as ssh-keygen -l prints them. */
const fingerprintsOf = (user: string) =>
  textOf(user)
    .split('\n')
    .filter((l) => l.startsWith('ssh-') || l.startsWith('ecdsa-'))
    .map(
      (line) =>
        execFileSync('ssh-keygen', ['-l', '-f', '-'], { input: `${line}\n`, encoding: 'utf8' }).split(' ')[1],
    );
const pause = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000));
/** Past the grace period counted from the rotation's last touch. */
const pastGrace = () => pause(GRACE_SECONDS + 0.3);

describe.skipIf(noSshd !== undefined)('SSH key rotation: settle now and resolve', () => {
  let sshd: SshServer;
  let dir: string;
  let knownHosts: string;

  beforeAll(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-key-resolve-'));
    const hostKey = sshd.hostKey();
    knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${hostKey.algorithm} ${hostKey.key}\n`);
  });
  afterAll(async () => {
    await sshd?.stop();
    removeUsers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The real ssh client with only this key, straight to sshd (not through the relay). */
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
    const env: NodeJS.ProcessEnv = {
      BULWARK_REMOTE_TIMEOUT_SECONDS: '12',
      // Reconciliation never runs by itself here: only settle and resolve move a rotation.
      BULWARK_RECONCILE_SECONDS: '86400',
      BULWARK_RECONCILE_GRACE_SECONDS: String(GRACE_SECONDS),
    };
    let instance: Instance;
    let server: RunningServer;
    let relay: TcpRelay;
    let paul: Actor;
    let direct: { resource: string; id: string };
    let relayed: { resource: string; id: string };
    let n = 0;
    const name = (what: string) => `${what}-${dialect}-${++n}`;
    const answers: string[] = [];
    const secrets: string[] = [PASSPHRASE];

    async function sudoResource(prefix: string, port: number) {
      const ops = createUser({ sudo: true });
      secrets.push(ops.password);
      const resource = name(prefix);
      const call = pmpClient(server.baseUrl, server.token);
      const created = await createTargetResource(call, resource, 'Linux', sshd.host, [ops]);
      await configureRemoteReset(call, created.resourceId, linuxConfig(port, ops.name));
      return { resource, id: created.resourceId };
    }

    beforeAll(async () => {
      instance = await createInstance(dialect, env);
      server = await serve(instance, env);
      relay = await relayTo(sshd.port);
      paul = await createApiUser(server, `paul-${dialect}`, 'Password User');
      // Sorted by name: the direct host is worked on first, the relayed one second.
      direct = await sudoResource('a-direct', sshd.port);
      relayed = await sudoResource('r-relayed', relay.port);
    }, 120_000);
    afterAll(async () => {
      expectNoSecret(answers, secrets);
      await server?.stop();
      await relay?.close();
      instance?.remove();
    });

    async function pki(who: Actor | 'admin', endpoint: string, options: PmpCall = {}): Promise<PkiAnswer> {
      const call = who === 'admin' ? pmpClient(server.baseUrl, server.token) : who.call;
      const answer = pkiOf((await call(`${PKI}/${endpoint}`, { transport: 'query', ...options })).http);
      answers.push(answer.http.text);
      return answer;
    }
    const post = (who: Actor | 'admin', endpoint: string, fields: Record<string, unknown>) =>
      pki(who, endpoint, { method: 'POST', input: details(fields) });
    const rotate = (key: string) => post('admin', 'rotateSSHKey', { keyName: key });
    const settle = (fields: Record<string, unknown>, who: Actor | 'admin' = 'admin') =>
      post(who, 'settleSSHKeyRotation', fields);
    const resolve = (fields: Record<string, unknown>, who: Actor | 'admin' = 'admin') =>
      post(who, 'resolveSSHKeyRotation', fields);
    const rotations = async (key: string) =>
      ok(await pki('admin', 'getSSHKeyRotations', { input: details({ keyName: key }) })).details as any[];
    const keyOf = async (key: string) =>
      (ok(await pki('admin', 'getAllSSHKeys')).details as any[]).find((k) => k.KeyName === key);
    const trailOf = async (rotationId: number) =>
      (await auditTrail(pmpClient(server.baseUrl, server.token))).filter((r) =>
        r.REASON?.includes(`rotation ${rotationId}`),
      );
    const sealed = async (rotationId: number) =>
      (
        await sqlOn(
          instance,
          'select new_private_key_sealed, old_private_key_sealed from ssh_key_rotations where id = $1',
          [rotationId],
        )
      )[0];
    const hostsOf = (answer: PkiAnswer) =>
      Object.fromEntries(answer.details.map((h: any) => [h.UserName, h.Status]));

    async function exportKey(keyName: string, file: string): Promise<string> {
      const http = await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${PKI}/exportSSHKey?AUTHTOKEN=${server.token}`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ keyName })))}`,
      });
      expect(http.text).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
      const target = path.join(dir, `${dialect}-${file}.key`);
      rmSync(target, { force: true });
      writeFileSync(target, http.body, { mode: 0o600 });
      execFileSync('ssh-keygen', ['-q', '-p', '-P', PASSPHRASE, '-N', '', '-f', target]);
      return target;
    }

    /** A key on one account of each host; the far account also holds a line of its own. */
    async function deployed(key: string) {
      relay.state.allow = Infinity;
      ok(
        await post('admin', 'createsshkey', {
          keyName: key,
          keyType: 'ed25519',
          passPhrase: PASSPHRASE,
          comment: `ci ${key}`,
        }),
      );
      const near = createUser();
      const far = createUser();
      mkdirSync(`/home/${far.name}/.ssh`, { recursive: true, mode: 0o700 });
      const own = `${utils.generateKeyPairSync('ed25519').public} own\n`;
      writeFileSync(fileOf(far.name), own, { mode: 0o600 });
      execFileSync('chown', ['-R', `${far.name}:${far.name}`, `/home/${far.name}/.ssh`]);
      for (const [resource, user] of [
        [direct.resource, near.name],
        [relayed.resource, far.name],
      ] as const) {
        ok(await post('admin', 'associateKey', { keyName: key, resourceName: resource, userName: user }));
      }
      const before = await keyOf(key);
      return { near, far, before, farText: `${own}${before.PublicKey}\n` };
    }

    /** Rotated while the relayed host goes down after `allow` connections: left pending. */
    async function stuck(key: string, allow: number, expected: RegExp) {
      relay.state.allow = allow;
      const answer = failed(await rotate(key), expected, ROTATION_FAILED);
      expect(answer.raw.rotation.Status).toBe('pending');
      relay.state.allow = 0;
      return Number(answer.raw.rotation.RotationId);
    }
    const afterSwitch = /is not finished: the vault holds the new key, .* but the old key is still on/;
    const beforeSwitch = /is not finished: .*the vault keeps the old key, but the new key is still on/;

    it('settle now: still pending while the host is down (within the grace: refused), finished at once when it is back', async () => {
      const key = name('settle');
      const { near, far } = await deployed(key);
      const oldFile = await exportKey(key, `${key}-old`);
      const rotationId = await stuck(key, 2, afterSwitch);
      failed(await settle({ keyName: key }), /may still be in progress; ask again in \d+ s/);

      await pastGrace();
      const pending = failed(
        await settle({ rotationId: String(rotationId) }),
        new RegExp(`^Rotation ${rotationId} of SSH key ${key} is still pending: .*old key is still on`),
        ROTATION_FAILED,
      );
      expect(hostsOf(pending)).toEqual({ [near.name]: 'rotated', [far.name]: 'old key left' });
      expect(sshLogsIn(oldFile, far.name)).toBe(true);

      relay.state.allow = Infinity;
      await pastGrace();
      const done = ok(await settle({ keyName: key }));
      expect(done.message).toMatch(
        new RegExp(`^Rotation ${rotationId} of SSH key ${key} settled: completed: rotated`),
      );
      expect(done.raw.rotation).toMatchObject({ RotationId: rotationId, Status: 'completed' });
      expect(hostsOf(done)).toEqual({ [near.name]: 'rotated', [far.name]: 'rotated' });
      expect(sshLogsIn(oldFile, far.name)).toBe(false);
      expect(sshLogsIn(await exportKey(key, `${key}-new`), far.name)).toBe(true);
      const operations = (await trailOf(rotationId)).map((r) => r.OPERATIONTYPE);
      expect(operations[0]).toBe('SSH Key Rotation Completed');
      expect(operations.filter((o) => o === 'SSH Key Rotation Settle Requested')).toHaveLength(2);
      failed(await settle({ keyName: key }), /has no pending rotation/);
      failed(await settle({ rotationId: rotationId }), /is not pending: it completed/);
    });

    it('resolve after the switch: completed, the old line abandoned on the host that never answers and named in the audit; the key is free again', async () => {
      const key = name('after');
      const { near, far, before } = await deployed(key);
      const oldFile = await exportKey(key, `${key}-old`);
      const rotationId = await stuck(key, 2, afterSwitch);
      await pastGrace();

      // Who may: paul with full access to the key and both resources is no administrator.
      ok(await post('admin', 'shareSSHKey', { keyName: key, userName: paul.name, permission: 'full' }));
      for (const resource of [direct, relayed]) {
        const shared = await pmpClient(server.baseUrl, server.token)(`${V1}/resources/${resource.id}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'full', USERID: paul.id }),
        });
        expect(shared.status, shared.http.text).toBe('Success');
      }
      failed(
        await resolve({ keyName: key }, paul),
        new RegExp(`not allowed to resolve the rotation of SSH key ${key}: it takes an administrator`),
      );
      failed(await resolve({ rotationId: String(rotationId), keyName: key }), /not both/);

      const answer = ok(await resolve({ rotationId: String(rotationId), reason: 'host decommissioned' }));
      expect(answer.message).toMatch(
        new RegExp(
          `^Rotation ${rotationId} of SSH key ${key} resolved \\(completed\\), 1 host\\(s\\) abandoned`,
        ),
      );
      expect(answer.raw.abandoned).toEqual([
        { ResourceName: relayed.resource, UserName: far.name, FingerPrint: before.FingerPrint },
      ]);
      expect(hostsOf(answer)).toEqual({ [near.name]: 'rotated', [far.name]: 'old key abandoned' });
      const [record] = await rotations(key);
      expect(record).toMatchObject({ RotationId: rotationId, Status: 'completed', Phase: 'removing-old' });
      expect(record.Message).toMatch(
        /resolved by admin \(host decommissioned\): the vault holds the new key/,
      );
      expect(record.Hosts.find((h: any) => h.UserName === far.name).Message).toMatch(
        /old key's line .* stays in its authorized_keys; remove it by hand/,
      );
      // The host that never answered keeps the old line: an old export still opens it, named.
      expect(sshLogsIn(oldFile, far.name)).toBe(true);
      expect(sshLogsIn(oldFile, near.name)).toBe(false);
      const newFile = await exportKey(key, `${key}-new`);
      expect(sshLogsIn(newFile, near.name)).toBe(true);
      expect(sshLogsIn(newFile, far.name)).toBe(true);
      expect(await sealed(rotationId)).toEqual({
        new_private_key_sealed: null,
        old_private_key_sealed: null,
      });
      const resolved = (await trailOf(rotationId)).find(
        (r) => r.OPERATIONTYPE === 'SSH Key Rotation Resolved',
      );
      expect(resolved?.OPERATEDBY).toBe('admin');
      expect(resolved?.REASON).toContain(`${far.name}@${relayed.resource}`);
      expect(resolved?.REASON).toContain(before.FingerPrint);
      expect(resolved?.REASON).toMatch(
        /discarded its private key, but copies exported before the rotation still open/,
      );

      // No longer busy: the key's deployments change again.
      ok(
        await post('admin', 'dissociateKey', {
          keyName: key,
          resourceName: direct.resource,
          userName: near.name,
        }),
      );
      expect(sshLogsIn(newFile, near.name)).toBe(false);
      failed(await resolve({ rotationId: String(rotationId) }), /is not pending: it completed/);
    });

    it('resolve before the switch: rolled back, the vault unchanged, the new line abandoned on the host that never answers', async () => {
      const key = name('before');
      const { near, far, before, farText } = await deployed(key);
      const oldFile = await exportKey(key, `${key}-old`);
      const rotationId = await stuck(key, 1, beforeSwitch);
      const newFingerprint = (await rotations(key))[0].FingerPrint;
      expect(fingerprintsOf(far.name)).toContain(newFingerprint);
      await pastGrace();

      const answer = ok(await resolve({ keyName: key }));
      expect(answer.message).toMatch(/resolved \(rolled back\), 1 host\(s\) abandoned/);
      expect(answer.raw.rotation).toMatchObject({ Status: 'failed', FingerPrint: before.FingerPrint });
      expect(answer.raw.abandoned).toEqual([
        { ResourceName: relayed.resource, UserName: far.name, FingerPrint: newFingerprint },
      ]);
      expect(hostsOf(answer)).toEqual({ [near.name]: 'rolled back', [far.name]: 'new key abandoned' });
      expect(await keyOf(key)).toEqual(before);
      expect(sshLogsIn(oldFile, near.name)).toBe(true);
      expect(sshLogsIn(oldFile, far.name)).toBe(true);
      // The new line stays on the host nobody could reach; nobody holds its private key now.
      expect(textOf(far.name)).not.toBe(farText);
      expect(fingerprintsOf(far.name)).toContain(newFingerprint);
      expect(await sealed(rotationId)).toEqual({
        new_private_key_sealed: null,
        old_private_key_sealed: null,
      });
      const resolved = (await trailOf(rotationId)).find(
        (r) => r.OPERATIONTYPE === 'SSH Key Rotation Resolved',
      );
      expect(resolved?.REASON).toContain(`${far.name}@${relayed.resource}`);
      expect(resolved?.REASON).toContain(newFingerprint);
      expect(resolved?.REASON).toMatch(/rolled back: the vault keeps the old key/);
      const [record] = await rotations(key);
      expect(record).toMatchObject({ Status: 'failed', Phase: 'rolling-back' });
      // The key rotates again once its host is back.
      relay.state.allow = Infinity;
      const again = ok(await rotate(key));
      expect(again.raw.rotation.Status).toBe('completed');
    });

    it('a host that answers again by the time of the resolve is settled normally, nothing abandoned', async () => {
      const key = name('back');
      const { far } = await deployed(key);
      await stuck(key, 2, afterSwitch);
      relay.state.allow = Infinity;
      await pastGrace();
      const answer = ok(await resolve({ keyName: key }));
      expect(answer.message).toMatch(/settled on its hosts \(completed\); nothing was abandoned/);
      expect(answer.raw.abandoned).toEqual([]);
      expect(hostsOf(answer)[far.name]).toBe('rotated');
    });

    it('bad input, unknown rotations, a rotation still in flight, and what a view share may not do', async () => {
      const key = name('checks');
      await deployed(key);
      failed(await settle({}), /keyName/);
      failed(await settle({ rotationId: 'seven' }), /rotationId must be a rotation's number/);
      failed(await settle({ rotationId: '999999' }), /SSH key rotation 999999 does not exist/);
      failed(await resolve({ keyName: key, reason: 'two\nlines' }), /one line of text/);
      failed(await settle({ keyName: key }), /has no pending rotation/);
      failed(await settle({ keyName: name('nothing') }), /does not exist/);

      // A rotation in flight (touched now): settle and resolve leave it alone within the grace.
      const keyId = (await sqlOn(instance, 'select id from ssh_keys where name = $1', [key]))[0]!.id;
      await sqlOn(
        instance,
        `insert into ssh_key_rotations (key_id, status, phase, trigger, new_public_key, new_fingerprint,
           old_public_key, old_fingerprint, requested_by_name, created_at, updated_at)
         values ($1, 'pending', 'adding', 'api', 'x', 'SHA256:x', 'y', 'SHA256:y', 'admin', $2, $3)`,
        [keyId, Date.now(), Date.now()],
      );
      failed(await settle({ keyName: key }), /may still be in progress/);
      failed(await resolve({ keyName: key }), /may still be in progress/);
      // The refusals while pending say how out.
      failed(await rotate(key), /already in progress .*settleSSHKeyRotation.*resolveSSHKeyRotation/);
      // paul may view the key: he may not settle it, and another key's rotation does not exist for him.
      ok(await post('admin', 'shareSSHKey', { keyName: key, userName: paul.name, permission: 'view' }));
      failed(await settle({ keyName: key }, paul), /needs modify or full access to the key/);
      const [other] = await sqlOn(
        instance,
        'select max(id) as id from ssh_key_rotations where key_id <> $1',
        [keyId],
      );
      const otherId = String(other!.id);
      failed(
        await settle({ rotationId: otherId }, paul),
        new RegExp(`SSH key rotation ${otherId} does not exist`),
      );
      await sqlOn(instance, 'delete from ssh_key_rotations where key_id = $1', [keyId]);
    });

    it('bulwark sshkeys rotations list, settle and resolve: the same as the local operator', async () => {
      const key = name('cli');
      const { far, before } = await deployed(key);
      const rotationId = await stuck(key, 2, afterSwitch);
      const cli = (...args: string[]) =>
        instance.cli('sshkeys', 'rotations', ...args, '--data-dir', instance.dataDir);

      const listed = await cli('list', '--pending', '--json');
      expect(listed.code, listed.stderr).toBe(0);
      const pending = JSON.parse(listed.stdout) as any[];
      expect(pending.find((r) => r.rotationId === rotationId)).toMatchObject({
        keyName: key,
        status: 'pending',
        phase: 'removing-old',
      });
      const text = await cli('list', '--name', key);
      expect(text.stdout).toContain(`rotation ${rotationId} of ${key}: pending (removing-old)`);
      expect(text.stdout).toContain(`${far.name}@${relayed.resource}: old key left`);

      await pastGrace();
      const settled = await cli('settle', '--name', key);
      expect(settled.code, settled.stderr).toBe(2);
      expect(settled.stdout).toContain(`Rotation ${rotationId} of SSH key ${key} is still pending`);
      expect((await cli('settle')).stderr).toMatch(/give --name .* or --id/);

      await pastGrace();
      const resolved = await cli(
        'resolve',
        '--id',
        String(rotationId),
        '--reason',
        'gone for good',
        '--json',
      );
      expect(resolved.code, resolved.stderr).toBe(0);
      expect(JSON.parse(resolved.stdout)).toMatchObject({
        outcome: 'rotated',
        rotationId,
        status: 'completed',
        abandoned: [{ resourceName: relayed.resource, userName: far.name, fingerprint: before.FingerPrint }],
      });
      const audit = (await trailOf(rotationId)).find((r) => r.OPERATIONTYPE === 'SSH Key Rotation Resolved');
      expect(audit?.REASON).toMatch(/\(gone for good\)/);
      expect(audit?.OPERATEDBY).not.toBe('admin');
      expect((await cli('list', '--pending')).stdout).not.toContain(`rotation ${rotationId} `);
    });
  });
});
