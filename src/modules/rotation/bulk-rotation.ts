import type { RemoteFailureReason } from './connectors/connector.js';
import type { RotationOutcome } from './rotation.types.js';

/** One account of a bulk rotation. */
export interface BulkTarget {
  readonly accountId: number;
  /** `resource/account`, for progress and the summary. */
  readonly label: string;
}

export interface BulkItemOutcome {
  readonly accountId: number;
  readonly label: string;
  /**
   * changed / failed / unsettled as the rotation service answered; `unsettled` also when it did
   * not answer within the per-target bound (the rotation stays pending; reconciliation settles it);
   * `skipped`: not attempted (no permission, resets disabled, the run was cancelled).
   */
  readonly status: RotationOutcome['status'] | 'skipped';
  readonly reason?: RemoteFailureReason | 'not-permitted' | 'cancelled' | 'disabled';
  /** Never a secret. */
  readonly message: string;
  readonly elapsedMs: number;
}

export interface BulkSummary {
  /** Every target's outcome, in the order of the targets. */
  readonly outcomes: readonly BulkItemOutcome[];
  readonly total: number;
  readonly changed: number;
  readonly failed: readonly BulkItemOutcome[];
  readonly unsettled: readonly BulkItemOutcome[];
  readonly skipped: readonly BulkItemOutcome[];
  readonly elapsedMs: number;
}

export interface BulkOptions {
  /** How many targets are worked on at once (1–64). */
  readonly concurrency: number;
  /** Each target's rotation ends within this bound (passed to the rotation service). */
  readonly timeoutMs: number;
  /** Stops taking new targets when aborted; the ones not started are reported skipped. */
  readonly signal?: AbortSignal;
  /** After each target, in completion order. */
  readonly onItem?: (outcome: BulkItemOutcome, done: number, total: number) => void | Promise<void>;
  /** The clock of elapsed times (tests and benchmarks pass their own). */
  readonly now?: () => number;
}

export const BULK_LIMITS = { maxConcurrency: 64, minTimeoutMs: 1000, maxTimeoutMs: 600_000 } as const;

/**
 * How long a rotation may take before the bulk run stops waiting for it. The rotation service
 * bounds each step on the target by `timeoutMs`, and a rotation has up to three (the change, the
 * login with the new password, and when the outcome is unknown the login with the old one), plus
 * its database work; this guard only makes sure a target that somehow outlives all of them (a
 * connector stuck outside its timer) still cannot stall the run.
 */
export function guardMs(timeoutMs: number): number {
  return timeoutMs * 3 + 10_000;
}

/**
 * Rotates `targets` with at most `concurrency` at once, each bounded by `timeoutMs`: a slow or
 * unreachable host holds one worker for at most its timeout and never the rest of the run.
 * `rotate` is the rotation service (with its own authorization and audit); an exception from it
 * is reported as that target's failure, never the run's.
 */
export async function runBulkRotation(
  targets: readonly BulkTarget[],
  rotate: (target: BulkTarget, timeoutMs: number) => Promise<RotationOutcome>,
  options: BulkOptions,
): Promise<BulkSummary> {
  const now = options.now ?? (() => performance.now());
  const concurrency = Math.max(1, Math.min(BULK_LIMITS.maxConcurrency, Math.floor(options.concurrency)));
  const started = now();
  const outcomes: BulkItemOutcome[] = [];
  let next = 0;
  let done = 0;

  async function one(target: BulkTarget): Promise<BulkItemOutcome> {
    const begin = now();
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<'guard'>((resolve) => {
      timer = setTimeout(() => resolve('guard'), guardMs(options.timeoutMs));
    });
    try {
      const outcome = await Promise.race([rotate(target, options.timeoutMs), guard]);
      if (outcome === 'guard') {
        return {
          accountId: target.accountId,
          label: target.label,
          status: 'unsettled',
          reason: 'timeout',
          message: `no outcome within ${Math.round(guardMs(options.timeoutMs) / 1000)} s; the rotation stays pending until reconciliation settles it`,
          elapsedMs: now() - begin,
        };
      }
      return {
        accountId: target.accountId,
        label: target.label,
        status: outcome.status,
        ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
        message: outcome.message,
        elapsedMs: now() - begin,
      };
    } catch (err) {
      return {
        accountId: target.accountId,
        label: target.label,
        status: 'failed',
        reason: 'protocol',
        message: err instanceof Error ? err.message : 'the rotation failed',
        elapsedMs: now() - begin,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async function worker(): Promise<void> {
    for (;;) {
      if (options.signal?.aborted) return;
      const index = next++;
      const target = targets[index];
      if (target === undefined) return;
      const outcome = await one(target);
      outcomes[index] = outcome;
      done++;
      await options.onItem?.(outcome, done, targets.length);
    }
  }

  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, targets.length)) }, worker));

  // Targets never started (cancelled): skipped, in order.
  for (const [index, target] of targets.entries()) {
    if (outcomes[index] === undefined) {
      outcomes[index] = {
        accountId: target.accountId,
        label: target.label,
        status: 'skipped',
        reason: 'cancelled',
        message: 'not attempted: the run was cancelled',
        elapsedMs: 0,
      };
    }
  }
  return summarize(outcomes, now() - started);
}

export function summarize(outcomes: readonly BulkItemOutcome[], elapsedMs: number): BulkSummary {
  return {
    outcomes,
    total: outcomes.length,
    changed: outcomes.filter((o) => o.status === 'changed').length,
    failed: outcomes.filter((o) => o.status === 'failed'),
    unsettled: outcomes.filter((o) => o.status === 'unsettled'),
    skipped: outcomes.filter((o) => o.status === 'skipped'),
    elapsedMs,
  };
}
