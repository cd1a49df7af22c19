/**
 * The console's certificate groups, sharing and deployment (issue 15 over ADR 040, 041) through
 * the native API on both dialects, against the same services as endpoints 64–75: groups created,
 * renamed, filled and emptied (bad input refused with its field, nothing saved); a certificate and
 * a group shared with a user who then sees them, refused sharing onward, and loses them on
 * revoke; a certificate deployed over SSH to a real OpenSSH server with a real local account
 * (sudo), the files checked on disk and the served certificate read back by openssl; failures
 * answered per server, refusals of the form beside their field.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, type ConsoleClient } from '../helpers/console-client.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { freePort } from '../helpers/postgres.js';
import {
  adminCall,
  auditTrail,
  configureRemoteReset,
  createTargetResource,
  expectNoSecret,
} from '../helpers/remote-reset.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { createUser, removeUsers, sshdProblem, startSshd, type SshServer } from '../helpers/sshd.js';

const noSshd = sshdProblem();
const sha256Of = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('console certificate groups, sharing and deployment', () => {
  let o: OpensslCerts;
  const pems: Record<string, { cert: string; key: string }> = {};
  let sshd: SshServer | undefined;
  const dirs: string[] = [];

  beforeAll(async () => {
    o = opensslCerts();
    for (const name of ['alpha', 'beta', 'web']) {
      const key = o.key(name, 'ec:P-256');
      const cert = o.cert(name, { key, subject: `/CN=${name}.lifecycle.test`, days: 30 });
      pems[name] = { cert: o.file(cert).toString(), key: o.file(key).toString() };
    }
    if (noSshd === undefined) sshd = await startSshd();
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    removeUsers();
    o?.cleanup();
    for (const dir of dirs) {
      // The openssl s_server a reload command started, ended by the pid it wrote.
      const pidFile = path.join(dir, 'server.pid');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        try {
          if (pid > 1) process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let boss: ConsoleClient;
    let ivan: ConsoleClient;
    let ivanId: number;
    const ids: Record<string, number> = {};

    beforeAll(async () => {
      server = await startServer(dialect, { BULWARK_REMOTE_TIMEOUT_SECONDS: '8' });
      const { credentials } = server.instance;
      boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
      const password = 'Gr0ups-and-Shares#1';
      const created = await boss.post('/api/v1/users', { username: 'ivan', role: 'Password User', password });
      expect(created.status).toBe(201);
      ivan = (await signIn(server.baseUrl, 'ivan', password)).client;
      const users = await boss.get('/api/v1/users?search=ivan');
      ivanId = users.json.items.find((u: { username: string }) => u.username === 'ivan').id;
      for (const name of ['alpha', 'beta', 'web']) {
        const added = await boss.post('/api/v1/certificates', {
          format: 'pem',
          certificate: pems[name]!.cert,
          privateKey: pems[name]!.key,
        });
        expect(added.status, JSON.stringify(added.json)).toBe(201);
        ids[name] = added.json.certificate.id;
      }
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    const groups = async (who: ConsoleClient) => (await who.get('/api/v1/certificate-groups')).json.items;

    it('creates, renames, fills and empties a group; bad input is refused beside its field and saves nothing', async () => {
      const empty = await boss.post('/api/v1/certificate-groups', { name: '  ' });
      expect(empty.status).toBe(400);
      expect(empty.json.error.field).toBe('name');
      const unknown = await boss.post('/api/v1/certificate-groups', {
        name: 'Web servers',
        certificateIds: [ids.alpha, 999_999],
      });
      expect(unknown.status).toBe(404);
      expect(unknown.json.error).toMatchObject({ field: 'certificateIds' });
      expect(unknown.json.error.message).toMatch(/999999 does not exist/);
      expect(await groups(boss)).toEqual([]);

      const created = await boss.post('/api/v1/certificate-groups', {
        name: 'Web servers',
        description: 'Front ends',
        certificateIds: [ids.alpha],
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      expect(created.json).toMatchObject({ name: 'Web servers', certificateIds: [ids.alpha] });
      const id = created.json.id;
      const taken = await boss.post('/api/v1/certificate-groups', { name: 'web SERVERS' });
      expect(taken.status).toBe(409);
      expect(taken.json.error.field).toBe('name');

      const added = await boss.post(`/api/v1/certificate-groups/${id}/certificates`, {
        certificateIds: [ids.beta],
      });
      expect(added.status, JSON.stringify(added.json)).toBe(200);
      expect(added.json.certificateIds).toEqual([ids.alpha, ids.beta].sort((a, b) => a! - b!));
      const junk = await boss.post(`/api/v1/certificate-groups/${id}/certificates`, { certificateIds: [] });
      expect(junk.status).toBe(400);
      expect(junk.json.error.field).toBe('certificateIds');

      const renamed = await boss.call('PUT', `/api/v1/certificate-groups/${id}`, {
        body: { name: 'Front ends' },
      });
      expect(renamed.status, JSON.stringify(renamed.json)).toBe(200);
      const removed = await boss.call('DELETE', `/api/v1/certificate-groups/${id}/certificates/${ids.alpha}`);
      expect(removed.status).toBe(200);
      expect(removed.json.certificateIds).toEqual([ids.beta]);
      const [listed] = await groups(boss);
      expect(listed).toMatchObject({
        id,
        name: 'Front ends',
        description: 'Front ends',
        access: 'all',
        members: [{ id: ids.beta, commonName: 'beta.lifecycle.test' }],
      });
      // The service audited each change under the group's name.
      const trail = await auditTrail(adminCall(server));
      expect(trail.map((r) => r.OPERATIONTYPE)).toEqual(
        expect.arrayContaining(['Certificate Group Created', 'Certificate Group Modified']),
      );
      ids.group = id;
    });

    it('shares a certificate with a user who then sees it, cannot share it onward, and loses it on revoke', async () => {
      expect((await ivan.get(`/api/v1/certificates/${ids.alpha}`)).status).toBe(404);
      const nobody = await boss.post(`/api/v1/certificates/${ids.alpha}/shares`, {
        grantee: { kind: 'user', id: 987_654 },
        permission: 'view',
      });
      expect(nobody.status).toBe(404);
      expect(nobody.json.error.field).toBe('grantee');

      const shared = await boss.post(`/api/v1/certificates/${ids.alpha}/shares`, {
        grantee: { kind: 'user', id: ivanId },
        permission: 'view',
      });
      expect(shared.status, JSON.stringify(shared.json)).toBe(200);
      expect(shared.json).toEqual({ certificate: 'alpha.lifecycle.test', grantee: 'user ivan' });
      const seen = await ivan.get(`/api/v1/certificates/${ids.alpha}`);
      expect(seen.status).toBe(200);
      expect(seen.json.sha256).toBe(sha256Of(pems.alpha!.cert));
      const list = await ivan.get('/api/v1/certificates?offset=0&limit=50');
      expect(list.json.items.map((c: { id: number }) => c.id)).toEqual([ids.alpha]);
      const shares = await boss.get(`/api/v1/certificates/${ids.alpha}/shares`);
      expect(shares.json.items).toEqual([
        expect.objectContaining({ grantee: 'ivan', kind: 'user', permission: 'view' }),
      ]);

      // A view grantee shares nothing onward, reads no shares, deploys nothing.
      const onward = await ivan.post(`/api/v1/certificates/${ids.alpha}/shares`, {
        grantee: { kind: 'user', id: 1 },
        permission: 'view',
      });
      expect(onward.status).toBe(403);
      expect(onward.json.error.message).toMatch(/needs full access, you hold view access/);
      expect((await ivan.get(`/api/v1/certificates/${ids.alpha}/shares`)).status).toBe(403);
      const deploy = await ivan.post(`/api/v1/certificates/${ids.alpha}/deployments`, {
        resource: 'anything',
        certificatePath: '/tmp/x.pem',
      });
      expect(deploy.status).toBe(403);

      const revoked = await boss.post(`/api/v1/certificates/${ids.alpha}/shares`, {
        grantee: { kind: 'user', id: ivanId },
        permission: 'revoke',
      });
      expect(revoked.status).toBe(200);
      expect((await ivan.get(`/api/v1/certificates/${ids.alpha}`)).status).toBe(404);
    });

    it('shares a certificate group: its members reach the user; the user may not manage it', async () => {
      expect((await ivan.get(`/api/v1/certificates/${ids.beta}`)).status).toBe(404);
      const shared = await boss.post(`/api/v1/certificate-groups/${ids.group}/shares`, {
        grantee: { kind: 'user', id: ivanId },
        permission: 'view',
      });
      expect(shared.status, JSON.stringify(shared.json)).toBe(200);
      expect((await ivan.get(`/api/v1/certificates/${ids.beta}`)).status).toBe(200);
      const [listed] = await groups(ivan);
      expect(listed).toMatchObject({ name: 'Front ends', access: 'view', members: [{ id: ids.beta }] });
      const rename = await ivan.call('PUT', `/api/v1/certificate-groups/${ids.group}`, {
        body: { name: 'Mine' },
      });
      expect(rename.status).toBe(403);
      expect((await ivan.call('DELETE', `/api/v1/certificate-groups/${ids.group}`)).status).toBe(403);
      // A group the caller cannot see is missing by its id, its name unsaid.
      const other = await boss.post('/api/v1/certificate-groups', { name: 'Secret group' });
      const hidden = await ivan.call('DELETE', `/api/v1/certificate-groups/${other.json.id}`);
      expect(hidden.status).toBe(404);
      expect(JSON.stringify(hidden.json)).not.toContain('Secret group');

      expect(
        (
          await boss.post(`/api/v1/certificate-groups/${ids.group}/shares`, {
            grantee: { kind: 'user', id: ivanId },
            permission: 'revoke',
          })
        ).status,
      ).toBe(200);
      expect((await ivan.get(`/api/v1/certificates/${ids.beta}`)).status).toBe(404);
      expect((await boss.call('DELETE', `/api/v1/certificate-groups/${ids.group}`)).status).toBe(200);
      expect((await groups(boss)).map((g: { name: string }) => g.name)).toEqual(['Secret group']);
      // The certificates stay.
      expect((await boss.get(`/api/v1/certificates/${ids.beta}`)).status).toBe(200);
    });

    it('maps keystore refusals to their own field: the password only when it is about the password', async () => {
      // A certificate without a stored passphrase, exported without a password: the password's fault.
      const export1 = await boss.post(`/api/v1/certificates/${ids.alpha}/keystore`, { format: 'PKCS12' });
      expect(export1.status).toBe(400);
      expect(export1.json.error).toMatchObject({ field: 'password' });
      expect(export1.json.error.message).toMatch(/no stored passphrase/);
      // A file that is no keystore, with some password: the file's fault, not the password's.
      const junk = await boss.post('/api/v1/certificates', {
        format: 'keystore',
        certificate: Buffer.from('no keystore here at all').toString('base64'),
        password: 'whatever',
      });
      expect(junk.status).toBe(400);
      expect(junk.json.error).toMatchObject({ field: 'certificate' });
      expect(junk.json.error.message).toMatch(/not a PKCS#12 or JKS keystore/);
    });

    it('pages the CSRs in the service, newest first, the unsigned ones alone when asked', async () => {
      const made: number[] = [];
      for (const cn of ['one', 'two', 'three']) {
        const created = await boss.post('/api/v1/certificate-requests', {
          commonName: `${cn}.csr.lifecycle.test`,
          keyAlgorithm: 'EC-P256',
          validity: 30,
        });
        expect(created.status, JSON.stringify(created.json)).toBe(201);
        made.push(created.json.id);
      }
      expect((await boss.post(`/api/v1/certificate-requests/${made[1]}/sign`)).status).toBe(200);
      const first = await boss.get('/api/v1/certificate-requests?unsigned=true&offset=0&limit=1');
      expect(first.json.total).toBe(2);
      expect(first.json.items.map((r: { id: number }) => r.id)).toEqual([made[2]]);
      const second = await boss.get('/api/v1/certificate-requests?unsigned=true&offset=1&limit=1');
      expect(second.json.items.map((r: { id: number }) => r.id)).toEqual([made[0]]);
      const all = await boss.get('/api/v1/certificate-requests?offset=0&limit=10');
      expect(all.json.total).toBe(3);
      expect(all.json.items.map((r: { id: number }) => r.id)).toEqual([...made].reverse());
      // Another user's CSRs are not theirs to page through.
      expect((await ivan.get('/api/v1/certificate-requests')).json).toEqual({ items: [], total: 0 });
      expect((await boss.get('/api/v1/certificate-requests?limit=0')).status).toBe(400);
    });

    it('refuses a deployment form beside its field, before anything is written', async () => {
      const relative = await boss.post(`/api/v1/certificates/${ids.web}/deployments`, {
        resource: 'nowhere',
        certificatePath: 'etc/cert.pem',
      });
      expect(relative.status).toBe(400);
      expect(relative.json.error).toMatchObject({ field: 'certificatePath' });
      expect(relative.json.error.message).toMatch(/not absolute/);
      const orphan = await boss.post(`/api/v1/certificates/${ids.web}/deployments`, {
        certificatePath: '/tmp/cert.pem',
      });
      expect(orphan.status).toBe(400);
      expect(orphan.json.error.field).toBe('resource');
      const missing = await boss.post(`/api/v1/certificates/${ids.web}/deployments`, {
        resource: 'no-such-resource',
        certificatePath: '/tmp/cert.pem',
      });
      expect(missing.status).toBe(404);
      expect(missing.json.error.field).toBe('resource');
      // A port is a number or the digits a form sends: nothing coerced from other types.
      for (const verifyPort of [true, [443], '0x1bb', '1e3', 0, 65_536, 1.5]) {
        const port = await boss.post(`/api/v1/certificates/${ids.web}/deployments`, {
          resource: 'no-such-resource',
          certificatePath: '/tmp/cert.pem',
          verifyPort,
        });
        expect(port.status, JSON.stringify(verifyPort)).toBe(400);
        expect(port.json.error.field).toBe('verifyPort');
      }
      const nothingSaved = await boss.post(`/api/v1/certificates/${ids.web}/deployments`, {});
      expect(nothingSaved.status).toBe(404);
      expect(nothingSaved.json.error.message).toMatch(/has no saved servers/);
      expect((await boss.get(`/api/v1/certificates/${ids.web}/deployments`)).json.items).toEqual([]);
    });

    it.skipIf(noSshd !== undefined)(
      'deploys the chain and key over SSH to a real host, verified on disk and by what the host serves',
      async () => {
        const ip = dialect === 'sqlite' ? '127.0.0.146' : '127.0.0.147';
        const ops = createUser({ sudo: true });
        const resource = `web-${dialect}`;
        const call = adminCall(server);
        const created = await createTargetResource(call, resource, 'Linux', sshd!.host, [ops]);
        await configureRemoteReset(call, created.resourceId, {
          RESOURCETYPE: 'Linux',
          LINUX_SSHTELNETPORT: String(sshd!.port),
          LINUX_USERPROMPT: '$',
          LINUXROOTUSERPROMPT: '#',
          REMOTELOGINACCOUNT: ops.name,
          ELEVATIONTYPE: 'sudo',
        });
        const dir = mkdtempSync(path.join(tmpdir(), `bulwark-console-deploy-${dialect}-`));
        dirs.push(dir);
        const port = await freePort();
        const reloadCommand =
          `if [ -f ${dir}/server.pid ]; then kill $(cat ${dir}/server.pid) 2>/dev/null; sleep 0.3; fi; ` +
          `setsid openssl s_server -accept ${ip}:${port} -cert ${dir}/cert.pem -key ${dir}/key.pem -www ` +
          `</dev/null >/dev/null 2>&1 & echo $! > ${dir}/server.pid`;

        // A directory that does not exist: answered as the server's failure, nothing written.
        const failed = await boss.post(`/api/v1/certificates/${ids.web}/deployments`, {
          resource,
          certificatePath: `${dir}/missing/cert.pem`,
          verifyHost: ip,
          verifyPort: String(port),
        });
        expect(failed.status, JSON.stringify(failed.json)).toBe(200);
        expect(failed.json.statuses).toEqual([
          expect.objectContaining({ server: resource, status: 'Failed' }),
        ]);
        expect(failed.json.statuses[0].message).toMatch(/was not deployed in/);
        expect(existsSync(`${dir}/missing`)).toBe(false);

        const answer = await boss.post(`/api/v1/certificates/${ids.web}/deployments`, {
          resource,
          certificatePath: `${dir}/cert.pem`,
          keyPath: `${dir}/key.pem`,
          reloadCommand,
          verifyHost: ip,
          verifyPort: String(port),
        });
        expect(answer.status, JSON.stringify(answer.json)).toBe(200);
        expect(answer.json.statuses).toEqual([
          {
            server: resource,
            status: 'Success',
            message: `Certificate web.lifecycle.test of format CER and KEY deployed in ${resource} successfully; ${ip}:${port} serves it`,
          },
        ]);
        expect(sha256Of(readFileSync(`${dir}/cert.pem`, 'utf8'))).toBe(sha256Of(pems.web!.cert));
        const key = readFileSync(`${dir}/key.pem`, 'utf8');
        expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
        expect(statSync(`${dir}/cert.pem`).mode & 0o777).toBe(0o644);
        expect(statSync(`${dir}/key.pem`).mode & 0o777).toBe(0o600);
        expect(statSync(`${dir}/key.pem`).uid).toBe(0);
        const served = execFileSync(
          'sh',
          [
            '-c',
            `openssl s_client -connect ${ip}:${port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
          ],
          { encoding: 'utf8' },
        );
        expect(served.trim()).toBe(`sha256 Fingerprint=${sha256Of(pems.web!.cert)}`);

        // The saved server with its last outcome; deploying again needs no form.
        const saved = await boss.get(`/api/v1/certificates/${ids.web}/deployments`);
        expect(saved.json.items).toEqual([
          expect.objectContaining({
            server: resource,
            certificatePath: `${dir}/cert.pem`,
            keyPath: `${dir}/key.pem`,
            hasReloadCommand: true,
            lastStatus: 'Success',
          }),
        ]);
        const again = await boss.post(`/api/v1/certificates/${ids.web}/deployments`, {});
        expect(again.json.statuses).toEqual([
          expect.objectContaining({ server: resource, status: 'Success' }),
        ]);

        // No key material in the answers or the audit trail.
        const keyBody = key.replace(/-----[^-]+-----|\s/g, '');
        expectNoSecret(
          [JSON.stringify(answer.json), JSON.stringify(saved.json), JSON.stringify(await auditTrail(call))],
          [ops.password, keyBody.slice(10, 60)],
        );
      },
      120_000,
    );
  });
});
