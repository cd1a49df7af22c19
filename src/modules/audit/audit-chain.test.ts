import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOrigin } from '../../platform/principal.js';
import { openInProcessServices, type InProcessServices } from '../../../test/helpers/in-process.js';
import { canonicalBytesV2, chainHash, GENESIS_HASH, linkRecords, storableText } from './audit-chain.js';
import { createChainVerifier, verificationReport } from './chain-verifier.js';
import type { PendingRecord, StoredAuditRecord } from './audit.types.js';

const KEY = Buffer.alloc(32, 7);

const pending = (i: number, fields: Partial<PendingRecord> = {}): PendingRecord => ({
  at: 1_800_000_000_000 + i,
  auditType: 'Resource',
  operation: 'Password Retrieved',
  operatorId: 1,
  operatorName: 'admin',
  clientIp: '127.0.0.1',
  client: 'REST API',
  resourceId: 10 + i,
  resourceName: `res-${i}`,
  accountId: null,
  accountName: null,
  targetUser: null,
  reason: null,
  ticketId: null,
  ...fields,
});

function chainOf(n: number, fields: (i: number) => Partial<PendingRecord> = () => ({})) {
  return linkRecords(
    KEY,
    { lastSeq: 0, lastHash: GENESIS_HASH },
    Array.from({ length: n }, (_, i) => pending(i + 1, fields(i + 1))),
  );
}

function verify(records: StoredAuditRecord[], head = { lastSeq: 0, lastHash: GENESIS_HASH }) {
  const verifier = createChainVerifier(KEY);
  for (const r of records) verifier.add(r);
  return verifier.finish(head);
}

describe('canonical audit encoding (ADR 017)', () => {
  it('makes text storable: lone surrogates and NUL become U+FFFD, pairs stay', () => {
    expect(storableText('a\ud800b')).toBe('a\ufffdb');
    expect(storableText('\udc00')).toBe('\ufffd');
    expect(storableText('x\ud800')).toBe('x\ufffd');
    expect(storableText('\udc00\ud800')).toBe('\ufffd\ufffd');
    expect(storableText('nul\u0000')).toBe('nul\ufffd');
    expect(storableText('pair \ud83d\ude00 ok')).toBe('pair \ud83d\ude00 ok');
    expect(storableText('plain')).toBe('plain');
  });

  it('stores what it hashes: a lone surrogate reaching the chain is stored as U+FFFD and verifies', () => {
    const { stored, head } = chainOf(2, (i) =>
      i === 1 ? { reason: '\ud800', resourceName: 'r\udfff' } : { ticketId: '\u0000' },
    );
    expect(stored[0]!.reason).toBe('\ufffd');
    expect(stored[0]!.resourceName).toBe('r\ufffd');
    expect(stored[1]!.ticketId).toBe('\ufffd');
    expect(stored.every((r) => r.encoding === 2)).toBe(true);
    // What a database gives back: the same text, through UTF-8.
    const roundTripped = stored.map((r) =>
      JSON.parse(Buffer.from(JSON.stringify(r), 'utf8').toString('utf8')),
    );
    expect(verify(roundTripped, head)).toMatchObject({ ok: true, checked: 2, problemCount: 0 });
  });

  it('encoding 2 is unambiguous: null differs from empty, fields cannot spill into each other', () => {
    const base = { ...pending(1), seq: 1 };
    const bytes = (r: typeof base) => canonicalBytesV2(GENESIS_HASH, r).toString('hex');
    expect(bytes({ ...base, reason: null })).not.toBe(bytes({ ...base, reason: '' }));
    expect(bytes({ ...base, reason: 'ab', ticketId: 'c' })).not.toBe(
      bytes({ ...base, reason: 'a', ticketId: 'bc' }),
    );
    expect(bytes({ ...base, resourceId: 12 })).not.toBe(bytes({ ...base, resourceId: null }));
  });

  it('records written with encoding 1 before the migration still verify, followed by encoding 2', () => {
    const old: StoredAuditRecord[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const record = { ...pending(seq), seq };
      const hash = chainHash(KEY, prev, record, 1);
      old.push({ ...record, prevHash: prev, hash, encoding: 1 });
      prev = hash;
    }
    const { stored, head } = linkRecords(KEY, { lastSeq: 3, lastHash: prev }, [pending(4), pending(5)]);
    expect(verify([...old, ...stored], head)).toMatchObject({ ok: true, checked: 5 });
    // A record claiming another encoding than it was hashed with does not verify.
    const relabelled = { ...stored[0]!, encoding: 1 };
    expect(verify([...old, relabelled, stored[1]!], head).problems).toEqual([
      expect.objectContaining({ seq: 4, kind: 'altered' }),
    ]);
  });
});

describe('chain verification reports every problem', () => {
  it('two altered records, a removed one and a truncated end are each reported once', () => {
    const { stored, head } = chainOf(10);
    const tampered = stored
      .map((r) => (r.seq === 3 ? { ...r, reason: 'nothing to see' } : r))
      .map((r) => (r.seq === 7 ? { ...r, operatorName: 'someone else' } : r))
      .filter((r) => r.seq !== 5 && r.seq <= 9);
    const result = verify(tampered, head);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => [p.seq, p.kind])).toEqual([
      [3, 'altered'],
      [5, 'missing'],
      [7, 'altered'],
      [10, 'truncated'],
    ]);
    expect(result.problemCount).toBe(4);
    expect(result.problem).toEqual(result.problems[0]);

    const report = verificationReport(result);
    expect(report.split('\n')[0]).toBe(
      'Audit trail TAMPERED at record 3: audit record 3 was altered (its hash does not match its content and predecessor).',
    );
    expect(report).toContain('4 problems in 8 records read:');
    for (const seq of [3, 5, 7, 10]) expect(report).toContain(`  record ${seq} (`);
  });

  it('a record whose stored hash was rewritten is one problem, its successor is not', () => {
    const { stored, head } = chainOf(4);
    const tampered = stored.map((r) => (r.seq === 2 ? { ...r, hash: 'f'.repeat(64) } : r));
    expect(verify(tampered, head).problems.map((p) => p.seq)).toEqual([2]);
  });

  it('a record intact in itself that names another predecessor is out of order', () => {
    const a = chainOf(3);
    const b = linkRecords(KEY, { lastSeq: 1, lastHash: 'e'.repeat(64) }, [pending(9)]);
    const spliced = [a.stored[0]!, b.stored[0]!, a.stored[2]!];
    expect(verify(spliced, a.head).problems.map((p) => [p.seq, p.kind])).toEqual([
      [2, 'out-of-order'],
      [3, 'out-of-order'],
    ]);
  });

  it('an intact trail', () => {
    const { stored, head } = chainOf(5);
    const result = verify(stored, head);
    expect(result).toMatchObject({ ok: true, checked: 5, lastSeq: 5, problems: [], problemCount: 0 });
    expect(verificationReport(result)).toBe('Audit trail intact: 5 records verified.\n');
  });
});

describe('audit service on SQLite with text the database cannot store as given', () => {
  let opened: InProcessServices | undefined;
  const origin: CallOrigin = { clientIp: '127.0.0.1', client: 'REST API' };

  beforeAll(async () => {
    opened = await openInProcessServices({ now: () => Date.UTC(2030, 0, 1) }, origin);
  });
  afterAll(async () => {
    await opened?.close();
  });

  it('a lone surrogate in a reason and a resource name is stored as U+FFFD and the chain verifies', async () => {
    const { database, services, admin } = opened!;
    await database.db.transaction().execute((trx) =>
      services.audit.append(
        trx,
        { userId: admin.principal.userId, username: admin.principal.username, ...origin },
        {
          auditType: 'Resource',
          operation: 'Password Retrieved',
          resourceName: 'desc \udc00',
          reason: '\ud800',
        },
      ),
    );
    const [row] = await database.db
      .selectFrom('audit_records')
      .select(['reason', 'resource_name', 'encoding'])
      .where('operation', '=', 'Password Retrieved')
      .execute();
    expect(row).toEqual({ reason: '\ufffd', resource_name: 'desc \ufffd', encoding: 2 });
    const result = await services.audit.verify();
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
