import { chainHash, GENESIS_HASH } from './audit-chain.js';
import type { ChainHead, ChainProblem, ChainVerification, StoredAuditRecord } from './audit.types.js';

/** Problems kept in a verification's list; beyond this only problemCount grows. */
export const MAX_LISTED_PROBLEMS = 10_000;

/**
 * Checks the chain record by record (in sequence order) and reports EVERY problem, not only the
 * first: each record is checked against its own stored predecessor hash, and the link against
 * the stored hash of the record before it. So one edited record is one problem, and records after
 * it still verify: a broken record cannot hide later tampering.
 *
 * - a gap in the sequence: the records in it were removed ('missing');
 * - a record whose hash does not cover its content and predecessor hash: 'altered';
 * - a record intact in itself whose predecessor hash is not the stored hash of the record before
 *   it (that record intact too): 'out-of-order';
 * - the chain head naming later records than those left: 'truncated'.
 */
export interface ChainVerifier {
  add(record: StoredAuditRecord): void;
  /** Records added so far. */
  readonly checked: number;
  finish(head: ChainHead): ChainVerification;
}

export function createChainVerifier(key: Buffer): ChainVerifier {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let prevAltered = false;
  let checked = 0;
  let problemCount = 0;
  const problems: ChainProblem[] = [];
  const report = (problem: ChainProblem) => {
    problemCount++;
    if (problems.length < MAX_LISTED_PROBLEMS) problems.push(problem);
  };

  return {
    get checked() {
      return checked;
    },

    add(record) {
      checked++;
      const gap = record.seq !== expectedSeq;
      if (record.seq > expectedSeq) {
        report({
          seq: expectedSeq,
          kind: 'missing',
          message:
            record.seq - expectedSeq === 1
              ? `audit record ${expectedSeq} was removed (the chain jumps from ${expectedSeq - 1} to ${record.seq})`
              : `audit records ${expectedSeq} to ${record.seq - 1} were removed (the chain jumps from ${expectedSeq - 1} to ${record.seq})`,
        });
      } else if (gap) {
        report({
          seq: record.seq,
          kind: 'out-of-order',
          message: `audit record ${record.seq} appears after record ${expectedSeq - 1}`,
        });
      }
      let altered: string | undefined;
      try {
        if (chainHash(key, record.prevHash, record, record.encoding) !== record.hash) {
          altered = `audit record ${record.seq} was altered (its hash does not match its content and predecessor)`;
        }
      } catch (err) {
        altered = `audit record ${record.seq} cannot be checked: ${(err as Error).message}`;
      }
      if (altered !== undefined) {
        report({ seq: record.seq, kind: 'altered', message: altered });
      } else if (!gap && !prevAltered && record.prevHash !== prevHash) {
        report({
          seq: record.seq,
          kind: 'out-of-order',
          message: `audit record ${record.seq} does not follow record ${record.seq - 1} (it names another predecessor)`,
        });
      }
      prevHash = record.hash;
      prevAltered = altered !== undefined;
      expectedSeq = Math.max(expectedSeq, record.seq + 1);
    },

    finish(head) {
      const lastSeq = expectedSeq - 1;
      if (head.lastSeq > lastSeq) {
        report({
          seq: lastSeq + 1,
          kind: 'truncated',
          message:
            head.lastSeq === lastSeq + 1
              ? `audit record ${head.lastSeq} was removed from the end of the trail`
              : `audit records ${lastSeq + 1} to ${head.lastSeq} were removed from the end of the trail`,
        });
      } else if (head.lastSeq < lastSeq || (head.lastHash !== prevHash && !prevAltered)) {
        report({
          seq: head.lastSeq,
          kind: 'truncated',
          message: `the audit chain head (record ${head.lastSeq}) does not match the last record (${lastSeq})`,
        });
      }
      const first = problems[0];
      return {
        ok: problemCount === 0,
        checked,
        lastSeq,
        problems,
        problemCount,
        ...(first === undefined ? {} : { problem: first }),
      };
    },
  };
}

/**
 * What `bulwark audit verify` prints: one line when the trail is intact; otherwise a first line
 * naming the first broken record, then every problem found, one per line.
 */
export function verificationReport(result: ChainVerification): string {
  if (result.ok) return `Audit trail intact: ${result.checked} records verified.\n`;
  const first = result.problems[0]!;
  const lines = [
    `Audit trail TAMPERED at record ${first.seq}: ${first.message}.`,
    `${result.problemCount} ${result.problemCount === 1 ? 'problem' : 'problems'} in ${result.checked} records read:`,
    ...result.problems.map((p) => `  record ${p.seq} (${p.kind}): ${p.message}`),
  ];
  if (result.problemCount > result.problems.length) {
    lines.push(`  … and ${result.problemCount - result.problems.length} more not listed`);
  }
  return `${lines.join('\n')}\n`;
}
