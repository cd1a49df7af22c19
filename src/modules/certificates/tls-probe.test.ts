import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blackholeListener,
  certificateFactory,
  closedPort,
  echoListener,
  opensslListener,
  tlsListener,
  type IssuedCert,
  type Listener,
} from '../../../test/helpers/tls-listeners.js';
import { MAX_SERVED_CHAIN, readServedChain, TlsProbeError, type ProbeFailureKind } from './tls-probe.js';

const factory = certificateFactory();
const listeners: Listener[] = [];
const certs: Record<string, IssuedCert> = {};

async function started(listener: Promise<Listener>) {
  const l = await listener;
  listeners.push(l);
  return l;
}

async function failure(promise: Promise<unknown>): Promise<TlsProbeError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TlsProbeError) return err;
    throw err;
  }
  throw new Error('the probe succeeded');
}

function subject(der: Buffer) {
  return new X509Certificate(der).subject;
}

beforeAll(() => {
  const issue = factory.issue;
  certs.root = issue({ name: 'root', cn: 'Probe Root CA', ca: true });
  certs.inter = issue({ name: 'inter', cn: 'Probe Intermediate CA', ca: true, issuer: 'root' });
  certs.leaf = issue({
    name: 'leaf',
    cn: 'chain.example.test',
    issuer: 'inter',
    dns: ['chain.example.test'],
  });
  certs.valid = issue({ name: 'valid', cn: 'valid.example.test', dns: ['valid.example.test'] });
  certs.expired = issue({ name: 'expired', cn: 'expired', start: '20200101000000Z', end: '20210101000000Z' });
  certs.future = issue({ name: 'future', cn: 'future', start: '20400101000000Z', end: '20410101000000Z' });
  certs.weak = issue({ name: 'weak', cn: 'weak-rsa-1024', key: 'rsa1024' });
  certs.sha1 = issue({ name: 'sha1', cn: 'sha1-signed', md: 'sha1' });
  certs.ec = issue({ name: 'ec', cn: 'ec.example.test', key: 'ec256' });
  certs.sniA = issue({ name: 'sniA', cn: 'a.example.test', dns: ['a.example.test'] });
  certs.sniB = issue({ name: 'sniB', cn: 'b.example.test', dns: ['b.example.test'] });
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  factory.cleanup();
});

describe('readServedChain', () => {
  it('reads a valid self-signed certificate as served, byte for byte, with protocol and cipher', async () => {
    const l = await started(tlsListener('127.0.0.11', certs.valid!));
    const served = await readServedChain({ host: l.host, port: l.port, timeoutMs: 5000 });
    expect(served.chain).toHaveLength(1);
    expect(served.chain[0]!.equals(certs.valid!.der)).toBe(true);
    expect(factory.text(served.chain[0]!)).toBe(factory.text(certs.valid!.der));
    expect(served.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(served.cipher).not.toBe('unknown');
    expect(served.servername).toBeUndefined(); // an IP gets no SNI
  });

  it('reads leaf + intermediate in order from node:tls and from openssl s_server, stopping at the served end', async () => {
    for (const l of [
      await started(tlsListener('127.0.0.12', certs.leaf!, [certs.inter!])),
      await started(opensslListener('127.0.0.12', certs.leaf!, [certs.inter!])),
    ]) {
      const served = await readServedChain({ host: l.host, port: l.port, timeoutMs: 5000 });
      expect(served.chain.map(subject)).toEqual(['CN=chain.example.test', 'CN=Probe Intermediate CA']);
      expect(served.chain[0]!.equals(certs.leaf!.der)).toBe(true);
      expect(served.chain[1]!.equals(certs.inter!.der)).toBe(true);
    }
  });

  it('stops at a served self-signed root (no loop)', async () => {
    const l = await started(tlsListener('127.0.0.12', certs.leaf!, [certs.inter!, certs.root!]));
    const served = await readServedChain({ host: l.host, port: l.port, timeoutMs: 5000 });
    expect(served.chain.map(subject)).toEqual([
      'CN=chain.example.test',
      'CN=Probe Intermediate CA',
      'CN=Probe Root CA',
    ]);
  });

  it(`reads at most ${MAX_SERVED_CHAIN} certificates of a longer served chain, leaf first`, async () => {
    // A real chain of 14 CAs under a root (EC keys: quick to make), leaf first: 16 served.
    const issue = factory.issue;
    let issuer = issue({ name: 'long-root', cn: 'Long Root', key: 'ec256', ca: true }).name;
    const served: IssuedCert[] = [];
    for (let i = 1; i <= 14; i++) {
      const ca = issue({ name: `long-ca-${i}`, cn: `Long CA ${i}`, key: 'ec256', ca: true, issuer });
      served.unshift(ca);
      issuer = ca.name;
    }
    const leaf = issue({ name: 'long-leaf', cn: 'long.example.test', key: 'ec256', issuer });
    const l = await started(tlsListener('127.0.0.14', leaf, [...served, certs.root!]));
    const read = await readServedChain({ host: l.host, port: l.port, timeoutMs: 5000 });
    expect(read.chain.map(subject)).toEqual([
      'CN=long.example.test',
      ...Array.from({ length: MAX_SERVED_CHAIN - 1 }, (_, i) => `CN=Long CA ${14 - i}`),
    ]);
  });

  it('records expired, not-yet-valid, 1024-bit RSA, SHA-1 signed and EC certificates as served', async () => {
    const cases: [IssuedCert, Promise<Listener>, RegExp][] = [
      [certs.expired!, tlsListener('127.0.0.13', certs.expired!), /Not After : Jan {2}1 00:00:00 2021 GMT/],
      [certs.future!, tlsListener('127.0.0.13', certs.future!), /Not Before: Jan {2}1 00:00:00 2040 GMT/],
      [certs.weak!, opensslListener('127.0.0.13', certs.weak!), /Public-Key: \(1024 bit\)/],
      [certs.sha1!, opensslListener('127.0.0.13', certs.sha1!), /Signature Algorithm: sha1WithRSAEncryption/],
      [certs.ec!, tlsListener('127.0.0.13', certs.ec!), /ASN1 OID: prime256v1/],
    ];
    for (const [cert, listener, expected] of cases) {
      const l = await started(listener);
      const served = await readServedChain({ host: l.host, port: l.port, timeoutMs: 5000 });
      expect(served.chain).toHaveLength(1);
      expect(served.chain[0]!.equals(cert.der)).toBe(true);
      expect(factory.text(served.chain[0]!)).toMatch(expected);
    }
  });

  it('sends SNI for names and gets the certificate chosen by it', async () => {
    const l = await started(
      tlsListener('127.0.0.14', certs.valid!, [], {
        'a.example.test': certs.sniA!,
        'b.example.test': certs.sniB!,
      }),
    );
    for (const [name, cert] of [
      ['a.example.test', certs.sniA!],
      ['b.example.test', certs.sniB!],
    ] as const) {
      const served = await readServedChain({ host: l.host, port: l.port, servername: name, timeoutMs: 5000 });
      expect(served.servername).toBe(name);
      expect(served.chain[0]!.equals(cert.der)).toBe(true);
    }
    // An IP given as servername is not sent: the default certificate answers.
    const byIp = await readServedChain({
      host: l.host,
      port: l.port,
      servername: '127.0.0.14',
      timeoutMs: 5000,
    });
    expect(byIp.servername).toBeUndefined();
    expect(byIp.chain[0]!.equals(certs.valid!.der)).toBe(true);
  });

  it('types failures: refused, blackholed (one deadline), plain TCP, handshake alert', async () => {
    const closed = await closedPort('127.0.0.15');
    const hole = await started(blackholeListener('127.0.0.15'));
    const echo = await started(echoListener('127.0.0.15'));
    const expectKind = async (p: Promise<unknown>, kind: ProbeFailureKind, text: RegExp) => {
      const err = await failure(p);
      expect(err.kind).toBe(kind);
      expect(err.message).toMatch(text);
    };
    await expectKind(
      readServedChain({ host: closed.host, port: closed.port, timeoutMs: 5000 }),
      'unreachable',
      /127\.0\.0\.15:\d+: connection refused/,
    );
    const began = Date.now();
    await expectKind(
      readServedChain({ host: hole.host, port: hole.port, timeoutMs: 400 }),
      'timeout',
      /no TLS answer within 400 ms/,
    );
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(2000);
    await expectKind(
      readServedChain({ host: echo.host, port: echo.port, timeoutMs: 5000 }),
      'not-tls',
      /does not speak TLS/,
    );
    // A TLS 1.2 server that requires a client certificate (never sent) answers with an alert
    // before the handshake completes (under TLS 1.3 that refusal would come after it).
    const strict = await started(
      (async () => {
        const { createServer } = await import('node:tls');
        const server = createServer({
          cert: certs.valid!.certPem,
          key: certs.valid!.keyPem,
          maxVersion: 'TLSv1.2',
          requestCert: true,
          rejectUnauthorized: true,
          ca: [certs.root!.certPem],
        });
        server.on('tlsClientError', () => undefined);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.15', resolve));
        const address = server.address();
        return {
          host: '127.0.0.15',
          port: typeof address === 'object' && address ? address.port : 0,
          close: () => new Promise<void>((resolve) => server.close(() => resolve())),
        };
      })(),
    );
    const err = await failure(readServedChain({ host: strict.host, port: strict.port, timeoutMs: 5000 }));
    expect(err.kind).toBe('handshake');
    expect(err.message).toMatch(/refused the handshake \(.*alert/);
  });

  it('maps an unresolvable name to unreachable', async () => {
    const err = await failure(readServedChain({ host: 'no-such-host.invalid', port: 443, timeoutMs: 5000 }));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe('no-such-host.invalid:443: host name not found');
  });
});
