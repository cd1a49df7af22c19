/** Waiting in tests: a pause, and polling until something is true (never a timing assertion). */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface UntilOptions {
  /** Pause between two probes; default 200 ms. */
  readonly everyMs?: number;
  /**
   * A probe that throws counts as "not yet" (a server restarting, a node not up): the last error
   * is named when time runs out. Otherwise an error fails the wait at once.
   */
  readonly tolerateErrors?: boolean;
}

/**
 * Probes until `probe` answers something other than undefined, and returns that; after
 * `timeoutMs` (default 60 s) fails with "timed out waiting for <what>".
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  options: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (!options.tolerateErrors) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await sleep(options.everyMs ?? 200);
  }
}
