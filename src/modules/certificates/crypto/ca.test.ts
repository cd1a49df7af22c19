import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../../../../test/helpers/crypto-tools.js';
import { requireBinary } from '../../../../test/helpers/services.js';
import { createCa, issueCertificate, signCsr, type CaMaterial } from './ca.js';
import { createCsr } from './csr.js';

const tmp = tempDir();
let ca: CaMaterial;
const caFile = tmp.file('ca.pem');

beforeAll(async () => {
  ca = await createCa({ subject: { commonName: 'Bulwark Test CA', organization: 'Bulwark' } });
  writeFileSync(caFile, ca.certificatePem);
});
afterAll(() => tmp.remove());

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

describe('internal CA, checked with openssl', () => {
  it('creates a self-signed EC P-384 CA certificate with the CA extensions', (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const text = run('openssl', ['x509', '-in', caFile, '-noout', '-text']).stdout;
    expect(text).toContain('Issuer: O = Bulwark, CN = Bulwark Test CA');
    expect(text).toContain('Subject: O = Bulwark, CN = Bulwark Test CA');
    expect(text).toContain('NIST CURVE: P-384');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    // Self-signed: openssl verifies it against itself.
    const out = run('openssl', ['verify', '-CAfile', caFile, caFile]);
    expect(out.stdout.trim(), out.stderr).toBe(`${caFile}: OK`);
  });

  it.for(['RSA-2048', 'EC-P256'] as const)(
    'signs a %s CSR: openssl verify says OK and the extensions are right',
    async (keyAlgorithm, ctx) => {
      requireBinary(ctx, 'openssl', ['version']);
      const csr = await createCsr({
        subject: { commonName: 'leaf.example.test', organization: 'Example' },
        dnsNames: ['leaf.example.test', 'www.leaf.example.test'],
        ipAddresses: ['127.0.0.7'],
        keyAlgorithm,
        signatureHash: 'SHA-384',
      });
      const issued = await signCsr(ca, csr.csrPem, { validityDays: 90 });
      const leafFile = tmp.file(`leaf-${keyAlgorithm}.pem`);
      writeFileSync(leafFile, issued.certificatePem);
      const out = run('openssl', ['verify', '-CAfile', caFile, '-purpose', 'sslserver', leafFile]);
      expect(out.stdout.trim(), out.stderr).toBe(`${leafFile}: OK`);
      expect(run('openssl', ['verify', '-CAfile', caFile, '-purpose', 'sslclient', leafFile]).status).toBe(0);

      const text = run('openssl', ['x509', '-in', leafFile, '-noout', '-text']).stdout;
      expect(text).toContain('Subject: O = Example, CN = leaf.example.test');
      expect(text).toContain('Issuer: O = Bulwark, CN = Bulwark Test CA');
      expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(
        keyAlgorithm === 'RSA-2048'
          ? /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/
          : /X509v3 Key Usage: critical\s+Digital Signature\n/,
      );
      expect(text).toMatch(
        /X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/,
      );
      expect(text).toContain('DNS:leaf.example.test, DNS:www.leaf.example.test, IP Address:127.0.0.7');
      // The authority key identifier is the CA's subject key identifier.
      const caSki = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(
        run('openssl', ['x509', '-in', caFile, '-noout', '-text']).stdout,
      )?.[1];
      expect(caSki).toBeDefined();
      expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s*\\n\\s*(keyid:)?${caSki}`));

      // Serial: 128 random bits, positive; validity 90 days.
      const node = new X509Certificate(issued.certificatePem);
      expect(node.serialNumber.toLowerCase()).toBe(issued.serialNumber);
      expect(issued.serialNumber).toMatch(/^[1-7][0-9a-f]{31}$/);
      const days = (issued.notAfter.getTime() - issued.notBefore.getTime()) / 86_400_000;
      expect(Math.round(days)).toBe(90);
      expect(node.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    },
  );

  it('refuses a CSR with a bad signature and does not sign it', async () => {
    const csr = await createCsr({
      subject: { commonName: 'evil.example.test' },
      keyAlgorithm: 'EC-P256',
      signatureHash: 'SHA-256',
    });
    const der = pemToDer(csr.csrPem);
    const at = der.indexOf(Buffer.from('evil.example.test'));
    der[at] = 'l'.charCodeAt(0);
    await expect(signCsr(ca, der, { validityDays: 30 })).rejects.toThrow(/signature does not verify/);
  });

  it('refuses validity beyond the CA, zero days, and a CA key that does not match', async () => {
    const csr = await createCsr({
      subject: { commonName: 'x.example.test' },
      keyAlgorithm: 'EC-P256',
      signatureHash: 'SHA-256',
    });
    const shortCa = await createCa({ subject: { commonName: 'Short CA' }, validityDays: 10 });
    await expect(signCsr(shortCa, csr.csrPem, { validityDays: 30 })).rejects.toThrow(
      /after the CA certificate expires/,
    );
    await expect(signCsr(ca, csr.csrPem, { validityDays: 0 })).rejects.toThrow(/whole number of days/);
    await expect(
      signCsr({ certificatePem: ca.certificatePem, privateKeyPem: shortCa.privateKeyPem }, csr.csrPem, {
        validityDays: 5,
      }),
    ).rejects.toThrow(/does not belong to the CA certificate/);
  });

  it('issues a certificate directly that a real TLS client trusting only the CA accepts', async (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const issued = await issueCertificate(ca, {
      subject: { commonName: 'tls.example.test' },
      dnsNames: ['tls.example.test'],
      ipAddresses: ['127.0.0.1'],
      keyAlgorithm: 'RSA-2048',
      validityDays: 30,
      passphrase: 'server key pass',
    });
    expect(issued.privateKeyPem).toMatch(/ENCRYPTED PRIVATE KEY/);
    const server = createServer(
      { cert: issued.certificatePem, key: issued.privateKeyPem, passphrase: 'server key pass' },
      (socket) => socket.end('hello\n'),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const talk = (servername: string, trust: string): Promise<string> =>
        new Promise((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port, servername, ca: [trust] }, () => {
            socket.once('data', (d: Buffer) => {
              socket.end();
              resolve(d.toString());
            });
          });
          socket.once('error', reject);
        });
      expect(await talk('tls.example.test', ca.certificatePem)).toBe('hello\n');
      // Another CA is not trusted, and a name not in the certificate is refused.
      const other = await createCa({ subject: { commonName: 'Other CA' } });
      await expect(talk('tls.example.test', other.certificatePem)).rejects.toThrow(
        /unable to get local issuer|self.signed|unable to verify/i,
      );
      await expect(talk('other.example.test', ca.certificatePem)).rejects.toThrow(/altnames|Hostname/i);
    } finally {
      server.close();
    }
  });
});
