import { sql } from 'kysely';
import type { DialectName, Executor } from '../../platform/db/database.js';
import { containsPattern, pageWithTotal } from '../../platform/db/paging.js';
import type { AuditRecordsTable } from '../../platform/db/schema.js';
import { toAuditRow } from './audit-chain.js';
import type { AuditType, ChainHead, StoredAuditRecord } from './audit.types.js';

export interface AuditFilter {
  readonly auditType: AuditType;
  readonly since: number | undefined;
  readonly until: number | undefined;
}

/** The console's filters (ADR 042); every one optional. */
export interface AuditSearch {
  readonly auditType?: AuditType;
  readonly operation?: string;
  /** A case-insensitive substring of the operator's name. */
  readonly operator?: string;
  /** A case-insensitive substring of the resource, account or target user name, or the reason. */
  readonly text?: string;
  readonly since?: number;
  readonly until?: number;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

export function createAuditRepository(dialect: DialectName) {
  return {
    /**
     * Reads the chain head inside a write transaction. On PostgreSQL the row lock serialises
     * appenders across processes; SQLite transactions here begin IMMEDIATE, which already
     * holds the database's single write lock.
     */
    async lockHead(trx: Executor): Promise<ChainHead> {
      let query = trx.selectFrom('audit_chain').select(['last_seq', 'last_hash']).where('id', '=', 1);
      if (dialect === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirstOrThrow();
      return { lastSeq: row.last_seq, lastHash: row.last_hash };
    },

    async readHead(db: Executor): Promise<ChainHead> {
      const row = await db
        .selectFrom('audit_chain')
        .select(['last_seq', 'last_hash'])
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      return { lastSeq: row.last_seq, lastHash: row.last_hash };
    },

    async append(trx: Executor, records: StoredAuditRecord[], head: ChainHead): Promise<void> {
      await trx.insertInto('audit_records').values(records.map(toAuditRow)).execute();
      await trx
        .updateTable('audit_chain')
        .set({ last_seq: head.lastSeq, last_hash: head.lastHash })
        .where('id', '=', 1)
        .execute();
    },

    /** Records with seq > afterSeq in chain order, for verification. */
    async chainPage(db: Executor, afterSeq: number, limit: number): Promise<StoredAuditRecord[]> {
      const rows = await db
        .selectFrom('audit_records')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(fromRow);
    },

    async count(db: Executor, filter: AuditFilter): Promise<number> {
      const row = await filtered(db, filter)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Newest first. */
    async list(
      db: Executor,
      filter: AuditFilter,
      offset: number,
      limit: number,
    ): Promise<StoredAuditRecord[]> {
      const rows = await filtered(db, filter)
        .selectAll()
        .orderBy('seq', 'desc')
        .offset(offset)
        .limit(limit)
        .execute();
      return rows.map(fromRow);
    },

    /** A page of the console's search, newest first, with the total from the same snapshot. */
    async search(
      db: Executor,
      filter: AuditSearch,
      offset: number,
      limit: number,
    ): Promise<{ total: number; records: StoredAuditRecord[] }> {
      const page = await pageWithTotal(searched(db, filter), (q) =>
        q.selectAll().orderBy('seq', 'desc').offset(offset).limit(limit),
      );
      return { total: page.total, records: page.rows.map(fromRow) };
    },

    /** The next records of the search below sequence number `beforeSeq`, newest first (export). */
    async searchBefore(
      db: Executor,
      filter: AuditSearch,
      beforeSeq: number,
      limit: number,
    ): Promise<StoredAuditRecord[]> {
      const rows = await searched(db, filter)
        .selectAll()
        .where('seq', '<', beforeSeq)
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map(fromRow);
    },

    /** Records of `operation` per UTC day since `since` (epoch day number → count). */
    async dailyCounts(
      db: Executor,
      operation: string,
      since: number,
      operatorId: number | undefined,
    ): Promise<Map<number, number>> {
      let query = db
        .selectFrom('audit_records')
        .select(sql<number>`(at / 86400000)`.as('day'))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('operation', '=', operation)
        .where('at', '>=', since);
      if (operatorId !== undefined) query = query.where('operator_id', '=', operatorId);
      const rows = await query.groupBy(sql`(at / 86400000)`).execute();
      return new Map(rows.map((r) => [Math.floor(Number(r.day)), Number(r.n)]));
    },

    /** The time of the latest record of one of `operations` for the account. */
    async lastOperationAt(
      db: Executor,
      accountId: number,
      operations: readonly string[],
    ): Promise<number | undefined> {
      const row = await db
        .selectFrom('audit_records')
        .select('at')
        .where('account_id', '=', accountId)
        .where('operation', 'in', operations)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row?.at;
    },
  };
}

function searched(db: Executor, filter: AuditSearch) {
  let query = db.selectFrom('audit_records');
  if (filter.auditType !== undefined) query = query.where('audit_type', '=', filter.auditType);
  if (filter.operation !== undefined) query = query.where('operation', '=', filter.operation);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (filter.operator !== undefined) {
    query = query.where(
      sql<boolean>`lower(operator_name) like ${containsPattern(filter.operator)} escape '\\'`,
    );
  }
  if (filter.text !== undefined) {
    const pattern = containsPattern(filter.text);
    query = query.where((eb) =>
      eb.or(
        (['resource_name', 'account_name', 'target_user', 'reason'] as const).map(
          (column) => sql<boolean>`lower(coalesce(${sql.ref(column)}, '')) like ${pattern} escape '\\'`,
        ),
      ),
    );
  }
  return query;
}

function filtered(db: Executor, filter: AuditFilter) {
  let query = db.selectFrom('audit_records').where('audit_type', '=', filter.auditType);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  return query;
}

/** A stored row as the chain sees it (also read from a backup's rows). */
export function fromRow(r: AuditRecordsTable): StoredAuditRecord {
  return {
    seq: r.seq,
    at: r.at,
    auditType: r.audit_type,
    operation: r.operation,
    operatorId: r.operator_id,
    operatorName: r.operator_name,
    clientIp: r.client_ip,
    client: r.client,
    resourceId: r.resource_id,
    resourceName: r.resource_name,
    accountId: r.account_id,
    accountName: r.account_name,
    targetUser: r.target_user,
    reason: r.reason,
    ticketId: r.ticket_id,
    prevHash: r.prev_hash,
    hash: r.hash,
    encoding: r.encoding,
  };
}
