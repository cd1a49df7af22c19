import type { Metrics } from '../../platform/metrics.js';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { NotPermittedError } from '../../platform/errors.js';
import type { CallOrigin, Caller, Principal } from '../../platform/principal.js';
import type { TimeFormatter } from '../../platform/time.js';
import { can } from '../access/index.js';
import { linkRecords } from './audit-chain.js';
import { createChainVerifier } from './chain-verifier.js';
import { createAuditRepository, type AuditFilter, type AuditSearch } from './audit.repository.js';
import { createAccessRecordWriter } from './access-record-writer.js';
import { AuditOperation } from './audit.types.js';
import type {
  AuditActor,
  AuditEvent,
  AuditQuery,
  AuditRecord,
  ChainVerification,
  PendingRecord,
} from './audit.types.js';

export interface AuditService {
  /**
   * Appends records inside the caller's transaction, so the act and its record commit
   * together or not at all.
   */
  append(trx: Executor, actor: AuditActor, ...events: AuditEvent[]): Promise<void>;
  /**
   * Records a read (a password, a file). Resolves once the record is durable; the caller
   * releases the secret only then. Concurrent calls share one transaction (group commit),
   * which keeps one fsync per batch instead of one per retrieval.
   */
  recordAccess(actor: AuditActor, event: AuditEvent): Promise<void>;
  /**
   * Records a refused authentication (type User) in a transaction of its own. Best effort: a
   * failure to write it is swallowed, because the caller is refused either way and a broken
   * audit write must not turn a refusal into an internal error.
   */
  recordAuthenticationFailure(
    origin: CallOrigin,
    user: { id: number; name: string } | undefined,
    reason: string,
  ): Promise<void>;
  list(principal: Principal, query: AuditQuery): Promise<{ total: number; records: AuditRecord[] }>;
  /** The console's search (ADR 042): any combination of filters, a page and the total. */
  search(
    principal: Principal,
    filter: AuditSearch,
    offset: number,
    limit: number,
  ): Promise<{ total: number; records: AuditRecord[] }>;
  /**
   * How many `operation` records there were on each of the last `days` UTC days, oldest first:
   * all of them for audit readers, the caller's own for everyone else.
   */
  dailyCounts(caller: Caller, operation: string, days: number): Promise<{ day: string; count: number }[]>;
  /**
   * Every record the search finds, newest first, in pages (a CSV export of a large trail). The
   * export itself is recorded first, with its filters.
   */
  exportRecords(caller: Caller, filter: AuditSearch): Promise<AsyncIterable<AuditRecord[]>>;
  lastOperationAt(accountId: number, operations: readonly string[]): Promise<number | undefined>;
  verify(onProgress?: (checked: number) => void): Promise<ChainVerification>;
  /** Waits for pending access records to be written, then stops the access-record writer. */
  close(): Promise<void>;
}

export interface AuditServiceDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly time: TimeFormatter;
  /** Batch sizes, commit latency and failures of the access-record writer (GET /metrics). */
  readonly metrics?: Metrics;
}

export function actorOf(caller: Caller): AuditActor {
  return {
    userId: caller.principal.userId,
    username: caller.principal.username,
    clientIp: caller.clientIp,
    client: caller.client,
  };
}

export function createAuditService({
  database,
  keyring,
  clock,
  time,
  metrics,
}: AuditServiceDeps): AuditService {
  const repo = createAuditRepository(database.dialect);
  const macKey = keyring.auditMacKey();
  const toRecord = (actor: AuditActor, event: AuditEvent, at: number): PendingRecord => ({
    at,
    auditType: event.auditType,
    operation: event.operation,
    operatorId: actor.userId,
    operatorName: actor.username,
    clientIp: actor.clientIp,
    client: actor.client,
    resourceId: event.resourceId ?? null,
    resourceName: event.resourceName ?? null,
    accountId: event.accountId ?? null,
    accountName: event.accountName ?? null,
    targetUser: event.targetUser ?? null,
    reason: event.reason ?? null,
    ticketId: event.ticketId ?? null,
  });

  async function appendRecords(trx: Executor, records: PendingRecord[]): Promise<void> {
    const { stored, head } = linkRecords(macKey, await repo.lockHead(trx), records);
    await repo.append(trx, stored, head);
  }

  const writer = createAccessRecordWriter(
    database,
    macKey,
    appendRecords,
    metrics &&
      ((records, seconds, failed) => {
        metrics.auditBatchRecords.observe(records);
        metrics.auditCommitSeconds.observe(seconds);
        if (failed) metrics.auditCommitFailures.inc();
      }),
  );

  return {
    async append(trx, actor, ...events) {
      const at = clock.now();
      await appendRecords(
        trx,
        events.map((e) => toRecord(actor, e, at)),
      );
    },

    recordAccess(actor, event) {
      return writer.write(toRecord(actor, event, clock.now()));
    },

    async recordAuthenticationFailure(origin, user, reason) {
      const actor = { userId: user?.id ?? null, username: user?.name ?? 'Unknown', ...origin };
      const event: AuditEvent = {
        auditType: 'User',
        operation: AuditOperation.authenticationFailed,
        targetUser: user?.name ?? null,
        reason,
      };
      try {
        await database.db
          .transaction()
          .execute((trx) => appendRecords(trx, [toRecord(actor, event, clock.now())]));
      } catch {
        // Refused regardless (see the interface).
      }
    },

    async list(principal, query) {
      requireAuditReader(principal);
      const filter: AuditFilter = {
        auditType: query.auditType,
        ...durationRange(query.duration, clock.now(), time),
      };
      const total = await repo.count(database.db, filter);
      const records = await repo.list(database.db, filter, query.startIndex - 1, query.limit);
      return { total, records };
    },

    async search(principal, filter, offset, limit) {
      requireAuditReader(principal);
      return repo.search(database.db, filter, offset, limit);
    },

    async dailyCounts(caller, operation, days) {
      const today = Math.floor(clock.now() / 86_400_000);
      const first = today - days + 1;
      const counts = await repo.dailyCounts(
        database.db,
        operation,
        first * 86_400_000,
        can(caller.principal, 'readAudit') ? undefined : caller.principal.userId,
      );
      return Array.from({ length: days }, (_, i) => ({
        day: new Date((first + i) * 86_400_000).toISOString().slice(0, 10),
        count: counts.get(first + i) ?? 0,
      }));
    },

    async exportRecords(caller, filter) {
      requireAuditReader(caller.principal);
      const described = Object.entries(filter)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', ');
      await database.db.transaction().execute((trx) =>
        appendRecords(trx, [
          toRecord(
            actorOf(caller),
            {
              auditType: 'User',
              operation: AuditOperation.auditExported,
              reason: described === '' ? 'all records' : described,
            },
            clock.now(),
          ),
        ]),
      );
      // Pages below the newest record at the start: records added during the export are not in it.
      const head = await repo.readHead(database.db);
      return (async function* () {
        let before = head.lastSeq + 1;
        for (;;) {
          const page = await repo.searchBefore(database.db, filter, before, 2000);
          if (page.length === 0) return;
          yield page;
          before = page[page.length - 1]!.seq;
        }
      })();
    },

    lastOperationAt(accountId, operations) {
      return repo.lastOperationAt(database.db, accountId, operations);
    },

    async verify(onProgress) {
      const verifier = createChainVerifier(macKey);
      let lastSeq = 0;
      for (;;) {
        const page = await repo.chainPage(database.db, lastSeq, 2000);
        if (page.length === 0) break;
        for (const record of page) verifier.add(record);
        lastSeq = page[page.length - 1]!.seq;
        onProgress?.(verifier.checked);
      }
      return verifier.finish(await repo.readHead(database.db));
    },

    async close() {
      await writer.close();
    },
  };
}

function durationRange(
  duration: AuditQuery['duration'],
  now: number,
  time: TimeFormatter,
): { since: number | undefined; until: number | undefined } {
  switch (duration) {
    case 'TODAY':
      return { since: time.startOfDay(now), until: undefined };
    case 'YESTERDAY':
      return { since: time.startOfDay(now, -1), until: time.startOfDay(now) };
    case 'LAST_7_DAYS':
      return { since: time.startOfDay(now, -6), until: undefined };
    case 'LAST_30_DAYS':
      return { since: time.startOfDay(now, -29), until: undefined };
    case 'ALL':
      return { since: undefined, until: undefined };
  }
}

function requireAuditReader(principal: Principal): void {
  if (!can(principal, 'readAudit')) {
    throw new NotPermittedError('Only administrators and password auditors may read the audit trail');
  }
}
