import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { requireBinary } from '../../../../test/helpers/services.js';
import { rc2CbcDecrypt, rc2DecryptBlock } from './rc2.js';

describe('RC2 decryption (RFC 2268)', () => {
  // The test vectors of RFC 2268 section 5: key, effective bits, plaintext, ciphertext.
  it.for([
    ['0000000000000000', 63, '0000000000000000', 'ebb773f993278eff'],
    ['ffffffffffffffff', 64, 'ffffffffffffffff', '278b27e42e2f0d49'],
    ['3000000000000000', 64, '1000000000000001', '30649edf9be7d2c2'],
    ['88', 64, '0000000000000000', '61a8a244adacccf0'],
    ['88bca90e90875a', 64, '0000000000000000', '6ccf4308974c267f'],
    ['88bca90e90875a7f0f79c384627bafb2', 64, '0000000000000000', '1a807d272bbe5db1'],
    ['88bca90e90875a7f0f79c384627bafb2', 128, '0000000000000000', '2269552ab0f85ca6'],
  ] as const)('key %s, %i effective bits', ([key, bits, plain, cipher]) => {
    const out = rc2DecryptBlock(Buffer.from(key, 'hex'), bits, Buffer.from(cipher, 'hex'));
    expect(out.toString('hex')).toBe(plain);
  });

  it('decrypts what openssl enc -rc2-40-cbc (legacy provider) encrypts; a wrong key fails the padding', (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const [key, iv] = ['0102030405', '1122334455667788'];
    const text = 'forty bits of key protect this, as OpenSSL 1.x did for PKCS#12 certificates';
    // Binary output: spawned directly rather than through the text helper.
    const out = spawnSync(
      'openssl',
      ['enc', '-rc2-40-cbc', '-K', key, '-iv', iv, '-provider', 'legacy', '-provider', 'default'],
      { input: text },
    );
    if (out.status !== 0) ctx.skip(`openssl has no legacy provider here: ${out.stderr.toString()}`);
    const cipher = out.stdout;
    expect(rc2CbcDecrypt(Buffer.from(key, 'hex'), 40, Buffer.from(iv, 'hex'), cipher).toString()).toBe(text);
    expect(() =>
      rc2CbcDecrypt(Buffer.from('0102030406', 'hex'), 40, Buffer.from(iv, 'hex'), cipher),
    ).toThrow();
  });
});
