import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MasterKey } from '../../platform/crypto/master-key.js';
import {
  ALTERED,
  BackupError,
  bufferSource,
  createChunkWriter,
  encodeRecord,
  readChunks,
  readRecords,
  RecordType,
  TRUNCATED,
} from './backup.format.js';
import { dependencyOrder } from './backup.snapshot.js';
import { decodeRow, encodeRow, type BackupValue } from './backup.values.js';

const MASTER: MasterKey = { id: 'mk-test-1', key: Buffer.alloc(32, 1) };
const OTHER: MasterKey = { id: 'mk-test-1', key: Buffer.alloc(32, 2) };
const CHUNK = 64;

async function sealed(plain: Buffer, master = MASTER, chunkSize = CHUNK): Promise<Buffer> {
  const parts: Buffer[] = [];
  const writer = await createChunkWriter(
    (bytes) => {
      parts.push(Buffer.from(bytes));
      return Promise.resolve();
    },
    master,
    new Date(0),
    chunkSize,
  );
  // Written in uneven pieces: chunk boundaries must not depend on how the stream was cut.
  for (let offset = 0; offset < plain.length; offset += 37)
    await writer.write(plain.subarray(offset, offset + 37));
  await writer.end();
  return Buffer.concat(parts);
}

async function opened(file: Buffer, master: MasterKey = MASTER): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readChunks(bufferSource(file), (id) => (id === master.id ? master : undefined))) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function refusal(file: Buffer, master: MasterKey = MASTER): Promise<string> {
  try {
    await opened(file, master);
  } catch (err) {
    expect(err).toBeInstanceOf(BackupError);
    return (err as Error).message;
  }
  throw new Error('the file was accepted');
}

/** Offsets of the chunks after the header: [start, end) of each. */
function chunkBounds(file: Buffer): [number, number][] {
  let offset = 8 + 1 + 4 + file.readUInt32BE(9);
  const bounds: [number, number][] = [];
  while (offset < file.length) {
    const end = offset + 4 + file.readUInt32BE(offset) + 16;
    bounds.push([offset, end]);
    offset = end;
  }
  return bounds;
}

describe('backup chunk format', () => {
  const plain = randomBytes(CHUNK * 5 + 17);

  it('round-trips any length, the empty stream and exact multiples of the chunk size included', async () => {
    for (const length of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * 3, plain.length]) {
      const part = plain.subarray(0, length);
      expect((await opened(await sealed(part))).equals(part)).toBe(true);
    }
  });

  it('holds nothing of the plaintext in clear and a fresh key per file', async () => {
    const text = Buffer.from('a-password-in-the-backup '.repeat(10));
    const one = await sealed(text);
    const two = await sealed(text);
    expect(one.includes(Buffer.from('a-password'))).toBe(false);
    expect(one.subarray(100).equals(two.subarray(100))).toBe(false);
  });

  it('refuses a file cut short anywhere as truncated', async () => {
    const file = await sealed(plain);
    const bounds = chunkBounds(file);
    // At every chunk boundary (the final chunk missing) and inside every chunk.
    for (const [start, end] of bounds) {
      expect(await refusal(file.subarray(0, start))).toBe(TRUNCATED);
      expect(await refusal(file.subarray(0, start + Math.floor((end - start) / 2)))).toBe(TRUNCATED);
    }
    expect(await refusal(file.subarray(0, 20))).toBe(TRUNCATED);
  });

  it('refuses every single flipped bit: never accepted, never a crash', async () => {
    const file = await sealed(plain.subarray(0, CHUNK * 2 + 5));
    for (let i = 0; i < file.length; i++) {
      const altered = Buffer.from(file);
      altered[i] = altered[i]! ^ 0x01;
      const message = await refusal(altered);
      expect(message.length).toBeGreaterThan(0);
      expect(message).not.toMatch(/at .*\.js/);
    }
  });

  it('says "altered" for a changed byte inside a chunk, and for chunks reordered, dropped or appended', async () => {
    const file = await sealed(plain);
    const bounds = chunkBounds(file);
    const flipped = Buffer.from(file);
    flipped[bounds[1]![0] + 10]! ^= 0xff;
    expect(await refusal(flipped)).toBe(ALTERED);

    const [a, b] = [bounds[0]!, bounds[1]!];
    const swapped = Buffer.concat([
      file.subarray(0, a[0]),
      file.subarray(b[0], b[1]),
      file.subarray(a[0], a[1]),
      file.subarray(b[1]),
    ]);
    expect(await refusal(swapped)).toBe(ALTERED);

    const dropped = Buffer.concat([file.subarray(0, b[0]), file.subarray(b[1])]);
    expect(await refusal(dropped)).toBe(ALTERED);

    const appended = Buffer.concat([file, Buffer.from('x')]);
    expect(await refusal(appended)).toMatch(/altered/);
  });

  it('refuses a wrong key or one the key file lacks, and a file that is not a backup', async () => {
    const file = await sealed(plain);
    expect(await refusal(file, OTHER)).toMatch(/the backup was altered or the key is wrong/);
    expect(await refusal(file, { id: 'mk-other', key: MASTER.key })).toMatch(
      /taken under master key mk-test-1, which is not in the master key file/,
    );
    expect(await refusal(Buffer.from('SQLite format 3\u0000 and more'))).toMatch(/not a Bulwark backup/);
    const header = Buffer.from(file);
    header[8] = 9;
    expect(await refusal(header)).toMatch(/format version 9/);
  });

  it('cuts the plaintext into records whatever the chunk boundaries', async () => {
    const records = [
      encodeRecord(RecordType.manifest, Buffer.from('{"a":1}')),
      ...Array.from({ length: 50 }, (_, i) => encodeRecord(RecordType.row, randomBytes(i * 3))),
      encodeRecord(RecordType.end, Buffer.alloc(0)),
    ];
    const file = await sealed(Buffer.concat(records), MASTER, 16);
    const read = [];
    for await (const r of readRecords(readChunks(bufferSource(file), () => MASTER))) read.push(r);
    expect(read.map((r) => encodeRecord(r.type, r.payload))).toEqual(records);
  });
});

describe('backup row values', () => {
  it('keep their type and value exactly', () => {
    const row: BackupValue[] = [
      null,
      0n,
      -1n,
      9_007_199_254_740_993n,
      -(2n ** 63n),
      2n ** 63n - 1n,
      1.5,
      -0.1,
      3,
      '',
      'é✓ 𝄞 text',
      Buffer.alloc(0),
      randomBytes(100),
    ];
    expect(decodeRow(encodeRow(row), row.length)).toEqual(row);
  });

  it('refuses a malformed row', () => {
    const bytes = encodeRow(['text', 1n]);
    expect(() => decodeRow(bytes.subarray(0, bytes.length - 1), 2)).toThrow(BackupError);
    expect(() => decodeRow(bytes, 3)).toThrow(BackupError);
    expect(() => decodeRow(Buffer.of(9), 1)).toThrow(/unknown value tag/);
  });
});

describe('table order', () => {
  it('puts parents before children, data keys first, and defers self-references', () => {
    const ordered = dependencyOrder([
      {
        name: 'accounts',
        columns: ['id', 'resource_id'],
        primaryKey: ['id'],
        references: [{ column: 'resource_id', table: 'resources' }],
      },
      {
        name: 'resources',
        columns: ['id', 'owner_id'],
        primaryKey: ['id'],
        references: [{ column: 'owner_id', table: 'users' }],
      },
      { name: 'users', columns: ['id'], primaryKey: ['id'], references: [] },
      { name: 'data_keys', columns: ['id'], primaryKey: ['id'], references: [] },
      {
        name: 'groups',
        columns: ['id', 'parent_id'],
        primaryKey: ['id'],
        references: [{ column: 'parent_id', table: 'groups' }],
      },
    ]);
    expect(ordered.map((t) => t.name)).toEqual(['data_keys', 'groups', 'users', 'resources', 'accounts']);
    expect(ordered.find((t) => t.name === 'groups')!.selfReferences).toEqual(['parent_id']);
  });

  it('refuses a cycle', () => {
    expect(() =>
      dependencyOrder([
        { name: 'a', columns: [], primaryKey: [], references: [{ column: 'b_id', table: 'b' }] },
        { name: 'b', columns: [], primaryKey: [], references: [{ column: 'a_id', table: 'a' }] },
      ]),
    ).toThrow(/cycle/);
  });
});
