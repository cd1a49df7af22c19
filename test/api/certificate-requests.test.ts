/**
 * CSRs and the internal CA over the real HTTPS API on both dialects (issue 14, ADR 039):
 * createCSR (42) with the reference's fields, checked with `openssl req -verify`; getCSRList (43)
 * per owner; signCSR (44) and createCertificate (45) with the internal CA, created once on first
 * use (also by several callers at once), its certificate downloaded from the native endpoint,
 * what it signs accepted by `openssl verify -CAfile`; issued certificates in the repository
 * (32, 33, 37); bad input answered Failed with nothing changed; audit; applications refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/tools/docs.js';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, rawRequest, type RawResponse } from '../helpers/client.js';
import { pypmpCertificateDetails } from '../helpers/certificate-pki.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';

const PKI = '/api/pki/restapi';
const CA_URL = '/restapi/json/v1/certificates/internalCA';
const ROUTES = [
  ['POST', 'createCSR'],
  ['GET', 'getCSRList'],
  ['POST', 'signCSR'],
  ['POST', 'createCertificate'],
] as const;

/** The reference's sample Details of 42 and 45. */
const SAMPLE = {
  CNAME: 'mytestcert',
  ALT_NAMES: 'test',
  ORGUNIT: 'zohocorp',
  ORG: 'manageengine',
  LOCATION: 'chennai',
  STATE: 'Tamilnadu',
  COUNTRY: 'IN',
  PASSWORD: 'zohocorp',
  VALIDITY: '888',
  VALIDITY_TYPE: 'days',
  ALG: 'RSA',
  LEN: '4096',
  SIGALG: 'SHA256',
  StoreType: 'PKCS12',
};

function openssl(...args: string[]): { code: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe.each(dialects())('CSRs and the internal CA on %s', (dialect) => {
  let server: RunningServer;
  let olivia: Actor;
  let paul: Actor;
  let dir: string;
  const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);
  const tokenOf = (who: Actor | 'admin') => (who === 'admin' ? server.token : who.token);
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  async function pki(
    who: Actor | 'admin',
    method: string,
    endpoint: string,
    input?: Record<string, unknown>,
  ) {
    const query =
      input === undefined ? '' : `?INPUT_DATA=${encodeURIComponent(JSON.stringify(details(input)))}`;
    const http = await rawRequest(server.baseUrl, {
      method,
      path: `${PKI}/${endpoint}${query}`,
      headers: { AUTHTOKEN: tokenOf(who) },
    });
    expect(http.status, http.text).toBe(200);
    return { http, raw: JSON.parse(http.text) };
  }
  const ok = (a: { http: RawResponse; raw: any }, name: string) => {
    expect(a.raw.result?.status, a.http.text).toBe('Success');
    expect(a.raw.name).toBe(name);
    return a.raw;
  };
  const failed = (a: { http: RawResponse; raw: any }, message: RegExp) => {
    expect(a.raw.result?.status, a.http.text).toBe('Failed');
    expect(a.raw.result?.message).toMatch(message);
    return a.raw;
  };
  async function downloadCa(who: Actor | 'admin' = 'admin'): Promise<string> {
    const http = await rawRequest(server.baseUrl, {
      method: 'GET',
      path: CA_URL,
      headers: { AUTHTOKEN: tokenOf(who) },
    });
    expect(http.status, http.text).toBe(200);
    expect(http.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
    return http.text;
  }
  async function certificatePem(who: Actor | 'admin', commonName: string, serial?: string): Promise<string> {
    const http = await rawRequest(server.baseUrl, {
      method: 'GET',
      path: `${PKI}/getCertificate?INPUT_DATA=${encodeURIComponent(
        JSON.stringify(details({ common_name: commonName, ...(serial ? { serial_number: serial } : {}) })),
      )}`,
      headers: { AUTHTOKEN: tokenOf(who) },
    });
    expect(http.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
    return http.text;
  }
  const verifyWithCa = (caPem: string, certPem: string, name: string) =>
    openssl('verify', '-CAfile', write(`${name}-ca.pem`, caPem), write(`${name}.pem`, certPem));
  const counts = async () => ({
    requests: (await sql('select id, signed_at, certificate_id from certificate_requests order by id')).map(
      (r) => JSON.stringify(r),
    ),
    certificates: (await sql('select id, sha256 from certificates order by id')).map((r) =>
      JSON.stringify(r),
    ),
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-csr-'));
    server = await startServer(dialect);
    olivia = await createApiUser(server, 'olivia', 'Password Administrator');
    paul = await createApiUser(server, 'paul', 'Password User');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the internal CA is created once on first use, even by several callers at once', async () => {
    expect(await sql('select id from internal_ca')).toEqual([]);
    const answers = await Promise.all(
      ['race-a', 'race-b', 'race-c'].map(async (name, i) =>
        pki(i === 0 ? 'admin' : olivia, 'POST', 'createCertificate', {
          CNAME: `${name}.example`,
          ALG: 'EC',
          LEN: '256',
          VALIDITY: '30',
        }),
      ),
    );
    for (const a of answers) ok(a, 'CreateCertificate');
    expect(await sql('select id from internal_ca')).toHaveLength(1);
    const caPem = await downloadCa(paul);
    const ca = openssl(
      'x509',
      '-noout',
      '-subject',
      '-ext',
      'basicConstraints,keyUsage',
      '-in',
      write('ca.pem', caPem),
    );
    expect(ca.out).toMatch(/CN ?= ?Bulwark Internal CA [0-9a-f]{8}/);
    expect(ca.out).toMatch(/CA:TRUE/);
    expect(ca.out).toMatch(/Certificate Sign/);
    for (const name of ['race-a', 'race-b', 'race-c']) {
      const who = name === 'race-a' ? 'admin' : olivia;
      expect(verifyWithCa(caPem, await certificatePem(who, `${name}.example`), name).out).toMatch(/: OK/);
    }
    const created = await sql(`select operation from audit_records where operation = 'Internal CA Created'`);
    expect(created).toHaveLength(1);
    // The key is sealed: no PEM in the row.
    const row = (await sql('select private_key_sealed from internal_ca'))[0]!;
    expect(Buffer.from(row.private_key_sealed as Buffer).toString('latin1')).not.toMatch(/PRIVATE KEY/);
  });

  it("createCSR with the reference's sample; openssl req -verify accepts it; getCSRList shows the reference's fields", async () => {
    const answer = ok(await pki('admin', 'POST', 'createCSR', SAMPLE), 'CreateCSR');
    expect(answer.result.message).toBe('CSR saved successfully');
    expect(answer.totalRows).toBe(1);
    const id = answer.details[0].CSR_ID;
    expect(typeof id).toBe('number');

    const list = ok(await pki('admin', 'GET', 'getCSRList', { common_name: 'mytestcert' }), 'GetCSRList');
    expect(list.result.message).toBe('Fetched all CSRs successfully');
    expect(list.totalRows).toBe(1);
    const csr = list.details[0];
    expect(csr).toMatchObject({
      CREATED_BY: 'admin',
      KEYALGORITHM: 'RSA',
      KEYSTORE_TYPE: 'PKCS12',
      isPassword: true,
      CSR_ID: id,
      KEY_STRENGTH: 4096,
      DOMAIN_NAME: 'mytestcert',
      VALIDITY: '888',
      SIGNATURE_ALGORITHM: 'SHA256withRSA',
      SIGNED: false,
    });
    expect(csr.CREATED_DATE).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{2}:\d{2}$/);
    expect(typeof csr.LOGIN_ID).toBe('number');
    const file = write('sample.csr', csr.CSR);
    const verified = openssl('req', '-verify', '-noout', '-text', '-in', file);
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toMatch(/self-signature verify OK/);
    expect(verified.out).toMatch(/Public-Key: \(4096 bit\)/);
    expect(verified.out).toMatch(/DNS:test/);
    expect(openssl('req', '-noout', '-subject', '-nameopt', 'oneline', '-in', file).out).toMatch(
      /C = IN, ST = Tamilnadu, L = chennai, O = manageengine, OU = zohocorp, CN = mytestcert/,
    );
    // The key is sealed (and was encrypted with PASSWORD before): nothing readable in the row.
    const row = (
      await sql('select private_key_sealed, password_sealed from certificate_requests where id = $1', [id])
    )[0]!;
    for (const v of [row.private_key_sealed, row.password_sealed]) {
      expect(Buffer.from(v as Buffer).toString('latin1')).not.toMatch(/PRIVATE KEY|zohocorp/);
    }
  });

  it('signCSR signs a stored CSR with the internal CA: openssl verify OK, in the repository as issued, passphrase released', async () => {
    const created = ok(
      await pki(olivia, 'POST', 'createCSR', {
        CNAME: 'svc.olivia.example',
        ALT_NAMES: 'svc.olivia.example,127.0.0.9',
        ORG: 'Acme',
        COUNTRY: 'de',
        PASSWORD: 'olivia key pass',
        VALIDITY: '2',
        VALIDITY_TYPE: 'hours',
        ALG: 'EC',
        LEN: '384',
        SIGALG: 'SHA384',
        StoreType: 'JKS',
      }),
      'CreateCSR',
    );
    const id = created.details[0].CSR_ID;
    // Listed to its owner and super administrators only.
    const mine = ok(await pki(olivia, 'GET', 'getCSRList'), 'GetCSRList');
    expect(mine.details.map((d: any) => d.DOMAIN_NAME)).toEqual(['svc.olivia.example']);
    expect(mine.details[0]).toMatchObject({
      KEYALGORITHM: 'EC',
      KEY_STRENGTH: 384,
      SIGNATURE_ALGORITHM: 'SHA384withECDSA',
    });
    expect(ok(await pki(paul, 'GET', 'getCSRList'), 'GetCSRList').totalRows).toBe(0);
    const all = ok(await pki('admin', 'GET', 'getCSRList'), 'GetCSRList');
    expect(all.details.map((d: any) => d.DOMAIN_NAME).sort()).toEqual(['mytestcert', 'svc.olivia.example']);
    // Someone else's CSR answers like a missing one.
    failed(
      await pki(paul, 'POST', 'signCSR', { CSR_ID: String(id) }),
      new RegExp(`CSR ${id} does not exist`),
    );

    const signed = ok(await pki(olivia, 'POST', 'signCSR', { CSR_ID: String(id) }), 'SignCSR');
    expect(signed.result.message).toBe('Successfully svc.olivia.example certificate signed');
    const caPem = await downloadCa(olivia);
    const pem = await certificatePem(olivia, 'svc.olivia.example');
    expect(verifyWithCa(caPem, pem, 'signed').out).toMatch(/signed\.pem: OK/);
    const text = openssl('x509', '-noout', '-text', '-in', write('signed-text.pem', pem)).out;
    expect(text).toMatch(/DNS:svc\.olivia\.example, IP Address:127\.0\.0\.9/);
    expect(text).toMatch(/TLS Web Server Authentication/);
    const dates = openssl(
      'x509',
      '-noout',
      '-startdate',
      '-enddate',
      '-in',
      write('signed-dates.pem', pem),
    ).out;
    const start = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
    const end = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
    expect(end - start).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(end - start).toBeLessThanOrEqual(2 * 3_600_000 + 120_000);
    // The CSR's public key is the certificate's.
    const csrPem = mine.details[0].CSR;
    const pubOf = (args: string[]) => openssl(...args).out;
    expect(pubOf(['x509', '-noout', '-pubkey', '-in', write('s.pem', pem)])).toBe(
      pubOf(['req', '-noout', '-pubkey', '-in', write('s.csr', csrPem)]),
    );

    const listed = ok(await pki(olivia, 'GET', 'getAllSSLCertificates'), 'GetAllSSLCertificates');
    const row = listed.SSLCertificates.find((c: any) => c['Common Name'] === 'svc.olivia.example');
    expect(row).toMatchObject({
      Source: 'issued',
      AddedBy: 'olivia',
      Issuer: expect.stringMatching(/^Bulwark Internal CA /),
    });
    expect(
      ok(
        await pki(olivia, 'GET', 'getCertificatePassphrase', { common_name: 'svc.olivia.example' }),
        'GetCertificatePassphrase',
      ).result.message,
    ).toMatch(/ is olivia key pass$/);
    const after = ok(await pki(olivia, 'GET', 'getCSRList'), 'GetCSRList').details[0];
    expect(after).toMatchObject({ SIGNED: true, CERTIFICATE_ID: row.CertID });
    // The key moved to the certificate, still sealed.
    const stored = (await sql('select private_key_sealed from certificates where id = $1', [row.CertID]))[0]!;
    expect(Buffer.from(stored.private_key_sealed as Buffer).toString('latin1')).not.toMatch(/PRIVATE KEY/);

    // Signed once; nothing changes on a second try.
    const before = await counts();
    failed(await pki(olivia, 'POST', 'signCSR', { CSR_ID: String(id) }), /already signed/);
    failed(
      await pki('admin', 'POST', 'signCSR', {
        CSR_ID: '1',
        caName: 'pmp-w12r2-1-ca',
        serverName: 'pmp-w12r2-1',
      }),
      /Only the internal CA \(Bulwark Internal CA [0-9a-f]+\) signs here/,
    );
    expect(await counts()).toEqual(before);
  });

  it('createCertificate issues directly: RSA key, openssl verify OK, in the repository with its key', async () => {
    const answer = ok(
      await pki('admin', 'POST', 'createCertificate', {
        ...SAMPLE,
        CNAME: 'direct.example',
        LEN: '2048',
        SIGALG: 'SHA512',
      }),
      'CreateCertificate',
    );
    expect(answer.result.message).toBe('Certificate saved successfully');
    const pem = await certificatePem('admin', 'direct.example');
    const caPem = await downloadCa();
    expect(verifyWithCa(caPem, pem, 'direct').out).toMatch(/direct\.pem: OK/);
    const text = openssl('x509', '-noout', '-text', '-in', write('direct-text.pem', pem)).out;
    expect(text).toMatch(/Public-Key: \(2048 bit\)/);
    expect(text).toMatch(/DNS:test/);
    const det = ok(
      await pki('admin', 'GET', 'getCertificateDetails', { common_name: 'direct.example' }),
      'GetCertificateDetails',
    );
    const issued = pypmpCertificateDetails(det) as any;
    expect(issued).toMatchObject({ source: 'issued' });
    expect(issued.endpoint.PrivateKey).toBe(true);
    expect(
      ok(
        await pki('admin', 'GET', 'getCertificatePassphrase', { common_name: 'direct.example' }),
        'GetCertificatePassphrase',
      ).result.message,
    ).toMatch(/ is zohocorp$/);
  });

  it('bad input answers Failed saying why, and nothing changes', async () => {
    const before = await counts();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['createCSR', { ...SAMPLE, LEN: '1024' }, /LEN 1024 is not supported for RSA keys: 2048 or 4096/],
      ['createCSR', { ...SAMPLE, ALG: 'DSA' }, /ALG must be one of RSA, EC/],
      ['createCSR', { ...SAMPLE, ALG: 'EC', LEN: '521' }, /LEN 521 is not supported for EC keys/],
      ['createCSR', { ...SAMPLE, SIGALG: 'SHA1' }, /SIGALG SHA1 is refused: SHA-1 signatures are broken/],
      ['createCertificate', { ...SAMPLE, SIGALG: 'MD5withRSA' }, /MD5 signatures are broken/],
      ['createCSR', { ...SAMPLE, COUNTRY: 'India' }, /country must be a two-letter code/],
      ['createCSR', { ...SAMPLE, CNAME: '' }, /CNAME/],
      ['createCSR', { ...SAMPLE, VALIDITY: '0' }, /VALIDITY 0 days is out of range/],
      ['createCertificate', { ...SAMPLE, VALIDITY: '4000' }, /VALIDITY 4000 days is out of range/],
      [
        'createCSR',
        { ...SAMPLE, VALIDITY_TYPE: 'weeks' },
        /VALIDITY_TYPE must be one of days, hours, minutes/,
      ],
      ['createCSR', { ...SAMPLE, ALT_NAMES: 'bad_name!' }, /'bad_name!' is not a DNS name/],
      [
        'createCertificate',
        { ...SAMPLE, ALT_NAMES: 'ok.example,::ffff:127.0.0.1' },
        /'::ffff:127\.0\.0\.1': write an IPv6 address in hex groups only/,
      ],
      ['createCSR', { ...SAMPLE, StoreType: 'PEM' }, /StoreType must be one of PKCS12, JKS/],
      ['signCSR', { CSR_ID: '99999' }, /CSR 99999 does not exist/],
      ['signCSR', { CSR_ID: 'abc' }, /CSR_ID must be/],
      ['signCSR', {}, /CSR_ID/],
    ];
    for (const [endpoint, input, message] of cases) {
      failed(await pki('admin', 'POST', endpoint, input), message);
    }
    expect(await counts()).toEqual(before);
  });

  it('a stored CSR whose signature no longer verifies is refused by signCSR; nothing changes', async () => {
    const id = ok(
      await pki(olivia, 'POST', 'createCSR', { CNAME: 'tampered.example', ALG: 'EC', LEN: '256' }),
      'CreateCSR',
    ).details[0].CSR_ID;
    const pem = String(
      (await sql('select csr_pem from certificate_requests where id = $1', [id]))[0]!.csr_pem,
    );
    // Change one byte of the subject: the self-signature no longer covers what is there.
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('tampered.example'));
    der[at] = 'T'.charCodeAt(0);
    const altered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(openssl('req', '-verify', '-noout', '-in', write('tampered.csr', altered)).out).toMatch(
      /verify failure/,
    );
    await sql('update certificate_requests set csr_pem = $1 where id = $2', [altered, id]);
    const before = await counts();
    failed(await pki(olivia, 'POST', 'signCSR', { CSR_ID: String(id) }), /signature does not verify/);
    expect(await counts()).toEqual(before);
  });

  it('every creation and signing is audited; no secret in the audit text', async () => {
    const rows = await sql(
      `select operation, resource_name, reason, operator_name from audit_records where operation in
        ('Certificate Request Created', 'Certificate Request Signed', 'Certificate Issued', 'Internal CA Created') order by seq`,
    );
    const ops = rows.map((r) => r.operation);
    expect(ops.filter((o) => o === 'Internal CA Created')).toHaveLength(1);
    expect(ops.filter((o) => o === 'Certificate Request Created')).toHaveLength(3);
    expect(ops.filter((o) => o === 'Certificate Request Signed')).toHaveLength(1);
    // race-a/b/c, the signed CSR's certificate and direct.example.
    expect(ops.filter((o) => o === 'Certificate Issued')).toHaveLength(5);
    expect(rows.find((r) => r.operation === 'Certificate Request Signed')).toMatchObject({
      operator_name: 'olivia',
      resource_name: expect.stringMatching(/svc\.olivia\.example/),
    });
    expect(JSON.stringify(rows)).not.toMatch(/zohocorp"|olivia key pass|PRIVATE KEY/);
  });

  it('a stored CSR that is garbage, or validly self-signed with an unreadable SAN, answers signCSR Failed (never 5xx); nothing changes', async () => {
    const id = ok(
      await pki(olivia, 'POST', 'createCSR', { CNAME: 'garbage.example', ALG: 'EC', LEN: '256' }),
      'CreateCSR',
    ).details[0].CSR_ID;
    const badSan = path.join(dir, 'bad-san.csr');
    const made = openssl(
      ...['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', path.join(dir, 'bad-san.key'), '-out', badSan, '-subj', '/CN=garbage.example'],
      // The SAN extension's value is not a GeneralNames SEQUENCE; openssl signs it as given.
      ...['-addext', '2.5.29.17=DER:01:02:03'],
    );
    expect(made.code, made.out).toBe(0);
    const garbage = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02]).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const cases: [string, RegExp][] = [
      [
        readFileSync(badSan, 'utf8'),
        /subject or extension \(subject alternative names\) that is not readable/,
      ],
      [garbage, /not a readable PKCS#10 structure/],
    ];
    for (const [pem, message] of cases) {
      await sql('update certificate_requests set csr_pem = $1 where id = $2', [pem, id]);
      const before = await counts();
      // pki() expects HTTP 200: an unexpected parser error would answer 500.
      failed(await pki(olivia, 'POST', 'signCSR', { CSR_ID: String(id) }), message);
      expect(await counts()).toEqual(before);
    }
  });

  it('applications (A2A) are refused every CSR and CA route, which declares no A2A operation', async () => {
    const routes = registeredRoutes().filter(
      (r) => ROUTES.some(([m, e]) => r.method === m && r.url === `${PKI}/${e}`) || r.url === CA_URL,
    );
    expect(routes).toHaveLength(ROUTES.length + 1);
    for (const route of routes) expect(route.a2a, route.url).toBe('');
    const app = `CsrApp${dialect}`;
    const a2a = (...args: string[]) =>
      server.instance.cli('a2a', ...args, '--data-dir', server.instance.dataDir);
    const registered = await a2a(
      ...['register', '--name', app, '--host', '127.0.0.1', '--resource-type', 'Linux'],
      ...['--operations', 'RETRIEVE,RESET_LOCAL,RESET_REMOTE,CREATE', '--inherit-user', 'admin'],
    );
    expect(registered.code, registered.stderr).toBe(0);
    const certDir = path.join(dir, app);
    mkdirSync(certDir);
    expect((await a2a('create-cert', '--name', app, '--out', certDir)).code).toBe(0);
    const clientCert = {
      cert: readFileSync(path.join(certDir, `${app}.crt`), 'utf8'),
      key: readFileSync(path.join(certDir, `${app}.key`), 'utf8'),
    };
    const before = await counts();
    const asApp = pmpClient(server.baseUrl, '');
    for (const [method, url] of [
      ...ROUTES.map(([m, e]) => [m, `${PKI}/${e}`] as const),
      ['GET', CA_URL] as const,
    ]) {
      const answer = await asApp(url, {
        method,
        token: null,
        clientCert,
        input: details({ ...SAMPLE, CSR_ID: '1' }),
      });
      expect(answer.http.text, `${method} ${url}`).not.toMatch(/BEGIN CERTIFICATE/);
      const raw = JSON.parse(answer.http.text);
      const result = raw.result ?? raw.operation?.result;
      expect(result?.status, `${method} ${url}: ${answer.http.text}`).toBe('Failed');
      expect(result.message).toMatch(new RegExp(`The application ${app} is not allowed`));
    }
    expect(await counts()).toEqual(before);
  });

  it('bulwark certs ca prints the same CA certificate; certs csr and sign work as 42 and 44', async () => {
    const cli = (...args: string[]) =>
      server.instance.cli('certs', ...args, '--data-dir', server.instance.dataDir);
    const ca = await cli('ca');
    expect(ca.code, ca.stderr).toBe(0);
    expect(ca.stdout).toBe(await downloadCa());

    const csr = await cli(
      ...['csr', '--common-name', 'cli.example', '--alt-names', 'cli.example,10.0.0.7'],
      ...['--key', 'EC-P384', '--days', '10', '--owner', 'olivia', '--json'],
    );
    expect(csr.code, csr.stderr).toBe(0);
    const created = JSON.parse(csr.stdout);
    expect(created).toMatchObject({ commonName: 'cli.example', keyAlgorithm: 'EC', keyBits: 384 });
    expect(openssl('req', '-verify', '-noout', '-in', write('cli.csr', created.csr)).out).toMatch(
      /self-signature verify OK/,
    );
    const listed = ok(await pki(olivia, 'GET', 'getCSRList', { common_name: 'cli.example' }), 'GetCSRList');
    expect(listed.details).toHaveLength(1);

    const signed = await cli('sign', '--id', String(created.id), '--owner', 'olivia', '--json');
    expect(signed.code, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout).request.certificateId).toBeGreaterThan(0);
    const pem = await certificatePem(olivia, 'cli.example');
    expect(verifyWithCa(ca.stdout, pem, 'cli').out).toMatch(/cli\.pem: OK/);
    const again = await cli('sign', '--id', String(created.id), '--owner', 'olivia');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already signed/);
    const audits = await sql(
      `select operation, operator_name from audit_records where resource_name like $1 order by seq`,
      ['%cli.example%'],
    );
    expect(audits.map((a) => a.operation)).toEqual([
      'Certificate Request Created',
      'Certificate Issued',
      'Certificate Request Signed',
    ]);
  });
});
