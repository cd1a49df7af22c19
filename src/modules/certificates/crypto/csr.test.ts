import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../../../../test/helpers/crypto-tools.js';
import { requireBinary } from '../../../../test/helpers/services.js';
import { InvalidInputError } from '../../../platform/errors.js';
import { createCsr, parseCsr } from './csr.js';
import type { KeyAlgorithm, SignatureHash } from './keys.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
function derToCsrPem(der: Buffer): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim();
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}

const subject = {
  commonName: 'app.example.test',
  organization: 'Example Ltd',
  organizationalUnit: 'Ops',
  locality: 'Berlin',
  state: 'Berlin',
  country: 'DE',
  email: 'ops@example.test',
};

describe('CSR creation and parsing, checked with openssl req', () => {
  const cases: [KeyAlgorithm, SignatureHash, string, string][] = [
    ['RSA-2048', 'SHA-256', 'sha256WithRSAEncryption', 'Public-Key: (2048 bit)'],
    ['RSA-4096', 'SHA-512', 'sha512WithRSAEncryption', 'Public-Key: (4096 bit)'],
    ['EC-P256', 'SHA-256', 'ecdsa-with-SHA256', 'NIST CURVE: P-256'],
    ['EC-P384', 'SHA-384', 'ecdsa-with-SHA384', 'NIST CURVE: P-384'],
    ['EC-P256', 'SHA-512', 'ecdsa-with-SHA512', 'NIST CURVE: P-256'],
  ];
  it.for(cases)(
    '%s with %s: openssl verifies it and prints what we asked for',
    async ([key, hash, sigName, keyLine], ctx) => {
      requireBinary(ctx, 'openssl', ['version']);
      const made = await createCsr({
        subject,
        dnsNames: ['app.example.test', '*.app.example.test'],
        ipAddresses: ['127.0.0.5', '::1'],
        keyAlgorithm: key,
        signatureHash: hash,
      });
      const file = tmp.file(`${key}-${hash}.csr`);
      writeFileSync(file, made.csrPem);
      const out = run('openssl', ['req', '-in', file, '-noout', '-verify', '-text']);
      expect(out.status, out.stderr).toBe(0);
      expect(out.stderr + out.stdout).toMatch(/self-signature verify OK/);
      expect(out.stdout).toContain(
        'Subject: C = DE, ST = Berlin, L = Berlin, O = Example Ltd, OU = Ops, CN = app.example.test, emailAddress = ops@example.test',
      );
      expect(out.stdout).toContain(`Signature Algorithm: ${sigName}`);
      expect(out.stdout).toContain(keyLine);
      expect(out.stdout).toContain(
        'DNS:app.example.test, DNS:*.app.example.test, IP Address:127.0.0.5, IP Address:0:0:0:0:0:0:0:1',
      );

      // The private key is unencrypted PKCS#8 and belongs to the CSR.
      expect(made.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      const csrPub = run('openssl', ['req', '-in', file, '-noout', '-pubkey']).stdout;
      const keyPub = createPublicKey(createPrivateKey(made.privateKeyPem)).export({
        format: 'pem',
        type: 'spki',
      });
      expect(csrPub.trim()).toBe(String(keyPub).trim());

      const parsed = await parseCsr(made.csrPem);
      expect(parsed.subject).toEqual(subject);
      expect(parsed.subjectAltNames).toEqual({
        dnsNames: ['app.example.test', '*.app.example.test'],
        ipAddresses: ['127.0.0.5', '::1'],
      });
      expect(parsed.signatureAlgorithm).toBe(sigName);
      expect(parsed.signatureHash).toBe(hash);
      expect(parsed.key.type).toBe(key.startsWith('RSA') ? 'RSA' : 'EC');
    },
  );

  it('encrypts the private key with the passphrase (openssl reads it only with that passphrase)', async (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const made = await createCsr({
      subject: { commonName: 'enc.example.test' },
      keyAlgorithm: 'EC-P256',
      signatureHash: 'SHA-256',
      passphrase: 'correct horse',
    });
    expect(made.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const file = tmp.file('enc.key');
    writeFileSync(file, made.privateKeyPem);
    const info = run('openssl', ['asn1parse', '-in', file]);
    expect(info.stdout).toMatch(/PBES2/);
    expect(info.stdout).toMatch(/aes-256-cbc/);
    expect(run('openssl', ['pkey', '-in', file, '-passin', 'pass:correct horse', '-noout']).status).toBe(0);
    expect(run('openssl', ['pkey', '-in', file, '-passin', 'pass:wrong', '-noout']).status).not.toBe(0);
    const parsed = await parseCsr(made.csrPem);
    expect(parsed.subject).toEqual({ commonName: 'enc.example.test' });
    expect(parsed.subjectAltNames).toEqual({ dnsNames: [], ipAddresses: [] });
  });

  it('parses a CSR made by openssl', async (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const keyFile = tmp.file('ossl.key');
    const csrFile = tmp.file('ossl.csr');
    const made = run('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:3072',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csrFile,
      '-sha384',
      '-subj',
      '/C=US/O=Other Org/CN=ossl.example.test',
      '-addext',
      'subjectAltName=DNS:ossl.example.test,IP:10.1.2.3',
    ]);
    expect(made.status, made.stderr).toBe(0);
    const parsed = await parseCsr(readFileSync(csrFile, 'utf8'));
    expect(parsed.subject).toEqual({
      commonName: 'ossl.example.test',
      organization: 'Other Org',
      country: 'US',
    });
    expect(parsed.subjectAltNames).toEqual({ dnsNames: ['ossl.example.test'], ipAddresses: ['10.1.2.3'] });
    expect(parsed.key).toEqual({ type: 'RSA', bits: 3072 });
    expect(parsed.signatureAlgorithm).toBe('sha384WithRSAEncryption');
    // DER works too.
    expect((await parseCsr(pemToDer(readFileSync(csrFile, 'utf8')))).subject.commonName).toBe(
      'ossl.example.test',
    );
  });

  it('refuses a tampered CSR, as openssl does', async (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const made = await createCsr({
      subject: { commonName: 'tamper.example.test' },
      dnsNames: ['tamper.example.test'],
      keyAlgorithm: 'RSA-2048',
      signatureHash: 'SHA-256',
    });
    const der = pemToDer(made.csrPem);
    const at = der.indexOf(Buffer.from('tamper.example.test'));
    expect(at).toBeGreaterThan(0);
    der[at] = 'd'.charCodeAt(0); // "damper.example.test": same length, still well-formed
    const tampered = derToCsrPem(der);
    const file = tmp.file('tampered.csr');
    writeFileSync(file, tampered);
    const out = run('openssl', ['req', '-in', file, '-noout', '-verify']);
    // OpenSSL 3.0 reports the failure in its output but still exits 0 (later versions exit 1).
    expect(out.stderr + out.stdout).toMatch(/self-signature verify failure/);
    await expect(parseCsr(tampered)).rejects.toThrow(/signature does not verify/);
  });

  it('refuses a validly self-signed CSR whose subject alternative names do not decode', async (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const file = tmp.file('bad-san.csr');
    const made = run('openssl', [
      ...['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', tmp.file('bad-san.key'), '-out', file, '-subj', '/CN=bad-san.example.test'],
      // The SAN extension's value is not a GeneralNames SEQUENCE; openssl signs it as given.
      ...['-addext', '2.5.29.17=DER:01:02:03'],
    ]);
    expect(made.status, made.stderr).toBe(0);
    const refused = await parseCsr(readFileSync(file, 'utf8')).catch((err: unknown) => err);
    // A refusal the API answers as Failed, not a plain Error (which would answer 5xx).
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as Error).message).toMatch(/subject or extension .* is not readable/);
  });

  it('refuses bad input with clear messages', async () => {
    await expect(parseCsr('not a csr')).rejects.toThrow(/no PEM certificate request/);
    await expect(parseCsr(derToCsrPem(Buffer.from('garbage')))).rejects.toThrow(/not a readable PKCS#10/);
    const base = { keyAlgorithm: 'EC-P256', signatureHash: 'SHA-256' } as const;
    await expect(createCsr({ ...base, subject: { commonName: ' ' } })).rejects.toThrow(/common name/);
    await expect(createCsr({ ...base, subject: { commonName: 'x', country: 'Germany' } })).rejects.toThrow(
      /two-letter/,
    );
    await expect(
      createCsr({ ...base, subject: { commonName: 'x' }, dnsNames: ['bad name'] }),
    ).rejects.toThrow(/not a DNS name/);
    await expect(
      createCsr({ ...base, subject: { commonName: 'x' }, ipAddresses: ['1.2.3'] }),
    ).rejects.toThrow(/not an IP address/);
    for (const ip of ['::ffff:127.0.0.1', 'fe80::1%eth0']) {
      await expect(createCsr({ ...base, subject: { commonName: 'x' }, ipAddresses: [ip] })).rejects.toThrow(
        /write an IPv6 address in hex groups only/,
      );
    }
    // The hex form of the same address is kept as written.
    const mapped = await createCsr({ ...base, subject: { commonName: 'x' }, ipAddresses: ['::ffff:7f00:1'] });
    expect((await parseCsr(mapped.csrPem)).subjectAltNames.ipAddresses).toEqual(['::ffff:7f00:1']);
  });

  it('refuses a CSR with a weak key or hash', async (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const weak = tmp.file('weak.csr');
    run('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      tmp.file('weak.key'),
      '-out',
      weak,
      '-subj',
      '/CN=weak',
    ]);
    await expect(parseCsr(readFileSync(weak, 'utf8'))).rejects.toThrow(/1024-bit RSA key is too weak/);
    const sha1 = tmp.file('sha1.csr');
    run('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      tmp.file('sha1.key'),
      '-out',
      sha1,
      '-sha1',
      '-subj',
      '/CN=sha1',
    ]);
    await expect(parseCsr(readFileSync(sha1, 'utf8'))).rejects.toThrow(/unsupported algorithm/);
  });
});
