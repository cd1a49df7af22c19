import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API auth tokens. A token is 128 random bits shown once in the familiar PMP shape
 * (upper-case hex in 8-4-4-4-12 groups). Only its SHA-256 is stored: a fast hash is right
 * here because the token is random (nothing to brute-force), and a slow one would cap every
 * request at the speed of the hash.
 */
export function generateApiToken(): string {
  const hex = randomBytes(16).toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token.trim().toUpperCase(), 'utf8').digest('hex');
}

export function constantTimeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
