import { InvalidInputError } from '../../../platform/errors.js';

/**
 * RC2 decryption (RFC 2268) in CBC mode, for reading PKCS#12 files whose certificates OpenSSL 1.x
 * (and `openssl pkcs12 -legacy`) encrypted with pbeWithSHAAnd40BitRC2-CBC. Node's OpenSSL 3 has
 * RC2 only in the legacy provider, which we do not load (ADR 038). Decryption only: we never
 * write RC2. Checked against the RFC's test vectors and `openssl enc -rc2-40-cbc`.
 */

// The "random" permutation of RFC 2268 section 2, from the digits of pi.
const PITABLE = Buffer.from(
  [
    'd978f9c419ddb5ed28e9fd794aa0d89d',
    'c67e37832b76538e624c6488448bfba2',
    '179a59f587b34f1361456d8d09817d32',
    'bd8f40eb86b77b0bf09521225c6b4e82',
    '54d66593ce60b21c7356c014a78cf1dc',
    '1275ca1f3bbee4d1423dd430a33cb626',
    '6fbf0eda4669075727f21d9bbc944303',
    'f811c7f690ef3ee706c3d52fc8661ed7',
    '08e8eade8052eef784aa72ac354d6a2a',
    '961ad2715a1549744b9fd05e0418a4ec',
    'c2e0416e0f51cbcc2491af50a1f47039',
    '997c3a8523b8b47afc02365b25559731',
    '2d5dfa98e38a92ae05df2910676cbac9',
    'd300e6cfe19ea82c6316013f58e289a9',
    '0d38341bab33ffb0bb480c5fb9b1cd2e',
    'c5f3db47e5a59c770aa62068fe7fc1ad',
  ].join(''),
  'hex',
);

/** The 64 16-bit round keys from `key` with `effectiveBits` effective key bits. */
function expandKey(key: Buffer, effectiveBits: number): Uint16Array {
  const T = key.length;
  if (T < 1 || T > 128 || effectiveBits < 1 || effectiveBits > 1024) {
    throw new InvalidInputError('The RC2 key of the PKCS#12 file is out of range');
  }
  const L = new Uint8Array(128);
  L.set(key);
  for (let i = T; i < 128; i++)
    L[i] = PITABLE[((L[i - 1] as number) + (L[i - T] as number)) & 0xff] as number;
  const T8 = Math.ceil(effectiveBits / 8);
  const TM = 0xff >> (8 * T8 - effectiveBits);
  L[128 - T8] = PITABLE[(L[128 - T8] as number) & TM] as number;
  for (let i = 127 - T8; i >= 0; i--) L[i] = PITABLE[(L[i + 1] as number) ^ (L[i + T8] as number)] as number;
  const K = new Uint16Array(64);
  for (let i = 0; i < 64; i++) K[i] = (L[2 * i] as number) | ((L[2 * i + 1] as number) << 8);
  return K;
}

const SHIFTS = [1, 2, 3, 5] as const;

function decryptBlock(K: Uint16Array, block: Buffer, out: Buffer, at: number): void {
  const R = [block.readUInt16LE(0), block.readUInt16LE(2), block.readUInt16LE(4), block.readUInt16LE(6)];
  let j = 63;
  const rmix = () => {
    for (let i = 3; i >= 0; i--) {
      const s = SHIFTS[i] as number;
      const r = R[i] as number;
      R[i] = ((r >>> s) | (r << (16 - s))) & 0xffff;
      const a = R[(i + 3) % 4] as number;
      const b = R[(i + 2) % 4] as number;
      const c = R[(i + 1) % 4] as number;
      R[i] = ((R[i] as number) - (K[j--] as number) - (a & b) - (~a & c)) & 0xffff;
    }
  };
  const rmash = () => {
    for (let i = 3; i >= 0; i--) {
      R[i] = ((R[i] as number) - (K[(R[(i + 3) % 4] as number) & 63] as number)) & 0xffff;
    }
  };
  for (let n = 0; n < 5; n++) rmix();
  rmash();
  for (let n = 0; n < 6; n++) rmix();
  rmash();
  for (let n = 0; n < 5; n++) rmix();
  for (let i = 0; i < 4; i++) out.writeUInt16LE(R[i] as number, at + 2 * i);
}

/** One RC2 block decrypted (ECB), for the RFC's test vectors. */
export function rc2DecryptBlock(key: Buffer, effectiveBits: number, block: Buffer): Buffer {
  const out = Buffer.alloc(8);
  decryptBlock(expandKey(key, effectiveBits), block, out, 0);
  return out;
}

/**
 * RC2-CBC decryption with PKCS#7 padding removed; a bad padding (a wrong key) throws, as
 * node's deciphers do.
 */
export function rc2CbcDecrypt(key: Buffer, effectiveBits: number, iv: Buffer, data: Buffer): Buffer {
  if (iv.length !== 8 || data.length === 0 || data.length % 8 !== 0) throw new Error('bad RC2 input');
  const K = expandKey(key, effectiveBits);
  const out = Buffer.alloc(data.length);
  let previous = iv;
  for (let at = 0; at < data.length; at += 8) {
    const block = data.subarray(at, at + 8);
    decryptBlock(K, block, out, at);
    for (let i = 0; i < 8; i++) out[at + i] = (out[at + i] as number) ^ (previous[i] as number);
    previous = block;
  }
  const pad = out[out.length - 1] as number;
  if (pad < 1 || pad > 8 || out.subarray(out.length - pad).some((b) => b !== pad)) {
    throw new Error('bad RC2 padding');
  }
  return out.subarray(0, out.length - pad);
}
