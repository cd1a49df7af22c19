import { createHash, generateKeyPairSync } from 'node:crypto';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../platform/crypto/secret.js';
import { distinctObserved, inspectPrivateKey, normalizeFingerprint } from './host-keys.js';

const fingerprint = (publicLine: string) =>
  `SHA256:${createHash('sha256')
    .update(Buffer.from(publicLine.split(' ')[1]!, 'base64'))
    .digest('base64')
    .replace(/=+$/, '')}`;

describe('host keys and login keys', () => {
  it('reads OpenSSH and PEM private keys, with and without passphrase, and derives the public fingerprint', () => {
    const ed = ssh2.utils.generateKeyPairSync('ed25519');
    expect(inspectPrivateKey(new Secret(ed.private), undefined).fingerprint).toBe(fingerprint(ed.public));
    const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048, passphrase: 'pw', cipher: 'aes256-cbc' });
    expect(inspectPrivateKey(new Secret(rsa.private), new Secret('pw')).fingerprint).toBe(
      fingerprint(rsa.public),
    );
    expect(() => inspectPrivateKey(new Secret(rsa.private), new Secret('no'))).toThrow(
      'PRIVATEKEY is encrypted and PASSPHRASE does not open it',
    );
    expect(() => inspectPrivateKey(new Secret(rsa.private), undefined)).toThrow(
      /PASSPHRASE does not open it/,
    );
    expect(() => inspectPrivateKey(new Secret(ed.public), undefined)).toThrow(/holds a public key/);
    // PEM (PKCS#1, encrypted), as OpenSSL writes it.
    const pem = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pem-pw' },
    });
    const parsed = ssh2.utils.parseKey(pem.privateKey, 'pem-pw');
    if (parsed instanceof Error) throw parsed;
    const expected = `SHA256:${createHash('sha256').update(parsed.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
    expect(inspectPrivateKey(new Secret(pem.privateKey), new Secret('pem-pw')).fingerprint).toBe(expected);
    const junk = 'not a key at all, but secret text';
    try {
      inspectPrivateKey(new Secret(junk), undefined);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/^PRIVATEKEY is not a private key/);
      expect((err as Error).message).not.toContain(junk);
    }
  });

  it('fingerprints as ssh-keygen prints them; host names ignore case', () => {
    const body = 'A'.repeat(43);
    expect(normalizeFingerprint(`sha256:${body}=`)).toBe(`SHA256:${body}`);
    expect(normalizeFingerprint(` ${body} `)).toBe(`SHA256:${body}`);
    expect(() => normalizeFingerprint('MD5:aa:bb')).toThrow(/FINGERPRINT must be a SHA256 fingerprint/);
    const key = { port: 22, algorithm: 'ssh-ed25519', key: 'k', fingerprint: `SHA256:${body}` };
    expect(
      distinctObserved([
        { ...key, host: 'A.example' },
        { ...key, host: ' a.EXAMPLE ' },
      ]),
    ).toEqual([{ ...key, host: 'a.example' }]);
  });
});
