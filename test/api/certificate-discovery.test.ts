/**
 * SSL certificate discovery (issue 14, endpoints 40 and 41, ADR 037) over the real HTTPS API on
 * both dialects, against real TLS listeners on 127.0.0.x serving certificates made by the real
 * openssl: a single host stores the served chain once (the second run finds it known), its
 * fingerprints equal openssl's; unreachable, blackholed and plain-TCP hosts answer Failed with the
 * reference's per-host text; a range runs as a job with progress and per-host results; a range
 * over BULWARK_CERT_DISCOVERY_MAX_HOSTS, reversed or not IPv4 is refused before any probe; an
 * application (A2A) is refused both.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, type PmpCall, type RawResponse } from '../helpers/client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { V1 } from '../helpers/remote-reset.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import {
  blackholeListener,
  certificateFactory,
  closedPort,
  echoListener,
  tlsListener,
  type IssuedCert,
  type Listener,
} from '../helpers/tls-listeners.js';
import { registerA2aApplication } from '../helpers/a2a-app.js';
import { until } from '../helpers/wait.js';

const PKI = '/api/pki/restapi';

interface PkiAnswer {
  readonly http: RawResponse;
  readonly raw: any;
  readonly status: string;
  readonly message: string;
  readonly details: any;
}

/** `openssl x509 -fingerprint -sha256` of a certificate file, as the repository shows it. */
function opensslSha256(cert: IssuedCert): string {
  const out = execFileSync('openssl', ['x509', '-in', cert.certFile, '-noout', '-fingerprint', '-sha256'], {
    encoding: 'utf8',
  });
  return out.trim().split('=')[1]!;
}

describe('SSL certificate discovery (40, 41)', () => {
  const factory = certificateFactory();
  const listeners: Listener[] = [];
  const certs: Record<string, IssuedCert> = {};
  let port = 0;
  let closed: Listener;

  beforeAll(async () => {
    certs.root = factory.issue({ name: 'root', cn: 'Discovery Root CA', ca: true });
    certs.inter = factory.issue({ name: 'inter', cn: 'Discovery Intermediate CA', ca: true, issuer: 'root' });
    certs.leaf = factory.issue({
      name: 'leaf',
      cn: 'www.discovery.test',
      issuer: 'inter',
      dns: ['www.discovery.test'],
    });
    certs.ec = factory.issue({ name: 'ec', cn: 'ec.discovery.test', key: 'ec256' });
    // 127.0.0.70-73 on one port: .70 leaf + intermediate, .71 blackholed, .72 EC, .73 refuses.
    for (let attempt = 0; ; attempt++) {
      const opened: Listener[] = [];
      try {
        opened.push(await tlsListener('127.0.0.70', certs.leaf, [certs.inter]));
        port = opened[0]!.port;
        opened.push(await blackholeListener('127.0.0.71', port));
        opened.push(await tlsListener('127.0.0.72', certs.ec, [], {}, port));
        listeners.push(...opened);
        break;
      } catch (err) {
        await Promise.all(opened.map((l) => l.close()));
        if (attempt >= 5) throw err;
      }
    }
    listeners.push(await echoListener('127.0.0.74'));
    closed = await closedPort('127.0.0.75');
  });

  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.close()));
    factory.cleanup();
  });

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let paul: Actor;
    let appCert: { cert: string; key: string };
    let dir: string;
    const app = `CertApp${dialect}`;

    async function pki(
      who: Actor | 'admin' | 'app',
      endpoint: string,
      options: PmpCall = {},
    ): Promise<PkiAnswer> {
      const call = who === 'admin' || who === 'app' ? pmpClient(server.baseUrl, server.token) : who.call;
      const http = (
        await call(`${PKI}/${endpoint}`, {
          ...options,
          ...(who === 'app' ? { token: null, clientCert: appCert } : {}),
        })
      ).http;
      expect(http.status, http.text).toBe(200);
      const raw = JSON.parse(http.text);
      return { http, raw, status: raw.result?.status, message: raw.result?.message, details: raw.details };
    }
    const single = (who: Actor | 'admin' | 'app', fields: Record<string, unknown>) =>
      pki(who, 'sslCertSingleDiscovery', { method: 'POST', input: details(fields) });
    const range = (who: Actor | 'admin' | 'app', fields: Record<string, unknown>) =>
      pki(who, 'sslCertRangeDiscovery', { method: 'POST', input: details(fields) });

    beforeAll(async () => {
      server = await startServer(dialect, { BULWARK_CERT_DISCOVERY_MAX_HOSTS: '8' });
      paul = await createApiUser(server, `paul-${dialect}`, 'Password User');
      dir = mkdtempSync(path.join(tmpdir(), 'bulwark-cert-discovery-'));
      appCert = await registerA2aApplication(server.instance, app, dir);
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('40 stores the served chain once, as the reference answers; the second run finds it known', async () => {
      const first = await single('admin', { HOST: '127.0.0.70', PORT: String(port), TIMEOUT: '5' });
      expect(first.status, first.http.text).toBe('Success');
      expect(first.raw.name).toBe('Get SSL Discovery');
      expect(first.raw.totalRows).toBe(1);
      expect(first.details).toEqual({
        '127.0.0.70': [
          'SUCCESS',
          `SSL Certificate added, www.discovery.test certificate found at port ${port}`,
        ],
      });
      expect(first.raw.Added).toBe(2);

      const again = await single('admin', { HOST: '127.0.0.70', PORT: port, TIMEOUT: 5 });
      expect(again.details).toEqual({
        '127.0.0.70': [
          'SUCCESS',
          `SSL Certificate already available, www.discovery.test certificate found at port ${port}`,
        ],
      });
      expect(again.raw).toMatchObject({ Added: 0, Known: 2 });

      // Stored as served, compared with openssl: leaf and intermediate, each once, discovered.
      const list = await pki('admin', 'getAllSSLCertificates');
      const rows = (list.raw.SSLCertificates as any[]).filter((r) => /discovery/i.test(r['Common Name']));
      expect(rows.map((r) => r['Common Name']).sort()).toEqual([
        'Discovery Intermediate CA',
        'www.discovery.test',
      ]);
      const leaf = rows.find((r) => r['Common Name'] === 'www.discovery.test');
      expect(leaf.SHA256Fingerprint).toBe(opensslSha256(certs.leaf!));
      expect(leaf.Source).toBe('discovered');
      expect(leaf['DNS Name/FQDN']).toBe('127.0.0.70');
      expect(leaf.Port).toBe(port);
      expect(rows.find((r) => r['Common Name'] === 'Discovery Intermediate CA').SHA256Fingerprint).toBe(
        opensslSha256(certs.inter!),
      );
    });

    it('40 answers Failed with the per-host text for refused, blackholed and plain-TCP hosts', async () => {
      const refused = await single('admin', { HOST: closed.host, PORT: closed.port, TIMEOUT: 5 });
      expect(refused.status).toBe('Failed');
      expect(refused.details).toEqual({
        [closed.host]: ['FAILURE', `Connection failed,no certificate found at port ${closed.port}`],
      });
      expect(refused.raw.Reason).toBe('unreachable');
      const began = Date.now();
      const silent = await single('admin', { HOST: '127.0.0.71', PORT: port, TIMEOUT: 1 });
      expect(Date.now() - began).toBeLessThan(5000);
      expect(silent.status).toBe('Failed');
      expect(silent.details).toEqual({
        '127.0.0.71': ['FAILURE', `Connection timed out,no certificate found at port ${port}`],
      });
      const echo = listeners.at(-1)!;
      const plain = await single('admin', { HOST: echo.host, PORT: echo.port, TIMEOUT: 5 });
      expect(plain.status).toBe('Failed');
      expect(plain.raw.Reason).toBe('not-tls');
    });

    it('40 refuses bad input clearly', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ PORT: port }, /HOST is mandatory/],
        [{ HOST: '127.0.0.70' }, /PORT is mandatory/],
        [{ HOST: 'https://127.0.0.70/', PORT: port }, /is not a host name or an IP address/],
        [{ HOST: '127.0.0.70', PORT: '70000' }, /PORT "70000" must be a port/],
        [{ HOST: '127.0.0.70', PORT: '443,8443' }, /PORT must be one port/],
        [
          { HOST: '127.0.0.70', PORT: port, TIMEOUT: '0' },
          /TIMEOUT must be a whole number of seconds from 1 to 300/,
        ],
      ];
      for (const [fields, message] of cases) {
        const answer = await single('admin', fields);
        expect(answer.status, answer.http.text).toBe('Failed');
        expect(answer.message).toMatch(message);
      }
    });

    it('a user who may add certificates may discover them, and owns what is new', async () => {
      const found = await single(paul, { HOST: '127.0.0.72', PORT: port, TIMEOUT: 5 });
      expect(found.status, found.http.text).toBe('Success');
      expect(found.details['127.0.0.72'][1]).toBe(
        `SSL Certificate added, ec.discovery.test certificate found at port ${port}`,
      );
      const mine = await pki(paul, 'getAllSSLCertificates');
      const names = (mine.raw.SSLCertificates as any[]).map((r) => r['Common Name']);
      expect(names).toContain('ec.discovery.test');
      expect(names).not.toContain('www.discovery.test');
    });

    it('41 runs a range as a job: progress and per-host results over the jobs API', async () => {
      const started = await range('admin', {
        StartIpAddress: '127.0.0.70',
        EndIpAddress: '127.0.0.73',
        PORT: String(port),
        TIMEOUT: '1',
      });
      expect(started.status, started.http.text).toBe('Success');
      expect(started.raw.name).toBe('Get SSL Discovery');
      expect(started.details).toMatchObject({ Targets: 4, Progress: `${V1}/jobs/${started.details.JobId}` });
      const admin = pmpClient(server.baseUrl, server.token);
      const job = await until('the range discovery job', async () => {
        const d = expectSuccess(await admin(`${V1}/jobs/${started.details.JobId}`)).details;
        return d.STATUS === 'succeeded' || d.STATUS === 'failed' ? d : undefined;
      });
      expect(job.STATUS, JSON.stringify(job)).toBe('succeeded');
      expect(job.KIND).toBe('certificates.discover-range');
      expect(job.PROGRESS).toMatchObject({ DONE: 4, TOTAL: 4 });
      expect(job.RESULT).toMatchObject({ total: 4, found: 2, failed: 2, added: 0 });
      expect(job.RESULT.details).toEqual({
        '127.0.0.70': [
          'SUCCESS',
          `SSL Certificate already available, www.discovery.test certificate found at port ${port}`,
        ],
        '127.0.0.71': ['FAILURE', `Connection timed out,no certificate found at port ${port}`],
        '127.0.0.72': [
          'SUCCESS',
          `SSL Certificate already available, ec.discovery.test certificate found at port ${port}`,
        ],
        '127.0.0.73': ['FAILURE', `Connection failed,no certificate found at port ${port}`],
      });
      const trail = expectSuccess(await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '1000' } }))
        .details as { OPERATIONTYPE: string; REASON: string }[];
      expect(
        trail.some(
          (r) =>
            r.OPERATIONTYPE === 'Certificate Discovery Started' &&
            r.REASON ===
              `Range 127.0.0.70 - 127.0.0.73, port(s) ${port}; job ${started.details.JobId}; 4 target(s); timeout 1 s`,
        ),
      ).toBe(true);
      // Paul may not read the administrator's job.
      const theirs = await paul.call(`${V1}/jobs/${started.details.JobId}`);
      expect(theirs.status).toBe('Failed');
    });

    it('41 refuses a range over the limit, reversed or not IPv4, before any probe', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [
          { StartIpAddress: '127.0.0.0', EndIpAddress: '127.0.0.255', PORT: '443' },
          /holds 256 addresses × 1 port\(s\) = 256 targets, more than the 8 allowed \(BULWARK_CERT_DISCOVERY_MAX_HOSTS\)/,
        ],
        [
          { StartIpAddress: '127.0.0.70', EndIpAddress: '127.0.0.73', PORT: '443,8443,9443' },
          /= 12 targets, more than the 8 allowed/,
        ],
        [
          { StartIpAddress: '127.0.0.9', EndIpAddress: '127.0.0.1', PORT: '443' },
          /comes before StartIpAddress/,
        ],
        [{ StartIpAddress: '::1', EndIpAddress: '::2', PORT: '443' }, /is not an IPv4 address/],
        [{ StartIpAddress: '127.0.0.1', PORT: '443' }, /EndIpAddress is mandatory/],
      ];
      const admin = pmpClient(server.baseUrl, server.token);
      const before = expectSuccess(await admin(`${V1}/jobs`)).totalRows;
      for (const [fields, message] of cases) {
        const answer = await range('admin', fields);
        expect(answer.status, answer.http.text).toBe('Failed');
        expect(answer.message).toMatch(message);
      }
      expect(expectSuccess(await admin(`${V1}/jobs`)).totalRows).toBe(before);
    });

    it('an application (A2A) is refused 40 and 41', async () => {
      for (const answer of [
        await single('app', { HOST: '127.0.0.70', PORT: port }),
        await range('app', { StartIpAddress: '127.0.0.70', EndIpAddress: '127.0.0.71', PORT: port }),
      ]) {
        expect(answer.status, answer.http.text).toBe('Failed');
        expect(answer.message).toMatch(new RegExp(`^The application ${app} is not allowed to`));
      }
    });
  });
});
