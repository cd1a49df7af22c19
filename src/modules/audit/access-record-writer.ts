import { Worker } from 'node:worker_threads';
import type { Database, Executor } from '../../platform/db/database.js';
import type { AuditWriterInit, AuditWriterReply, AuditWriterRequest } from './audit-writer.worker.js';
import type { PendingRecord } from './audit.types.js';
import { createConditionalAppender } from './postgres-append.js';

/** Appends access records durably, batching concurrent calls (group commit). */
export interface AccessRecordWriter {
  /** Resolves when the record is committed. */
  write(record: PendingRecord): Promise<void>;
  /** Waits for every record written so far, then stops. */
  close(): Promise<void>;
}

interface Waiter {
  readonly record: PendingRecord;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

const MAX_BATCH = 512;

/** Told of every batch: how many records, how long until durable (or refused), whether it failed. */
export type BatchObserver = (records: number, seconds: number, failed: boolean) => void;

const ignoreBatch: BatchObserver = () => {};

/**
 * SQLite: a worker thread with its own connection does the commits (audit-writer.worker.ts),
 * so fsync never stalls the event loop. PostgreSQL: batches are appended by one statement
 * (postgres-append.ts; the I/O is asynchronous already).
 */
export function createAccessRecordWriter(
  database: Database,
  macKey: Buffer,
  appendInTransaction: (trx: Executor, records: PendingRecord[]) => Promise<void>,
  observe: BatchObserver = ignoreBatch,
): AccessRecordWriter {
  if (database.sqlite !== undefined) return workerWriter(database.sqlite, macKey, observe);
  const inTransaction = (records: PendingRecord[]) =>
    database.db.transaction().execute((trx) => appendInTransaction(trx, records));
  return batchingWriter(
    database.postgres === undefined
      ? inTransaction
      : createConditionalAppender(database.postgres.pool, macKey, inTransaction),
    observe,
  );
}

/**
 * PostgreSQL: one batch in flight at a time; records arriving while it commits form the next.
 * `appendBatch` resolves once its records are committed.
 */
function batchingWriter(
  appendBatch: (records: PendingRecord[]) => Promise<void>,
  observe: BatchObserver,
): AccessRecordWriter {
  let pending: Waiter[] = [];
  let draining: Promise<void> | undefined;

  const drain = async () => {
    // setImmediate lets every request that arrived in this turn of the event loop join the batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_BATCH);
      pending = pending.slice(batch.length);
      const startedAt = performance.now();
      try {
        await appendBatch(batch.map((w) => w.record));
        observe(batch.length, (performance.now() - startedAt) / 1000, false);
        for (const w of batch) w.resolve();
      } catch (err) {
        observe(batch.length, (performance.now() - startedAt) / 1000, true);
        for (const w of batch) w.reject(err as Error);
      }
    }
  };

  const startDraining = () => {
    draining = drain().finally(() => {
      draining = undefined;
      // A record written after the loop ended but before this callback ran is not left behind.
      if (pending.length > 0) startDraining();
    });
  };

  return {
    write(record) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ record, resolve, reject });
        if (!draining) startDraining();
      });
    },
    async close() {
      while (draining) await draining;
    },
  };
}

function workerWriter(
  sqlite: NonNullable<Database['sqlite']>,
  macKey: Buffer,
  observe: BatchObserver,
): AccessRecordWriter {
  const gate = sqlite.writeGate;
  let worker: Worker | undefined;
  let nextId = 1;
  /** Records not yet handed to the worker. */
  const queue: Waiter[] = [];
  /** Records handed to the worker, by id, awaiting its reply. */
  const outstanding = new Map<number, Waiter>();
  /** When each message still unanswered was posted, by its first id (the worker answers in order). */
  const postedAt = new Map<number, number>();
  /** Held while the worker has outstanding records: other writers of this process wait. */
  let releaseGate: (() => void) | undefined;
  let acquiring = false;
  let pumpScheduled = false;
  let idle: (() => void) | undefined;

  const start = (): Worker => {
    const init: AuditWriterInit = { file: sqlite.file, macKey: new Uint8Array(macKey) };
    const w = new Worker(new URL('./audit-writer.worker.js', import.meta.url), { workerData: init });
    w.on('message', (reply: AuditWriterReply) => {
      const error =
        reply.error === undefined
          ? undefined
          : Object.assign(new Error(`audit records could not be written: ${reply.error}`), {
              code: reply.code,
            });
      // One reply may answer several messages (their records committed together): one batch.
      const firstPosted = reply.ids.length > 0 ? postedAt.get(reply.ids[0]!) : undefined;
      for (const id of reply.ids) postedAt.delete(id);
      if (firstPosted !== undefined)
        observe(reply.ids.length, (performance.now() - firstPosted) / 1000, error !== undefined);
      for (const id of reply.ids) {
        const waiter = outstanding.get(id);
        outstanding.delete(id);
        if (error) waiter?.reject(error);
        else waiter?.resolve();
      }
      settle();
    });
    const fail = (err: Error) => {
      worker = undefined;
      for (const waiter of outstanding.values()) waiter.reject(err);
      outstanding.clear();
      postedAt.clear();
      settle();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the audit writer stopped (exit code ${code})`)));
    return w;
  };

  /** After replies: end the session when nothing is outstanding, then start the next one if needed. */
  const settle = () => {
    if (outstanding.size > 0) return;
    // Referenced only while records are in flight: an idle writer must not keep the process alive.
    worker?.unref();
    if (releaseGate) {
      const release = releaseGate;
      releaseGate = undefined;
      release();
    }
    if (queue.length > 0) pump();
    else idle?.();
  };

  const send = () => {
    const batch = queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    worker ??= start();
    worker.ref();
    const ids = batch.map((waiter) => {
      const id = nextId++;
      outstanding.set(id, waiter);
      return id;
    });
    postedAt.set(ids[0]!, performance.now());
    const request: AuditWriterRequest = { ids, records: batch.map((w) => w.record) };
    worker.postMessage(request);
  };

  const pump = () => {
    if (releaseGate) {
      // A session is open. Keep feeding it unless another writer of this process is waiting:
      // then let the session end (when outstanding records are done) so it gets its turn.
      if (!gate.hasWaiters()) while (queue.length > 0) send();
      return;
    }
    if (acquiring) return;
    acquiring = true;
    void gate.acquire().then((release) => {
      acquiring = false;
      releaseGate = release;
      while (queue.length > 0) send();
      if (outstanding.size === 0) settle();
    });
  };

  return {
    write(record) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ record, resolve, reject });
        // One message per turn of the event loop carries every record written in it.
        if (!pumpScheduled) {
          pumpScheduled = true;
          setImmediate(() => {
            pumpScheduled = false;
            pump();
          });
        }
      });
    },
    async close() {
      if (queue.length > 0 || outstanding.size > 0 || acquiring || pumpScheduled) {
        await new Promise<void>((resolve) => (idle = resolve));
      }
      const w = worker;
      worker = undefined;
      if (w) {
        w.removeAllListeners('exit');
        await w.terminate();
      }
    },
  };
}
