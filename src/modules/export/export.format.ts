/**
 * The export file (ADR 051): a clear header, then the Bulwark CSV sealed once with AES-256-GCM
 * under a key derived from the user's passphrase with scrypt.
 *
 *   file    = "BWEXPORT" | version(1) | length(4, BE) | header JSON | ciphertext | tag(16)
 *   header  = {kdf: "scrypt", logN, r, p, salt, nonce, keyCheck, createdAt, length}
 *   key     = scrypt(passphrase, salt, 64): bytes 0-31 the AES key, 32-63 the key-check key
 *   AAD     = the header bytes, fixed part and JSON
 *
 * One seal rather than the backup's chunks (backup.format.ts): an export is bounded by what an
 * import reads (IMPORT_LIMITS), and the import parses the whole text anyway, so streaming would
 * buy nothing. The header carries the ciphertext's length, so a file cut short is told apart from
 * an altered one, and a key check, so a wrong passphrase is told apart from both.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { Secret } from '../../platform/crypto/secret.js';
import { InvalidInputError } from '../../platform/errors.js';

const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

export const EXPORT_MAGIC = Buffer.from('BWEXPORT', 'ascii');
export const EXPORT_VERSION = 1;
const FIXED_LENGTH = EXPORT_MAGIC.length + 5;
const TAG_LENGTH = 16;
const MAX_HEADER_LENGTH = 4096;

/**
 * scrypt's cost: N = 2^17, r = 8, p = 1 (128 MiB, about half a second), OWASP's recommendation
 * for scrypt. Tests may ask for less; a file is read with the cost its header names, within
 * these bounds (a header asking for more would make opening it a denial of service).
 */
export const DEFAULT_COST = { logN: 17, r: 8, p: 1 } as const;
const COST_BOUNDS = { logN: [14, 20], r: [8, 16], p: [1, 4] } as const;
export type ScryptCost = { readonly logN: number; readonly r: number; readonly p: number };

/** A file that is not an export, was cut short or altered, or a wrong passphrase: one line, no content. */
export class ExportFileError extends InvalidInputError {}

export const NOT_AN_EXPORT = 'this is not a Bulwark export (its first bytes are not the export header)';
export const TRUNCATED = 'the export is truncated (it ends before its last byte); it cannot be read';
export const ALTERED = 'the export was altered (it failed authentication); it cannot be read';
export const WRONG_PASSPHRASE = 'the passphrase does not open this export';

interface ExportHeader {
  readonly kdf: 'scrypt';
  readonly logN: number;
  readonly r: number;
  readonly p: number;
  /** base64, 32 random bytes: a fresh key per file, so the nonce never repeats under a key. */
  readonly salt: string;
  /** base64, 12 random bytes. */
  readonly nonce: string;
  /** base64: HMAC of a fixed text under the key-check key, to tell a wrong passphrase apart. */
  readonly keyCheck: string;
  readonly createdAt: string;
  /** Bytes of ciphertext (without the tag). */
  readonly length: number;
}

async function deriveKeys(passphrase: Secret, salt: Buffer, cost: ScryptCost) {
  const N = 2 ** cost.logN;
  // scrypt needs 128 * N * r bytes; leave room above it.
  const okm = await scryptAsync(Buffer.from(passphrase.reveal().normalize('NFC'), 'utf8'), salt, 64, {
    N,
    r: cost.r,
    p: cost.p,
    maxmem: 256 * N * cost.r,
  });
  const check = createHmac('sha256', okm.subarray(32)).update('bulwark-export key check').digest();
  return { encryption: okm.subarray(0, 32), check: check.subarray(0, 16) };
}

function encodeHeader(header: ExportHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const fixed = Buffer.alloc(FIXED_LENGTH);
  EXPORT_MAGIC.copy(fixed, 0);
  fixed.writeUInt8(EXPORT_VERSION, EXPORT_MAGIC.length);
  fixed.writeUInt32BE(json.length, EXPORT_MAGIC.length + 1);
  return Buffer.concat([fixed, json]);
}

/** Seals `plain` (the CSV's bytes) under the passphrase. */
export async function sealExport(
  plain: Buffer,
  passphrase: Secret,
  createdAt: Date,
  cost: ScryptCost = DEFAULT_COST,
): Promise<Buffer> {
  const salt = randomBytes(32);
  const nonce = randomBytes(12);
  const keys = await deriveKeys(passphrase, salt, cost);
  const header = encodeHeader({
    kdf: 'scrypt',
    logN: cost.logN,
    r: cost.r,
    p: cost.p,
    salt: salt.toString('base64'),
    nonce: nonce.toString('base64'),
    keyCheck: keys.check.toString('base64'),
    createdAt: createdAt.toISOString(),
    length: plain.length,
  });
  const cipher = createCipheriv('aes-256-gcm', keys.encryption, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

const inBounds = (value: unknown, [min, max]: readonly [number, number]) =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

function readHeader(file: Buffer): { header: ExportHeader; raw: Buffer } {
  if (file.length < EXPORT_MAGIC.length || !file.subarray(0, EXPORT_MAGIC.length).equals(EXPORT_MAGIC)) {
    throw new ExportFileError(NOT_AN_EXPORT);
  }
  if (file.length < FIXED_LENGTH) throw new ExportFileError(TRUNCATED);
  const version = file.readUInt8(EXPORT_MAGIC.length);
  if (version !== EXPORT_VERSION) {
    throw new ExportFileError(
      `the export has format version ${version}; this build reads version ${EXPORT_VERSION}`,
    );
  }
  const length = file.readUInt32BE(EXPORT_MAGIC.length + 1);
  if (length > MAX_HEADER_LENGTH) throw new ExportFileError(ALTERED);
  if (file.length < FIXED_LENGTH + length) throw new ExportFileError(TRUNCATED);
  const raw = file.subarray(0, FIXED_LENGTH + length);
  let header: ExportHeader;
  try {
    header = JSON.parse(raw.subarray(FIXED_LENGTH).toString('utf8')) as ExportHeader;
  } catch {
    throw new ExportFileError(ALTERED);
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    header.kdf !== 'scrypt' ||
    !inBounds(header.logN, COST_BOUNDS.logN) ||
    !inBounds(header.r, COST_BOUNDS.r) ||
    !inBounds(header.p, COST_BOUNDS.p) ||
    typeof header.salt !== 'string' ||
    typeof header.nonce !== 'string' ||
    typeof header.keyCheck !== 'string' ||
    !Number.isSafeInteger(header.length) ||
    header.length < 0 ||
    Buffer.from(header.salt, 'base64').length !== 32 ||
    Buffer.from(header.nonce, 'base64').length !== 12 ||
    Buffer.from(header.keyCheck, 'base64').length !== 16
  ) {
    throw new ExportFileError(ALTERED);
  }
  return { header, raw };
}

/**
 * The plaintext of an export, authenticated; ExportFileError (one line, nothing of the content)
 * for a file that is not an export, is cut short or altered, or a wrong passphrase.
 */
export async function openExport(file: Buffer, passphrase: Secret): Promise<Buffer> {
  const { header, raw } = readHeader(file);
  const expected = raw.length + header.length + TAG_LENGTH;
  if (file.length < expected) throw new ExportFileError(TRUNCATED);
  if (file.length > expected)
    throw new ExportFileError('the export was altered (there are bytes after its end)');
  const keys = await deriveKeys(passphrase, Buffer.from(header.salt, 'base64'), header);
  // Only the scrypt output opens it: the check answers "wrong passphrase" rather than "altered".
  if (!timingSafeEqual(keys.check, Buffer.from(header.keyCheck, 'base64'))) {
    throw new ExportFileError(WRONG_PASSPHRASE);
  }
  const decipher = createDecipheriv('aes-256-gcm', keys.encryption, Buffer.from(header.nonce, 'base64'));
  decipher.setAAD(raw);
  decipher.setAuthTag(file.subarray(expected - TAG_LENGTH));
  try {
    return Buffer.concat([
      decipher.update(file.subarray(raw.length, expected - TAG_LENGTH)),
      decipher.final(),
    ]);
  } catch {
    throw new ExportFileError(ALTERED);
  }
}
