import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importPrivateKey } from './key-material.js';

const dir = mkdtempSync(path.join(tmpdir(), 'key-material-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keygen = (args: string[]) => execFileSync('ssh-keygen', args, { stdio: 'pipe' }).toString().trim();

/** The writer against the real ssh-keygen; the API test covers every type and length. */
describe('OpenSSH private key files', () => {
  it.each([
    ['ssh-dss', 1024, 'pass word'],
    ['ed25519', 256, undefined],
  ] as const)(
    '%s: ssh-keygen reads the file, the public line and the fingerprint',
    (type, bits, passphrase) => {
      const pair = generateKeyPair(type, bits, 'a comment', passphrase);
      const file = path.join(dir, type);
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      expect(keygen(['-y', '-P', passphrase ?? '', '-f', file])).toBe(pair.publicKey);
      writeFileSync(`${file}.pub`, `${pair.publicKey}\n`);
      expect(keygen(['-l', '-f', `${file}.pub`])).toBe(
        `${bits} ${pair.fingerprint} a comment (${type === 'ssh-dss' ? 'DSA' : 'ED25519'})`,
      );
      // Read back by the importer: same key, same comment.
      const again = importPrivateKey(pair.privateKey, passphrase, undefined);
      expect(again.fingerprint).toBe(pair.fingerprint);
      expect(again.comment).toBe('a comment');
    },
  );

  it('refuses keys OpenSSH cannot use, never with an internal error', () => {
    const pem = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) =>
      key.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(() =>
      importPrivateKey(pem(generateKeyPairSync('x25519').privateKey), undefined, undefined),
    ).toThrow(/type x25519/);
    expect(() =>
      importPrivateKey(
        pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey),
        undefined,
        undefined,
      ),
    ).toThrow(/curve/);
    expect(() =>
      importPrivateKey(
        pem(generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey),
        undefined,
        undefined,
      ),
    ).toThrow(/512-bit ssh-rsa/);
    expect(() =>
      importPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', undefined, undefined),
    ).toThrow(/corrupt/);
  });
  it('a wrong passphrase on a legacy encrypted PEM key is always "wrong passphrase" (no integrity check there)', () => {
    // A wrong passphrase passes the CBC padding check about once in 256 tries; 400 tries would
    // see it (and a "corrupt" answer) with a probability of about 80 % if it were not handled.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = privateKey.export({
      type: 'pkcs1',
      format: 'pem',
      cipher: 'aes-128-cbc',
      passphrase: 'right',
    });
    for (let i = 0; i < 400; i++) {
      expect(() => importPrivateKey(pem as string, `wrong-${i}`, undefined)).toThrow(/wrong passphrase/);
    }
    expect(importPrivateKey(pem as string, 'right', undefined).type).toBe('ssh-rsa');
  });
});
