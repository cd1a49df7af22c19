import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus instruments (issue 17, ADR 047), on a registry of its own: no
 * module-level default registry, so every instance (and every in-process test server) counts
 * for itself. Services take what they record into as a dependency; `/metrics` (the monitoring
 * module) answers the registry's text.
 *
 * Labels are bounded sets only (route patterns, result words, job kinds), never a user's input,
 * a name or an id: a label value is exported to whoever may read the metrics, and an unbounded
 * one would grow the registry without end.
 */
export function createMetrics(options: { readonly processMetrics?: boolean } = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics !== false) registerProcessMetrics(registers);

  return {
    registry,
    httpRequests: new Counter({
      name: 'bulwark_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and result (success, failed: a PMP or native refusal, error: a fault of the server)',
      labelNames: ['method', 'route', 'result'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'bulwark_http_request_duration_seconds',
      help: 'Time from the request to its answer, by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    releases: new Counter({
      name: 'bulwark_secret_releases_total',
      help: 'Secret material released by the vault (passwords, files, keys, certificates), by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    auditBatchRecords: new Histogram({
      name: 'bulwark_audit_batch_records',
      help: 'Access records written together by one commit of the audit writer (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    auditCommitSeconds: new Histogram({
      name: 'bulwark_audit_commit_seconds',
      help: 'Time from handing a batch of access records to the writer to their durable commit',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    }),
    auditCommitFailures: new Counter({
      name: 'bulwark_audit_commit_failures_total',
      help: 'Batches of access records that could not be written (their releases were refused)',
      registers,
    }),
    authFailures: new Counter({
      name: 'bulwark_auth_failures_total',
      help: 'Refused credentials (API tokens, client certificates, console sign-ins)',
      registers,
    }),
    lockouts: new Counter({
      name: 'bulwark_auth_lockouts_total',
      help: 'Credentials locked out from an address after too many failures',
      registers,
    }),
    jobRuns: new Counter({
      name: 'bulwark_job_runs_total',
      help: 'Job runs on this node, by kind and outcome (succeeded, retried, failed)',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    /** A gauge whose value is read at scrape time (pool use, certificate expiries). */
    gauge<L extends string>(definition: {
      readonly name: string;
      readonly help: string;
      readonly labelNames?: readonly L[];
      collect(this: Gauge<L>): void | Promise<void>;
    }): Gauge<L> {
      return new Gauge<L>({ ...definition, registers });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * CPU, memory, heap and event-loop delay, read when scraped. Not prom-client's default set: its
 * garbage-collection histogram observes every collection, and under retrieval load (a minor GC
 * every few milliseconds) that cost 3–4 % of the throughput (docs/performance.md).
 */
function registerProcessMetrics(registers: Registry[]): void {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const startedAt = Date.now() / 1000 - process.uptime();
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  gauge('bulwark_process_cpu_seconds_total', 'CPU time of the process, user and system, in seconds', () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  });
  gauge('bulwark_process_resident_memory_bytes', 'Resident memory of the process', () =>
    process.memoryUsage.rss(),
  );
  gauge('bulwark_process_start_time_seconds', 'When the process started, in Unix seconds', () => startedAt);
  gauge('bulwark_nodejs_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed);
  gauge('bulwark_nodejs_heap_total_bytes', 'V8 heap reserved', () => process.memoryUsage().heapTotal);
  new Gauge({
    name: 'bulwark_nodejs_eventloop_delay_seconds',
    help: 'Event-loop delay since the last scrape, by quantile (0.5, 0.99, 1 for the maximum)',
    labelNames: ['quantile'] as const,
    registers,
    collect() {
      for (const q of [0.5, 0.99]) this.set({ quantile: String(q) }, delay.percentile(q * 100) / 1e9);
      this.set({ quantile: '1' }, delay.max / 1e9);
      delay.reset();
    },
  });
}
