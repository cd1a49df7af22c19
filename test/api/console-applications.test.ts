/**
 * A2A applications through the console's API on both dialects (issue 15; ADR 014, 015): the
 * list, registering (every field), client certificates imported and revoked, removal, the
 * toolkit ZIP (unpacked by the real unzip), refusals of non-administrators, bad input 400 with
 * its field, and the audit records of the changes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pmpClient } from '../helpers/client.js';
import { signIn, type ConsoleClient } from '../helpers/console-client.js';
import { consoleDownload } from '../helpers/console-download.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

describe.each(dialects())('console applications on %s', (dialect) => {
  let server: RunningServer;
  let boss: ConsoleClient;
  let ivan: ConsoleClient;
  let bossName: string;
  let dir: string;
  const password = 'Wr1te-Only#Apps';
  const ROBOT_PASSWORD = 'Rb0t-Svc#Pass-77';
  let passwordPath = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-console-apps-'));
    server = await startServer(dialect);
    const { credentials } = server.instance;
    bossName = credentials.username;
    boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
    for (const [username, role] of [
      ['ivan', 'Password User'],
      ['robot', 'Password User'],
    ] as const) {
      expect((await boss.post('/api/v1/users', { username, role, password })).status).toBe(201);
    }
    ivan = (await signIn(server.baseUrl, 'ivan', password)).client;
    // robot owns an account: the application acting as robot retrieves its password.
    const robot = (await signIn(server.baseUrl, 'robot', password)).client;
    const box = await robot.post('/api/v1/resources', {
      name: 'robot-box',
      type: 'Linux',
      accounts: [{ name: 'svc', password: ROBOT_PASSWORD }],
    });
    expect(box.status, JSON.stringify(box.json)).toBe(201);
    passwordPath = `${V1}/resources/${box.json.id}/accounts/${box.json.accountId}/password`;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A client certificate made by the real openssl: its PEM and its SHA-256 fingerprint. */
  function certificate(name: string, days = 30): { pem: string; key: string; fingerprint: string } {
    const cert = path.join(dir, `${name}.crt`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        `/CN=${name}`,
        '-days',
        String(days),
        '-keyout',
        path.join(dir, `${name}.key`),
        '-out',
        cert,
      ],
      { stdio: 'pipe' },
    );
    const line = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], {
      encoding: 'utf8',
    });
    return {
      pem: readFileSync(cert, 'utf8'),
      key: readFileSync(path.join(dir, `${name}.key`), 'utf8'),
      fingerprint: line.trim().split('=')[1]!.replaceAll(':', '').toLowerCase(),
    };
  }

  /**
   * An A2A call of the PMP API authenticated by `cert` alone (no token), as the application makes
   * it: the password of robot's account (RETRIEVE).
   */
  const asApplication = (cert: { pem: string; key: string }) =>
    pmpClient(server.baseUrl, '')(passwordPath, {
      token: null,
      clientCert: { cert: cert.pem, key: cert.key },
    });
  const NOT_TRUSTED = /not trusted for any application/;

  /** The certificate left after the revocation, for the removal's proof. */
  let twoCert: { pem: string; key: string } | undefined;
  const apps = async () => (await boss.get('/api/v1/applications')).json.items as any[];
  const draft = {
    name: 'Billing batch',
    host: '127.0.0.1',
    resourceType: 'Linux',
    operations: ['RETRIEVE', 'RESET_LOCAL'],
    inheritUser: 'robot',
  };

  it('registers an application with every field; lists it; refuses non-administrators', async () => {
    const empty = (await boss.get('/api/v1/applications')).json;
    expect(empty).toEqual({
      items: [],
      operations: ['RETRIEVE', 'RESET_LOCAL', 'RESET_REMOTE', 'CREATE'],
      resourceTypes: ['Linux', 'Windows'],
    });
    const created = await boss.post('/api/v1/applications', draft);
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toEqual({
      id: expect.any(Number),
      name: 'Billing batch',
      host: '127.0.0.1',
      resourceType: 'Linux',
      operations: ['RETRIEVE', 'RESET_LOCAL'],
      inheritUser: 'robot',
      createdAt: expect.any(Number),
      certificates: [],
    });
    expect(await apps()).toEqual([created.json]);
    // The same application through the PMP API.
    const pmp = expectSuccess(await pmpClient(server.baseUrl, server.token)(`${V1}/applications`));
    expect(pmp.details).toEqual([
      expect.objectContaining({ APPLICATIONNAME: 'Billing batch', INHERITUSER: 'robot' }),
    ]);

    for (const answer of [
      await ivan.get('/api/v1/applications'),
      await ivan.post('/api/v1/applications', { ...draft, name: 'Mine' }),
      await ivan.call('DELETE', `/api/v1/applications/${created.json.id}`),
      await ivan.post(`/api/v1/applications/${created.json.id}/certificates`, { certificate: 'x' }),
    ]) {
      expect(answer.status).toBe(403);
      expect(answer.json.error.message).toBe('Only administrators may manage applications');
    }
    const kit = await consoleDownload(
      server.baseUrl,
      ivan,
      `/api/v1/applications/${created.json.id}/toolkit`,
      {
        serverUrl: server.baseUrl,
      },
    );
    expect(kit.status).toBe(403);
    expect((await apps()).map((a) => a.name)).toEqual(['Billing batch']);

    const audit = await boss.get(`/api/v1/audit?operation=${encodeURIComponent('Application Registered')}`);
    expect(audit.json.items.map((r: any) => [r.operatorName, r.client, r.reason])).toEqual([
      [
        bossName,
        'Web Client',
        'Application Billing batch (host 127.0.0.1, Linux, RETRIEVE,RESET_LOCAL) inherits robot',
      ],
    ]);
  });

  it('answers bad input 400 with the field; a taken name and an unknown user beside theirs', async () => {
    const cases: [Record<string, unknown>, string, number][] = [
      [{ ...draft, name: ' ' }, 'name', 400],
      [{ ...draft, name: 'x', host: 'two words' }, 'host', 400],
      [{ ...draft, name: 'x', resourceType: 'Mainframe' }, 'resourceType', 400],
      [{ ...draft, name: 'x', operations: [] }, 'operations', 400],
      [{ ...draft, name: 'x', operations: ['DELETE'] }, 'operations.0', 400],
      [{ ...draft, name: 'x', inheritUser: '' }, 'inheritUser', 400],
      [{ ...draft, name: 'x', inheritUser: 'nobody' }, 'inheritUser', 404],
      [{ ...draft, name: 'billing BATCH' }, 'name', 409],
    ];
    for (const [body, field, status] of cases) {
      const answer = await boss.post('/api/v1/applications', body);
      expect([answer.status, answer.json.error.field], JSON.stringify(body)).toEqual([status, field]);
    }
    expect((await apps()).map((a) => a.name)).toEqual(['Billing batch']);
  });

  it('imports and revokes client certificates', async () => {
    const [app] = await apps();
    const one = certificate('billing-one');
    const imported = await boss.post(`/api/v1/applications/${app.id}/certificates`, { certificate: one.pem });
    expect(imported.status, JSON.stringify(imported.json)).toBe(201);
    expect(imported.json).toMatchObject({ fingerprint: one.fingerprint, subject: 'CN=billing-one' });
    expect(imported.json.notAfter - imported.json.notBefore).toBeGreaterThan(29 * 86_400_000);
    const again = await boss.post(`/api/v1/applications/${app.id}/certificates`, { certificate: one.pem });
    expect([again.status, again.json.error.field]).toEqual([409, 'certificate']);
    const junk = await boss.post(`/api/v1/applications/${app.id}/certificates`, { certificate: 'hello' });
    expect([junk.status, junk.json.error.field]).toEqual([400, 'certificate']);
    const two = certificate('billing-two');
    expect(
      (await boss.post(`/api/v1/applications/${app.id}/certificates`, { certificate: two.pem })).status,
    ).toBe(201);
    expect((await apps())[0].certificates.map((c: any) => c.fingerprint).sort()).toEqual(
      [one.fingerprint, two.fingerprint].sort(),
    );
    // Both certificates authenticate the application over the PMP API (it acts as robot).
    expect(expectSuccess(await asApplication(one)).details.PASSWORD).toBe(ROBOT_PASSWORD);
    expect(expectSuccess(await asApplication(two)).details.PASSWORD).toBe(ROBOT_PASSWORD);

    const revoked = await boss.call(
      'DELETE',
      `/api/v1/applications/${app.id}/certificates/${one.fingerprint}`,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.json.fingerprint).toBe(one.fingerprint);
    expect((await apps())[0].certificates.map((c: any) => c.fingerprint)).toEqual([two.fingerprint]);
    // Revoked in the console: the application's call with it is refused at once; the other works.
    expectFailed(await asApplication(one), NOT_TRUSTED);
    expect(expectSuccess(await asApplication(two)).details.PASSWORD).toBe(ROBOT_PASSWORD);
    twoCert = two;
    const bad = await boss.call('DELETE', `/api/v1/applications/${app.id}/certificates/zz`);
    expect([bad.status, bad.json.error.field]).toEqual([400, 'fingerprint']);
    expect(
      (await boss.call('DELETE', `/api/v1/applications/${app.id}/certificates/${one.fingerprint}`)).status,
    ).toBe(404);
  });

  it('downloads the toolkit: a real ZIP with the launchers, the library and the conf', async () => {
    const [app] = await apps();
    const kit = await consoleDownload(server.baseUrl, boss, `/api/v1/applications/${app.id}/toolkit`, {
      serverUrl: 'https://127.0.0.1:7272',
    });
    expect(kit.status).toBe(200);
    expect(kit.headers['content-type']).toBe('application/zip');
    expect(kit.headers['content-disposition']).toMatch(/filename="Billing_batch-PMP_API\.zip"/);
    const zip = path.join(dir, 'kit.zip');
    writeFileSync(zip, kit.body);
    const unpacked = path.join(dir, 'kit');
    execFileSync('unzip', ['-q', '-o', zip, '-d', unpacked]);
    const listing = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listing).toEqual(
      [
        'Billing_batch-PMP_API/PMP_API.bat',
        'Billing_batch-PMP_API/PMP_API.conf',
        'Billing_batch-PMP_API/PMP_API.sh',
        'Billing_batch-PMP_API/lib/pmp_api.mjs',
        'Billing_batch-PMP_API/server-ca.pem',
      ].sort(),
    );
    const folder = path.join(unpacked, 'Billing_batch-PMP_API');
    const conf = readFileSync(path.join(folder, 'PMP_API.conf'), 'utf8');
    expect(conf).toContain('ApplicationName=Billing batch\n');
    expect(conf).toContain('ServerURL=https://127.0.0.1:7272\n');
    expect(conf).toContain('ClientCertPath=Billing_batch.crt\n');
    expect(statSync(path.join(folder, 'PMP_API.sh')).mode & 0o111).not.toBe(0);

    const plain = await consoleDownload(server.baseUrl, boss, `/api/v1/applications/${app.id}/toolkit`, {
      serverUrl: 'http://127.0.0.1:1',
    });
    expect(plain.status).toBe(400);
    expect(JSON.parse(plain.text).error).toMatchObject({
      field: 'serverUrl',
      message: 'the server URL must be an https:// URL',
    });
    const missing = await consoleDownload(server.baseUrl, boss, '/api/v1/applications/999999/toolkit', {
      serverUrl: server.baseUrl,
    });
    expect(missing.status).toBe(404);
  });

  it('removes an application with its certificates', async () => {
    const [app] = await apps();
    expectSuccess(await asApplication(twoCert!));
    const removed = await boss.call('DELETE', `/api/v1/applications/${app.id}`);
    expect(removed.status).toBe(200);
    expect(removed.json).toEqual({ name: 'Billing batch' });
    expect(await apps()).toEqual([]);
    // Removed: the certificate that still worked above no longer authenticates anything.
    expectFailed(await asApplication(twoCert!), NOT_TRUSTED);
    expect((await boss.call('DELETE', `/api/v1/applications/${app.id}`)).status).toBe(404);
    const audit = await boss.get(`/api/v1/audit?operation=${encodeURIComponent('Application Removed')}`);
    expect(audit.json.items.map((r: any) => r.reason)).toEqual([
      'Application Billing batch removed with its certificates',
    ]);
  });
});
