import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isAccountName,
  keyLine,
  parseAuthorizedKeysLine,
  parsePublicKey,
} from './ssh-authorized-keys-lines.js';

const BLOB = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

describe('authorized_keys lines (parsing, no host)', () => {
  it('reads options with quoted spaces, commas and escaped quotes; comments; reports bad lines', () => {
    const line = parseAuthorizedKeysLine(
      `from="10.0.0.0/8,192.168.1.1",command="echo \\"a b\\"",no-pty ssh-ed25519 ${BLOB} me@laptop`,
    );
    expect(line).toEqual({
      kind: 'key',
      key: expect.objectContaining({
        type: 'ssh-ed25519',
        blob: BLOB,
        comment: 'me@laptop',
        options: 'from="10.0.0.0/8,192.168.1.1",command="echo \\"a b\\"",no-pty',
      }),
    });
    expect(parseAuthorizedKeysLine('# a comment').kind).toBe('blank');
    expect(parseAuthorizedKeysLine('   ').kind).toBe('blank');
    expect(parseAuthorizedKeysLine(`ssh-rsa ${BLOB}`)).toMatchObject({ kind: 'invalid' });
    expect(parseAuthorizedKeysLine('ssh-ed25519 not!base64')).toMatchObject({ kind: 'invalid' });
    expect(parseAuthorizedKeysLine('ssh-ed25519')).toMatchObject({ kind: 'invalid' });
    expect(parseAuthorizedKeysLine(`command="unterminated ssh-ed25519 ${BLOB}`)).toMatchObject({
      kind: 'invalid',
    });
  });

  it('fingerprints as ssh-keygen -l prints them, for every key type ssh-keygen makes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-keylines-'));
    try {
      for (const type of ['ed25519', 'rsa', 'ecdsa', 'dsa']) {
        const file = path.join(dir, type);
        execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `c ${type}`, '-f', file], {
          stdio: 'ignore',
        });
        const text = readFileSync(`${file}.pub`, 'utf8');
        const key = parsePublicKey(text);
        const printed = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' });
        expect(printed.split(' ')[1]).toBe(key.fingerprint);
        expect(key.comment).toBe(`c ${type}`);
        expect(`${keyLine(key)}\n`).toBe(text);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses public keys that could not be sent safely', () => {
    expect(() => parsePublicKey(`ssh-ed25519 ${BLOB} a\nb`)).toThrow(/line break or a control/);
    expect(() => parsePublicKey(`ssh-ed25519 ${BLOB} a\u0085b`)).toThrow(/control/);
    expect(() => parsePublicKey(`ssh-foo ${BLOB}`)).toThrow(/unknown key type/);
    expect(() => parsePublicKey(`ecdsa-sha2-nistp256 ${BLOB}`)).toThrow(/of type "ssh-ed25519"/);
    expect(() => parsePublicKey(`ssh-ed25519 ${BLOB.slice(0, -4)}`)).toThrow();
    expect(() => parsePublicKey(`ssh-ed25519 ${BLOB} ${'x'.repeat(4000)}`)).toThrow(/longer/);
    expect(parsePublicKey(`ssh-ed25519 ${BLOB} José's $(laptop)`).comment).toBe("José's $(laptop)");
  });

  it('account names: POSIX portable, no leading dash, not all digits', () => {
    for (const ok of ['alice', 'a.b-c_d', '_svc', 'x1']) expect(isAccountName(ok)).toBe(true);
    for (const bad of ['', '-o', '0', '123', 'a b', "a'b", 'a;b', 'a$', 'é', 'a'.repeat(33), 'a\n'])
      expect(isAccountName(bad)).toBe(false);
  });
});
