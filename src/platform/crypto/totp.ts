import { createHmac } from 'node:crypto';

/** TOTP (RFC 6238) over HOTP (RFC 4226), with node:crypto's HMAC. */

export const TOTP_ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
export type TotpAlgorithm = (typeof TOTP_ALGORITHMS)[number];

export interface TotpParameters {
  readonly algorithm: TotpAlgorithm;
  /** 6 to 8. */
  readonly digits: number;
  /** The time step in seconds (RFC 6238 X), usually 30. */
  readonly period: number;
}

export const TOTP_DEFAULTS: TotpParameters = { algorithm: 'SHA1', digits: 6, period: 30 };

const HMAC_NAME: Record<TotpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** RFC 4226 HOTP value of `counter` under `key`, `digits` long (zero-padded). */
export function hotp(key: Buffer, counter: bigint, digits: number, algorithm: TotpAlgorithm): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(HMAC_NAME[algorithm], key).update(message).digest();
  // Dynamic truncation: the low nibble of the last byte picks four bytes.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 TOTP at `unixSeconds` (T0 = 0). */
export function totp(key: Buffer, unixSeconds: number, parameters: TotpParameters): string {
  const counter = BigInt(Math.floor(unixSeconds / parameters.period));
  return hotp(key, counter, parameters.digits, parameters.algorithm);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Decodes a base32 secret as authenticator apps accept it: letters in any case, spaces and
 * hyphens ignored, `=` padding only at the end, trailing bits that do not fill a byte dropped.
 * Returns undefined for anything else (or for a secret shorter than one byte).
 */
export function decodeBase32(text: string): Buffer | undefined {
  const cleaned = text.replace(/[\s-]/g, '').toUpperCase().replace(/=+$/, '');
  if (cleaned === '' || !/^[A-Z2-7]+$/.test(cleaned)) return undefined;
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of cleaned) {
    buffer = ((buffer << 5) | BASE32.indexOf(char)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytes.length === 0 ? undefined : Buffer.from(bytes);
}

/** RFC 4648 base32 without padding, as otpauth:// URIs carry secrets. */
export function encodeBase32(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 0x1f];
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 0x1f];
  return out;
}
