import { describe, expect, it } from 'vitest';
import { decodeBase32, hotp, totp, type TotpAlgorithm } from './totp.js';

// RFC 6238 Appendix B: the seed is "12345678901234567890" repeated to the hash's length.
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890', 'ascii'),
  SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};

const VECTORS: [number, TotpAlgorithm, string][] = [
  [59, 'SHA1', '94287082'],
  [59, 'SHA256', '46119246'],
  [59, 'SHA512', '90693936'],
  [1111111109, 'SHA1', '07081804'],
  [1111111109, 'SHA256', '68084774'],
  [1111111109, 'SHA512', '25091201'],
  [1111111111, 'SHA1', '14050471'],
  [1111111111, 'SHA256', '67062674'],
  [1111111111, 'SHA512', '99943326'],
  [1234567890, 'SHA1', '89005924'],
  [1234567890, 'SHA256', '91819424'],
  [1234567890, 'SHA512', '93441116'],
  [2000000000, 'SHA1', '69279037'],
  [2000000000, 'SHA256', '90698825'],
  [2000000000, 'SHA512', '38618901'],
  [20000000000, 'SHA1', '65353130'],
  [20000000000, 'SHA256', '77737706'],
  [20000000000, 'SHA512', '47863826'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('T=%i %s → %s', (time, algorithm, expected) => {
    expect(totp(SEEDS[algorithm], time, { algorithm, digits: 8, period: 30 })).toBe(expected);
  });

  it('HOTP matches RFC 4226 Appendix D', () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    expected.forEach((code, counter) => expect(hotp(SEEDS.SHA1, BigInt(counter), 6, 'SHA1')).toBe(code));
  });

  it('6 digits are the last six of 8, zero-padded', () => {
    expect(totp(SEEDS.SHA1, 1111111109, { algorithm: 'SHA1', digits: 6, period: 30 })).toBe('081804');
    expect(totp(SEEDS.SHA1, 1111111109, { algorithm: 'SHA1', digits: 7, period: 30 })).toBe('7081804');
  });

  it('the period decides the counter', () => {
    // T=59 with a 60 s step is counter 0, the same as T=29 with 30 s.
    expect(totp(SEEDS.SHA1, 59, { algorithm: 'SHA1', digits: 6, period: 60 })).toBe(
      hotp(SEEDS.SHA1, 0n, 6, 'SHA1'),
    );
  });
});

describe('base32 secrets', () => {
  it('decodes RFC 4648 test vectors, in any case, with or without padding and spaces', () => {
    expect(decodeBase32('MZXW6YTBOI======')?.toString()).toBe('foobar');
    expect(decodeBase32('mzxw 6ytb oi')?.toString()).toBe('foobar');
    expect(decodeBase32('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')?.toString()).toBe('12345678901234567890');
  });

  it('accepts secrets whose length leaves spare bits (like the sample of the API document)', () => {
    expect(decodeBase32('SDFGKJSDFKJGDSFLKJGLDSFGL')).toHaveLength(15);
  });

  it('refuses what is not base32', () => {
    for (const bad of ['', '   ', '0189', 'abc!', 'MZ=XW', 'A'])
      expect(decodeBase32(bad), bad).toBeUndefined();
  });
});
