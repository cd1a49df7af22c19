import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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
  // CPU, memory, heap, event-loop lag, open handles: prom-client's standard set.
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'bulwark_' });

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
