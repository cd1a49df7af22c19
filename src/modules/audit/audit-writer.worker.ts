import BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { linkRecords, toAuditRow } from './audit-chain.js';
import type { PendingRecord } from './audit.types.js';

/**
 * The audit writer's own SQLite connection, on a worker thread. Appending access records and
 * waiting for their fsync happens here, so the server's event loop keeps serving while the
 * disk syncs. Group commit: records that arrive while a commit is running are written
 * together by the next one, so one fsync covers many retrievals. The chain logic is the same
 * as on the main connection (audit-chain.ts and the audit_chain head row): linkRecords makes the
 * text storable and hashes it, and exactly its rows (toAuditRow) are inserted.
 *
 * The main thread holds the process's write gate while any record is outstanding here.
 */
export interface AuditWriterInit {
  readonly file: string;
  readonly macKey: Uint8Array;
}

export type AuditWriterRequest = { readonly ids: number[]; readonly records: PendingRecord[] };
/** `code` is the SQLite error code (SQLITE_FULL…), so the fault keeps its name (ADR 022). */
export type AuditWriterReply = { readonly ids: number[]; readonly error?: string; readonly code?: string };

const init = workerData as AuditWriterInit;
const macKey = Buffer.from(init.macKey);
const db = new BetterSqlite3(init.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 10000');

const readHead = db.prepare<[], { last_seq: number; last_hash: string }>(
  'select last_seq, last_hash from audit_chain where id = 1',
);
const insert = db.prepare(
  `insert into audit_records (seq, at, audit_type, operation, operator_id, operator_name, client_ip, client,
     resource_id, resource_name, account_id, account_name, target_user, reason, ticket_id, prev_hash, hash, encoding)
   values (@seq, @at, @audit_type, @operation, @operator_id, @operator_name, @client_ip, @client,
     @resource_id, @resource_name, @account_id, @account_name, @target_user, @reason, @ticket_id, @prev_hash, @hash,
     @encoding)`,
);
const writeHead = db.prepare('update audit_chain set last_seq = ?, last_hash = ? where id = 1');

const appendBatch = db.transaction((records: PendingRecord[]) => {
  const current = readHead.get()!;
  const { stored, head } = linkRecords(
    macKey,
    { lastSeq: current.last_seq, lastHash: current.last_hash },
    records,
  );
  for (const record of stored) insert.run(toAuditRow(record));
  writeHead.run(head.lastSeq, head.lastHash);
});

let buffered: AuditWriterRequest[] = [];
let scheduled = false;

function commitBuffered(): void {
  scheduled = false;
  const requests = buffered;
  buffered = [];
  const ids = requests.flatMap((r) => r.ids);
  let reply: AuditWriterReply;
  try {
    appendBatch.immediate(requests.flatMap((r) => r.records));
    reply = { ids };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    reply = { ids, error: (err as Error).message, ...(typeof code === 'string' ? { code } : {}) };
  }
  parentPort!.postMessage(reply);
}

parentPort!.on('message', (request: AuditWriterRequest) => {
  buffered.push(request);
  // Messages that queued up during the last commit are all delivered before setImmediate
  // fires, so they share the next commit.
  if (!scheduled) {
    scheduled = true;
    setImmediate(commitBuffered);
  }
});
