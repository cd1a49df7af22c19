/**
 * Application-to-application password management (issue 6, ADR 014) over a real HTTPS port:
 * the `bulwark a2a` CLI (register, list, import-cert, create-cert, remove) and its refusals,
 * applications identified by their client certificate, limited to their allowed operations,
 * bound to their host, and token clients on the same port.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientCertificate } from '../../src/platform/tls.js';
import { createApiUser } from '../helpers/actors.js';
import { pmpClient } from '../helpers/client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { sqlOn } from '../helpers/sql.js';
import { dialects, startServer, type Instance, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

describe.each(dialects())('application-to-application on %s', (dialect) => {
  let server: RunningServer;
  let instance: Instance;
  let admin: ReturnType<typeof pmpClient>;
  let app: ReturnType<typeof pmpClient>;
  let outDir: string;
  let cert: { cert: string; key: string };
  let resourceId: string;
  let accountId: string;
  const a2a = (...args: string[]) => instance.cli('a2a', ...args, '--data-dir', instance.dataDir);
  const register = (
    name: string,
    host: string,
    resourceType: string,
    operations: string,
    inheritUser: string,
  ) =>
    a2a(
      'register',
      '--name',
      name,
      '--host',
      host,
      '--resource-type',
      resourceType,
      '--operations',
      operations,
      '--inherit-user',
      inheritUser,
    );

  beforeAll(async () => {
    server = await startServer(dialect);
    instance = server.instance;
    admin = pmpClient(server.baseUrl, server.token);
    app = pmpClient(server.baseUrl, '');
    outDir = mkdtempSync(path.join(tmpdir(), 'bulwark-a2a-'));
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: {
          operation: {
            Details: {
              RESOURCENAME: 'db-1',
              ACCOUNTNAME: 'oracle',
              RESOURCETYPE: 'Linux',
              PASSWORD: 'Orig-Pass-1',
            },
          },
        },
      }),
    );
    resourceId = created.details.RESOURCEID as string;
    accountId = created.details.ACCOUNTID as string;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    instance?.remove();
  });

  const passwordPath = () => `${V1}/resources/${resourceId}/accounts/${accountId}/password`;
  const asApp = (p: string, options: Parameters<typeof app>[1] = {}) =>
    app(p, { token: null, clientCert: cert, ...options });

  it('registers an application and refuses bad input without changing anything', async () => {
    const ok = await register('Payroll', '127.0.0.1', 'Linux', 'RETRIEVE,RESET_LOCAL', 'admin');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Application Payroll registered/);

    const base = ['--host', '127.0.0.1', '--resource-type', 'Linux', '--inherit-user', 'admin'];
    const bad: [string[], RegExp][] = [
      [['--name', 'payroll', '--operations', 'RETRIEVE', ...base], /already exists/],
      [['--name', 'X', '--operations', 'RETRIEVE,FLY', ...base], /unknown operation "FLY"/],
      [
        [
          '--name',
          'X',
          '--operations',
          'RETRIEVE',
          '--host',
          'h',
          '--resource-type',
          'Linux',
          '--inherit-user',
          'nobody',
        ],
        /no user "nobody"/,
      ],
      [
        [
          '--name',
          'X',
          '--operations',
          'RETRIEVE',
          '--host',
          'h',
          '--resource-type',
          'AIX',
          '--inherit-user',
          'admin',
        ],
        /unknown resource type/,
      ],
    ];
    for (const [args, message] of bad) {
      const result = await a2a('register', ...args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    const list = await a2a('list', '--json');
    expect(list.code).toBe(0);
    const apps = JSON.parse(list.stdout) as { name: string; operations: string[]; inheritUser: string }[];
    expect(apps).toEqual([
      expect.objectContaining({
        name: 'Payroll',
        host: '127.0.0.1',
        resourceType: 'Linux',
        operations: ['RETRIEVE', 'RESET_LOCAL'],
        inheritUser: 'admin',
        certificates: [],
      }),
    ]);
  });

  it('create-cert writes a private key (0600) and a certificate, and imports it', async () => {
    const result = await a2a('create-cert', '--name', 'Payroll', '--out', outDir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const keyFile = path.join(outDir, 'Payroll.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    cert = {
      cert: readFileSync(path.join(outDir, 'Payroll.crt'), 'utf8'),
      key: readFileSync(keyFile, 'utf8'),
    };
    expect(result.stdout).not.toContain('PRIVATE KEY');
    const apps = JSON.parse((await a2a('list', '--json')).stdout) as { certificates: unknown[] }[];
    expect(apps[0]!.certificates).toHaveLength(1);
  });

  it('import-cert refuses an unreadable file, a non-certificate, an expired one and a duplicate', async () => {
    const garbage = path.join(outDir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate');
    const old = await createClientCertificate('old', new Date(Date.now() - 10 * 86_400_000), 1);
    const expired = path.join(outDir, 'expired.pem');
    writeFileSync(expired, old.certPem);
    const cases: [string[], RegExp][] = [
      [['--name', 'Payroll', path.join(outDir, 'missing.pem')], /cannot read/],
      [['--name', 'Payroll', garbage], /readable X\.509 certificate/],
      [['--name', 'Payroll', expired], /expired/],
      [['--name', 'Payroll', path.join(outDir, 'Payroll.crt')], /already imported/],
      [['--name', 'Nobody', path.join(outDir, 'Payroll.crt')], /no application "Nobody"/],
    ];
    for (const [args, message] of cases) {
      const result = await a2a('import-cert', ...args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
    }
    const apps = JSON.parse((await a2a('list', '--json')).stdout) as { certificates: unknown[] }[];
    expect(apps[0]!.certificates).toHaveLength(1);
  });

  it('an application retrieves a password with its client certificate, no restart, audited as A2A', async () => {
    const answer = expectSuccess(await asApp(passwordPath()));
    expect(answer.details.PASSWORD).toBe('Orig-Pass-1');
    const rows = await sqlOn(
      instance,
      'SELECT operation, client, operator_name FROM audit_records WHERE client = $1',
      ['A2A Payroll'],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]!.operator_name).toBe('admin');
  });

  it('a token client keeps working on the same port, with or without a certificate', async () => {
    expectSuccess(await admin(passwordPath()));
    // A token wins over a certificate: this is the token's user, not the application.
    expectSuccess(await admin(`${V1}/resources`, { clientCert: cert }));
  });

  it('an application may do only its allowed operations', async () => {
    expectSuccess(
      await asApp(passwordPath(), {
        method: 'PUT',
        input: { operation: { Details: { NEWPASSWORD: 'New-Pass-2', RESETTYPE: 'LOCAL' } } },
      }),
    );
    expect((await admin(passwordPath())).details.PASSWORD).toBe('New-Pass-2');
    expectFailed(
      await asApp(`${V1}/resources`, {
        method: 'POST',
        input: { operation: { Details: { RESOURCENAME: 'x', ACCOUNTNAME: 'y', PASSWORD: 'z' } } },
      }),
      /The application Payroll is not allowed to CREATE/,
    );
    expectFailed(await asApp(`${V1}/resources`), /The application Payroll is not allowed to GET RESOURCES/);
    expectFailed(
      await asApp(`${V1}/resources/${resourceId}`, { method: 'DELETE' }),
      /The application Payroll is not allowed to DELETE RESOURCE/,
    );
    // Still there.
    expectSuccess(await admin(passwordPath()));
    const refusals = await sqlOn(
      instance,
      'SELECT client, operator_name FROM audit_records WHERE operation = $1',
      ['Application Operation Refused'],
    );
    expect(refusals).toHaveLength(3);
    expect(refusals[0]).toMatchObject({ client: 'A2A Payroll', operator_name: 'admin' });
  });

  it('refuses a certificate that was not imported, and audits it', async () => {
    const stranger = await createClientCertificate('stranger', new Date());
    const answer = expectFailed(
      await app(passwordPath(), {
        token: null,
        clientCert: { cert: stranger.certPem, key: stranger.keyPem },
      }),
      /not trusted for any application/,
    );
    expect(answer.name).toBe('Authentication');
    const rows = await sqlOn(instance, 'SELECT operation FROM audit_records WHERE operation = $1', [
      'Authentication Failed',
    ]);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('refuses the application from a host it is not registered for', async () => {
    const registered = await register('Elsewhere', '127.0.0.2', 'Windows', 'RETRIEVE', 'admin');
    expect(registered.code).toBe(0);
    const elsewhereDir = path.join(outDir, 'elsewhere');
    expect((await a2a('create-cert', '--name', 'Elsewhere', '--out', elsewhereDir)).code).toBe(0);
    const elsewhere = {
      cert: readFileSync(path.join(elsewhereDir, 'Elsewhere.crt'), 'utf8'),
      key: readFileSync(path.join(elsewhereDir, 'Elsewhere.key'), 'utf8'),
    };
    expectFailed(
      await app(passwordPath(), { token: null, clientCert: elsewhere }),
      /Elsewhere is not allowed to access from this host/,
    );
    expectSuccess(
      await app(passwordPath(), { token: null, clientCert: elsewhere, localAddress: '127.0.0.2' }),
    );
  });

  it("the application has exactly the inherited user's object permissions", async () => {
    const svc = (await createApiUser(server, 'payroll-svc', 'Password User')).call;
    const own = expectSuccess(
      await svc(`${V1}/resources`, {
        method: 'POST',
        input: {
          operation: {
            Details: {
              RESOURCENAME: 'svc-db',
              ACCOUNTNAME: 'app',
              RESOURCETYPE: 'Linux',
              PASSWORD: 'Svc-Pass-1',
            },
          },
        },
      }),
    );
    const registered = await register('Limited', 'localhost', 'Linux', 'RETRIEVE', 'PAYROLL-SVC');
    expect(registered.stderr).toBe('');
    const dir = path.join(outDir, 'limited');
    expect((await a2a('create-cert', '--name', 'Limited', '--out', dir)).code).toBe(0);
    const limited = {
      cert: readFileSync(path.join(dir, 'Limited.crt'), 'utf8'),
      key: readFileSync(path.join(dir, 'Limited.key'), 'utf8'),
    };
    const ownPassword = `${V1}/resources/${own.details.RESOURCEID}/accounts/${own.details.ACCOUNTID}/password`;
    expect(expectSuccess(await app(ownPassword, { token: null, clientCert: limited })).details.PASSWORD).toBe(
      'Svc-Pass-1',
    );
    // db-1 belongs to admin and is not shared with payroll-svc.
    const refused = await app(passwordPath(), { token: null, clientCert: limited });
    expect(refused.status).toBe('Failed');
    expect(refused.details?.PASSWORD).toBeUndefined();
  });

  it('refuses a certificate once it has expired', async () => {
    await sqlOn(instance, 'UPDATE application_certificates SET not_after = $1 WHERE subject LIKE $2', [
      Date.now() - 1000,
      '%CN=Limited%',
    ]);
    const dir = path.join(outDir, 'limited');
    const limited = {
      cert: readFileSync(path.join(dir, 'Limited.crt'), 'utf8'),
      key: readFileSync(path.join(dir, 'Limited.key'), 'utf8'),
    };
    expectFailed(
      await app(`${V1}/resources/getResourceAccountDetails`, { token: null, clientCert: limited }),
      /Limited has expired or is not yet valid/,
    );
  });

  it('after remove, the certificate no longer works', async () => {
    const removed = await a2a('remove', '--name', 'payroll');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/Application Payroll removed/);
    expectFailed(await asApp(passwordPath()), /not trusted for any application/);
    const again = await a2a('remove', '--name', 'payroll');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no application "payroll"/);
    const names = (JSON.parse((await a2a('list', '--json')).stdout) as { name: string }[]).map((a) => a.name);
    expect(names).toEqual(['Elsewhere', 'Limited']);
  });
  it('deleting the inherited user removes its applications', async () => {
    const id = (await admin(`${V1}/user/getUserId`, { query: { USERNAME: 'payroll-svc' } })).details
      ?.USERID as string;
    expectSuccess(await admin(`${V1}/user/${id}`, { method: 'DELETE' }));
    const names = (JSON.parse((await a2a('list', '--json')).stdout) as { name: string }[]).map((a) => a.name);
    expect(names).toEqual(['Elsewhere']);
  });
});
