import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** PostgreSQL's defaults (src/include/common/scram-common.h): 16 bytes of salt, 4096 iterations. */
export const SCRAM_SALT_BYTES = 16;
export const SCRAM_ITERATIONS = 4096;

/**
 * SASLprep (RFC 4013) as far as it changes the bytes of a password: non-ASCII spaces become
 * U+0020, characters "commonly mapped to nothing" go, then NFKC. An ASCII password is unchanged.
 * This is what node-postgres applies when it logs in (and what libpq and the server apply to any
 * string without prohibited characters), so a verifier built here opens with the same password.
 */
export function saslPrep(password: string): string {
  if (/^[\u0000-\u007f]*$/.test(password)) return password;
  return password
    .replace(/[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g, ' ')
    .replace(/\u00ad|\u034f|\u1806|[\u180b-\u180d]|\u200c|\u200d|\u2060|[\ufe00-\ufe0f]|\ufeff/g, '')
    .normalize('NFKC');
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 and 7677, as libpq's
 * PQencryptPasswordConn builds it): `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`,
 * base64. Given to `ALTER ROLE ... PASSWORD '<verifier>'`, the server stores it as it is, so the
 * clear password never reaches the server (its log, pg_stat_statements, an error text).
 */
export async function scramSha256Verifier(
  password: string,
  salt: Buffer = randomBytes(SCRAM_SALT_BYTES),
  iterations: number = SCRAM_ITERATIONS,
): Promise<string> {
  const salted = await pbkdf2Async(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
