import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bitsOfBlob,
  discoveredKeyName,
  fingerprintOfDiscoveredName,
  storeTypeOf,
} from './discovery.types.js';

describe('discovered keys (no host)', () => {
  it('sizes every key type as ssh-keygen -l prints them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-bits-'));
    try {
      const cases = [
        ['rsa', '1024'],
        ['rsa', '3072'],
        ['rsa', '4096'],
        ['dsa', '1024'],
        ['ecdsa', '256'],
        ['ecdsa', '384'],
        ['ecdsa', '521'],
        ['ed25519', ''],
      ] as const;
      for (const [type, bits] of cases) {
        const file = path.join(dir, `${type}${bits}`);
        execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-f', file]);
        const [keyType = '', blob = ''] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ');
        const printed = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' });
        expect(bitsOfBlob(keyType, blob), `${type} ${bits}`).toBe(Number(printed.split(' ')[0]));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a discovered key by its fingerprint, and reads the name back; other names are not', () => {
    const fingerprint = 'SHA256:Ejb0L2VGrZqpC40i7NdJXYtOu6INj7TOorxe/ui9XOE';
    expect(discoveredKeyName(fingerprint)).toBe(`discovered:${fingerprint}`);
    expect(fingerprintOfDiscoveredName(` discovered:${fingerprint} `)).toBe(fingerprint);
    for (const name of ['deploy', `discovered:${fingerprint}x`, 'discovered:SHA256:short', fingerprint])
      expect(fingerprintOfDiscoveredName(name)).toBeUndefined();
    expect(storeTypeOf('ssh-ed25519')).toBe('ed25519');
    expect(storeTypeOf('ecdsa-sha2-nistp521')).toBe('ecdsa');
    expect(storeTypeOf('ssh-rsa')).toBe('ssh-rsa');
  });
});
