/**
 * The native REST endpoints managing registered applications and their client certificates
 * (issue 6, ADR 014), over a real HTTPS port with real client certificates: who may use them
 * (administrators; a super administrator's powers only by a super administrator; never an
 * application), bad input refused without change, and the audit trail.
 */
import { X509Certificate } from 'node:crypto';
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientCertificate } from '../../src/platform/tls.js';
import { createApiUser } from '../helpers/actors.js';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { sqlOn } from '../helpers/sql.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

type Client = ReturnType<typeof pmpClient>;
type ClientCert = { cert: string; key: string };

/** The SHA-256 fingerprint of a PEM certificate as Bulwark shows it: 64 lower-case hex digits. */
function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();
}

async function newCertificate(name: string, notBefore = new Date(), days = 30): Promise<ClientCert> {
  const made = await createClientCertificate(name, notBefore, days);
  return { cert: made.certPem, key: made.keyPem };
}

describe.each(dialects())('application REST endpoints on %s', (dialect) => {
  let server: RunningServer;
  let admin: Client;
  /** Role Administrator without access scope "All passwords". */
  let userAdmin: Client;
  let passwordAdmin: Client;
  let plainUser: Client;
  let payrollId: string;
  let payrollCert: ClientCert;
  let reportsCert: ClientCert;
  /** Payroll's second certificate, which keeps working when the first is revoked. */
  let payrollSpare: ClientCert;
  let passwordPath: string;

  const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);
  const applications = async () => expectSuccess(await admin(`${V1}/applications`)).details as any[];
  const register = (fields: Record<string, unknown>, as: Client = admin) =>
    as(`${V1}/applications`, { method: 'POST', input: details(fields) });
  const importCert = (id: string, pem: unknown, as: Client = admin) =>
    as(`${V1}/applications/${id}/certificates`, { method: 'POST', input: details({ CERTIFICATE: pem }) });
  const asApp = (cert: ClientCert, p: string, options: Parameters<Client>[1] = {}) =>
    pmpClient(server.baseUrl, '')(p, { token: null, clientCert: cert, ...options });
  const revoke = (id: string, fingerprint: string, as: Client = admin) =>
    as(`${V1}/applications/${id}/certificates/${encodeURIComponent(fingerprint)}`, { method: 'DELETE' });
  const auditCount = async (operation: string) =>
    (await sql('SELECT seq FROM audit_records WHERE operation = $1', [operation])).length;

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    userAdmin = (await createApiUser(server, 'user-admin', 'Administrator')).call;
    passwordAdmin = (await createApiUser(server, 'password-admin', 'Password Administrator')).call;
    plainUser = (await createApiUser(server, 'plain-user', 'Password User')).call;
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'payroll-db',
          ACCOUNTNAME: 'payroll',
          RESOURCETYPE: 'Linux',
          PASSWORD: 'Payroll-Pass-1',
        }),
      }),
    );
    passwordPath = `${V1}/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/password`;
    payrollCert = await newCertificate('Payroll');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('registers applications, OPERATIONS as a list or as comma-separated text, and lists them', async () => {
    const payroll = expectSuccess(
      await register({
        APPLICATIONNAME: 'Payroll',
        HOSTNAME: '127.0.0.1',
        RESOURCETYPE: 'linux',
        OPERATIONS: ['RETRIEVE', 'reset_local'],
        INHERITUSER: 'admin',
      }),
    );
    expect(payroll.message).toBe('Application Payroll registered successfully');
    expect(payroll.details).toEqual({
      APPLICATIONID: expect.stringMatching(/^\d+$/),
      APPLICATIONNAME: 'Payroll',
      HOSTNAME: '127.0.0.1',
      RESOURCETYPE: 'Linux',
      OPERATIONS: ['RETRIEVE', 'RESET_LOCAL'],
      INHERITUSER: 'admin',
      CERTIFICATES: [],
    });
    payrollId = payroll.details.APPLICATIONID as string;

    // An administrator who is not a super administrator registers one inheriting a plain user.
    const reports = expectSuccess(
      await register(
        {
          APPLICATIONNAME: 'Reports',
          HOSTNAME: 'localhost',
          RESOURCETYPE: 'Windows',
          OPERATIONS: 'RETRIEVE, CREATE',
          INHERITUSER: 'PLAIN-USER',
        },
        userAdmin,
      ),
    );
    expect(reports.details).toMatchObject({ OPERATIONS: ['RETRIEVE', 'CREATE'], INHERITUSER: 'plain-user' });

    const list = expectSuccess(await admin(`${V1}/applications`));
    expect(list.name).toBe('GET APPLICATIONS');
    expect(list.totalRows).toBe(2);
    expect(list.details.map((a: any) => a.APPLICATIONNAME)).toEqual(['Payroll', 'Reports']);

    const records = await sql(
      'SELECT operator_name, client, reason FROM audit_records WHERE operation = $1 ORDER BY seq',
      ['Application Registered'],
    );
    expect(records).toEqual([
      {
        operator_name: 'admin',
        client: 'REST API',
        reason: 'Application Payroll (host 127.0.0.1, Linux, RETRIEVE,RESET_LOCAL) inherits admin',
      },
      {
        operator_name: 'user-admin',
        client: 'REST API',
        reason: 'Application Reports (host localhost, Windows, RETRIEVE,CREATE) inherits plain-user',
      },
    ]);
  });

  it('refuses bad registrations clearly and changes nothing', async () => {
    const valid = {
      APPLICATIONNAME: 'Batch',
      HOSTNAME: '127.0.0.1',
      RESOURCETYPE: 'Linux',
      OPERATIONS: 'RETRIEVE',
      INHERITUSER: 'admin',
    };
    const without = (field: keyof typeof valid) => {
      const copy: Record<string, unknown> = { ...valid };
      delete copy[field];
      return copy;
    };
    const cases: [Record<string, unknown>, RegExp][] = [
      [without('APPLICATIONNAME'), /^APPLICATIONNAME is mandatory/],
      [without('HOSTNAME'), /^HOSTNAME is mandatory/],
      [without('RESOURCETYPE'), /^RESOURCETYPE is mandatory/],
      [without('OPERATIONS'), /^OPERATIONS is mandatory/],
      [without('INHERITUSER'), /^INHERITUSER is mandatory/],
      [{ ...valid, APPLICATIONNAME: '   ' }, /^APPLICATIONNAME is mandatory/],
      [{ ...valid, OPERATIONS: ['RETRIEVE', 'FLY'] }, /unknown operation "FLY"/],
      [{ ...valid, OPERATIONS: 'RETRIEVE,' }, /unknown operation ""/],
      [{ ...valid, OPERATIONS: [] }, /name at least one operation/],
      [{ ...valid, OPERATIONS: { RETRIEVE: true } }, /OPERATIONS must be a list/],
      [{ ...valid, OPERATIONS: [1] }, /OPERATIONS\[0\] must be an operation name/],
      [{ ...valid, RESOURCETYPE: 'AIX' }, /unknown resource type "AIX"; use Linux or Windows/],
      [{ ...valid, HOSTNAME: 'two words' }, /host must be a DNS name or an IP address/],
      [{ ...valid, INHERITUSER: 'nobody' }, /there is no user "nobody"/],
      [{ ...valid, APPLICATIONNAME: 'PAYROLL' }, /an application named PAYROLL already exists/],
      [{ ...valid, APPLICATIONNAME: 'x'.repeat(256) }, /APPLICATIONNAME is longer than/],
    ];
    for (const [fields, message] of cases) {
      const answer = expectFailed(await register(fields), message);
      expect(answer.name).toBe('REGISTER APPLICATION');
    }
    expect((await applications()).map((a) => a.APPLICATIONNAME)).toEqual(['Payroll', 'Reports']);
    expect(await auditCount('Application Registered')).toBe(2);
  });

  it('imports a certificate that works at once, and refuses bad certificates without change', async () => {
    const imported = expectSuccess(await importCert(payrollId, payrollCert.cert));
    expect(imported.details).toEqual({
      APPLICATIONID: payrollId,
      APPLICATIONNAME: 'Payroll',
      FINGERPRINT: fingerprintOf(payrollCert.cert),
      SUBJECT: 'CN=Payroll, O=Bulwark A2A',
      SERIAL: expect.stringMatching(/^[0-9A-F]+$/),
      NOTBEFORE: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      NOTAFTER: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(expectSuccess(await asApp(payrollCert, passwordPath)).details.PASSWORD).toBe('Payroll-Pass-1');

    const expired = await newCertificate('Payroll', new Date(Date.now() - 10 * 86_400_000), 1);
    const cases: [string, unknown, RegExp][] = [
      [payrollId, 'not a certificate', /readable X\.509 certificate/],
      [payrollId, expired.cert, /the certificate expired on/],
      [payrollId, payrollCert.cert, /already imported/],
      [payrollId, '', /^CERTIFICATE is mandatory/],
      ['999999', payrollCert.cert, /^Application with ID 999999 does not exist$/],
      ['abc', payrollCert.cert, /"abc" is not a valid application ID/],
    ];
    for (const [id, pem, message] of cases) {
      expectFailed(await importCert(id, pem), message);
    }
    const { APPLICATIONID: _id, APPLICATIONNAME: _name, ...certificate } = imported.details;
    const [payroll] = await applications();
    expect(payroll.CERTIFICATES).toEqual([certificate]);
    expect(await auditCount('Application Certificate Imported')).toBe(1);
  });

  it('refuses users who are not administrators, and changes nothing', async () => {
    const other = await newCertificate('Other');
    for (const caller of [plainUser, passwordAdmin]) {
      const refusals = [
        await caller(`${V1}/applications`),
        await register(
          {
            APPLICATIONNAME: 'Sneaky',
            HOSTNAME: '127.0.0.1',
            RESOURCETYPE: 'Linux',
            OPERATIONS: 'RETRIEVE',
            INHERITUSER: 'plain-user',
          },
          caller,
        ),
        await importCert(payrollId, other.cert, caller),
        await caller(`${V1}/applications/${payrollId}`, { method: 'DELETE' }),
      ];
      for (const answer of refusals) {
        expectFailed(answer, /^Only administrators may manage applications$/);
        expect(answer.statusCode).toBe(40300);
      }
    }
    const list = await applications();
    expect(list.map((a) => a.APPLICATIONNAME)).toEqual(['Payroll', 'Reports']);
    expect(list[0].CERTIFICATES).toHaveLength(1);
    expectFailed(await asApp(other, passwordPath), /not trusted for any application/);
  });

  it('an administrator who is not a super administrator may not give or touch a super administrator’s powers', async () => {
    const refused =
      /^Only a super administrator may (register|trust a certificate for|remove) an application that inherits the super administrator admin$/;
    expectFailed(
      await register(
        {
          APPLICATIONNAME: 'Escalate',
          HOSTNAME: '127.0.0.1',
          RESOURCETYPE: 'Linux',
          OPERATIONS: 'RETRIEVE',
          INHERITUSER: 'admin',
        },
        userAdmin,
      ),
      refused,
    );
    // A certificate of their own on an application inheriting admin would make them admin.
    const theirs = await newCertificate('Theirs');
    expectFailed(await importCert(payrollId, theirs.cert, userAdmin), refused);
    expectFailed(await userAdmin(`${V1}/applications/${payrollId}`, { method: 'DELETE' }), refused);
    expectFailed(await asApp(theirs, passwordPath), /not trusted for any application/);
    const list = await applications();
    expect(list.map((a) => a.APPLICATIONNAME)).toEqual(['Payroll', 'Reports']);
    expect(list[0].CERTIFICATES).toHaveLength(1);
    // Their own kind of application they manage in full.
    const reportsId = list[1].APPLICATIONID as string;
    reportsCert = await newCertificate('Reports');
    expectSuccess(await importCert(reportsId, reportsCert.cert, userAdmin));
  });

  it('an application presenting its certificate is refused every one of these endpoints', async () => {
    const before = await auditCount('Application Operation Refused');
    const refusals = [
      [await asApp(payrollCert, `${V1}/applications`), 'GET APPLICATIONS'],
      [
        await asApp(payrollCert, `${V1}/applications`, {
          method: 'POST',
          input: details({
            APPLICATIONNAME: 'Child',
            HOSTNAME: '127.0.0.1',
            RESOURCETYPE: 'Linux',
            OPERATIONS: 'RETRIEVE',
            INHERITUSER: 'admin',
          }),
        }),
        'REGISTER APPLICATION',
      ],
      [
        await asApp(payrollCert, `${V1}/applications/${payrollId}/certificates`, {
          method: 'POST',
          input: details({ CERTIFICATE: (await newCertificate('Child')).cert }),
        }),
        'IMPORT APPLICATION CERTIFICATE',
      ],
      [
        await asApp(payrollCert, `${V1}/applications/${payrollId}`, { method: 'DELETE' }),
        'DELETE APPLICATION',
      ],
    ] as const;
    for (const [answer, operation] of refusals) {
      expectFailed(answer, new RegExp(`^The application Payroll is not allowed to ${operation}`));
    }
    expect(await auditCount('Application Operation Refused')).toBe(before + refusals.length);
    const list = await applications();
    expect(list.map((a) => a.APPLICATIONNAME)).toEqual(['Payroll', 'Reports']);
    expect(list[0].CERTIFICATES).toHaveLength(1);
  });

  it('revokes one certificate: refused at once, the other certificate keeps working', async () => {
    payrollSpare = await newCertificate('Payroll');
    expectSuccess(await importCert(payrollId, payrollSpare.cert));
    expectSuccess(await asApp(payrollCert, passwordPath));
    expectSuccess(await asApp(payrollSpare, passwordPath));
    const fingerprint = fingerprintOf(payrollCert.cert);
    // As openssl prints it: upper-case pairs separated by colons.
    const typed = new X509Certificate(payrollCert.cert).fingerprint256;
    const revoked = expectSuccess(await revoke(payrollId, typed));
    expect(revoked.name).toBe('REVOKE APPLICATION CERTIFICATE');
    expect(revoked.message).toBe(`Certificate ${fingerprint} of application Payroll revoked successfully`);
    expect(revoked.details).toMatchObject({ APPLICATIONID: payrollId, FINGERPRINT: fingerprint });
    expectFailed(await asApp(payrollCert, passwordPath), /not trusted for any application/);
    expect(expectSuccess(await asApp(payrollSpare, passwordPath)).details.PASSWORD).toBe('Payroll-Pass-1');
    const [payroll] = await applications();
    expect(payroll.CERTIFICATES.map((c: any) => c.FINGERPRINT)).toEqual([fingerprintOf(payrollSpare.cert)]);
    const records = await sql(
      'SELECT operator_name, client, reason FROM audit_records WHERE operation = $1',
      ['Application Certificate Revoked'],
    );
    expect(records).toEqual([
      {
        operator_name: 'admin',
        client: 'REST API',
        reason: `Certificate ${fingerprint} (CN=Payroll, O=Bulwark A2A, serial ${revoked.details.SERIAL}) of application Payroll revoked`,
      },
    ]);
  });

  it('refuses bad revocations and revocations by those who may not, and changes nothing', async () => {
    const spare = fingerprintOf(payrollSpare.cert);
    const cases: [PmpAnswer, RegExp][] = [
      [await revoke(payrollId, 'abc'), /^"abc" is not a certificate fingerprint/],
      [await revoke(payrollId, spare.slice(1)), /is not a certificate fingerprint/],
      [await revoke(payrollId, `${spare}00`), /is not a certificate fingerprint/],
      [await revoke(payrollId, 'g'.repeat(64)), /is not a certificate fingerprint/],
      [await revoke(payrollId, fingerprintOf(payrollCert.cert)), /^application Payroll has no certificate /],
      // Another application's certificate is not revoked through this one.
      [await revoke(payrollId, fingerprintOf(reportsCert.cert)), /^application Payroll has no certificate /],
      [await revoke('999999', spare), /^Application with ID 999999 does not exist$/],
      [await revoke(payrollId, spare, plainUser), /^Only administrators may manage applications$/],
      [await revoke(payrollId, spare, passwordAdmin), /^Only administrators may manage applications$/],
      [
        await revoke(payrollId, spare, userAdmin),
        /^Only a super administrator may revoke a certificate of an application that inherits the super administrator admin$/,
      ],
      [
        await asApp(payrollSpare, `${V1}/applications/${payrollId}/certificates/${spare}`, {
          method: 'DELETE',
        }),
        /^The application Payroll is not allowed to REVOKE APPLICATION CERTIFICATE/,
      ],
    ];
    for (const [answer, message] of cases) expectFailed(answer, message);
    expectSuccess(await asApp(payrollSpare, passwordPath));
    expect((await applications()).map((a) => a.CERTIFICATES.length)).toEqual([1, 1]);
    expect(await auditCount('Application Certificate Revoked')).toBe(1);
  });

  it('bulwark a2a revoke-cert revokes one certificate by fingerprint, audited as the operator', async () => {
    const spare = fingerprintOf(payrollSpare.cert);
    const a2a = (...args: string[]) =>
      server.instance.cli('a2a', ...args, '--data-dir', server.instance.dataDir);
    const bad = await a2a('revoke-cert', '--name', 'Payroll', 'not-hex');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/"not-hex" is not a certificate fingerprint/);
    const unknown = await a2a('revoke-cert', '--name', 'Nobody', spare);
    expect(unknown.stderr).toMatch(/there is no application "Nobody"/);
    expectSuccess(await asApp(payrollSpare, passwordPath));

    const done = await a2a('revoke-cert', '--name', 'payroll', spare.toUpperCase());
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toBe(
      `Certificate ${spare} (CN=Payroll, O=Bulwark A2A) of application Payroll revoked.\n`,
    );
    expectFailed(await asApp(payrollSpare, passwordPath), /not trusted for any application/);
    const again = await a2a('revoke-cert', '--name', 'Payroll', spare);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/application Payroll has no certificate/);
    const [record] = await sql(
      'SELECT operator_name, client, reason FROM audit_records WHERE operation = $1 AND client = $2',
      ['Application Certificate Revoked', 'CLI'],
    );
    expect(record).toMatchObject({
      operator_name: userInfo().username,
      reason: expect.stringContaining(spare),
    });
    expect((await applications())[0].CERTIFICATES).toEqual([]);
  });

  it('deletes an application: its certificates stop working at once; an unknown id is not found', async () => {
    const reportsId = (await applications())[1].APPLICATIONID as string;
    const deleted = expectSuccess(await admin(`${V1}/applications/${reportsId}`, { method: 'DELETE' }));
    expect(deleted.message).toBe('Application Reports deleted successfully');
    const again = expectFailed(
      await admin(`${V1}/applications/${reportsId}`, { method: 'DELETE' }),
      new RegExp(`^Application with ID ${reportsId} does not exist$`),
    );
    expect(again.statusCode).toBe(40400);
    expectFailed(await admin(`${V1}/applications/0`, { method: 'DELETE' }), /not a valid application ID/);
    expect((await applications()).map((a) => a.APPLICATIONNAME)).toEqual(['Payroll']);
    const removed = await sql('SELECT operator_name, reason FROM audit_records WHERE operation = $1', [
      'Application Removed',
    ]);
    expect(removed).toEqual([
      { operator_name: 'admin', reason: 'Application Reports removed with its certificates' },
    ]);
  });

  it('audit records name applications, hosts, operations and fingerprints, never key material', async () => {
    const records = await sql('SELECT reason FROM audit_records WHERE operation LIKE $1', ['Application%']);
    const text = JSON.stringify(records);
    expect(text).toContain(fingerprintOf(payrollCert.cert));
    expect(text).not.toMatch(/BEGIN|PRIVATE KEY|CERTIFICATE-----/);
    expect(text).not.toContain(payrollCert.key.split('\n')[1]!);
  });
});

describe.each(dialects())('throttling of client certificates on %s', (dialect) => {
  const FAILURE_LIMIT = 4;
  let server: RunningServer;
  let admin: Client;
  let gate: ClientCert;
  let roamer: ClientCert;
  let stale: ClientCert;
  let passwordPath: string;

  const asApp = (cert: ClientCert, from: string) =>
    pmpClient(server.baseUrl, '')(passwordPath, { token: null, clientCert: cert, localAddress: from });
  const failuresFrom = (address: string) =>
    sqlOn(
      server.instance,
      'SELECT client, operator_name, reason FROM audit_records WHERE operation = $1 AND client_ip = $2 ORDER BY seq',
      ['Authentication Failed', address],
    );
  const LOCKED_OUT =
    /^Too many failed authentication attempts with this credential from this address; try again in \d+ seconds\. Authentication failed\.$/;

  beforeAll(async () => {
    server = await startServer(dialect, {
      BULWARK_AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT),
      BULWARK_AUTH_LOCKOUT_SECONDS: '600',
      BULWARK_AUTH_FAILURE_DELAY_MS: '10',
    });
    admin = pmpClient(server.baseUrl, server.token);
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'gate-db',
          ACCOUNTNAME: 'gate',
          RESOURCETYPE: 'Linux',
          PASSWORD: 'Gate-1',
        }),
      }),
    );
    passwordPath = `${V1}/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/password`;
    const registered = async (name: string, host: string) => {
      const app = expectSuccess(
        await admin(`${V1}/applications`, {
          method: 'POST',
          input: details({
            APPLICATIONNAME: name,
            HOSTNAME: host,
            RESOURCETYPE: 'Linux',
            OPERATIONS: 'RETRIEVE',
            INHERITUSER: 'admin',
          }),
        }),
      );
      const cert = await newCertificate(name);
      expectSuccess(
        await admin(`${V1}/applications/${app.details.APPLICATIONID}/certificates`, {
          method: 'POST',
          input: details({ CERTIFICATE: cert.cert }),
        }),
      );
      return cert;
    };
    gate = await registered('Gate', '127.0.0.5');
    roamer = await registered('Roamer', '127.0.0.1');
    stale = await registered('Stale', '127.0.0.6');
    await sqlOn(
      server.instance,
      'UPDATE application_certificates SET not_after = $1 WHERE fingerprint = $2',
      [Date.now() - 1000, fingerprintOf(stale.cert)],
    );
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('a certificate failing again and again is locked out of the address; valid certificates and tokens are not (ADR 021)', async () => {
    const from = '127.0.0.5';
    expectSuccess(await asApp(gate, from));
    const stranger = await newCertificate('Stranger');
    expectFailed(
      await pmpClient(server.baseUrl, 'DEADBEEF-0000-4000-8000-00000000BAD0')(passwordPath, {
        localAddress: from,
      }),
      /^API key received is not associated to any user/,
    );
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expectFailed(await asApp(stranger, from), /not trusted for any application/);
    }
    const refused = expectFailed(await asApp(stranger, from), LOCKED_OUT);
    expect(refused.name).toBe('Authentication');
    // Someone else's failures refuse neither a valid certificate nor a valid token there.
    expectSuccess(await asApp(gate, from));
    expectSuccess(await admin(passwordPath, { localAddress: from }));
    // The stranger from another address is judged there on its own.
    expectFailed(await asApp(stranger, '127.0.0.1'), /not trusted for any application/);

    const failures = await failuresFrom(from);
    expect(failures).toHaveLength(FAILURE_LIMIT + 1);
    expect(failures[0]).toMatchObject({ operator_name: 'Unknown', reason: 'unknown API key' });
    const fingerprint = fingerprintOf(stranger.cert);
    expect(failures.slice(1).map((f) => f.reason)).toEqual([
      `client certificate ${fingerprint} is not trusted for any application`,
      `client certificate ${fingerprint} is not trusted for any application`,
      `client certificate ${fingerprint} is not trusted for any application`,
      `client certificate ${fingerprint} is not trusted for any application; locked out from this address for 600 seconds`,
    ]);
  });

  it('a certificate outside its dates or used from another host counts as a failure too', async () => {
    const from = '127.0.0.6';
    for (let i = 0; i < FAILURE_LIMIT; i++) {
      expectFailed(await asApp(roamer, from), /Roamer is not allowed to access from this host/);
      expectFailed(await asApp(stale, from), /Stale has expired or is not yet valid/);
    }
    expectFailed(await asApp(roamer, from), LOCKED_OUT);
    expectFailed(await asApp(stale, from), LOCKED_OUT);
    expectSuccess(await admin(passwordPath, { localAddress: from }));
    expectSuccess(await asApp(roamer, '127.0.0.1'));

    const failures = await failuresFrom(from);
    expect(failures.map((f) => f.client)).toEqual(
      Array.from({ length: FAILURE_LIMIT }, () => ['A2A Roamer', 'A2A Stale']).flat(),
    );
    expect(failures.every((f) => f.operator_name === 'admin')).toBe(true);
    expect(failures.at(-1)!.reason).toMatch(
      /outside its validity period; locked out from this address for 600 seconds$/,
    );
  });
});
