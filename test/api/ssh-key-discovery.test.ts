/**
 * SSH key discovery (issue 13, ADR 034) over the real HTTPS API and the CLI on both dialects,
 * against a real OpenSSH server with real local accounts whose authorized_keys this test writes
 * with keys made by the real ssh-keygen: every finding equals what `ssh-keygen -l -f` reports for
 * its line; a vault key found on a host is known, the rest are listed by 27 as discovered and
 * fetched by 28 under their stable name, 29 refusing them; a second run replaces the findings; a
 * group with an unreachable host reports per host with progress; bad input and callers who may
 * not answer Failed with nothing recorded.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, type PmpCall, type RawResponse } from '../helpers/client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import {
  adminCall,
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  V1,
  type Call,
  type TargetResource,
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
import { until as waitUntil } from '../helpers/wait.js';

const noSshd = sshdProblem();
const PKI = '/api/pki/restapi';
const TIMEOUT_SECONDS = 10;

interface PkiAnswer {
  readonly http: RawResponse;
  readonly raw: any;
  readonly name: string;
  readonly status: string;
  readonly message: string;
  readonly details: any;
}

const ok = (a: PkiAnswer): PkiAnswer => (expect(a.status, a.http.text).toBe('Success'), a);
const failed = (a: PkiAnswer, message: RegExp): PkiAnswer => {
  expect(a.status, a.http.text).toBe('Failed');
  expect(a.message).toMatch(message);
  return a;
};

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000) =>
  waitUntil(what, probe, ms);

/** `ssh-keygen -l -f file`, one entry per key line: bits, fingerprint, comment, type. */
function keygenList(file: string) {
  return execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^(\d+) (SHA256:\S+) (.*) \((\w+)\)$/.exec(line);
      if (!m) throw new Error(`unexpected ssh-keygen line: ${line}`);
      return { bits: Number(m[1]), fingerprint: m[2]!, comment: m[3]!, type: m[4]! };
    });
}

const SSHD_TYPES: Record<string, RegExp> = {
  ED25519: /^ssh-ed25519$/,
  RSA: /^ssh-rsa$/,
  ECDSA: /^ecdsa-sha2-/,
};

interface FoundKey {
  UserName: string;
  Line: number;
  KeyName: string;
  KeyType: string;
  SSHKeyType: string;
  KeyLength: string;
  FingerPrint: string;
  Comment: string;
  Options: string;
  Known: boolean;
  VaultKeys: string[];
  FirstSeen: string;
  LastSeen: string;
}

describe.skipIf(noSshd !== undefined)('SSH key discovery', () => {
  let sshd: SshServer;
  let dir: string;
  let n = 0;

  /** A fresh key pair by the real ssh-keygen; answers the public key line. */
  function keygen(type: 'ed25519' | 'rsa' | 'ecdsa', comment: string, bits?: number): string {
    const file = path.join(dir, `k${++n}`);
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      type,
      ...(bits ? ['-b', String(bits)] : []),
      '-N',
      '',
      '-C',
      comment,
      '-f',
      file,
    ]);
    return execFileSync('cat', [`${file}.pub`], { encoding: 'utf8' }).trim();
  }

  /** Writes ~user/.ssh/authorized_keys (0600, owned by the user); answers its path. */
  function writeKeys(user: LocalUser, lines: readonly string[]): string {
    const ssh = `/home/${user.name}/.ssh`;
    mkdirSync(ssh, { recursive: true, mode: 0o700 });
    const file = `${ssh}/authorized_keys`;
    writeFileSync(file, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
    execFileSync('chown', ['-R', `${user.name}:${user.name}`, ssh]);
    return file;
  }

  beforeAll(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-discovery-'));
  });
  afterAll(async () => {
    await sshd?.stop();
    removeUsers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let admin: Call;
    const actors: Record<string, Actor> = {};
    let ops: LocalUser;
    let alice: LocalUser;
    let bob: LocalUser;
    let carol: LocalUser;
    let dave: LocalUser;
    let resource: TargetResource;
    let resourceName: string;
    let aliceFile: string;
    let bobFile: string;
    let vaultKey: { name: string; fingerprint: string; publicKey: string };
    let pub: { aliceEd: string; aliceEc: string; bobRsa: string; carolRsa: string };
    const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);

    async function pki(who: Actor | 'admin', endpoint: string, options: PmpCall = {}): Promise<PkiAnswer> {
      const call = who === 'admin' ? pmpClient(server.baseUrl, server.token) : who.call;
      const http = (await call(`${PKI}/${endpoint}`, options)).http;
      expect(http.status, http.text).toBe(200);
      const raw = JSON.parse(http.text);
      expect(raw.operation).toBeUndefined();
      return {
        http,
        raw,
        name: raw.name,
        status: raw.result?.status,
        message: raw.result?.message,
        details: raw.details,
      };
    }
    const discover = (who: Actor | 'admin', fields: Record<string, unknown>) =>
      pki(who, 'discoverSSHKeys', { method: 'POST', input: details(fields) });
    const findings = (who: Actor | 'admin', name: string) =>
      pki(who, 'getDiscoveredSSHKeys', { input: details({ resourceName: name }) });
    const mine = (keys: FoundKey[]) =>
      keys.filter((k) => [alice, bob, carol, dave, ops].some((u) => u.name === k.UserName));
    const findingRows = async (resourceId: string) =>
      Number(
        (
          await sql('select count(*) as n from ssh_key_findings where resource_id = $1', [Number(resourceId)])
        )[0]!.n,
      );

    /** A Linux resource whose sudo login account reads every account's keys. */
    async function linuxResource(name: string, login: LocalUser, port: number): Promise<TargetResource> {
      const created = await createTargetResource(admin, name, 'Linux', sshd.host, [login]);
      await configureRemoteReset(admin, created.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
        REMOTELOGINACCOUNT: login.name,
        ELEVATIONTYPE: 'sudo',
      });
      return created;
    }

    beforeAll(async () => {
      server = await startServer(dialect, { BULWARK_REMOTE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) });
      admin = adminCall(server);
      actors.paul = await createApiUser(server, 'paul', 'Password User');
      actors.gina = await createApiUser(server, 'gina', 'Password User');
      ops = createUser({ sudo: true });
      [alice, bob, carol, dave] = [createUser(), createUser(), createUser(), createUser()];
      pub = {
        aliceEd: keygen('ed25519', `alice@laptop-${dialect}`),
        aliceEc: keygen('ecdsa', '', 384),
        bobRsa: keygen('rsa', `bob rsa ${dialect}`, 3072),
        carolRsa: keygen('rsa', 'carol', 2048),
      };
      const created = ok(
        await pki('admin', 'createsshkey', {
          method: 'POST',
          input: details({ keyName: `deploy-${dialect}`, keyType: 'ed25519', comment: 'deploy' }),
        }),
      ).details[0];
      vaultKey = { name: created.KeyName, fingerprint: created.FingerPrint, publicKey: created.PublicKey };
      aliceFile = writeKeys(alice, [
        '# the keys of alice',
        pub.aliceEd,
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFqYmX truncated',
        '',
        `from="127.0.0.1",no-pty ${pub.aliceEc}`,
      ]);
      bobFile = writeKeys(bob, [vaultKey.publicKey, pub.bobRsa]);
      // dave's authorized_keys is a symlink (to alice's): listed as such, never followed.
      mkdirSync(`/home/${dave.name}/.ssh`, { mode: 0o700 });
      symlinkSync(aliceFile, `/home/${dave.name}/.ssh/authorized_keys`);
      execFileSync('chown', ['-h', '-R', `${dave.name}:${dave.name}`, `/home/${dave.name}/.ssh`]);
      resourceName = `web-${dialect}`;
      resource = await linuxResource(resourceName, ops, sshd.port);
      expectSuccess(
        await admin(`${V1}/resources/${resource.resourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'view', USERID: actors.paul.id }),
        }),
      );
    });
    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    it('discoverSSHKeys on a resource: every key as ssh-keygen -l reports it, file states, invalid lines, known and unknown', async () => {
      const answer = ok(await discover('admin', { resourceName }));
      expect(answer.name).toBe('DiscoverSSHKeys');
      expect(answer.message).toMatch(
        new RegExp(
          `^SSH keys discovered on resource ${resourceName}: \\d+ key\\(s\\), \\d+ unknown to the vault$`,
        ),
      );
      const d = answer.details;
      expect(d.ResourceName).toBe(resourceName);
      expect(d.Host).toBe(`${sshd.host}:${sshd.port}`);
      const accounts = new Map<string, any>(d.Accounts.map((a: any) => [a.UserName, a]));
      expect(accounts.get(alice.name)).toEqual({
        UserName: alice.name,
        File: 'present',
        Keys: 2,
        InvalidLines: [
          {
            Line: 3,
            Text: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFqYmX truncated',
            Problem: expect.any(String),
          },
        ],
      });
      expect(accounts.get(bob.name)).toMatchObject({ File: 'present', Keys: 2, InvalidLines: [] });
      expect(accounts.get(carol.name)).toMatchObject({ File: 'missing', Keys: 0 });
      expect(accounts.get(dave.name)).toMatchObject({ File: 'symlink', Keys: 0 });
      expect(accounts.get(ops.name)).toMatchObject({ File: 'missing' });

      const keys = mine(d.Keys as FoundKey[]);
      expect(keys.map((k) => `${k.UserName}:${k.Line}`).sort()).toEqual(
        [`${alice.name}:2`, `${alice.name}:5`, `${bob.name}:1`, `${bob.name}:2`].sort(),
      );
      const at = (user: LocalUser, line: number) =>
        keys.find((k) => k.UserName === user.name && k.Line === line)!;
      // Each user's keys, line by line, equal what ssh-keygen -l -f reads of the same file.
      for (const [user, file] of [
        [alice, aliceFile],
        [bob, bobFile],
      ] as const) {
        const expected = keygenList(file);
        const found = keys.filter((k) => k.UserName === user.name);
        expect(found).toHaveLength(expected.length);
        found.forEach((k, i) => {
          const e = expected[i]!;
          expect(k.KeyLength).toBe(String(e.bits));
          expect(k.FingerPrint).toBe(e.fingerprint);
          expect(k.SSHKeyType).toMatch(SSHD_TYPES[e.type]!);
          // ssh-keygen prints the options where a key with options has no comment.
          expect(k.Comment || k.Options).toBe(e.comment);
        });
      }
      const [aliceEd, aliceEc, bobVault, bobRsa] = [at(alice, 2), at(alice, 5), at(bob, 1), at(bob, 2)];
      expect(aliceEd).toMatchObject({
        KeyType: 'ed25519',
        KeyLength: '256',
        Comment: `alice@laptop-${dialect}`,
        Options: '',
        Known: false,
      });
      expect(aliceEc).toMatchObject({
        KeyType: 'ecdsa',
        KeyLength: '384',
        Options: 'from="127.0.0.1",no-pty',
        Known: false,
      });
      expect(bobRsa).toMatchObject({ KeyType: 'ssh-rsa', KeyLength: '3072', Known: false });
      expect(aliceEd.KeyName).toBe(`discovered:${aliceEd.FingerPrint}`);
      expect(bobVault).toMatchObject({
        KeyName: vaultKey.name,
        FingerPrint: vaultKey.fingerprint,
        Known: true,
        VaultKeys: [vaultKey.name],
      });

      // The same from the listing endpoint; and audited with the counts, by whom, on which resource.
      const listed = ok(await findings('admin', resourceName)).details;
      expect(mine(listed.Keys)).toEqual(keys);
      expect(listed.Accounts).toEqual(d.Accounts);
      const record = (await auditTrail(admin)).find(
        (r) => r.OPERATIONTYPE === 'SSH Keys Discovered' && r.REASON.includes(`${sshd.host}:${sshd.port}`),
      );
      expect(record?.REASON).toMatch(
        /^\d+ key\(s\) in \d+ of \d+ account\(s\), \d+ unknown to the vault, \d+ invalid line\(s\); read on /,
      );
      expect(record?.REASON).toContain(`login account ${ops.name}`);
      expect(record?.OPERATEDBY).toBe('admin');
      expect(JSON.stringify(await auditTrail(admin))).not.toContain(ops.password);
    });

    it('27 lists the unknown keys as discovered and where known keys were found; 28 fetches them by name; 29 refuses them', async () => {
      const all = ok(await pki('admin', 'getAllSSHKeys'));
      const keys = all.raw.SSHKeys as any[];
      expect(all.details).toEqual(keys);
      const stored = keys.find((k) => k.KeyName === vaultKey.name);
      expect(stored.Origin).toBe('created');
      expect(stored.FoundOn).toEqual([
        {
          ResourceName: resourceName,
          UserName: bob.name,
          Line: 1,
          Options: '',
          LastSeen: expect.any(String),
        },
      ]);
      const fingerprint = keygenList(aliceFile)[0]!.fingerprint;
      const name = `discovered:${fingerprint}`;
      const discovered = keys.find((k) => k.KeyName === name);
      expect(discovered).toMatchObject({
        KeyType: 'ed25519',
        KeyLength: '256',
        FingerPrint: fingerprint,
        isPassphraseAvailable: false,
        Comment: `alice@laptop-${dialect}`,
        PublicKey: pub.aliceEd,
        Origin: 'discovered',
        FoundOn: [
          {
            ResourceName: resourceName,
            UserName: alice.name,
            Line: 2,
            Options: '',
            LastSeen: expect.any(String),
          },
        ],
      });
      // The vault key is listed once, as the store's key, never as discovered.
      expect(keys.filter((k) => k.FingerPrint === vaultKey.fingerprint)).toHaveLength(1);

      for (const method of ['GET', 'POST']) {
        const one = ok(await pki('admin', 'getSSHKey', { method, input: details({ keyName: name }) }));
        expect(one.details).toEqual([discovered]);
      }
      const exported = failed(
        await pki('admin', 'exportSSHKey', { method: 'POST', input: details({ keyName: name }) }),
        /only its public key is known to the vault, there is no private key to export/,
      );
      expect(exported.http.headers['content-type']).toBe('application/json;charset=UTF-8');
      const stillStored = ok(await pki('admin', 'getSSHKey', { input: details({ keyName: vaultKey.name }) }));
      expect(stillStored.details[0].FoundOn).toEqual(stored.FoundOn);
      failed(
        await pki('admin', 'getSSHKey', {
          input: details({ keyName: `discovered:SHA256:${'A'.repeat(43)}` }),
        }),
        /does not exist/,
      );

      // A viewer of the resource sees its findings and its discovered keys; a stranger sees neither.
      ok(await findings(actors.paul!, resourceName));
      const paulKeys = ok(await pki(actors.paul!, 'getAllSSHKeys')).raw.SSHKeys as any[];
      expect(paulKeys.some((k) => k.KeyName === name)).toBe(true);
      // paul does not see the vault key itself: its finding is neither discovered nor named to him.
      expect(paulKeys.some((k) => k.FingerPrint === vaultKey.fingerprint)).toBe(false);
      const paulFound = mine(ok(await findings(actors.paul!, resourceName)).details.Keys);
      expect(paulFound.find((k) => k.FingerPrint === vaultKey.fingerprint)).toMatchObject({
        Known: true,
        KeyName: '',
        VaultKeys: [],
      });
      const ginaKeys = ok(await pki(actors.gina!, 'getAllSSHKeys')).raw.SSHKeys as any[];
      expect(ginaKeys.filter((k) => k.Origin === 'discovered')).toEqual([]);
      failed(await findings(actors.gina!, resourceName), /does not exist or is not accessible to you/);
      failed(await pki(actors.gina!, 'getSSHKey', { input: details({ keyName: name }) }), /does not exist/);
    });

    it('a second run replaces the findings as a whole: removed lines go, new ones come, first seen is kept', async () => {
      const before = mine(ok(await findings('admin', resourceName)).details.Keys);
      writeKeys(alice, [`from="127.0.0.1",no-pty ${pub.aliceEc}`]);
      writeKeys(carol, [pub.carolRsa]);
      await new Promise((r) => setTimeout(r, 20));
      const d = ok(await discover('admin', { resourceName })).details;
      const after = mine(d.Keys as FoundKey[]);
      expect(after.map((k) => `${k.UserName}:${k.Line}`).sort()).toEqual(
        [`${alice.name}:1`, `${bob.name}:1`, `${bob.name}:2`, `${carol.name}:1`].sort(),
      );
      expect(after.some((k) => k.Comment === `alice@laptop-${dialect}`)).toBe(false);
      const ec = (list: FoundKey[]) => list.find((k) => k.KeyLength === '384')!;
      expect(ec(after).FirstSeen).toBe(ec(before).FirstSeen);
      expect(ec(after).LastSeen).not.toBe(ec(before).LastSeen);
      const carolKey = after.find((k) => k.UserName === carol.name)!;
      expect(carolKey.FirstSeen).toBe(carolKey.LastSeen);
      expect(carolKey.FingerPrint).toBe(
        keygenList(`/home/${carol.name}/.ssh/authorized_keys`)[0]!.fingerprint,
      );
      expect(d.Accounts.find((a: any) => a.UserName === alice.name).InvalidLines).toEqual([]);
      // Stored: exactly what the last run found, nothing left of the first.
      expect(await findingRows(resource.resourceId)).toBe(d.Keys.length);
      const gone = `discovered:${before.find((k) => k.Comment === `alice@laptop-${dialect}`)!.FingerPrint}`;
      failed(await pki('admin', 'getSSHKey', { input: details({ keyName: gone }) }), /does not exist/);
    });

    it('a resource group runs as a job: per-host results (one host unreachable), progress over the API and the CLI', async () => {
      const downLogin = createUser({ sudo: true });
      const down = await linuxResource(`down-${dialect}`, downLogin, await closedPort());
      const groupName = `hosts-${dialect}`;
      const group = expectSuccess(
        await admin(`${V1}/resourcegroup`, {
          method: 'POST',
          input: details({ RESOURCEGROUPNAME: groupName, GROUPTYPE: 'STATIC' }),
        }),
      );
      expectSuccess(
        await admin(`${V1}/resourcegroup/${group.details.RESOURCEGROUPID}/associateResources`, {
          method: 'POST',
          input: details({ RESOURCEIDS: [resource.resourceId, down.resourceId] }),
        }),
      );
      const started = ok(
        await discover('admin', { resourceGroupName: groupName, concurrency: 2, timeout: TIMEOUT_SECONDS }),
      );
      expect(started.message).toBe(`SSH key discovery of resource group ${groupName} started`);
      expect(started.details).toMatchObject({ ResourceGroupName: groupName, Resources: 2, Permitted: 2 });
      const seen = new Set<string>();
      const job = await until('the discovery job to finish', async () => {
        const d = expectSuccess(await admin(`${V1}/jobs/${started.details.JobId}`)).details;
        if (d.PROGRESS.TOTAL !== null) seen.add(`${d.PROGRESS.DONE}/${d.PROGRESS.TOTAL}`);
        return d.STATUS === 'succeeded' || d.STATUS === 'failed' ? d : undefined;
      });
      expect(job.STATUS).toBe('succeeded');
      expect(job.KIND).toBe('sshkeys.discover-group');
      expect(job.PROGRESS).toMatchObject({ DONE: 2, TOTAL: 2 });
      expect(seen.size).toBeGreaterThan(0);
      expect(job.RESULT).toMatchObject({ group: groupName, total: 2, discovered: 1, failed: 1, skipped: 0 });
      const items = new Map<string, any>(job.RESULT.items.map((i: any) => [i.resource, i]));
      expect(items.get(resourceName)).toMatchObject({ status: 'discovered', keys: expect.any(Number) });
      expect(items.get(`down-${dialect}`)).toMatchObject({ status: 'failed', reason: 'unreachable' });
      // The failed host: its attempt is shown, with no findings.
      const downFound = ok(await findings('admin', `down-${dialect}`)).details;
      expect(downFound).toMatchObject({ DiscoveredAt: '', Keys: [], LastError: { Reason: 'unreachable' } });
      const trail = await auditTrail(admin);
      expect(
        trail.some(
          (r) => r.OPERATIONTYPE === 'SSH Key Discovery Failed' && r.REASON.startsWith('unreachable: '),
        ),
      ).toBe(true);

      // The CLI: progress lines on stderr (not a terminal), the summary on stdout, exit code 2.
      const dataDir = server.instance.dataDir;
      const run = await server.instance.cli(
        'sshkeys',
        'discover',
        '--data-dir',
        dataDir,
        '--group',
        groupName,
        '--timeout',
        String(TIMEOUT_SECONDS),
      );
      expect(run.code, run.stderr).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toMatch(/^\[\d\/2\] .+: (discovered|failed)/);
      expect(run.stdout).toContain('  discovered: 1\n');
      expect(run.stdout).toMatch(new RegExp(`    down-${dialect}: unreachable: `));
      const json = await server.instance.cli(
        'sshkeys',
        'discover',
        '--data-dir',
        dataDir,
        '--resource',
        resourceName,
        '--json',
      );
      expect(json.code, json.stderr).toBe(0);
      const doc = JSON.parse(json.stdout);
      expect(doc.resource).toBe(resourceName);
      expect(doc.keys.some((k: any) => k.fingerprint === vaultKey.fingerprint && k.known)).toBe(true);
      const jobShown = await server.instance.cli(
        'jobs',
        'show',
        '--id',
        String(started.details.JobId),
        '--data-dir',
        dataDir,
      );
      expect(jobShown.code, jobShown.stderr).toBe(0);
      expect(jobShown.stdout).toContain('sshkeys.discover-group');
    });

    it('bad input, unconfigured and database resources, and callers who may not answer Failed with nothing recorded', async () => {
      const bare = await createTargetResource(admin, `bare-${dialect}`, 'Linux', sshd.host, [
        { name: 'x', password: 'x' },
      ]);
      const pg = await createTargetResource(admin, `pg-${dialect}`, 'PostgreSQL', '127.0.0.1', [
        { name: 'dba', password: 'x' },
      ]);
      await configureRemoteReset(admin, pg.resourceId, { RESOURCETYPE: 'PostgreSQL' });
      const rows = await findingRows(resource.resourceId);
      const audits = (await auditTrail(admin)).length;
      failed(await discover('admin', {}), /resourceName is mandatory/);
      failed(await discover('admin', { resourceName, resourceGroupName: 'x' }), /not both/);
      failed(
        await discover('admin', { resourceName: 'no-such-host' }),
        /Resource no-such-host does not exist or is not accessible to you/,
      );
      failed(await discover('admin', { resourceName, concurrency: 2 }), /apply to a resource group only/);
      failed(
        await discover('admin', { resourceGroupName: 'x', timeout: 0 }),
        /timeout must be a whole number from 1 to 600/,
      );
      failed(
        await discover('admin', { resourceGroupName: 'x', concurrency: 'many' }),
        /concurrency must be a whole number/,
      );
      failed(await discover('admin', { resourceName: 'x'.repeat(300) }), /longer than/);
      failed(await discover('admin', { resourceGroupName: 'no such group' }), /does not exist/);
      failed(await findings('admin', ''), /resourceName is mandatory/);

      const bareAnswer = failed(
        await discover('admin', { resourceName: `bare-${dialect}` }),
        /no remote reset configuration/,
      );
      expect(bareAnswer.details).toEqual({ ResourceName: `bare-${dialect}`, Reason: 'not-configured' });
      failed(await findings('admin', `bare-${dialect}`), /No SSH key discovery has run on resource/);
      const pgAnswer = failed(
        await discover('admin', { resourceName: `pg-${dialect}` }),
        /configured as a postgresql target/,
      );
      expect(pgAnswer.details.Reason).toBe('not-linux');

      // paul may view the resource, not discover on it; gina does not see it.
      failed(
        await discover(actors.paul!, { resourceName }),
        /not allowed to discover SSH keys on resource .*: it needs full access/,
      );
      failed(await discover(actors.gina!, { resourceName }), /does not exist or is not accessible to you/);
      expect(await findingRows(resource.resourceId)).toBe(rows);
      expect(await findingRows(bare.resourceId)).toBe(0);
      expect(
        await sql('select * from ssh_key_discoveries where resource_id in ($1, $2)', [
          Number(bare.resourceId),
          Number(pg.resourceId),
        ]),
      ).toEqual([]);
      expect((await auditTrail(admin)).length).toBe(audits);
    });

    it('a changed host key and a refused login answer Failed saying why; the last findings stay', async () => {
      const rows = await findingRows(resource.resourceId);
      const wrong = createUser({ sudo: true });
      const refused = await linuxResource(
        `refused-${dialect}`,
        { name: wrong.name, password: 'not-the-password-1A!' },
        sshd.port,
      );
      const auth = failed(
        await discover('admin', { resourceName: `refused-${dialect}` }),
        /failed \(authentication\)/,
      );
      expect(auth.details.Reason).toBe('authentication');
      expect(await findingRows(refused.resourceId)).toBe(0);

      await sshd.restart({ newHostKey: true });
      const changed = failed(await discover('admin', { resourceName }), /failed \(host-key\)/);
      expect(changed.details.Reason).toBe('host-key');
      expect(await findingRows(resource.resourceId)).toBe(rows);
      const shown = ok(await findings('admin', resourceName)).details;
      expect(shown.LastError.Reason).toBe('host-key');
      expect(shown.Keys).toHaveLength(rows);
    });
  });
});
