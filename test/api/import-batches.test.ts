/**
 * Imports larger than a batch (ADR 046), in process on a real SQLite file: one resource's accounts
 * spread over several transactions, progress told after each, and a dry run of the same file
 * (one transaction, rolled back) that sees duplicates across what would be batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_LIMITS } from '../../src/modules/import/index.js';
import { systemClock } from '../../src/platform/clock.js';
import { openInProcessServices, type InProcessServices } from './../helpers/in-process.js';

const ROWS = 2 * IMPORT_LIMITS.batchSize + 50;
// Letters of no sequence, apart: every password satisfies the default policy (Strong).
const L = 'bdfhjlnprt';
const password = (i: number) =>
  `Kx#${L[i % 10]}9${L[Math.floor(i / 10) % 10]}7${L[Math.floor(i / 100) % 10]}Wm`;

function csv(): string {
  const lines = ['resource_name,resource_type,account_name,password'];
  for (let i = 0; i < ROWS; i++) lines.push(`big-host,Linux,user${i},${password(i)}`);
  lines.push('big-host,Linux,USER7,Xy9!dupQwZ');
  return lines.join('\n');
}

describe('imports larger than a batch', () => {
  let ctx: InProcessServices;
  beforeAll(async () => {
    ctx = await openInProcessServices(systemClock, { clientIp: '127.0.0.1', client: 'CLI' });
  });
  afterAll(async () => ctx?.close());

  it('a dry run is one transaction: the duplicate past the first batch is found, nothing is written', async () => {
    const progress: number[] = [];
    const report = await ctx.services.imports.run(
      ctx.admin,
      { format: 'csv', content: csv(), dryRun: true },
      (rows) => progress.push(rows.length),
    );
    expect(report).toMatchObject({ total: ROWS + 1, imported: ROWS, skipped: 1, resourcesCreated: 1 });
    expect(report.rows.at(-1)).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^duplicate/),
    });
    expect(progress).toEqual([0, ROWS + 1]);
    await expect(ctx.services.vault.resourceIdByName(ctx.admin, ['big-host'])).rejects.toThrow();
  });

  it('writes batches of at most the batch size, each told to the progress, every password sealed and audited', async () => {
    const progress: number[] = [];
    const report = await ctx.services.imports.run(
      ctx.admin,
      { format: 'csv', content: csv(), dryRun: false },
      (rows) => progress.push(rows.length),
    );
    expect(report).toMatchObject({ total: ROWS + 1, imported: ROWS, skipped: 1, resourcesCreated: 1 });
    expect(progress).toEqual([0, IMPORT_LIMITS.batchSize, IMPORT_LIMITS.batchSize, 51]);
    expect(report.rows.filter((r) => r.resourceCreated)).toHaveLength(1);
    const resourceId = await ctx.services.vault.resourceIdByName(ctx.admin, ['big-host']);
    const { accounts } = await ctx.services.vault.getResource(ctx.admin, resourceId);
    expect(accounts).toHaveLength(ROWS);
    // Each account sealed (its password nowhere in clear) and audited, in the batches' transactions.
    const rows = await ctx.database.db
      .selectFrom('accounts')
      .select(['name', 'password_sealed'])
      .where('resource_id', '=', resourceId)
      .execute();
    expect(rows).toHaveLength(ROWS);
    for (const row of rows) {
      const i = Number(row.name.slice('user'.length));
      expect(Buffer.from(row.password_sealed!).includes(Buffer.from(password(i)))).toBe(false);
    }
    const audited = await ctx.database.db
      .selectFrom('audit_records')
      .select(['operation'])
      .where('resource_name', '=', 'big-host')
      .execute();
    expect(audited.filter((r) => r.operation === 'Account Added')).toHaveLength(ROWS);
    expect(audited.filter((r) => r.operation === 'Resource Added')).toHaveLength(1);
  });
});
