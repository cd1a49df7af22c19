import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../platform/errors.js';
import { parseCertificate } from './certificate-parsing.js';
import { checkPrivateKey, MAX_KEY_ITERATIONS, refuseCostlyKeyEncryption } from './certificate-private-key.js';
import * as der from './crypto/der.js';

const pem = (label: string, body: Buffer) =>
  `-----BEGIN ${label}-----\n${body.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;

/** An EncryptedPrivateKeyInfo under PBES2/PBKDF2-HMAC-SHA-256/AES-256-CBC asking `iterations`. */
const pbkdf2Key = (iterations: number, label = 'ENCRYPTED PRIVATE KEY') =>
  pem(
    label,
    der.seq(
      der.algorithm(
        '1.2.840.113549.1.5.13',
        der.seq(
          der.algorithm(
            '1.2.840.113549.1.5.12',
            der.seq(der.octets(randomBytes(8)), der.integer(iterations), der.algorithm('1.2.840.113549.2.9')),
          ),
          der.seq(der.oid('2.16.840.1.101.3.4.1.42'), der.octets(randomBytes(16))),
        ),
      ),
      der.octets(randomBytes(1232)),
    ),
  );

describe('encrypted private keys: the derivation work they ask for is bounded before it runs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-pk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const openssl = (args: string[]) => {
    const run = spawnSync('openssl', args, { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  };

  it("accepts openssl's own encrypted keys (PBKDF2, scrypt) and plain keys", () => {
    const plain = path.join(dir, 'plain.pem');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', plain]);
    const encrypted = path.join(dir, 'pbkdf2.pem');
    openssl([
      'pkcs8',
      '-topk8',
      '-in',
      plain,
      '-v2',
      'aes-256-cbc',
      '-passout',
      'pass:pw',
      '-out',
      encrypted,
    ]);
    const scrypt = path.join(dir, 'scrypt.pem');
    openssl(['pkcs8', '-topk8', '-in', plain, '-scrypt', '-passout', 'pass:pw', '-out', scrypt]);
    for (const file of [plain, encrypted, scrypt]) {
      expect(() => refuseCostlyKeyEncryption(readFileSync(file, 'utf8'))).not.toThrow();
    }
    expect(() => refuseCostlyKeyEncryption(pbkdf2Key(MAX_KEY_ITERATIONS))).not.toThrow();
  });

  it('refuses a key asking for 20 million PBKDF2 iterations at once, under any label', () => {
    const cert = path.join(dir, 'c.pem');
    openssl([
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', path.join(dir, 'c.key'), '-out', cert, '-subj', '/CN=c', '-days', '1'],
    ]);
    const parsed = parseCertificate(readFileSync(cert));
    for (const key of [pbkdf2Key(20_000_000), `junk\n${pbkdf2Key(20_000_000, 'PRIVATE KEY')}`]) {
      const started = Date.now();
      expect(() => checkPrivateKey(parsed, key, 'pw')).toThrow(InvalidInputError);
      expect(() => checkPrivateKey(parsed, key, 'pw')).toThrow(/iteration count 20000000 is above/);
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });
});
