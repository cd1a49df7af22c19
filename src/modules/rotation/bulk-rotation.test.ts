import { describe, expect, it } from 'vitest';
import { runBulkRotation, type BulkTarget } from './bulk-rotation.js';
import type { RotationOutcome } from './rotation.types.js';

const targets = (n: number): BulkTarget[] =>
  Array.from({ length: n }, (_, i) => ({ accountId: i + 1, label: `r/a${i + 1}` }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The bounded-concurrency runner on its own (the real rotations are exercised end to end by
 * test/api/bulk-rotation.test.ts against a real sshd): the bound holds, one slow target does not
 * hold the others, an exception is that target's failure, a cancelled run skips what it did not start.
 */
describe('runBulkRotation', () => {
  it('never runs more than `concurrency` at once, and reports every target in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const summary = await runBulkRotation(
      targets(20),
      async (t): Promise<RotationOutcome> => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(5 + (t.accountId % 3) * 5);
        inFlight--;
        return { rotationId: t.accountId, status: 'changed', message: 'ok' };
      },
      { concurrency: 4, timeoutMs: 1000 },
    );
    expect(peak).toBe(4);
    expect(summary.changed).toBe(20);
    expect(summary.outcomes.map((o) => o.accountId)).toEqual(targets(20).map((t) => t.accountId));
  });

  it('a slow target holds one worker only; an exception is that target failing, not the run', async () => {
    const order: number[] = [];
    const summary = await runBulkRotation(
      targets(6),
      async (t): Promise<RotationOutcome> => {
        if (t.accountId === 1) await sleep(300);
        if (t.accountId === 2) throw new Error('the target closed the connection');
        order.push(t.accountId);
        return t.accountId === 3
          ? { rotationId: 3, status: 'failed', reason: 'authentication', message: 'refused' }
          : { rotationId: t.accountId, status: 'changed', message: 'ok' };
      },
      { concurrency: 2, timeoutMs: 1000 },
    );
    // Targets 3..6 finished on the second worker while target 1 was still running.
    expect(order.slice(0, 4)).toEqual([3, 4, 5, 6]);
    expect(summary.changed).toBe(4);
    expect(summary.failed.map((o) => [o.accountId, o.reason, o.message])).toEqual([
      [2, 'protocol', 'the target closed the connection'],
      [3, 'authentication', 'refused'],
    ]);
  });

  it('a cancelled run starts nothing more; what it did not start is reported skipped', async () => {
    const abort = new AbortController();
    const summary = await runBulkRotation(
      targets(10),
      async (t): Promise<RotationOutcome> => {
        if (t.accountId === 3) abort.abort();
        await sleep(5);
        return { rotationId: t.accountId, status: 'changed', message: 'ok' };
      },
      { concurrency: 1, timeoutMs: 1000, signal: abort.signal },
    );
    expect(summary.changed).toBe(3);
    expect(summary.skipped).toHaveLength(7);
    expect(summary.skipped.every((o) => o.reason === 'cancelled')).toBe(true);
  });
});
