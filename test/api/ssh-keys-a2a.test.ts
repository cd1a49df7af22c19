/**
 * Applications (A2A, ADR 014) are refused every SSH key endpoint of the PKI API (ADR 031, 033,
 * 034, 035; docs/ssh-keys.md), over the real HTTPS API on both dialects: an application
 * identified by its client certificate, allowed every A2A operation and inheriting the
 * administrator, gets `Failed` saying it may not do it from create, import, list, fetch, export,
 * delete, share, associate, dissociate, 30, 31, discover, rotate, the rotations, schedules,
 * settle and resolve, each refusal audited, and nothing changes: the key store, shares,
 * deployments, rotations, schedules, discovery runs, and the account's authorized_keys on the
 * real sshd byte for byte. Every PKI route the server registers is in the list, so a new one
 * is tested here or this test fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/tools/docs.js';
import { createApiUser } from '../helpers/actors.js';
import { details, pmpClient, type RawResponse } from '../helpers/client.js';
import { configureRemoteReset, createTargetResource, V1 } from '../helpers/remote-reset.js';
import { createInstance, dialects, serve, type Instance, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import { createUser, removeUsers, sshdProblem, startSshd, type SshServer } from '../helpers/sshd.js';
import { registerA2aApplication } from '../helpers/a2a-app.js';

const PKI = '/api/pki/restapi';
const noSshd = sshdProblem();
const PASSPHRASE = 'not for applications';

/** One call an application tries: the route, its method, and input an administrator could send. */
interface Attempt {
  readonly method: string;
  readonly endpoint: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

describe.skipIf(noSshd !== undefined)('SSH key endpoints refuse applications (A2A)', () => {
  let sshd: SshServer;
  let dir: string;

  beforeAll(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-ssh-keys-a2a-'));
  });
  afterAll(async () => {
    await sshd?.stop();
    removeUsers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe.each(dialects())('on %s', (dialect) => {
    let instance: Instance;
    let server: RunningServer;
    let admin: ReturnType<typeof pmpClient>;
    let app: string;
    let clientCert: { cert: string; key: string };
    const key = `deploy-${dialect}`;
    const resource = `a2a-host-${dialect}`;
    let user: string;
    let fileBefore: Buffer;

    const authorizedKeys = () => readFileSync(`/home/${user}/.ssh/authorized_keys`);

    async function pkiAs(
      who: 'admin' | 'app',
      method: string,
      endpoint: string,
      input: Record<string, unknown>,
    ): Promise<{ http: RawResponse; raw: any }> {
      const call = who === 'admin' ? admin : pmpClient(server.baseUrl, '');
      const answer = await call(`${PKI}/${endpoint}`, {
        method,
        input: details(input),
        ...(who === 'app' ? { token: null, clientCert } : {}),
      });
      return { http: answer.http, raw: JSON.parse(answer.http.text) };
    }
    async function okAsAdmin(method: string, endpoint: string, input: Record<string, unknown>) {
      const { http, raw } = await pkiAs('admin', method, endpoint, input);
      expect(raw.result?.status, http.text).toBe('Success');
      return raw;
    }

    beforeAll(async () => {
      instance = await createInstance(dialect);
      server = await serve(instance);
      admin = pmpClient(server.baseUrl, server.token);
      await createApiUser(server, `paul-${dialect}`, 'Password User');

      // An application allowed every A2A operation, inheriting the administrator: only the
      // SSH key endpoints' own refusal stands between it and the keys.
      app = `KeysApp${dialect}`;
      clientCert = await registerA2aApplication(instance, app, dir);

      // A key deployed on a real account, shared, scheduled and discovered, as the administrator.
      const ops = createUser({ sudo: true });
      const account = createUser();
      user = account.name;
      mkdirSync(`/home/${user}/.ssh`, { recursive: true, mode: 0o700 });
      writeFileSync(
        `/home/${user}/.ssh/authorized_keys`,
        `${utils.generateKeyPairSync('ed25519').public} by hand\n`,
        { mode: 0o600 },
      );
      execFileSync('chown', ['-R', `${user}:${user}`, `/home/${user}/.ssh`]);
      const created = await createTargetResource(admin, resource, 'Linux', sshd.host, [ops]);
      await configureRemoteReset(admin, created.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(sshd.port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
        REMOTELOGINACCOUNT: ops.name,
        ELEVATIONTYPE: 'sudo',
      });
      await okAsAdmin('POST', 'createsshkey', { keyName: key, keyType: 'ed25519', passPhrase: PASSPHRASE });
      await okAsAdmin('POST', 'associateKey', { keyName: key, resourceName: resource, userName: user });
      await okAsAdmin('POST', 'shareSSHKey', {
        keyName: key,
        userName: `paul-${dialect}`,
        permission: 'view',
      });
      await okAsAdmin('POST', 'setSSHKeyRotationSchedule', { keyName: key, everyDays: '30' });
      await okAsAdmin('POST', 'discoverSSHKeys', { resourceName: resource });
      fileBefore = authorizedKeys();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      instance?.remove();
    });

    /** Everything an SSH key endpoint could change, as rows. */
    async function state() {
      const tables = [
        'ssh_keys',
        'ssh_key_shares',
        'ssh_key_associations',
        'ssh_key_rotations',
        'ssh_key_rotation_hosts',
        'ssh_key_rotation_schedules',
        'ssh_key_discoveries',
        'ssh_key_discovery_accounts',
        'ssh_key_findings',
      ];
      const out: Record<string, unknown[]> = {};
      for (const table of tables)
        out[table] = await sqlOn(instance, `select * from ${table} order by id`, []);
      return JSON.parse(
        JSON.stringify(out, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)),
      );
    }

    const target = () => ({ keyName: key, resourceName: resource, userName: user });
    const attempts = (): Attempt[] => {
      const importable = utils.generateKeyPairSync('ed25519').private;
      return [
        {
          method: 'POST',
          endpoint: 'createsshkey',
          operation: 'CreateSSHKey',
          input: { keyName: 'x', keyType: 'rsa' },
        },
        {
          method: 'POST',
          endpoint: 'addSSHKey',
          operation: 'addSSHKey',
          input: { keyName: 'y', privateKey: importable },
        },
        { method: 'GET', endpoint: 'getAllSSHKeys', operation: 'GetAllSSHKeys', input: {} },
        { method: 'GET', endpoint: 'getSSHKey', operation: 'GetSSHKey', input: { keyName: key } },
        { method: 'POST', endpoint: 'getSSHKey', operation: 'GetSSHKey', input: { keyName: key } },
        { method: 'GET', endpoint: 'exportSSHKey', operation: 'ExportSSHKey', input: { keyName: key } },
        { method: 'POST', endpoint: 'exportSSHKey', operation: 'ExportSSHKey', input: { keyName: key } },
        {
          method: 'POST',
          endpoint: 'shareSSHKey',
          operation: 'ShareSSHKey',
          input: { keyName: key, userName: 'admin', permission: 'full' },
        },
        {
          method: 'POST',
          endpoint: 'associateKey',
          operation: 'associateKey',
          input: { ...target(), userName: 'root' },
        },
        { method: 'POST', endpoint: 'dissociateKey', operation: 'dissociateKey', input: target() },
        {
          method: 'GET',
          endpoint: 'getSSHkeysforuser',
          operation: 'GetSSHKeysForUser',
          input: { resourceName: resource, userName: user, reconcile: true },
        },
        {
          method: 'GET',
          endpoint: 'getAllAssociatedUsers',
          operation: 'GetAllAssociatedUsers',
          input: { keyName: key },
        },
        { method: 'DELETE', endpoint: 'deleteSSHKey', operation: 'DeleteSSHKey', input: { keyName: key } },
        {
          method: 'POST',
          endpoint: 'discoverSSHKeys',
          operation: 'DiscoverSSHKeys',
          input: { resourceName: resource },
        },
        {
          method: 'GET',
          endpoint: 'getDiscoveredSSHKeys',
          operation: 'GetDiscoveredSSHKeys',
          input: { resourceName: resource },
        },
        {
          method: 'POST',
          endpoint: 'getDiscoveredSSHKeys',
          operation: 'GetDiscoveredSSHKeys',
          input: { resourceName: resource },
        },
        { method: 'POST', endpoint: 'rotateSSHKey', operation: 'RotateSSHKey', input: { keyName: key } },
        {
          method: 'GET',
          endpoint: 'getSSHKeyRotations',
          operation: 'GetSSHKeyRotations',
          input: { keyName: key },
        },
        {
          method: 'POST',
          endpoint: 'getSSHKeyRotations',
          operation: 'GetSSHKeyRotations',
          input: { keyName: key },
        },
        {
          method: 'POST',
          endpoint: 'setSSHKeyRotationSchedule',
          operation: 'SetSSHKeyRotationSchedule',
          input: { keyName: key, everyDays: '1', startAt: 'now' },
        },
        {
          method: 'GET',
          endpoint: 'getSSHKeyRotationSchedule',
          operation: 'GetSSHKeyRotationSchedule',
          input: { keyName: key },
        },
        {
          method: 'POST',
          endpoint: 'getSSHKeyRotationSchedule',
          operation: 'GetSSHKeyRotationSchedule',
          input: { keyName: key },
        },
        {
          method: 'DELETE',
          endpoint: 'deleteSSHKeyRotationSchedule',
          operation: 'DeleteSSHKeyRotationSchedule',
          input: { keyName: key },
        },
        {
          method: 'POST',
          endpoint: 'settleSSHKeyRotation',
          operation: 'SettleSSHKeyRotation',
          input: { keyName: key },
        },
        {
          method: 'POST',
          endpoint: 'resolveSSHKeyRotation',
          operation: 'ResolveSSHKeyRotation',
          input: { keyName: key },
        },
      ];
    };

    it('every SSH key route of the PKI API is tried here and declares no A2A operation', () => {
      // Certificate, CSR and SSL agent install key routes (issue 14) are tried by their own tests.
      const pki = registeredRoutes().filter(
        (r) => r.url.startsWith(`${PKI}/`) && !/certificate|sslcert|csr|generateInstallKey/i.test(r.url),
      );
      expect(pki.length).toBeGreaterThanOrEqual(20);
      const tried = new Set(attempts().map((a) => `${a.method} ${PKI}/${a.endpoint} ${a.operation}`));
      for (const route of pki) {
        expect(tried, `${route.method} ${route.url} is not tried by this test`).toContain(
          `${route.method} ${route.url} ${route.operation}`,
        );
        expect(route.a2a, `${route.url} declares an A2A operation`).toBe('');
      }
    });

    it('an application is answered Failed on each, saying it may not, and nothing changes', async () => {
      const before = await state();
      const refusedBefore = await refusals();
      const list = attempts();
      for (const attempt of list) {
        const { http, raw } = await pkiAs('app', attempt.method, attempt.endpoint, attempt.input);
        const what = `${attempt.method} ${attempt.endpoint}: ${http.text}`;
        expect(http.status, what).toBe(200);
        expect(http.text, what).not.toMatch(/PRIVATE KEY|ssh-ed25519 /);
        expect(raw.operation, what).toBeUndefined();
        expect(raw.name, what).toBe(attempt.operation);
        expect(raw.result?.status, what).toBe('Failed');
        expect(raw.result?.message, what).toBe(
          `The application ${app} is not allowed to ${attempt.operation}`,
        );
        expect(raw.result?.statusCode, what).toBeGreaterThanOrEqual(40000);
        expect(raw.result?.statusCode, what).toBeLessThan(50000);
      }
      // Nothing changed: the vault's rows and the account's authorized_keys byte for byte.
      expect(await state()).toEqual(before);
      expect(authorizedKeys().equals(fileBefore)).toBe(true);
      // Each refusal audited, under the application's client label.
      const refusedAfter = await refusals();
      expect(refusedAfter.length - refusedBefore.length).toBe(list.length);
      const reasons = refusedAfter.slice(0, list.length).map((r) => r.REASON);
      for (const attempt of list) {
        expect(reasons).toContain(`The application ${app} is not allowed to ${attempt.operation}`);
      }
      // The same key still answers its administrator: the refusals were the application's alone.
      const fetched = await okAsAdmin('POST', 'getSSHKey', { keyName: key });
      expect(JSON.stringify(fetched)).toContain(key);
      const deployments = await okAsAdmin('GET', 'getAllAssociatedUsers', { keyName: key });
      expect(JSON.stringify(deployments)).toContain(user);
    });

    async function refusals(): Promise<{ OPERATIONTYPE: string; REASON: string }[]> {
      const answer = await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '1000' } });
      return (answer.details as { OPERATIONTYPE: string; REASON: string }[]).filter(
        (r) => r.OPERATIONTYPE === 'Application Operation Refused',
      );
    }
  });
});
