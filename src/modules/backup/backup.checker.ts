/**
 * What a backup, or a store restored from one, must satisfy, checked row by row as they stream
 * past: the data keys open with the master key, the audit chain verifies, every sealed value
 * opens where it is bound (table, row, column), and each table holds the rows it should.
 */
import {
  KeyringError,
  keyringFromRows,
  type Keyring,
  type SealContext,
} from '../../platform/crypto/keyring.js';
import type { MasterKeySet } from '../../platform/crypto/master-key.js';
import type { AuditRecordsTable } from '../../platform/db/schema.js';
import {
  createChainVerifier,
  storedAuditRecordFromRow,
  type ChainVerification,
  type ChainHead,
} from '../audit/index.js';
import { BackupError } from './backup.format.js';
import type { TableInfo } from './backup.snapshot.js';
import { asNumber, rowObject, type BackupValue } from './backup.values.js';

export interface CheckReport {
  readonly rows: Record<string, number>;
  readonly chain: ChainVerification;
  /** The chain head the store recorded (audit_chain), which the chain was verified against. */
  readonly head: ChainHead;
  readonly sealedOpened: number;
  /** Sealed values that did not open (the first 100), and how many in all. */
  readonly sealedProblems: readonly string[];
  readonly sealedProblemCount: number;
}

export interface SnapshotChecker {
  table(info: TableInfo): void;
  row(values: readonly BackupValue[]): void;
  endTable(): Promise<void>;
  finish(): CheckReport;
}

/**
 * Where a sealed column's values are bound when it is not `{table, primary key, column}`: a TOTP
 * secret offered at enrolment is sealed to the user's row, where it will live.
 */
const SEALED_ELSEWHERE: Record<string, (row: Record<string, unknown>) => SealContext> = {
  'console_sessions.pending_totp_sealed': (row) => ({
    table: 'users',
    rowId: asNumber(row.user_id as BackupValue, 'console_sessions.user_id'),
    column: 'totp_secret_sealed',
  }),
};

export function isSealedColumn(column: string): boolean {
  return column.endsWith('_sealed');
}

export function createSnapshotChecker(masterKeys: MasterKeySet): SnapshotChecker {
  const rows: Record<string, number> = {};
  let current: TableInfo | undefined;
  let sealedColumns: { index: number; name: string }[] = [];
  const dataKeyRows: Record<string, unknown>[] = [];
  let keyring: Keyring | undefined;
  let verifier: ReturnType<typeof createChainVerifier> | undefined;
  let head: ChainHead | undefined;
  let sealedOpened = 0;
  let sealedProblemCount = 0;
  const sealedProblems: string[] = [];
  const problem = (text: string) => {
    sealedProblemCount++;
    if (sealedProblems.length < 100) sealedProblems.push(text);
  };

  const openSealed = (table: TableInfo, values: readonly BackupValue[]) => {
    if (sealedColumns.length === 0) return;
    if (keyring === undefined) throw new BackupError(`table ${table.name} comes before the data keys`);
    const row = rowObject(table.columns, values);
    for (const { index, name } of sealedColumns) {
      const envelope = values[index];
      if (envelope === null || envelope === undefined) continue;
      const where = `${table.name}.${name}`;
      if (!Buffer.isBuffer(envelope)) {
        problem(`${where}: not bytes`);
        continue;
      }
      if (envelope.length === 0 && table.name === 'data_keys') continue;
      let context: SealContext;
      const elsewhere = SEALED_ELSEWHERE[where];
      if (elsewhere) context = elsewhere(row);
      else if (table.primaryKey.length === 1) {
        context = {
          table: table.name,
          rowId: asNumber(row[table.primaryKey[0]!] as BackupValue, where),
          column: name,
        };
      } else {
        problem(`${where}: the table has no single-column key to bind a sealed value to`);
        continue;
      }
      try {
        keyring.open(envelope, context).fill(0);
        sealedOpened++;
      } catch (err) {
        if (!(err instanceof KeyringError)) throw err;
        problem(`${where} of row ${context.rowId}: ${err.message}`);
      }
    }
  };

  return {
    table(info) {
      current = info;
      rows[info.name] = 0;
      sealedColumns = info.columns
        .map((name, index) => ({ name, index }))
        .filter((c) => isSealedColumn(c.name));
    },
    row(values) {
      const table = current;
      if (table === undefined) throw new BackupError('a row of the backup comes before its table');
      rows[table.name] = (rows[table.name] ?? 0) + 1;
      if (table.name === 'data_keys') {
        dataKeyRows.push(rowObject(table.columns, values));
        return;
      }
      if (table.name === 'audit_records') {
        if (verifier === undefined) {
          if (keyring === undefined) throw new BackupError('the audit records come before the data keys');
          verifier = createChainVerifier(keyring.auditMacKey());
        }
        verifier.add(
          storedAuditRecordFromRow(rowObject(table.columns, values) as unknown as AuditRecordsTable),
        );
        return;
      }
      if (table.name === 'audit_chain') {
        const row = rowObject(table.columns, values);
        if (row.id === 1) head = { lastSeq: row.last_seq as number, lastHash: row.last_hash as string };
      }
      openSealed(table, values);
    },
    async endTable() {
      if (current?.name === 'data_keys') {
        try {
          keyring = await keyringFromRows(
            dataKeyRows.map((r) => ({
              id: r.id as number,
              purpose: r.purpose as string,
              wrapped_key: r.wrapped_key as Buffer,
              master_key_id: r.master_key_id as string,
            })),
            masterKeys,
          );
        } catch (err) {
          if (!(err instanceof KeyringError)) throw err;
          throw new BackupError(`the master key file does not open the data keys: ${err.message}`);
        }
      }
      current = undefined;
    },
    finish() {
      if (keyring === undefined) throw new BackupError('the backup holds no data keys');
      if (head === undefined) throw new BackupError('the backup holds no audit chain head');
      const chain = (verifier ?? createChainVerifier(keyring.auditMacKey())).finish(head);
      return { rows, chain, head, sealedOpened, sealedProblems, sealedProblemCount };
    },
  };
}

/** One line per failed check; empty when everything holds. */
export function checkProblems(report: CheckReport, expectedRows?: Record<string, number>): string[] {
  const lines: string[] = [];
  if (!report.chain.ok) {
    lines.push(`the audit chain does not verify (${report.chain.problemCount} problem(s)):`);
    lines.push(...report.chain.problems.slice(0, 20).map((p) => `  ${p.message}`));
  }
  if (report.sealedProblemCount > 0) {
    lines.push(`${report.sealedProblemCount} sealed value(s) do not open:`);
    lines.push(...report.sealedProblems.slice(0, 20).map((p) => `  ${p}`));
  }
  if (expectedRows) {
    for (const [table, n] of Object.entries(expectedRows)) {
      const found = report.rows[table] ?? 0;
      if (found !== n) lines.push(`table ${table} holds ${found} row(s) where ${n} were expected`);
    }
  }
  return lines;
}
