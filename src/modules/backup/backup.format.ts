/**
 * The backup file (ADR 049): a clear header, then the plaintext stream cut into chunks, each
 * sealed with AES-256-GCM under a key derived from the master key.
 *
 *   header  = "BWBACKUP" | version(1) | length(4, BE) | JSON {masterKeyId, salt, keyCheck, createdAt, chunkSize}
 *   chunk   = length(4, BE) | ciphertext(length) | tag(16)
 *   nonce   = 0(4) | index(8, BE)           (a fresh key per backup: the salt is random)
 *   AAD     = SHA-256(header) | index(8, BE) | final(1)
 *
 * Every chunk but the last holds exactly `chunkSize` bytes of plaintext; the last one (possibly
 * empty) is sealed with final = 1. So a chunk moved, dropped or altered, a header edited, and a
 * file cut short are each refused: a missing final chunk is "truncated", a failed tag "altered
 * or the key is wrong".
 *
 * The plaintext is a sequence of records: type(1) | length(4, BE) | payload.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { MasterKey } from '../../platform/crypto/master-key.js';

export const MAGIC = Buffer.from('BWBACKUP', 'ascii');
export const FORMAT_VERSION = 1;
export const DEFAULT_CHUNK_SIZE = 1 << 20;
const TAG_LENGTH = 16;
const MAX_HEADER_LENGTH = 64 * 1024;
const MAX_CHUNK_SIZE = 16 << 20;

export class BackupError extends Error {}

export const TRUNCATED = 'the backup is truncated (it ends before its last chunk); it cannot be used';
export const ALTERED = 'the backup was altered or the key is wrong (a chunk failed authentication)';

export interface BackupHeader {
  readonly masterKeyId: string;
  /** base64, 32 random bytes: a fresh backup key per file. */
  readonly salt: string;
  /** base64: HMAC of a fixed text under the derived check key, to tell a wrong key apart. */
  readonly keyCheck: string;
  readonly createdAt: string;
  readonly chunkSize: number;
}

interface DerivedKeys {
  readonly encryption: Buffer;
  readonly check: string;
}

/** The backup key: HKDF-SHA-256 of the master key, the file's salt, a label of its own. */
export function deriveBackupKeys(master: MasterKey, salt: Buffer): DerivedKeys {
  const info = Buffer.from(`bulwark-backup/${FORMAT_VERSION}\u0000${master.id}`);
  const okm = Buffer.from(hkdfSync('sha256', master.key, salt, info, 64));
  const check = createHmac('sha256', okm.subarray(32)).update('bulwark-backup key check').digest();
  return { encryption: okm.subarray(0, 32), check: check.subarray(0, 16).toString('base64') };
}

export function encodeHeader(header: BackupHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const fixed = Buffer.alloc(MAGIC.length + 5);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt8(FORMAT_VERSION, MAGIC.length);
  fixed.writeUInt32BE(json.length, MAGIC.length + 1);
  return Buffer.concat([fixed, json]);
}

function nonceOf(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

function aadOf(headerHash: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(headerHash.length + 9);
  headerHash.copy(aad, 0);
  aad.writeBigUInt64BE(BigInt(index), headerHash.length);
  aad.writeUInt8(final ? 1 : 0, headerHash.length + 8);
  return aad;
}

export function sealChunk(
  key: Buffer,
  headerHash: Buffer,
  index: number,
  final: boolean,
  plain: Buffer,
): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceOf(index));
  cipher.setAAD(aadOf(headerHash, index, final));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body, cipher.getAuthTag()]);
}

function openChunk(
  key: Buffer,
  headerHash: Buffer,
  index: number,
  final: boolean,
  body: Buffer,
  tag: Buffer,
) {
  const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(index));
  decipher.setAAD(aadOf(headerHash, index, final));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Where encrypted bytes go: a file handle, or a buffer in the tests. */
export type ByteSink = (bytes: Buffer) => Promise<void>;
/** Where encrypted bytes come from: up to `length` bytes, fewer only at the end. */
export type ByteSource = (length: number) => Promise<Buffer>;

export function fileSink(handle: FileHandle): ByteSink {
  return async (bytes) => {
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
      written += bytesWritten;
    }
  };
}

export function fileSource(handle: FileHandle): ByteSource {
  return async (length) => {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  };
}

export function bufferSource(data: Buffer): ByteSource {
  let offset = 0;
  return (length) => {
    const part = data.subarray(offset, offset + length);
    offset += part.length;
    return Promise.resolve(part);
  };
}

/** Seals the plaintext stream into chunks as it is written. */
export interface ChunkWriter {
  write(plain: Buffer): Promise<void>;
  /** Seals the last chunk; nothing may be written after. */
  end(): Promise<void>;
}

export async function createChunkWriter(
  sink: ByteSink,
  master: MasterKey,
  createdAt: Date,
  chunkSize = DEFAULT_CHUNK_SIZE,
): Promise<ChunkWriter> {
  const salt = randomBytes(32);
  const keys = deriveBackupKeys(master, salt);
  const header = encodeHeader({
    masterKeyId: master.id,
    salt: salt.toString('base64'),
    keyCheck: keys.check,
    createdAt: createdAt.toISOString(),
    chunkSize,
  });
  const headerHash = createHash('sha256').update(header).digest();
  await sink(header);
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let index = 0;
  const emit = async (plain: Buffer, final: boolean) => {
    await sink(sealChunk(keys.encryption, headerHash, index, final, plain));
    index++;
  };
  return {
    async write(plain) {
      pending.push(plain);
      pendingLength += plain.length;
      if (pendingLength < chunkSize) return;
      let all = Buffer.concat(pending);
      while (all.length >= chunkSize) {
        await emit(all.subarray(0, chunkSize), false);
        all = all.subarray(chunkSize);
      }
      pending = [all];
      pendingLength = all.length;
    },
    async end() {
      await emit(Buffer.concat(pending), true);
      pending = [];
      pendingLength = 0;
    },
  };
}

/** The clear header, read and checked before any key is used. */
export async function readHeader(source: ByteSource): Promise<{ header: BackupHeader; raw: Buffer }> {
  const fixed = await source(MAGIC.length + 5);
  if (fixed.length < MAGIC.length || !fixed.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BackupError('this is not a Bulwark backup (its first bytes are not the backup header)');
  }
  if (fixed.length < MAGIC.length + 5) throw new BackupError(TRUNCATED);
  const version = fixed.readUInt8(MAGIC.length);
  if (version !== FORMAT_VERSION) {
    throw new BackupError(
      `the backup has format version ${version}; this build reads version ${FORMAT_VERSION}`,
    );
  }
  const length = fixed.readUInt32BE(MAGIC.length + 1);
  if (length > MAX_HEADER_LENGTH) throw new BackupError(ALTERED);
  const json = await source(length);
  if (json.length < length) throw new BackupError(TRUNCATED);
  let header: BackupHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as BackupHeader;
  } catch {
    throw new BackupError(ALTERED);
  }
  if (
    typeof header.masterKeyId !== 'string' ||
    typeof header.salt !== 'string' ||
    typeof header.keyCheck !== 'string' ||
    !Number.isInteger(header.chunkSize) ||
    header.chunkSize < 1 ||
    header.chunkSize > MAX_CHUNK_SIZE
  ) {
    throw new BackupError(ALTERED);
  }
  return { header, raw: Buffer.concat([fixed, json]) };
}

/**
 * The plaintext chunks of a backup, each authenticated before it is handed out; throws
 * BackupError for a truncated or altered file or a wrong key.
 */
export async function* readChunks(
  source: ByteSource,
  masterKeyOf: (id: string) => MasterKey | undefined,
): AsyncGenerator<Buffer, void, undefined> {
  const { header, raw } = await readHeader(source);
  const master = masterKeyOf(header.masterKeyId);
  if (master === undefined) {
    throw new BackupError(
      `the backup was taken under master key ${header.masterKeyId}, which is not in the master key file: give the key file that was current when the backup was taken`,
    );
  }
  const keys = deriveBackupKeys(master, Buffer.from(header.salt, 'base64'));
  if (keys.check !== header.keyCheck) {
    throw new BackupError(
      `the master key ${header.masterKeyId} in the key file does not open this backup: the backup was altered or the key is wrong`,
    );
  }
  const headerHash = createHash('sha256').update(raw).digest();
  for (let index = 0; ; index++) {
    const lengthBytes = await source(4);
    if (lengthBytes.length < 4) throw new BackupError(TRUNCATED);
    const length = lengthBytes.readUInt32BE(0);
    if (length > header.chunkSize) throw new BackupError(ALTERED);
    const sealed = await source(length + TAG_LENGTH);
    if (sealed.length < length + TAG_LENGTH) throw new BackupError(TRUNCATED);
    const body = sealed.subarray(0, length);
    const tag = sealed.subarray(length);
    if (length === header.chunkSize) {
      const plain = openChunk(keys.encryption, headerHash, index, false, body, tag);
      if (plain !== undefined) {
        yield plain;
        continue;
      }
    }
    const last = openChunk(keys.encryption, headerHash, index, true, body, tag);
    if (last === undefined) throw new BackupError(ALTERED);
    if ((await source(1)).length > 0) {
      throw new BackupError('the backup was altered (there are bytes after its last chunk)');
    }
    yield last;
    return;
  }
}

export const RecordType = {
  manifest: 1,
  table: 2,
  row: 3,
  tableEnd: 4,
  end: 5,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export interface PlainRecord {
  readonly type: RecordType;
  readonly payload: Buffer;
}

export function encodeRecord(type: RecordType, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/**
 * Records out of the plaintext chunks, however they straddle chunk boundaries. A record larger
 * than a chunk (a big file) is gathered piece by piece and joined once.
 */
export async function* readRecords(chunks: AsyncIterable<Buffer>): AsyncGenerator<PlainRecord> {
  let pieces: Buffer[] = [];
  let available = 0;
  /** The first `n` bytes of what is buffered, joined (the pieces stay as they are). */
  const peek = (n: number): Buffer => {
    if (pieces[0]!.length >= n) return pieces[0]!;
    const joined = Buffer.concat(pieces);
    pieces = [joined];
    return joined;
  };
  for await (const chunk of chunks) {
    pieces.push(chunk);
    available += chunk.length;
    while (available >= 5) {
      const head = peek(5);
      const length = head.readUInt32BE(1);
      if (available < 5 + length) break;
      const type = head.readUInt8(0) as RecordType;
      if (type < RecordType.manifest || type > RecordType.end) {
        throw new BackupError(`the backup holds an unknown record type ${type}`);
      }
      const all = peek(5 + length);
      yield { type, payload: all.subarray(5, 5 + length) };
      pieces[0] = all.subarray(5 + length);
      if (pieces[0].length === 0) pieces.shift();
      available -= 5 + length;
    }
  }
  if (available > 0) throw new BackupError('the backup ends inside a record');
}
