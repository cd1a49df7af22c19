import type { ResourceRef } from './discovery.repository.js';
import type { DiscoveryItem, GroupDiscoverySummary } from './discovery.types.js';

/**
 * The bounded run of a group discovery (as bulk rotation runs, ADR 029): at most `concurrency`
 * hosts at once; a host that somehow outlives its own timeout holds one worker until `guardMs`
 * and is then reported as timed out, never stalling the run.
 */
export async function runBounded<T>(
  targets: readonly T[],
  work: (target: T) => Promise<DiscoveryItem>,
  options: {
    readonly concurrency: number;
    readonly guardMs: number;
    readonly signal?: AbortSignal;
    readonly label: (target: T) => string;
    /** After each target, in completion order. */
    readonly onItem?: (item: DiscoveryItem, done: number, total: number) => void | Promise<void>;
  },
): Promise<DiscoveryItem[]> {
  const items: DiscoveryItem[] = [];
  let next = 0;
  let done = 0;

  async function guarded(target: T): Promise<DiscoveryItem> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<DiscoveryItem>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            resource: options.label(target),
            status: 'failed',
            reason: 'timeout',
            message: `no outcome within ${Math.round(options.guardMs / 1000)} s`,
            elapsedMs: options.guardMs,
          }),
        options.guardMs,
      );
    });
    try {
      return await Promise.race([work(target), guard]);
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
      const item = await guarded(target);
      items[index] = item;
      done++;
      await options.onItem?.(item, done, targets.length);
    }
  }

  const workers = Math.max(1, Math.min(options.concurrency, targets.length));
  await Promise.all(Array.from({ length: workers }, worker));
  // Targets never started (cancelled): skipped, in order.
  return targets.map(
    (target, index) =>
      items[index] ?? {
        resource: options.label(target),
        status: 'skipped',
        reason: 'cancelled',
        message: 'not attempted: the run was cancelled',
        elapsedMs: 0,
      },
  );
}

/** The summary of a group run: the hosts run, then those the starter may not discover on. */
export function discoveryItems(
  group: string,
  run: readonly DiscoveryItem[],
  refused: readonly ResourceRef[],
  elapsedMs: number,
): GroupDiscoverySummary {
  const items: DiscoveryItem[] = [
    ...run,
    ...refused.map((r): DiscoveryItem => ({
      resource: r.name,
      status: 'skipped',
      reason: 'not-permitted',
      message: 'not attempted: it needs full access to the resource',
      elapsedMs: 0,
    })),
  ];
  return {
    group,
    total: items.length,
    discovered: items.filter((i) => i.status === 'discovered').length,
    failed: items.filter((i) => i.status === 'failed').length,
    skipped: items.filter((i) => i.status === 'skipped').length,
    items,
    elapsedMs: Math.round(elapsedMs),
  };
}
