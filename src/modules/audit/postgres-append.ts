import type pg from 'pg';
import { linkRecords, toAuditRow } from './audit-chain.js';
import type { ChainHead, PendingRecord } from './audit.types.js';

/**
 * PostgreSQL's access-record append in one round trip (ADR 045). A batch is linked onto the
 * head this process last wrote, then one autocommitted statement moves the head only if it is
 * still that head and inserts the batch only if the head moved: both or neither, in the
 * statement's own transaction. The conditional update takes the head row's lock, so appenders
 * in other transactions and on other nodes serialise on it exactly as with `select … for
 * update`; a loser changes nothing and retries on the head it then reads.
 *
 * The rows travel as one array per column (`unnest`), so the statement's text does not depend
 * on the batch size and is prepared once per connection.
 */
const COLUMNS = [
  ['seq', 'bigint'],
  ['at', 'bigint'],
  ['audit_type', 'text'],
  ['operation', 'text'],
  ['operator_id', 'bigint'],
  ['operator_name', 'text'],
  ['client_ip', 'text'],
  ['client', 'text'],
  ['resource_id', 'bigint'],
  ['resource_name', 'text'],
  ['account_id', 'bigint'],
  ['account_name', 'text'],
  ['target_user', 'text'],
  ['reason', 'text'],
  ['ticket_id', 'text'],
  ['prev_hash', 'text'],
  ['hash', 'text'],
  ['encoding', 'integer'],
] as const;

const APPEND = `with head as (
  update audit_chain set last_seq = $1, last_hash = $2
  where id = 1 and last_seq = $3 and last_hash = $4
  returning 1
)
insert into audit_records (${COLUMNS.map(([name]) => name).join(', ')})
select * from unnest(${COLUMNS.map(([, type], i) => `$${i + 5}::${type}[]`).join(', ')})
where exists (select 1 from head)`;

const READ_HEAD = 'select last_seq, last_hash from audit_chain where id = 1';

/** Conditional attempts before a batch falls back to the locking transaction. */
const ATTEMPTS = 3;

export function createConditionalAppender(
  pool: pg.Pool,
  macKey: Buffer,
  appendInTransaction: (records: PendingRecord[]) => Promise<void>,
): (records: PendingRecord[]) => Promise<void> {
  /** The head as this process last wrote or read it; undefined when unknown. */
  let knownHead: ChainHead | undefined;

  const readHead = async (): Promise<ChainHead> => {
    const { rows } = await pool.query<{ last_seq: number; last_hash: string }>({
      name: 'bulwark_audit_read_head',
      text: READ_HEAD,
    });
    const row = rows[0];
    if (row === undefined) throw new Error('the audit chain has no head row');
    return { lastSeq: row.last_seq, lastHash: row.last_hash };
  };

  const attempt = async (from: ChainHead, records: PendingRecord[]): Promise<ChainHead | undefined> => {
    const { stored, head } = linkRecords(macKey, from, records);
    const rows = stored.map(toAuditRow);
    const columnValues = COLUMNS.map(([name]) => rows.map((row) => row[name]));
    const result = await pool.query({
      name: 'bulwark_audit_append',
      text: APPEND,
      values: [head.lastSeq, head.lastHash, from.lastSeq, from.lastHash, ...columnValues],
    });
    return result.rowCount === stored.length ? head : undefined;
  };

  return async (records) => {
    try {
      for (let i = 0; i < ATTEMPTS; i++) {
        const written = await attempt(knownHead ?? (await readHead()), records);
        knownHead = written;
        if (written !== undefined) return;
      }
      // Another appender keeps winning (a busy node beside this one): queue on the row lock.
      await appendInTransaction(records);
    } catch (err) {
      // Whether the statement committed is unknown (a connection lost after the commit): the
      // head is read again next time. The caller refuses the release either way.
      knownHead = undefined;
      throw err;
    }
  };
}
