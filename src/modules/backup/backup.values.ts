/**
 * Typed row values of a logical backup, the same whichever database they came from:
 * null, integer (bigint: SQLite INTEGER, PostgreSQL int2/int4/int8), real (number: SQLite REAL,
 * PostgreSQL float4/float8), text (string) and bytes (Buffer: SQLite BLOB, PostgreSQL bytea).
 *
 * Encoding, value after value: tag(1) then 0 null | 1 int64 BE | 2 float64 BE |
 * 3 length(4, BE) + UTF-8 | 4 length(4, BE) + bytes.
 */
import { BackupError } from './backup.format.js';

export type BackupValue = null | bigint | number | string | Buffer;

const Tag = { null: 0, integer: 1, real: 2, text: 3, bytes: 4 } as const;

export function encodeRow(values: readonly BackupValue[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) {
    if (value === null) {
      parts.push(Buffer.of(Tag.null));
    } else if (typeof value === 'bigint') {
      const b = Buffer.alloc(9);
      b.writeUInt8(Tag.integer, 0);
      b.writeBigInt64BE(value, 1);
      parts.push(b);
    } else if (typeof value === 'number') {
      const b = Buffer.alloc(9);
      b.writeUInt8(Tag.real, 0);
      b.writeDoubleBE(value, 1);
      parts.push(b);
    } else {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      const head = Buffer.alloc(5);
      head.writeUInt8(typeof value === 'string' ? Tag.text : Tag.bytes, 0);
      head.writeUInt32BE(bytes.length, 1);
      parts.push(head, bytes);
    }
  }
  return Buffer.concat(parts);
}

export function decodeRow(payload: Buffer, columns: number): BackupValue[] {
  const values: BackupValue[] = [];
  let offset = 0;
  const need = (n: number) => {
    if (offset + n > payload.length) throw new BackupError('a row of the backup is malformed');
  };
  for (let i = 0; i < columns; i++) {
    need(1);
    const tag = payload.readUInt8(offset++);
    switch (tag) {
      case Tag.null:
        values.push(null);
        break;
      case Tag.integer:
        need(8);
        values.push(payload.readBigInt64BE(offset));
        offset += 8;
        break;
      case Tag.real:
        need(8);
        values.push(payload.readDoubleBE(offset));
        offset += 8;
        break;
      case Tag.text:
      case Tag.bytes: {
        need(4);
        const length = payload.readUInt32BE(offset);
        offset += 4;
        need(length);
        const bytes = payload.subarray(offset, offset + length);
        offset += length;
        values.push(tag === Tag.text ? bytes.toString('utf8') : Buffer.from(bytes));
        break;
      }
      default:
        throw new BackupError(`a row of the backup holds an unknown value tag ${tag}`);
    }
  }
  if (offset !== payload.length) throw new BackupError('a row of the backup is malformed');
  return values;
}

/** A value as a JavaScript number where the application expects one (ids, times). */
export function asNumber(value: BackupValue, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new BackupError(`${what} is out of range: ${value}`);
    return n;
  }
  throw new BackupError(`${what} is not a number`);
}

/** A row as the application reads it: integers as numbers. */
export function rowObject(
  columns: readonly string[],
  values: readonly BackupValue[],
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    const v = values[i] ?? null;
    row[column] = typeof v === 'bigint' ? asNumber(v, `${column}`) : v;
  });
  return row;
}
