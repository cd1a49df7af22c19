/**
 * The console's certificates (issue 15 over issue 14's repository, ADR 036–042) through the
 * native API on both dialects: certificates made by the real openssl added as PEM, DER and
 * PKCS#12, listed, searched and filtered by expiry, described as the PKI API describes them,
 * downloaded byte for byte, deleted; hidden from a user they are not shared with; bad input
 * refused with its field; a CSR made and signed by the internal CA and a certificate issued
 * directly, both verified by `openssl verify -CAfile`; a range discovery against real TLS
 * listeners on 127.0.0.9x run as a job whose progress the console reads until it is done.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkiCaller } from '../helpers/certificate-pki.js';
import { rawRequest } from '../helpers/client.js';
import { SESSION_COOKIE, signIn, type ConsoleClient } from '../helpers/console-client.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import {
  certificateFactory,
  closedPort,
  tlsListener,
  type IssuedCert,
  type Listener,
} from '../helpers/tls-listeners.js';
import { until } from '../helpers/wait.js';

const DAY = 86_400_000;
const stamp = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

function opensslSha256(file: string): string {
  return execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], {
    encoding: 'utf8',
  })
    .trim()
    .split('=')[1]!;
}

/** A GET of the console answered with a file: its status, headers and text. */
async function download(server: RunningServer, client: ConsoleClient, url: string) {
  const http = await rawRequest(server.baseUrl, {
    method: 'GET',
    path: url,
    headers: { cookie: `${SESSION_COOKIE}=${client.cookie}` },
  });
  return { status: http.status, headers: http.headers, text: http.text };
}

describe('console certificates', () => {
  const factory = certificateFactory();
  const certs: Record<string, IssuedCert> = {};
  const listeners: Listener[] = [];
  let port = 0;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'bulwark-console-certs-'));
    const now = Date.now();
    certs.soon = factory.issue({
      name: 'soon',
      cn: 'soon.console.test',
      dns: ['soon.console.test', 'www.soon.console.test'],
      end: stamp(now + 20 * DAY + 3_600_000),
    });
    certs.later = factory.issue({ name: 'later', cn: 'later.console.test', key: 'ec256' });
    certs.p12 = factory.issue({ name: 'p12', cn: 'p12.console.test' });
    certs.root = factory.issue({ name: 'root', cn: 'Console Discovery Root', ca: true });
    certs.served1 = factory.issue({
      name: 'served1',
      cn: 'a.scan.console.test',
      issuer: 'root',
      dns: ['a.scan.console.test'],
    });
    certs.served2 = factory.issue({ name: 'served2', cn: 'b.scan.console.test', issuer: 'root' });
    // 127.0.0.90 and .91 serve TLS on one port; .92 refuses it.
    for (let attempt = 0; ; attempt++) {
      const opened: Listener[] = [];
      try {
        opened.push(await tlsListener('127.0.0.90', certs.served1, [certs.root]));
        port = opened[0]!.port;
        opened.push(await tlsListener('127.0.0.91', certs.served2, [], {}, port));
        listeners.push(...opened);
        break;
      } catch (err) {
        await Promise.all(opened.map((l) => l.close()));
        if (attempt >= 5) throw err;
      }
    }
    await closedPort('127.0.0.92');
  });

  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.close()));
    factory.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let boss: ConsoleClient;
    let ivan: ConsoleClient;
    const pki = pkiCaller(() => server);
    const ids = new Map<string, number>();

    beforeAll(async () => {
      server = await startServer(dialect, { BULWARK_CERT_DISCOVERY_MAX_HOSTS: '8' });
      const { credentials } = server.instance;
      boss = (await signIn(server.baseUrl, credentials.username, credentials.password)).client;
      const password = 'Wr1te-Only#Certs';
      expect(
        (await boss.post('/api/v1/users', { username: 'ivan', role: 'Password User', password })).status,
      ).toBe(201);
      ivan = (await signIn(server.baseUrl, 'ivan', password)).client;
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    it('adds certificates as PEM (with the key), DER and PKCS#12', async () => {
      const pem = await boss.post('/api/v1/certificates', {
        format: 'pem',
        certificate: certs.soon!.certPem,
        privateKey: certs.soon!.keyPem,
      });
      expect(pem.status, JSON.stringify(pem.json)).toBe(201);
      expect(pem.json.certificate).toMatchObject({
        commonName: 'soon.console.test',
        sha256: opensslSha256(certs.soon!.certFile),
        keyAlgorithm: 'RSA',
        keyBits: 2048,
        daysLeft: 20,
        hasPrivateKey: true,
        source: 'added',
        sans: { dns: ['soon.console.test', 'www.soon.console.test'], ip: [] },
      });
      ids.set('soon', pem.json.certificate.id);

      const der = await boss.post('/api/v1/certificates', {
        format: 'der',
        certificate: certs.later!.der.toString('base64'),
      });
      expect(der.status, JSON.stringify(der.json)).toBe(201);
      expect(der.json.certificate).toMatchObject({
        commonName: 'later.console.test',
        keyAlgorithm: 'EC',
        keyBits: 256,
      });
      ids.set('later', der.json.certificate.id);

      const p12File = path.join(work, `${dialect}.p12`);
      execFileSync('openssl', [
        'pkcs12',
        '-export',
        '-in',
        certs.p12!.certFile,
        '-inkey',
        certs.p12!.keyFile,
        '-passout',
        'pass:Keyst0re-pass',
        '-out',
        p12File,
      ]);
      const p12 = readFileSync(p12File).toString('base64');
      const wrong = await boss.post('/api/v1/certificates', {
        format: 'keystore',
        certificate: p12,
        password: 'nope',
      });
      expect(wrong.status).toBe(400);
      expect(wrong.json.error.field).toBe('password');
      const keystore = await boss.post('/api/v1/certificates', {
        format: 'keystore',
        certificate: p12,
        password: 'Keyst0re-pass',
      });
      expect(keystore.status, JSON.stringify(keystore.json)).toBe(201);
      expect(keystore.json.certificate).toMatchObject({
        commonName: 'p12.console.test',
        sha256: opensslSha256(certs.p12!.certFile),
        hasPrivateKey: true,
      });
      ids.set('p12', keystore.json.certificate.id);

      // The same certificate again is a conflict on the certificate field.
      const again = await boss.post('/api/v1/certificates', {
        format: 'pem',
        certificate: certs.soon!.certPem,
      });
      expect(again.status).toBe(409);
      expect(again.json.error.field).toBe('certificate');
    });

    it('refuses bad input with the field at fault', async () => {
      const cases: [unknown, string][] = [
        [{ format: 'pem', certificate: 'not a certificate' }, 'certificate'],
        [{ format: 'zip', certificate: 'x' }, 'format'],
        [{ format: 'pem' }, 'certificate'],
        [{ format: 'der', certificate: '***' }, 'certificate'],
        [{ format: 'pem', certificate: certs.p12!.certPem, privateKey: certs.soon!.keyPem }, 'privateKey'],
        [{ format: 'pem', certificate: certs.p12!.certPem, extra: 1 }, ''],
      ];
      for (const [body, field] of cases) {
        const answer = await boss.post('/api/v1/certificates', body);
        expect(answer.status, JSON.stringify(answer.json)).toBe(400);
        expect(answer.json.error.field ?? '').toBe(field);
      }
      expect((await boss.get('/api/v1/certificates?limit=0')).json.error.field).toBe('query.limit');
      expect((await boss.get('/api/v1/certificates?expiringWithinDays=soon')).json.error.field).toBe(
        'query.expiringWithinDays',
      );
      expect((await boss.get('/api/v1/certificates/abc')).status).toBe(400);
      // Nothing of the refused adds was stored.
      expect((await boss.get('/api/v1/certificates')).json.total).toBe(3);
    });

    it('lists, searches and filters by expiry on the server, paged', async () => {
      const all = (await boss.get('/api/v1/certificates')).json;
      expect(all.total).toBe(3);
      expect(all.items.map((c: { commonName: string }) => c.commonName)).toEqual([
        'later.console.test',
        'p12.console.test',
        'soon.console.test',
      ]);
      const soon = (await boss.get('/api/v1/certificates?expiringWithinDays=30')).json;
      expect(soon.items.map((c: { commonName: string }) => c.commonName)).toEqual(['soon.console.test']);
      expect(soon.items[0].daysLeft).toBe(20);
      const bySan = (await boss.get('/api/v1/certificates?search=WWW.soon')).json;
      expect(bySan.items.map((c: { id: number }) => c.id)).toEqual([ids.get('soon')]);
      const byFingerprint = (
        await boss.get(
          `/api/v1/certificates?search=${encodeURIComponent(opensslSha256(certs.later!.certFile).slice(0, 20))}`,
        )
      ).json;
      expect(byFingerprint.items.map((c: { id: number }) => c.id)).toEqual([ids.get('later')]);
      // A LIKE wildcard typed is text, not a pattern.
      expect((await boss.get('/api/v1/certificates?search=%25')).json.total).toBe(0);
      const second = (await boss.get('/api/v1/certificates?offset=1&limit=1')).json;
      expect(second).toMatchObject({
        total: 3,
        items: [expect.objectContaining({ commonName: 'p12.console.test' })],
      });
    });

    it('describes a certificate as the PKI API does, and downloads its PEM byte for byte', async () => {
      const id = ids.get('soon')!;
      const mine = await boss.get(`/api/v1/certificates/${id}`);
      expect(mine.status).toBe(200);
      const theirs = (
        await pki('admin', 'GET', 'getCertificateDetails', { common_name: 'soon.console.test' })
      ).raw[String(id)];
      expect(mine.json.sha256).toBe(theirs.endpoint.sha256FingerPrint);
      expect(mine.json.sha1.replace(/:/g, '').toLowerCase()).toBe(theirs.endpoint.fingerPrint);
      expect(mine.json.serial.toLowerCase()).toBe(theirs.endpoint.serial);
      expect(mine.json.keyBits).toBe(theirs.endpoint.PublicKeyLength);
      expect(mine.json.subject).toBe(theirs.subject);
      expect(mine.json.issuer).toBe(theirs.issuerDN);
      expect(mine.json.sans).toEqual(theirs.SubjectAlternativeNames);
      expect(mine.json.selfSigned).toBe(true);
      expect(mine.json.hasPrivateKey).toBe(theirs.endpoint.PrivateKey);
      expect(mine.json.pem.trim()).toBe(certs.soon!.certPem.trim());

      const file = await download(server, boss, `/api/v1/certificates/${id}/file`);
      expect(file.status).toBe(200);
      expect(file.headers['content-disposition']).toContain('soon.console.test.pem');
      expect(file.text.trim()).toBe(certs.soon!.certPem.trim());
    });

    it('exports a keystore with the private key through the release gate, audited', async () => {
      const id = ids.get('soon')!;
      const post = (who: ConsoleClient, body: unknown) =>
        rawRequest(server.baseUrl, {
          method: 'POST',
          path: `/api/v1/certificates/${id}/keystore`,
          headers: {
            'content-type': 'application/json',
            cookie: `${SESSION_COOKIE}=${who.cookie}`,
            'x-csrf-token': who.csrf!,
          },
          body: JSON.stringify(body),
        });
      // No stored passphrase to protect it with: a password is needed.
      const refused = await post(boss, { format: 'PKCS12' });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text).error.field).toBe('password');
      expect(JSON.parse((await post(boss, { format: 'ZIP', password: 'x' })).text).error.field).toBe(
        'format',
      );
      expect((await post(ivan, { format: 'PKCS12', password: 'Exp0rt-pass' })).status).toBe(404);

      const exported = await post(boss, { format: 'PKCS12', password: 'Exp0rt-pass' });
      expect(exported.status, exported.text).toBe(200);
      expect(exported.headers['content-disposition']).toContain('soon.console.test.p12');
      const file = path.join(work, `${dialect}-export.p12`);
      writeFileSync(file, exported.body);
      const key = execFileSync(
        'openssl',
        ['pkcs12', '-in', file, '-passin', 'pass:Exp0rt-pass', '-nocerts', '-nodes'],
        { encoding: 'utf8' },
      );
      const publicOf = (pem: string) =>
        execFileSync('openssl', ['pkey', '-pubout'], { input: pem, encoding: 'utf8' });
      expect(publicOf(key)).toBe(publicOf(certs.soon!.keyPem));
      const audit = (await boss.get('/api/v1/audit?operation=Certificate%20Private%20Key%20Exported')).json;
      expect(audit.total).toBe(1);
      expect(audit.items[0].client).toBe('Web Client');
    });

    it('shows nothing to a user the certificates are not shared with', async () => {
      const id = ids.get('soon')!;
      expect((await ivan.get('/api/v1/certificates')).json).toEqual({ items: [], total: 0 });
      expect((await ivan.get(`/api/v1/certificates/${id}`)).status).toBe(404);
      expect((await download(server, ivan, `/api/v1/certificates/${id}/file`)).status).toBe(404);
      expect((await ivan.call('DELETE', `/api/v1/certificates/${id}`)).status).toBe(404);
      expect((await boss.get(`/api/v1/certificates/${id}`)).status).toBe(200);
      // Signed out, nothing at all.
      const anonymous = await rawRequest(server.baseUrl, { method: 'GET', path: '/api/v1/certificates' });
      expect(anonymous.status).toBe(401);
    });

    it('deletes a certificate after which neither API knows it', async () => {
      const id = ids.get('later')!;
      const deleted = await boss.call('DELETE', `/api/v1/certificates/${id}`);
      expect(deleted.status).toBe(200);
      expect((await boss.get(`/api/v1/certificates/${id}`)).status).toBe(404);
      const listed = (await pki('admin', 'GET', 'getAllSSLCertificates')).raw.SSLCertificates as {
        'Common Name': string;
      }[];
      expect(listed.map((r) => r['Common Name']).sort()).toEqual(['p12.console.test', 'soon.console.test']);
    });

    it('creates a CSR, signs it with the internal CA, issues one directly; openssl verifies both', async () => {
      const bad: [Record<string, unknown>, string][] = [
        [{ commonName: '', validity: 30 }, 'commonName'],
        [{ commonName: 'x.test', validity: 0 }, 'validity'],
        [{ commonName: 'x.test', validity: 30, keyAlgorithm: 'DSA-1024' }, 'keyAlgorithm'],
        [{ commonName: 'x.test', validity: 30, altNames: 'bad name!' }, 'altNames'],
        [{ commonName: 'x.test', validity: 30, country: 'GBR' }, 'country'],
        [{ commonName: 'x.test', validity: 4000 }, 'validity'],
      ];
      for (const [body, field] of bad) {
        const answer = await boss.post('/api/v1/certificate-requests', body);
        expect(answer.status, JSON.stringify(answer.json)).toBe(400);
        expect(answer.json.error.field).toBe(field);
      }
      expect((await boss.get('/api/v1/certificate-requests')).json.items).toEqual([]);

      const created = await boss.post('/api/v1/certificate-requests', {
        commonName: 'api.console.test',
        altNames: 'api.console.test, 10.0.0.5',
        organization: 'Example Ltd',
        country: 'gb',
        keyAlgorithm: 'EC-P256',
        signatureHash: 'SHA-384',
        validity: 30,
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      expect(created.json).toMatchObject({
        commonName: 'api.console.test',
        keyAlgorithm: 'EC',
        signedAt: null,
      });
      const csrFile = path.join(work, `${dialect}.csr`);
      writeFileSync(csrFile, created.json.csrPem);
      expect(
        execFileSync('openssl', ['req', '-in', csrFile, '-noout', '-verify'], {
          encoding: 'utf8',
          stdio: 'pipe',
        }),
      ).toBe('');
      // Ivan sees none of boss's requests and cannot sign them.
      expect((await ivan.get('/api/v1/certificate-requests')).json.items).toEqual([]);
      expect((await ivan.post(`/api/v1/certificate-requests/${created.json.id}/sign`)).status).toBe(404);

      const signed = await boss.post(`/api/v1/certificate-requests/${created.json.id}/sign`);
      expect(signed.status, JSON.stringify(signed.json)).toBe(200);
      expect(signed.json.request.certificateId).toBe(signed.json.certificate.id);
      expect(signed.json.certificate).toMatchObject({
        commonName: 'api.console.test',
        daysLeft: 29,
        hasPrivateKey: true,
      });
      expect((await boss.post(`/api/v1/certificate-requests/${created.json.id}/sign`)).status).toBe(409);

      const ca = await download(server, boss, '/api/v1/certificates/internal-ca');
      expect(ca.status).toBe(200);
      const caFile = path.join(work, `${dialect}-ca.pem`);
      writeFileSync(caFile, ca.text);
      const leaf = await download(server, boss, `/api/v1/certificates/${signed.json.certificate.id}/file`);
      const leafFile = path.join(work, `${dialect}-leaf.pem`);
      writeFileSync(leafFile, leaf.text);
      expect(
        execFileSync('openssl', ['verify', '-CAfile', caFile, leafFile], { encoding: 'utf8' }).trim(),
      ).toBe(`${leafFile}: OK`);
      const text = execFileSync('openssl', ['x509', '-in', leafFile, '-noout', '-text'], {
        encoding: 'utf8',
      });
      expect(text).toContain('DNS:api.console.test');
      expect(text).toContain('IP Address:10.0.0.5');
      expect(text).toContain('ecdsa-with-SHA384');
      expect(text).toMatch(/Subject: .*O ?= ?Example Ltd/);

      const issued = await boss.post('/api/v1/certificates/issue', {
        commonName: 'direct.console.test',
        altNames: 'direct.console.test',
        keyAlgorithm: 'RSA-2048',
        validity: 10,
      });
      expect(issued.status, JSON.stringify(issued.json)).toBe(201);
      expect(issued.json.certificate).toMatchObject({
        commonName: 'direct.console.test',
        keyBits: 2048,
        daysLeft: 9,
      });
      const direct = await download(server, boss, `/api/v1/certificates/${issued.json.certificate.id}/file`);
      const directFile = path.join(work, `${dialect}-direct.pem`);
      writeFileSync(directFile, direct.text);
      expect(
        execFileSync('openssl', ['verify', '-CAfile', caFile, directFile], { encoding: 'utf8' }).trim(),
      ).toBe(`${directFile}: OK`);
      // Both are in the repository, with the CA's name as their issuer.
      const listed = (await boss.get('/api/v1/certificates?search=console.test')).json.items as {
        commonName: string;
        issuerCommonName: string;
      }[];
      const issuedNames = listed.filter((c) => c.issuerCommonName.startsWith('Bulwark Internal CA'));
      expect(issuedNames.map((c) => c.commonName)).toEqual(['api.console.test', 'direct.console.test']);
    });

    it('discovers one host at once and a range as a job whose progress reaches done', async () => {
      const single = await boss.post('/api/v1/certificate-discovery/host', {
        host: '127.0.0.91',
        port,
        timeoutSeconds: 5,
      });
      expect(single.status, JSON.stringify(single.json)).toBe(200);
      expect(single.json).toMatchObject({ status: 'SUCCESS', added: 1, known: 0 });

      for (const [body, field] of [
        [{ start: 'abc', end: '127.0.0.92', ports: String(port) }, 'start'],
        [{ start: '127.0.0.90', end: '127.0.0.92', ports: '0' }, 'ports'],
        [{ start: '127.0.0.1', end: '127.0.0.20', ports: String(port) }, 'end'],
        [{ start: '127.0.0.92', end: '127.0.0.90', ports: String(port) }, 'end'],
        [
          { start: '127.0.0.90', end: '127.0.0.92', ports: String(port), timeoutSeconds: 0 },
          'timeoutSeconds',
        ],
      ] as const) {
        const refused = await boss.post('/api/v1/certificate-discovery/range', body);
        expect(refused.status, JSON.stringify(refused.json)).toBe(400);
        expect(refused.json.error.field).toBe(field);
      }
      expect(
        (await boss.post('/api/v1/certificate-discovery/host', { host: 'a b', port: 443 })).json.error.field,
      ).toBe('host');

      const started = await boss.post('/api/v1/certificate-discovery/range', {
        start: '127.0.0.90',
        end: '127.0.0.92',
        ports: String(port),
        timeoutSeconds: 5,
      });
      expect(started.status, JSON.stringify(started.json)).toBe(201);
      expect(started.json.total).toBe(3);
      const jobId = started.json.jobId;
      const seen = new Set<string>();
      const job = await until('the range job to finish', async () => {
        const answer = await boss.get(`/api/v1/jobs/${jobId}`);
        expect(answer.status).toBe(200);
        seen.add(answer.json.status);
        return ['succeeded', 'failed'].includes(answer.json.status) ? answer.json : undefined;
      });
      expect(job.status, JSON.stringify(job)).toBe('succeeded');
      expect(job.kind).toBe('certificates.discover-range');
      expect(job.progress).toMatchObject({ done: 3, total: 3 });
      expect(job.startedAt).toBeGreaterThan(0);
      expect(job.finishedAt).toBeGreaterThanOrEqual(job.startedAt);
      expect(job.result).toMatchObject({ total: 3, found: 2, failed: 1, added: 2 });
      expect(job.result.details['127.0.0.90'][0]).toBe('SUCCESS');
      expect(job.result.details['127.0.0.91'][1]).toMatch(/already available/);
      expect(job.result.details['127.0.0.92'][0]).toBe('FAILURE');

      const found = (await boss.get('/api/v1/certificates?search=scan.console.test')).json.items as {
        id: number;
        commonName: string;
        source: string;
      }[];
      expect(found.map((c) => [c.commonName, c.source])).toEqual([
        ['a.scan.console.test', 'discovered'],
        ['b.scan.console.test', 'discovered'],
      ]);
      const details = (await boss.get(`/api/v1/certificates/${found[0]!.id}`)).json;
      expect(details.foundOn).toEqual([
        expect.objectContaining({ host: '127.0.0.90', port, servername: '' }),
      ]);
      expect(details.sha256).toBe(opensslSha256(certs.served1!.certFile));
      // The root came with the served chain and is linked as the issuer.
      expect(details.issuerId).toEqual(expect.any(Number));

      // The job list: the administrator sees it; ivan sees only his own (none), and not this one.
      const jobs = (await boss.get('/api/v1/jobs?limit=10')).json;
      expect(jobs.items.map((j: { id: number }) => j.id)).toContain(jobId);
      expect((await ivan.get('/api/v1/jobs')).json).toMatchObject({ items: [], total: 0 });
      expect((await ivan.get(`/api/v1/jobs/${jobId}`)).status).toBe(404);
      expect((await boss.get('/api/v1/jobs?status=done')).json.error.field).toBe('query.status');
    });
  });
});
