import type { DiscoveryTarget } from './ip-range.js';
import { readServedChain, TlsProbeError, type ProbeTarget, type ServedChain } from './tls-probe.js';

/**
 * Probes many host:port targets (ADR 037) with at most `concurrency` handshakes in flight, each
 * bounded by its own deadline, so a silent host costs one timeout of one slot and never the scan.
 * Results come back in target order; progress is reported after every target.
 */

export interface ScanProgress {
  readonly done: number;
  readonly total: number;
  /** Targets that served a certificate chain. */
  readonly found: number;
  readonly failed: number;
}

export type ScanResult =
  | { readonly target: DiscoveryTarget; readonly ok: true; readonly served: ServedChain }
  | { readonly target: DiscoveryTarget; readonly ok: false; readonly error: TlsProbeError };

export interface ScanOptions {
  readonly timeoutMs: number;
  readonly concurrency: number;
  /** Called after each target, in completion order; awaited one at a time, never concurrently. */
  readonly onProgress?: (progress: ScanProgress) => void | Promise<void>;
  /** Stops starting new probes (those in flight finish within their deadline). */
  readonly signal?: AbortSignal;
  /** The probe; tests and callers may narrow it (e.g. a fixed SNI name). */
  readonly probe?: (target: ProbeTarget) => Promise<ServedChain>;
}

/** Default parallelism: enough to hide timeouts, few enough not to flood a network or the event loop. */
export const DEFAULT_SCAN_CONCURRENCY = 32;

export async function scanTargets(
  targets: readonly DiscoveryTarget[],
  options: ScanOptions,
): Promise<ScanResult[]> {
  const probe = options.probe ?? readServedChain;
  const results: ScanResult[] = new Array<ScanResult>(targets.length);
  const counts = { done: 0, found: 0, failed: 0 };
  let next = 0;
  let reporting: Promise<void> = Promise.resolve();
  let reportError: Error | undefined;

  const report = () => {
    const snapshot: ScanProgress = { ...counts, total: targets.length };
    const onProgress = options.onProgress;
    if (!onProgress) return;
    reporting = reporting
      .then(() => onProgress(snapshot))
      .catch((err: unknown) => {
        reportError ??= err instanceof Error ? err : new Error(String(err));
      });
  };

  const probeOne = async (index: number) => {
    const target = targets[index]!;
    try {
      const served = await probe({ host: target.host, port: target.port, timeoutMs: options.timeoutMs });
      results[index] = { target, ok: true, served };
      counts.found++;
    } catch (err) {
      const error =
        err instanceof TlsProbeError
          ? err
          : new TlsProbeError('handshake', `${target.host}:${target.port}: ${(err as Error).message}`);
      results[index] = { target, ok: false, error };
      counts.failed++;
    }
    counts.done++;
    report();
  };

  const worker = async () => {
    while (next < targets.length && !options.signal?.aborted) {
      await probeOne(next++);
    }
  };

  const slots = Math.max(1, Math.min(options.concurrency, targets.length));
  await Promise.all(Array.from({ length: slots }, () => worker()));
  await reporting;
  if (reportError !== undefined) throw reportError;
  // An aborted scan returns only what it probed.
  return results.filter((r) => r !== undefined);
}
