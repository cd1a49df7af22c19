/**
 * The certificate repository over the real HTTPS API on both dialects (issue 14, ADR 036): add
 * (38) PEM, DER, text and chains made by the real openssl, with an encrypted private key; list
 * (33) with the reference's filters; expiry list (34); details keyed by id (35); the file (32);
 * the passphrase through the release gate (37), audited; delete (39); owner visibility; bad
 * input answered Failed; applications refused every certificate route.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as der from '../../src/modules/certificates/crypto/der.js';
import { registeredRoutes } from '../../src/tools/docs.js';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, rawRequest, type RawResponse } from '../helpers/client.js';
import { pypmpCertificateDetails } from '../helpers/certificate-pki.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { CLI, dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import { registerA2aApplication } from '../helpers/a2a-app.js';

const PKI = '/api/pki/restapi';
/** The routes of this increment (ADR 036); discovery and the CA have their own tests. */
const ROUTES = [
  ['POST', 'addCertificate', 'AddCertificate'],
  ['GET', 'getAllSSLCertificates', 'GetAllSSLCertificates'],
  ['GET', 'getAllSSLCertsExpiryDate', 'GetAllSSLCertificatesExpiryDate'],
  ['GET', 'getCertificateDetails', 'GetCertificateDetails'],
  ['GET', 'getCertificate', 'GetCertificate'],
  ['POST', 'getCertificate', 'GetCertificate'],
  ['GET', 'getCertificatePassphrase', 'GetCertificatePassphrase'],
  ['DELETE', 'deleteCertificate', 'DeleteCertificate'],
] as const;

interface Pki {
  readonly http: RawResponse;
  readonly raw: any;
}

function pkiOf(http: RawResponse): Pki {
  expect(http.status, http.text).toBe(200);
  const raw = JSON.parse(http.text);
  expect(raw.operation, http.text).toBeUndefined();
  return { http, raw };
}
const ok = (a: Pki, name: string) => {
  expect(a.raw.result?.status, a.http.text).toBe('Success');
  expect(a.raw.name).toBe(name);
  return a.raw;
};
const failed = (a: Pki, message: RegExp) => {
  expect(a.raw.result?.status, a.http.text).toBe('Failed');
  expect(a.raw.result?.message).toMatch(message);
  return a.raw;
};

function multipart(parts: readonly { name: string; value: string | Buffer; fileName?: string }[]) {
  const boundary = `----Certs${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.fileName !== undefined)
      head += `; filename="${part.fileName}"\r\nContent-Type: application/octet-stream`;
    chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

const derOfPem = (pem: string) =>
  Buffer.from(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem)![1]!, 'base64');

describe.each(dialects())('certificate repository on %s', (dialect) => {
  let server: RunningServer;
  let o: OpensslCerts;
  const certs: Record<string, string> = {};
  const keys: Record<string, string> = {};
  let olivia: Actor;
  let paul: Actor;
  const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);

  const tokenOf = (who: Actor | 'admin') => (who === 'admin' ? server.token : who.token);
  async function call(
    who: Actor | 'admin',
    method: string,
    endpoint: string,
    input?: Record<string, unknown>,
  ) {
    const query =
      input === undefined ? '' : `?INPUT_DATA=${encodeURIComponent(JSON.stringify(details(input)))}`;
    return rawRequest(server.baseUrl, {
      method,
      path: `${PKI}/${endpoint}${query}`,
      headers: { AUTHTOKEN: tokenOf(who) },
    });
  }
  const pki = async (
    who: Actor | 'admin',
    method: string,
    endpoint: string,
    input?: Record<string, unknown>,
  ) => pkiOf(await call(who, method, endpoint, input));

  async function add(
    who: Actor | 'admin',
    fields: Record<string, unknown>,
    files: { name: string; value: Buffer | string }[],
  ): Promise<Pki> {
    const form = multipart([
      { name: 'INPUT_DATA', value: JSON.stringify(details(fields)) },
      ...files.map((f) => ({ ...f, fileName: `${f.name}.bin` })),
    ]);
    return pkiOf(
      await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${PKI}/addCertificate`,
        headers: { AUTHTOKEN: tokenOf(who), 'Content-Type': form.contentType },
        body: form.body,
      }),
    );
  }
  const list = async (who: Actor | 'admin', filters?: Record<string, unknown>) =>
    ok(await pki(who, 'GET', 'getAllSSLCertificates', filters), 'GetAllSSLCertificates');
  const names = async (who: Actor | 'admin', filters?: Record<string, unknown>) =>
    ((await list(who, filters)).SSLCertificates as { 'Common Name': string }[])
      .map((c) => c['Common Name'])
      .sort();

  beforeAll(async () => {
    o = opensslCerts();
    keys.root = o.key('root', 'ec:P-384');
    certs.root = o.cert('root', { key: keys.root, subject: '/O=Bulwark Test/CN=Test Root', ca: true });
    keys.inter = o.key('inter', 'rsa:2048');
    certs.inter = o.cert('inter', {
      key: keys.inter,
      subject: '/O=Bulwark Test/OU=PKI/CN=Test Intermediate',
      issuer: { cert: certs.root, key: keys.root },
      ca: true,
    });
    keys.leaf = o.key('leaf', 'rsa:2048', 'leaf pass phrase');
    certs.leaf = o.cert('leaf', {
      key: keys.leaf,
      subject: '/O=Acme/CN=www.example.com',
      issuer: { cert: certs.inter, key: keys.inter },
      san: 'DNS:www.example.com,DNS:example.com,IP:127.0.0.1',
      days: 5,
    });
    certs.rsa1024 = o.cert('rsa1024', { key: o.key('r1', 'rsa:1024'), subject: '/CN=weak.example' });
    certs.sha1 = o.cert('sha1', {
      key: o.key('s1', 'rsa:2048'),
      subject: '/CN=sha1.example',
      digest: 'sha1',
    });
    certs.ec = o.cert('ec', { key: o.key('ec', 'ec:P-256'), subject: '/CN=ec.example', days: 400 });
    certs.expired = o.cert('expired', {
      key: o.key('ex', 'rsa:2048'),
      subject: '/CN=expired.example',
      start: '20200101000000Z',
      end: '20200201120000Z',
    });
    certs.twinA = o.cert('twinA', { key: o.key('ta', 'ec:P-256'), subject: '/CN=twin.example' });
    certs.twinB = o.cert('twinB', { key: o.key('tb', 'ec:P-256'), subject: '/CN=twin.example' });
    server = await startServer(dialect);
    olivia = await createApiUser(server, 'olivia', 'Password Administrator');
    paul = await createApiUser(server, 'paul', 'Password User');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    o?.cleanup();
  });

  it("adds a chain (PEM File) with the leaf's encrypted private key; fields as openssl prints them; chain linked", async () => {
    const chain = Buffer.concat([certs.leaf, certs.inter, certs.root].map((f) => o.file(f!)));
    const answer = ok(
      await add('admin', { fileType: 'CERTFILE', passphrase: 'leaf pass phrase' }, [
        { name: 'File', value: chain },
        { name: 'privateKey', value: o.file(keys.leaf!) },
      ]),
      'AddCertificate',
    );
    expect(answer.result.message).toBe('Certificate www.example.com added successfully');
    expect(answer.details.map((d: any) => d['Common Name'])).toEqual([
      'www.example.com',
      'Test Intermediate',
      'Test Root',
    ]);
    const leaf = answer.details[0];
    const serial = o.x509(certs.leaf!, '-noout', '-serial').trim().replace('serial=', '');
    expect(leaf).toMatchObject({
      KeyStrength: '2048',
      SignatureAlgorithm: 'SHA256withRSA',
      serialNumber: serial,
      Issuer: 'Test Intermediate',
      SHA256Fingerprint: o.x509(certs.leaf!, '-noout', '-fingerprint', '-sha256').trim().split('=')[1],
    });

    const det = ok(
      await pki('admin', 'GET', 'getCertificateDetails', { common_name: 'www.example.com' }),
      'GetCertificateDetails',
    );
    const id = String(leaf.CertID);
    // compat.md: keyed by certificate id at the top level, nothing else beside name and result,
    // so pypmp's get_certificate_details (every other top-level key) gets the certificate itself.
    expect(Object.keys(det).sort()).toEqual([id, 'name', 'result']);
    expect(pypmpCertificateDetails(det)).toEqual(det[id]);
    expect(det[id].endpoint).toMatchObject({
      certSignAlg: 'SHA256withRSA',
      keyalg: 'RSA',
      PublicKeyLength: 2048,
      PrivateKey: true,
      Sans: 'www.example.com,example.com,127.0.0.1',
      fingerPrint: o
        .x509(certs.leaf!, '-noout', '-fingerprint', '-sha1')
        .trim()
        .split('=')[1]!
        .replace(/:/g, '')
        .toLowerCase(),
    });
    expect(det[id].issuer).toEqual({ cname: 'Test Intermediate', org: 'Bulwark Test', orgunit: 'PKI' });
    expect(det[id].subject).toBe(
      o
        .x509(certs.leaf!, '-noout', '-subject')
        .trim()
        .replace(/^subject=/, ''),
    );
    expect(det[id].intermediate).toEqual({ CertificateId: String(answer.details[1].CertID) });

    // Stored: DER and fields; the key sealed (no PEM text in the row), the passphrase too.
    const [row] = await sql('select * from certificates where id = $1', [Number(id)]);
    expect(Buffer.from(row!.der as Buffer)).toEqual(derOfPem(o.file(certs.leaf!).toString()));
    expect(row!.source).toBe('added');
    expect(Buffer.from(row!.private_key_sealed as Buffer).includes('BEGIN')).toBe(false);
    expect(Buffer.from(row!.passphrase_sealed as Buffer).includes('leaf pass phrase')).toBe(false);
    const [root] = await sql(
      'select issuer_id, self_signed, is_ca from certificates where common_name = $1',
      ['Test Root'],
    );
    expect(root).toMatchObject({ issuer_id: null });
    expect(Number(root!.self_signed)).toBe(1);
  });

  it('adds DER as a File, PEM as the certificate text field; a duplicate is refused', async () => {
    const derFile = path.join(o.dir, 'rsa1024.der');
    o.x509(certs.rsa1024!, '-outform', 'DER', '-out', derFile);
    ok(await add('admin', {}, [{ name: 'File', value: readFileSync(derFile) }]), 'AddCertificate');
    const text = pkiOf(
      await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${PKI}/addCertificate`,
        headers: { AUTHTOKEN: server.token, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ certificate: o.file(certs.sha1!).toString() })))}`,
      }),
    );
    ok(text, 'AddCertificate');
    failed(
      await add('admin', {}, [{ name: 'File', value: o.file(certs.rsa1024!) }]),
      /already in the repository/,
    );
    for (const c of ['ec', 'expired', 'twinA', 'twinB']) {
      ok(await add('admin', {}, [{ name: 'File', value: o.file(certs[c]!) }]), 'AddCertificate');
    }
  });

  it('bad input answers Failed saying why', async () => {
    failed(
      await add('admin', {}, [{ name: 'File', value: Buffer.from('not a certificate at all') }]),
      /neither a PEM certificate/,
    );
    failed(
      await add('admin', {}, [{ name: 'File', value: Buffer.from([0x30, 0x82, 0x01, 0x00, 0x01]) }]),
      /not a valid X\.509/,
    );
    failed(await add('admin', {}, []), /File/);
    failed(
      await add('admin', {}, [{ name: 'File', value: Buffer.concat(Array(21).fill(o.file(certs.leaf!))) }]),
      /holds 21 certificates: at most 20/,
    );
    const leafOnly = o.file(certs.leaf!);
    // The leaf is already stored, so check key problems on a fresh certificate.
    const fresh = o.cert('fresh', { key: o.key('fresh', 'rsa:2048', 'right'), subject: '/CN=fresh.example' });
    failed(
      await add('admin', { passphrase: 'wrong' }, [
        { name: 'File', value: o.file(fresh) },
        { name: 'privateKey', value: o.file(path.join(o.dir, 'fresh.key')) },
      ]),
      /wrong passphrase/,
    );
    failed(
      await add('admin', {}, [
        { name: 'File', value: o.file(fresh) },
        { name: 'privateKey', value: o.file(path.join(o.dir, 'fresh.key')) },
      ]),
      /encrypted: give its passphrase/,
    );
    failed(
      await add('admin', {}, [
        { name: 'File', value: o.file(fresh) },
        { name: 'privateKey', value: o.file(keys.inter!) },
      ]),
      /does not belong to certificate fresh\.example/,
    );
    // A key naming its own PBKDF2 iteration count: 2^31-1 would hold the event loop for minutes.
    const hostileKey = der.seq(
      der.algorithm(
        '1.2.840.113549.1.5.13',
        der.seq(
          der.algorithm(
            '1.2.840.113549.1.5.12',
            der.seq(der.octets(randomBytes(8)), der.integer(2 ** 31 - 1)),
          ),
          der.seq(der.oid('2.16.840.1.101.3.4.1.42'), der.octets(randomBytes(16))),
        ),
      ),
      der.octets(randomBytes(1232)),
    );
    const started = Date.now();
    failed(
      await add('admin', { passphrase: 'right' }, [
        { name: 'File', value: o.file(fresh) },
        {
          name: 'privateKey',
          value: `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${hostileKey.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`,
        },
      ]),
      /iteration count 2147483647 is above/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    failed(
      await add('admin', { fileType: 'KEYSTORE', PASSWORD: 'x' }, [{ name: 'File', value: leafOnly }]),
      /KEYSTORE/,
    );
    failed(await add('admin', { fileType: 'PFX' }, [{ name: 'File', value: leafOnly }]), /fileType/);
    failed(await pki('admin', 'GET', 'getAllSSLCertificates', { withKeyLength: 'big' }), /withKeyLength/);
    failed(await pki('admin', 'GET', 'getCertificateDetails', {}), /common_name/);
    failed(
      await pki('admin', 'GET', 'getCertificateDetails', { common_name: 'x', serial_number: 'zz' }),
      /hexadecimal/,
    );
    const [count] = await sql('select count(*) as n from certificates where common_name = $1', [
      'fresh.example',
    ]);
    expect(Number(count!.n)).toBe(0);
  });

  it("lists with the reference's filters; the expiry list by days", async () => {
    const all = await list('admin');
    expect(all.details).toEqual(all.SSLCertificates);
    expect(all.totalRows).toBe(all.details.length);
    expect(await names('admin')).toEqual(
      [
        'Test Intermediate',
        'Test Root',
        'ec.example',
        'expired.example',
        'sha1.example',
        'twin.example',
        'twin.example',
        'weak.example',
        'www.example.com',
      ].sort(),
    );
    expect(await names('admin', { withKeyLength: '1024' })).toEqual(['weak.example']);
    expect(await names('admin', { withSignatureAlgorithm: 'SHA1' })).toEqual(['sha1.example']);
    expect(await names('admin', { withExpiryDaysLessThan: '10' })).toEqual([
      'expired.example',
      'www.example.com',
    ]);
    expect(await names('admin', { withExpiryDaysLessThan: '10', withKeyLength: '2048' })).toEqual([
      'expired.example',
      'www.example.com',
    ]);
    const expiry = ok(
      await pki('admin', 'GET', 'getAllSSLCertsExpiryDate', { days: '10' }),
      'GetAllSSLCertificatesExpiryDate',
    );
    expect(expiry.result.message).toBe('Certificates expiry date fetched successfully');
    expect(expiry.details.map((d: any) => d['Common Name'])).toEqual(['expired.example', 'www.example.com']);
    expect(expiry.details[0].ExpiryDate).toBe('Feb 1, 2020');
    const everything = ok(
      await pki('admin', 'GET', 'getAllSSLCertsExpiryDate'),
      'GetAllSSLCertificatesExpiryDate',
    );
    expect(everything.totalRows).toBe(all.totalRows);
  });

  it('fetches the certificate file; two with one common name need serial_number', async () => {
    const http = await call('admin', 'GET', 'getCertificate', { common_name: 'WWW.example.com' });
    expect(http.status).toBe(200);
    expect(derOfPem(http.text)).toEqual(derOfPem(o.file(certs.leaf!).toString()));
    failed(
      await pki('admin', 'GET', 'getCertificate', { common_name: 'twin.example' }),
      /2 certificates are named twin\.example: give serial_number/,
    );
    const serialB = o.x509(certs.twinB!, '-noout', '-serial').trim().replace('serial=', '');
    const twin = await call('admin', 'POST', 'getCertificate', {
      common_name: 'twin.example',
      serial_number: serialB.toLowerCase(),
    });
    expect(derOfPem(twin.text)).toEqual(derOfPem(o.file(certs.twinB!).toString()));
    failed(await pki('admin', 'GET', 'getCertificate', { common_name: 'nothing.example' }), /does not exist/);
  });

  it('releases the passphrase through the gate, in result.message, audited', async () => {
    const answer = ok(
      await pki('admin', 'GET', 'getCertificatePassphrase', { common_name: 'www.example.com' }),
      'GetCertificatePassphrase',
    );
    expect(answer.result.message).toBe(
      'Private key passphrase of certificate www.example.com is leaf pass phrase',
    );
    const audited = await sql(
      'select operation, resource_name, reason from audit_records where operation = $1',
      ['Certificate Passphrase Retrieved'],
    );
    expect(audited).toHaveLength(1);
    expect(String(audited[0]!.resource_name)).toMatch(/^Certificate www\.example\.com \(serial [0-9A-F]+\)$/);
    expect(JSON.stringify(await sql('select * from audit_records'))).not.toContain('leaf pass phrase');
    failed(
      await pki('admin', 'GET', 'getCertificatePassphrase', { common_name: 'ec.example' }),
      /no private key passphrase stored/,
    );
  });

  it('owners see their own; super admins see all; others are answered as if missing', async () => {
    const own = o.cert('pauls', {
      key: o.key('pauls', 'ec:P-256', 'pauls secret'),
      subject: '/CN=pauls.example',
    });
    ok(
      await add(paul, { passphrase: 'pauls secret' }, [
        { name: 'File', value: o.file(own) },
        { name: 'privateKey', value: o.file(path.join(o.dir, 'pauls.key')) },
      ]),
      'AddCertificate',
    );
    expect(await names(paul)).toEqual(['pauls.example']);
    expect(await names(olivia)).toEqual([]);
    expect(await names('admin')).toContain('pauls.example');
    expect(
      ok(
        await pki(paul, 'GET', 'getCertificatePassphrase', { common_name: 'pauls.example' }),
        'GetCertificatePassphrase',
      ).result.message,
    ).toBe('Private key passphrase of certificate pauls.example is pauls secret');
    failed(
      await pki(olivia, 'GET', 'getCertificatePassphrase', { common_name: 'pauls.example' }),
      /does not exist/,
    );
    failed(
      await pki(olivia, 'GET', 'getCertificateDetails', { common_name: 'pauls.example' }),
      /does not exist/,
    );
    failed(
      await pki(olivia, 'DELETE', 'deleteCertificate', { common_name: 'pauls.example' }),
      /does not exist/,
    );
    failed(await pki(paul, 'GET', 'getCertificate', { common_name: 'www.example.com' }), /does not exist/);
    const [row] = await sql('select added_by from certificates where common_name = $1', ['pauls.example']);
    expect(row!.added_by).toBe('paul');
  });

  it('deletes: gone from the list, audited; a deleted issuer unlinks what it issued', async () => {
    const deleted = ok(
      await pki('admin', 'DELETE', 'deleteCertificate', { common_name: 'Test Intermediate' }),
      'DeleteCertificate',
    );
    expect(deleted.result.message).toBe('Certificate Test Intermediate deleted successfully.');
    expect(await names('admin')).not.toContain('Test Intermediate');
    const [leaf] = await sql('select issuer_id from certificates where common_name = $1', [
      'www.example.com',
    ]);
    expect(leaf!.issuer_id).toBeNull();
    const audited = await sql('select resource_name from audit_records where operation = $1', [
      'Certificate Deleted',
    ]);
    expect(audited.map((r) => r.resource_name)).toEqual([
      expect.stringMatching(/^Certificate Test Intermediate/),
    ]);
    ok(await pki(paul, 'DELETE', 'deleteCertificate', { common_name: 'pauls.example' }), 'DeleteCertificate');
    expect(await names(paul)).toEqual([]);
  });

  it('bulwark certs: the operator adds (key passphrase on stdin), lists and deletes', async () => {
    const bulwark = (args: string[], input = '') => {
      const run = spawnSync(
        process.execPath,
        [CLI, 'certs', ...args, '--data-dir', server.instance.dataDir],
        {
          env: server.instance.env,
          input,
          encoding: 'utf8',
        },
      );
      return { code: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    const key = o.key('cli', 'ec:P-256', 'cli pass');
    const cert = o.cert('cli', { key, subject: '/CN=cli.example', days: 3 });
    const added = bulwark(
      ['add', '--file', cert, '--key', key, '--owner', 'paul', '--passphrase-stdin', '--json'],
      'cli pass\n',
    );
    expect(added.code, added.stderr).toBe(0);
    const [json] = JSON.parse(added.stdout);
    expect(json).toMatchObject({
      commonName: 'cli.example',
      keyAlgorithm: 'EC',
      keyBits: 256,
      curve: 'prime256v1',
      signatureAlgorithm: 'ecdsa-with-SHA256',
      privateKey: true,
      source: 'added',
      addedBy: 'paul',
    });
    expect(await names(paul)).toEqual(['cli.example']);
    expect(
      ok(
        await pki(paul, 'GET', 'getCertificatePassphrase', { common_name: 'cli.example' }),
        'GetCertificatePassphrase',
      ).result.message,
    ).toBe('Private key passphrase of certificate cli.example is cli pass');
    const again = bulwark(['add', '--file', cert, '--owner', 'paul']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already in the repository/);
    const garbage = bulwark(['add', '--file', key, '--owner', 'paul']);
    expect(garbage.code).not.toBe(0);
    expect(garbage.stderr).toMatch(/neither a PEM certificate/);
    const listed = bulwark(['list', '--expiring-within', '4']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^cli\.example\t/m);
    expect(listed.stdout).not.toMatch(/ec\.example/);
    const deleted = bulwark(['delete', '--common-name', 'cli.example']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/^Certificate deleted: cli\.example/);
    expect(await names(paul)).toEqual([]);
    const audits = await sql(
      'select operator_name, operation from audit_records where resource_name like $1',
      ['Certificate cli.example%'],
    );
    expect(audits.map((a) => a.operation)).toEqual([
      'Certificate Added',
      'Certificate Passphrase Retrieved',
      'Certificate Deleted',
    ]);
  });

  it('applications (A2A) are refused every certificate route, which declares no A2A operation', async () => {
    const routes = registeredRoutes().filter((r) =>
      ROUTES.some(([method, endpoint]) => r.method === method && r.url === `${PKI}/${endpoint}`),
    );
    expect(routes).toHaveLength(ROUTES.length);
    for (const route of routes) expect(route.a2a, route.url).toBe('');

    const app = `CertsApp${dialect}`;
    const clientCert = await registerA2aApplication(server.instance, app, o.dir);
    const before = await sql('select id, sha256 from certificates order by id');
    const asApp = pmpClient(server.baseUrl, '');
    for (const [method, endpoint] of ROUTES) {
      const answer = await asApp(`${PKI}/${endpoint}`, {
        method,
        token: null,
        clientCert,
        input: details({ common_name: 'www.example.com', certificate: o.file(certs.ec!).toString() }),
      });
      const raw = JSON.parse(answer.http.text);
      expect(raw.result?.status, `${method} ${endpoint}: ${answer.http.text}`).toBe('Failed');
      expect(raw.result.message).toMatch(new RegExp(`The application ${app} is not allowed`));
      expect(answer.http.text).not.toContain('leaf pass phrase');
    }
    expect(await sql('select id, sha256 from certificates order by id')).toEqual(before);
  });
});
