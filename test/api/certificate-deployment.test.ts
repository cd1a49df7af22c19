/**
 * Certificate deployment (endpoint 64, ADR 041) over the real HTTPS API on both dialects: a
 * certificate with its chain and (passphrase-protected) private key written over SSH to a real
 * OpenSSH server with a real local account elevating with sudo, a reload command that (re)starts
 * a real `openssl s_server` on 127.0.0.x from the deployed files, and the served certificate read
 * back. Failures (paths, a missing directory, a symlink, unreachable, refused login, the reload
 * failing, another certificate served) answer Failed saying why; audits carry no key material.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, type PmpCall, type RawResponse } from '../helpers/client.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import {
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  expectNoSecret,
  type Call,
} from '../helpers/remote-reset.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import {
  closedPort,
  createUser,
  removeUsers,
  sshdProblem,
  startSshd,
  type LocalUser,
  type SshServer,
} from '../helpers/sshd.js';
import { tlsListener } from '../helpers/tls-listeners.js';
import { freePort } from '../helpers/postgres.js';
import { registerA2aApplication } from '../helpers/a2a-app.js';

const PKI = '/api/pki/restapi';
const noSshd = sshdProblem();
const PASSPHRASE = 'deploy-key-pass-7f3';

interface PkiAnswer {
  readonly http: RawResponse;
  readonly raw: any;
  readonly status: string;
  readonly message: string;
}

function pkiOf(http: RawResponse): PkiAnswer {
  expect(http.status, http.text).toBe(200);
  const raw = JSON.parse(http.text);
  return { http, raw, status: raw.result?.status, message: raw.result?.message };
}
const ok = (a: PkiAnswer): PkiAnswer => (expect(a.status, a.http.text).toBe('Success'), a);
const failed = (a: PkiAnswer, message: RegExp): PkiAnswer => {
  expect(a.status, a.http.text).toBe('Failed');
  expect(a.message).toMatch(message);
  expect(a.raw.result.statusCode).toBeGreaterThanOrEqual(40000);
  expect(a.raw.result.statusCode).toBeLessThan(50000);
  return a;
};

const spki = (pem: string) =>
  createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' }).toString('base64');
const sha256Of = (pem: string) => new X509Certificate(pem).fingerprint256;

describe.skipIf(noSshd !== undefined)('certificate deployment (64)', () => {
  let sshd: SshServer;
  let o: OpensslCerts;
  let leafPem: string;
  let intermediatePem: string;
  let leafKeyPem: string;
  let otherPem: string;
  let otherKey: string;
  let paulPem: string;
  let paulKey: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    o = opensslCerts();
    const rootKey = o.key('root', 'ec:P-256');
    const root = o.cert('root', {
      key: rootKey,
      subject: '/O=Deploy Test/CN=Deploy Root',
      ca: true,
      days: 60,
    });
    const midKey = o.key('mid', 'ec:P-256');
    const mid = o.cert('mid', {
      key: midKey,
      subject: '/O=Deploy Test/CN=Deploy Intermediate',
      issuer: { cert: root, key: rootKey },
      ca: true,
      days: 50,
    });
    const leafKey = o.key('leaf', 'rsa:2048', PASSPHRASE);
    const leaf = o.cert('leaf', {
      key: leafKey,
      subject: '/CN=deploy.example.test',
      issuer: { cert: mid, key: midKey },
      san: 'DNS:deploy.example.test',
      days: 40,
    });
    leafPem = o.file(leaf).toString();
    intermediatePem = o.file(mid).toString();
    leafKeyPem = o.file(leafKey).toString();
    otherKey = o.key('other', 'ec:P-256');
    otherPem = o
      .file(o.cert('other', { key: otherKey, subject: '/CN=other.example.test', days: 10 }))
      .toString();
    paulKey = o.key('paul', 'ec:P-256');
    paulPem = o.file(o.cert('paul', { key: paulKey, subject: '/CN=paul.example.test', days: 10 })).toString();
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
    removeUsers();
    o?.cleanup();
    for (const dir of dirs) {
      // The openssl s_server a reload command started (its pid file), ended by its pid.
      const pidFile = path.join(dir, 'server.pid');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 1) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let admin: Call;
    let paul: Actor;
    let n = 0;
    const name = (what: string) => `${what}-${dialect}-${++n}`;
    const answers: string[] = [];
    const secrets: string[] = [PASSPHRASE];
    const ip = dialect === 'sqlite' ? '127.0.0.81' : '127.0.0.82';
    let ops: LocalUser;
    let resource: string;
    let dir: string;
    let port: number;
    let leafId: string;
    let resourceId: string;

    beforeAll(async () => {
      server = await startServer(dialect, { BULWARK_REMOTE_TIMEOUT_SECONDS: '8' });
      admin = pmpClient(server.baseUrl, server.token);
      paul = await createApiUser(server, 'paul', 'Password User');
      // The leaf with its intermediate, and its key encrypted with a passphrase.
      const added = ok(
        await pki('admin', 'addCertificate', {
          certificate: leafPem + intermediatePem,
          privateKey: leafKeyPem,
          passphrase: PASSPHRASE,
        }),
      );
      leafId = String(added.raw.details[0].CertID);
      ops = createUser({ sudo: true });
      secrets.push(ops.password);
      resource = name('web');
      const created = await createTargetResource(admin, resource, 'Linux', sshd.host, [ops]);
      resourceId = created.resourceId;
      await configureRemoteReset(admin, created.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(sshd.port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
        REMOTELOGINACCOUNT: ops.name,
        ELEVATIONTYPE: 'sudo',
      });
      dir = mkdtempSync(path.join(tmpdir(), `bulwark-deploy-${dialect}-`));
      dirs.push(dir);
      port = await freePort();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    async function pki(
      who: Actor | 'admin',
      endpoint: string,
      input: Record<string, unknown>,
      options: PmpCall = {},
    ) {
      const call = who === 'admin' ? admin : who.call;
      const { http } = await call(`${PKI}/${endpoint}`, {
        method: 'POST',
        input: details(input),
        ...options,
      });
      // An internal error is a bug: show what the server logged about it.
      expect(http.status, `${http.text}\n${http.status === 500 ? server.output().slice(-4000) : ''}`).toBe(
        200,
      );
      const answer = pkiOf(http);
      answers.push(answer.http.text);
      return answer;
    }
    const deploy = (fields: Record<string, unknown>, who: Actor | 'admin' = 'admin') =>
      pki(who, 'deployCertificate', { common_name: 'deploy.example.test', ...fields });

    /** Starts `openssl s_server` from the deployed files, ending the one it started before. */
    const reload = () =>
      `if [ -f ${dir}/server.pid ]; then kill $(cat ${dir}/server.pid) 2>/dev/null; sleep 0.3; fi; ` +
      `setsid openssl s_server -accept ${ip}:${port} -cert ${dir}/cert.pem -key ${dir}/key.pem -www ` +
      `</dev/null >/dev/null 2>&1 & echo $! > ${dir}/server.pid`;
    const full = () => ({
      serverName: resource,
      certificatePath: `${dir}/cert.pem`,
      keyPath: `${dir}/key.pem`,
      reloadCommand: reload(),
      verifyHost: ip,
      verifyPort: String(port),
    });
    const audits = async (operation: string) =>
      (await auditTrail(admin)).filter((r) => r.OPERATIONTYPE === operation);

    it('writes the chain (0644) and the plain key (0600) atomically, reloads, and verifies what the server serves', async () => {
      const answer = ok(await deploy(full()));
      expect(answer.raw).toMatchObject({
        name: 'DeployCertificate',
        result: { status: 'Success', message: 'Certificate deployment is successful.' },
        totalRows: 1,
        deployStatus: [
          {
            server: resource,
            status: 'Success',
            message: `Certificate deploy.example.test of format CER and KEY deployed in ${resource} successfully; ${ip}:${port} serves it`,
          },
        ],
      });
      // The chain: the leaf then its intermediate, as the vault holds them.
      const chain = readFileSync(`${dir}/cert.pem`, 'utf8');
      const blocks = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
      expect(blocks.map(sha256Of)).toEqual([sha256Of(leafPem), sha256Of(intermediatePem)]);
      const key = readFileSync(`${dir}/key.pem`, 'utf8');
      expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(spki(key)).toBe(
        new X509Certificate(leafPem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      );
      expect(statSync(`${dir}/cert.pem`).mode & 0o777).toBe(0o644);
      expect(statSync(`${dir}/key.pem`).mode & 0o777).toBe(0o600);
      // Written as root (sudo), no temporary file left behind.
      expect(statSync(`${dir}/key.pem`).uid).toBe(0);
      expect(execFileSync('ls', ['-a', dir], { encoding: 'utf8' })).not.toMatch(/\.bulwark-cert/);
      // openssl itself agrees the server serves the deployed leaf.
      const served = execFileSync(
        'sh',
        [
          '-c',
          `openssl s_client -connect ${ip}:${port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
        ],
        {
          encoding: 'utf8',
        },
      );
      expect(served.trim()).toBe(`sha256 Fingerprint=${sha256Of(leafPem)}`);

      const [record] = await audits('Certificate Deployed');
      expect(record?.REASON).toContain(`${dir}/cert.pem (0644), ${dir}/key.pem (0600)`);
      expect(record?.REASON).toContain(`verified: ${ip}:${port} serves SHA-256 ${sha256Of(leafPem)}`);
      expect(record?.REASON).toContain(`login account ${ops.name}`);
      const keyBody = key.replace(/-----[^-]+-----|\s/g, '');
      expectNoSecret(
        [...answers, JSON.stringify(await auditTrail(admin))],
        [...secrets, keyBody.slice(20, 80)],
      );
    });

    it('deploys again to the saved servers (no serverName), replacing the files (a new inode), and with an owner', async () => {
      const before = statSync(`${dir}/key.pem`).ino;
      const answer = ok(await deploy({}));
      expect(answer.raw.deployStatus).toEqual([
        expect.objectContaining({ server: resource, status: 'Success' }),
      ]);
      expect(statSync(`${dir}/key.pem`).ino).not.toBe(before);
      const owner = createUser();
      ok(await deploy({ serverName: resource, fileOwner: owner.name }));
      const uid = Number(execFileSync('id', ['-u', owner.name], { encoding: 'utf8' }).trim());
      expect(statSync(`${dir}/cert.pem`).uid).toBe(uid);
      expect(statSync(`${dir}/key.pem`).uid).toBe(uid);
      expect(statSync(`${dir}/key.pem`).mode & 0o777).toBe(0o600);
    });

    it('writes a PFX protected with the key passphrase that openssl pkcs12 opens; no key, no PFX or key file', async () => {
      const answer = ok(await deploy({ ...full(), pfxPath: `${dir}/cert.pfx` }));
      expect(answer.raw.deployStatus[0].message).toMatch(/of format CER, KEY and PFX deployed in/);
      expect(statSync(`${dir}/cert.pfx`).mode & 0o777).toBe(0o600);
      const pkcs12 = (...args: string[]) =>
        execFileSync(
          'openssl',
          ['pkcs12', '-in', `${dir}/cert.pfx`, '-passin', `pass:${PASSPHRASE}`, ...args],
          {
            encoding: 'utf8',
          },
        );
      const certs = pkcs12('-nokeys').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
      expect(certs.map(sha256Of)).toEqual([sha256Of(leafPem), sha256Of(intermediatePem)]);
      expect(spki(pkcs12('-nocerts', '-nodes'))).toBe(
        new X509Certificate(leafPem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      );
      expect(() =>
        execFileSync('openssl', ['pkcs12', '-in', `${dir}/cert.pfx`, '-passin', 'pass:wrong', '-nokeys'], {
          stdio: 'ignore',
        }),
      ).toThrow();

      // A certificate without a private key: the chain alone may go, a key file may not.
      ok(await pki('admin', 'addCertificate', { certificate: otherPem }));
      failed(
        await pki('admin', 'deployCertificate', {
          common_name: 'other.example.test',
          ...full(),
          certificatePath: `${dir}/other.pem`,
          keyPath: `${dir}/other.key`,
          reloadCommand: 'true',
        }),
        /was not deployed in .*: certificate other.example.test has no private key in the vault/,
      );
      expect(existsSync(`${dir}/other.pem`)).toBe(false);
    });

    it('refuses paths that are not absolute or hold "..", and bad owners, before connecting', async () => {
      for (const bad of ['relative/cert.pem', `${dir}/../etc/cert.pem`, `${dir}/a b.pem`, `${dir}/`]) {
        failed(
          await deploy({ ...full(), certificatePath: bad }),
          /certificatePath (is not absolute|contains '\.\.'|may hold only)/,
        );
      }
      failed(await deploy({ ...full(), keyPath: `${dir}/cert.pem` }), /must be different files/);
      failed(await deploy({ ...full(), fileOwner: 'root;id' }), /fileOwner must be a Linux account name/);
      failed(await deploy({ ...full(), verifyPort: '70000' }), /verifyPort must be a port number/);
      failed(await deploy({ certificatePath: `${dir}/x.pem` }), /Give serverName with certificatePath/);
      failed(await deploy({ serverName: name('nowhere') }), /does not exist or is not accessible/);
    });

    it('answers Failed saying why: a missing directory, a symlink, a failing reload, another certificate served', async () => {
      const before = readFileSync(`${dir}/cert.pem`);
      let answer = failed(
        await deploy({ ...full(), certificatePath: `${dir}/missing/cert.pem` }),
        /the certificate file .*missing\/cert\.pem is in a directory that does not exist on the host; nothing was replaced/,
      );
      expect(answer.raw.result.statusCode).toBe(42240);
      expect(readFileSync(`${dir}/cert.pem`)).toEqual(before);

      const linkDir = mkdtempSync(path.join(tmpdir(), 'bulwark-deploy-link-'));
      dirs.push(linkDir);
      writeFileSync(path.join(linkDir, 'real.pem'), 'untouched\n');
      symlinkSync(path.join(linkDir, 'real.pem'), path.join(linkDir, 'cert.pem'));
      failed(
        await deploy({
          ...full(),
          serverName: resource,
          certificatePath: `${linkDir}/cert.pem`,
          keyPath: `${linkDir}/key.pem`,
        }),
        /is a symlink or not a regular file on the host; it is not replaced/,
      );
      expect(lstatSync(path.join(linkDir, 'cert.pem')).isSymbolicLink()).toBe(true);
      expect(readFileSync(path.join(linkDir, 'real.pem'), 'utf8')).toBe('untouched\n');
      expect(existsSync(path.join(linkDir, 'key.pem'))).toBe(false);

      failed(
        await deploy({ ...full(), reloadCommand: 'echo reload went wrong >&2; exit 3' }),
        /the files were written, but the reload command failed \(exit status 3\): reload went wrong/,
      );
      // A reload command printing the key it was given: the outcome (shown to every viewer of
      // the certificate) and the audit text carry none of it.
      const printed = failed(
        await deploy({ ...full(), reloadCommand: `echo printing; cat ${dir}/key.pem; exit 4` }),
        /the reload command failed \(exit status 4\): \[redacted/,
      );
      const keyLines = readFileSync(`${dir}/key.pem`, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0 && !l.startsWith('-----'));
      const told = JSON.stringify(printed.raw) + JSON.stringify(await auditTrail(admin));
      for (const line of keyLines) expect(told).not.toContain(line.slice(-16));

      // Another server answers at the verify address: the deployment is not taken as done.
      const other = await tlsListener('127.0.0.83', {
        name: 'other',
        certFile: '',
        keyFile: otherKey,
        certPem: otherPem,
        keyPem: readFileSync(otherKey, 'utf8'),
        der: Buffer.from(new X509Certificate(otherPem).raw),
      });
      try {
        answer = failed(
          await deploy({
            ...full(),
            reloadCommand: 'true',
            verifyHost: '127.0.0.83',
            verifyPort: String(other.port),
          }),
          /the files were written, but after \d+ s 127\.0\.0\.83:\d+ serves another certificate \(other\.example\.test/,
        );
      } finally {
        await other.close();
      }
      const failures = await audits('Certificate Deployment Failed');
      expect(failures.length).toBeGreaterThanOrEqual(4);
      expect(failures[0]!.REASON).toMatch(
        /deployment to 127\.0\.0\.1:\d+ failed after the files were written: .*serves another certificate/,
      );
      // The saved configuration is the last one given, with how it went.
      ok(await deploy({ ...full() }));
    });

    it('unreachable host and refused login answer Failed; the files are untouched', async () => {
      const closed = await closedPort();
      const down = name('down');
      const created = await createTargetResource(admin, down, 'Linux', sshd.host, [ops]);
      await configureRemoteReset(admin, created.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(closed),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
        REMOTELOGINACCOUNT: ops.name,
        ELEVATIONTYPE: 'sudo',
      });
      failed(
        await deploy({ ...full(), serverName: down }),
        /was not deployed in .*: .*unreachable \(ECONNREFUSED\)/,
      );

      const wrong = createUser({ sudo: true });
      const refused = name('refused');
      const made = await createTargetResource(admin, refused, 'Linux', sshd.host, [
        { name: wrong.name, password: 'not-the-password-9Q' },
      ]);
      await configureRemoteReset(admin, made.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(sshd.port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
        REMOTELOGINACCOUNT: wrong.name,
        ELEVATIONTYPE: 'sudo',
      });
      const before = readFileSync(`${dir}/cert.pem`);
      failed(await deploy({ ...full(), serverName: refused }), /refused the login of/);
      expect(readFileSync(`${dir}/cert.pem`)).toEqual(before);
    });

    it('a certificate the caller cannot see, or a resource, answers as missing', async () => {
      // paul cannot see the admin's certificate: answered like a missing one.
      failed(await deploy(full(), paul), /Certificate deploy.example.test does not exist/);
      // paul's own certificate, to a resource he cannot see.
      ok(
        await pki(paul, 'addCertificate', {
          certificate: paulPem,
          privateKey: readFileSync(paulKey, 'utf8'),
        }),
      );
      failed(
        await pki(paul, 'deployCertificate', { common_name: 'paul.example.test', ...full() }),
        /Resource .* does not exist or is not accessible to you/,
      );
      expectNoSecret(answers, secrets);
    });

    it('a full share on the certificate, direct or through a certificate group, with full access to the resource lets a user deploy; a view grantee is refused saying why', async () => {
      const shareResource = async (who: Actor, access: string) => {
        const shared = await admin(`/restapi/json/v1/resources/${resourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: access, USERID: who.id }),
        });
        expect(shared.status, shared.http.text).toBe('Success');
      };
      const share = (endpoint: string, fields: Record<string, unknown>) => pki('admin', endpoint, fields);

      // paul sees the certificate (view share) and holds full access to the resource: refused.
      ok(
        await share('shareCertificateToUser', {
          common_name: 'deploy.example.test',
          userId: paul.id,
          permission: 'view',
        }),
      );
      await shareResource(paul, 'full');
      const before = await audits('Certificate Deployed');
      failed(
        await deploy(full(), paul),
        /You are not allowed to deploy certificate deploy\.example\.test: it needs full access to the certificate \(its private key goes to the server\), you hold view access/,
      );
      failed(await deploy({}, paul), /it needs full access to the certificate .*, you hold view access/);
      // A full share: paul deploys, the saved server remembers him, audited under his name.
      ok(
        await share('shareCertificateToUser', {
          common_name: 'deploy.example.test',
          userId: paul.id,
          permission: 'full',
        }),
      );
      const byPaul = ok(await deploy(full(), paul));
      expect(byPaul.raw.deployStatus).toEqual([
        expect.objectContaining({ server: resource, status: 'Success' }),
      ]);
      // Only the intermediates paul may see go with it (ADR 040), as in a keystore export: none.
      const paulsChain = readFileSync(`${dir}/cert.pem`, 'utf8');
      expect(
        paulsChain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.map(sha256Of),
      ).toEqual([sha256Of(leafPem)]);
      const after = await audits('Certificate Deployed');
      expect(after.length).toBe(before.length + 1);
      expect(after.filter((r) => r.OPERATEDBY === paul.name).length).toBe(1);
      // Full on the certificate but only view on the resource: refused for the resource.
      await shareResource(paul, 'view');
      failed(await deploy(full(), paul), /needs full access to the resource/);
      ok(await share('revokeCertificateFromUser', { common_name: 'deploy.example.test', userId: paul.id }));

      // Through a certificate group shared full to vera, with full access to the resource.
      const vera = await createApiUser(server, 'vera', 'Password User');
      const group = name('deploy-group');
      ok(await share('createCertificateGroup', { group_name: group, ssl_details: leafId }));
      ok(await share('shareCertificateGroupToUser', { certificate_group_name: group, userId: vera.id }));
      await shareResource(vera, 'full');
      failed(await deploy({}, vera), /it needs full access to the certificate .*, you hold view access/);
      ok(
        await share('shareCertificateGroupToUser', {
          certificate_group_name: group,
          userId: vera.id,
          permission: 'full',
        }),
      );
      ok(await deploy({}, vera));
      expectNoSecret(answers, secrets);
    });

    it('lists the saved servers (native GET and bulwark certs deployments) to whoever sees the certificate, among the resources they see', async () => {
      const targets = (who: Call, query: Record<string, string>) =>
        who('/restapi/json/v1/certificates/deploymentTargets', { query });
      const cn = { common_name: 'deploy.example.test' };
      const all = await targets(admin, cn);
      expect(all.status, all.http.text).toBe('Success');
      const servers = (all.details as any[]).map((d) => d.SERVER as string);
      expect(servers).toContain(resource);
      expect(servers.length).toBeGreaterThanOrEqual(3);
      const web = (all.details as any[]).find((d) => d.SERVER === resource);
      expect(web).toMatchObject({
        CERTIFICATEPATH: `${dir}/cert.pem`,
        KEYPATH: `${dir}/key.pem`,
        RELOADCOMMAND: reload(),
        HASRELOADCOMMAND: true,
        VERIFYHOST: ip,
        VERIFYPORT: port,
        LASTSTATUS: 'Success',
        LASTDEPLOYEDBY: 'vera',
      });
      expect(web.LASTDEPLOYEDTIME).not.toBe('');

      // vera (full through a group) sees only the resource she can see, with the reload command.
      const vera = await createApiUser(server, 'vera2', 'Password User');
      ok(await pki('admin', 'shareCertificateToUser', { ...cn, userId: vera.id, permission: 'view' }));
      const none = await targets(vera.call, cn);
      expect(none.status, none.http.text).toBe('Success');
      expect(none.details ?? []).toEqual([]);
      const shared = await admin(`/restapi/json/v1/resources/${resourceId}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'view', USERID: vera.id }),
      });
      expect(shared.status, shared.http.text).toBe('Success');
      const viewed = await targets(vera.call, cn);
      expect(viewed.details).toEqual([
        expect.objectContaining({ SERVER: resource, RELOADCOMMAND: '', HASRELOADCOMMAND: true }),
      ]);
      // paul holds no share on the certificate any more: answered as missing.
      const hidden = await targets(paul.call, cn);
      expect(hidden.status).toBe('Failed');
      expect(hidden.message).toMatch(/Certificate deploy\.example\.test does not exist/);
      // Bad input answers Failed, never 5xx.
      const missing = await targets(admin, {});
      expect(missing.status).toBe('Failed');
      expect(missing.message).toMatch(/common_name/);
      const badSerial = await targets(admin, { ...cn, serial_number: 'zz!' });
      expect(badSerial.status).toBe('Failed');
      expect(badSerial.message).toMatch(/serial_number must be hexadecimal/);

      // The CLI, as the local operator: every saved server.
      const cli = await server.instance.cli(
        ...['certs', 'deployments', 'deploy.example.test', '--json', '--data-dir', server.instance.dataDir],
      );
      expect(cli.code, cli.stderr).toBe(0);
      const rows = JSON.parse(cli.stdout) as {
        server: string;
        certificatePath: string;
        reloadCommand?: string;
      }[];
      expect(rows.map((r) => r.server).sort()).toEqual([...servers].sort());
      expect(rows.find((r) => r.server === resource)).toMatchObject({
        certificatePath: `${dir}/cert.pem`,
        reloadCommand: reload(),
        lastStatus: 'Success',
      });
      const text = await server.instance.cli(
        ...['certs', 'deployments', 'deploy.example.test', '--data-dir', server.instance.dataDir],
      );
      const line = text.stdout.split('\n').find((l) => l.startsWith(`${resource}\t`));
      expect(line, `${text.code}: ${text.stdout}${text.stderr}`).toContain(
        `\t${dir}/cert.pem,${dir}/key.pem`,
      );
      expect(line).toContain(`\t${ip}:${port}\tSuccess\t`);
      expectNoSecret([...answers, all.http.text, viewed.http.text, cli.stdout], secrets);
    });

    it('applications (A2A) are refused deployment and the expiry list, with nothing written', async () => {
      const app = `DeployApp${dialect}`;
      const clientCert = await registerA2aApplication(server.instance, app, dir);
      const snapshot = () =>
        existsSync(`${dir}/cert.pem`) ? readFileSync(`${dir}/cert.pem`, 'base64') : 'absent';
      const before = snapshot();
      const asApp = pmpClient(server.baseUrl, '');
      const answer = await asApp(`${PKI}/deployCertificate`, {
        method: 'POST',
        token: null,
        clientCert,
        input: details({ common_name: 'deploy.example.test', serverName: resource }),
      });
      const raw = JSON.parse(answer.http.text);
      expect(raw.result.status, answer.http.text).toBe('Failed');
      expect(raw.result.message).toMatch(new RegExp(`^The application ${app} is not allowed to`));
      const listed = await asApp('/restapi/json/v1/certificates/expiring', { token: null, clientCert });
      expect(listed.status, listed.http.text).toBe('Failed');
      expect(listed.message).toMatch(new RegExp(`The application ${app} is not allowed`));
      const targets = await asApp('/restapi/json/v1/certificates/deploymentTargets', {
        token: null,
        clientCert,
        query: { common_name: 'deploy.example.test' },
      });
      expect(targets.status, targets.http.text).toBe('Failed');
      expect(targets.message).toMatch(new RegExp(`The application ${app} is not allowed`));
      expect(snapshot()).toBe(before);
    });
  });
});
