/**
 * The logical content of a backup, over the chunk format: a manifest, then each table (its
 * columns, its rows, how many), then an end record. Written by `writeSnapshot`, read back by
 * `readBackup`, which checks the structure and every declared count as it goes.
 */
import { open } from 'node:fs/promises';
import type { DialectName } from '../../platform/db/database.js';
import type { MasterKeySet } from '../../platform/crypto/master-key.js';
import {
  BackupError,
  encodeRecord,
  fileSource,
  readChunks,
  readRecords,
  RecordType,
  type ChunkWriter,
} from './backup.format.js';
import type { Snapshot, TableInfo } from './backup.snapshot.js';
import { decodeRow, encodeRow, type BackupValue } from './backup.values.js';

export interface Manifest {
  readonly format: 'bulwark-backup';
  readonly createdAt: string;
  readonly source: DialectName;
  /** The schema: every migration applied to the source, in order. */
  readonly migrations: string[];
  readonly tables: string[];
}

export interface EndRecord {
  readonly rows: Record<string, number>;
  /** The next id of each table's sequence on the source. */
  readonly sequences: Record<string, number>;
}

export type Progress = (table: string, done: number, total: number | undefined) => void;

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const PROGRESS_EVERY = 1000;

/** Streams a snapshot into a chunk writer; answers the rows written per table. */
export async function writeSnapshot(
  snapshot: Snapshot,
  writer: ChunkWriter,
  tables: readonly TableInfo[],
  createdAt: Date,
  onProgress?: Progress,
): Promise<EndRecord> {
  const manifest: Manifest = {
    format: 'bulwark-backup',
    createdAt: createdAt.toISOString(),
    source: snapshot.dialect,
    migrations: await snapshot.migrations(),
    tables: tables.map((t) => t.name),
  };
  await writer.write(encodeRecord(RecordType.manifest, json(manifest)));
  const rows: Record<string, number> = {};
  for (const table of tables) {
    const total = await snapshot.count(table.name);
    await writer.write(encodeRecord(RecordType.table, json(table)));
    let n = 0;
    for await (const values of snapshot.rows(table)) {
      await writer.write(encodeRecord(RecordType.row, encodeRow(values)));
      if (++n % PROGRESS_EVERY === 0) onProgress?.(table.name, n, total);
    }
    onProgress?.(table.name, n, total);
    rows[table.name] = n;
    await writer.write(encodeRecord(RecordType.tableEnd, json({ rows: n })));
  }
  const end: EndRecord = { rows, sequences: await snapshot.sequences() };
  await writer.write(encodeRecord(RecordType.end, json(end)));
  await writer.end();
  return end;
}

export interface BackupVisitor {
  manifest(manifest: Manifest): Promise<void> | void;
  table(table: TableInfo): Promise<void> | void;
  row(values: readonly BackupValue[]): Promise<void> | void;
  endTable(table: TableInfo): Promise<void> | void;
  end(end: EndRecord): Promise<void> | void;
}

function parse<T>(payload: Buffer): T {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch {
    throw new BackupError('the backup holds a malformed record');
  }
}

/** Reads a backup file whole, authenticating every chunk, checking its structure and counts. */
export async function readBackup(
  file: string,
  masterKeys: MasterKeySet,
  visitor: BackupVisitor,
  onProgress?: Progress,
): Promise<{ manifest: Manifest; end: EndRecord }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new BackupError(`cannot read the backup ${file}: ${(err as Error).message}`);
  }
  try {
    let manifest: Manifest | undefined;
    let end: EndRecord | undefined;
    let table: TableInfo | undefined;
    let rows = 0;
    const seen = new Set<string>();
    for await (const record of readRecords(readChunks(fileSource(handle), (id) => masterKeys.get(id)))) {
      if (end !== undefined) throw new BackupError('the backup holds records after its end');
      switch (record.type) {
        case RecordType.manifest:
          if (manifest !== undefined) throw new BackupError('the backup holds two manifests');
          manifest = parse<Manifest>(record.payload);
          if (manifest.format !== 'bulwark-backup' || !Array.isArray(manifest.migrations)) {
            throw new BackupError('the backup manifest is not one this build reads');
          }
          await visitor.manifest(manifest);
          break;
        case RecordType.table:
          if (manifest === undefined || table !== undefined)
            throw new BackupError('the backup is out of order');
          table = parse<TableInfo>(record.payload);
          if (seen.has(table.name) || !manifest.tables.includes(table.name)) {
            throw new BackupError(`the backup holds table ${table.name} twice or outside its manifest`);
          }
          seen.add(table.name);
          rows = 0;
          await visitor.table(table);
          break;
        case RecordType.row:
          if (table === undefined) throw new BackupError('the backup holds a row outside a table');
          rows++;
          await visitor.row(decodeRow(record.payload, table.columns.length));
          if (rows % PROGRESS_EVERY === 0) onProgress?.(table.name, rows, undefined);
          break;
        case RecordType.tableEnd: {
          if (table === undefined) throw new BackupError('the backup is out of order');
          const declared = parse<{ rows: number }>(record.payload).rows;
          if (declared !== rows) {
            throw new BackupError(
              `table ${table.name} of the backup declares ${declared} rows but holds ${rows}`,
            );
          }
          onProgress?.(table.name, rows, rows);
          await visitor.endTable(table);
          table = undefined;
          break;
        }
        case RecordType.end:
          if (manifest === undefined || table !== undefined)
            throw new BackupError('the backup is out of order');
          end = parse<EndRecord>(record.payload);
          for (const name of manifest.tables) {
            if (!seen.has(name)) throw new BackupError(`the backup lacks table ${name}`);
          }
          await visitor.end(end);
          break;
      }
    }
    if (manifest === undefined || end === undefined)
      throw new BackupError('the backup is truncated (it has no end record)');
    return { manifest, end };
  } finally {
    await handle.close();
  }
}
