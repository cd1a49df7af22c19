import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { Database } from '../../platform/db/database.js';
import { InvalidInputError, NotPermittedError } from '../../platform/errors.js';
import { PermanentJobError, type JobRunner } from '../../platform/jobs/index.js';
import type { Caller } from '../../platform/principal.js';
import { createAsyncMutex } from '../../platform/async-mutex.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import type { CertificatesService } from './certificates.service.js';
import { discoveryRepository } from './discovery.repository.js';
import { DEFAULT_SCAN_CONCURRENCY, scanTargets, type ScanResult } from './discovery-scan.js';
import { expandRange, type DiscoveryTarget } from './ip-range.js';
import { readServedChain, type ProbeFailureKind, type ProbeTarget, type ServedChain } from './tls-probe.js';

/**
 * SSL certificate discovery (endpoints 40 and 41, ADR 037): read what a host serves and store
 * each certificate of the chain once, owned by the caller, with where it was found. A single
 * host answers in the request; a range runs as a job with progress over the jobs API.
 */

export const RANGE_DISCOVERY_JOB = 'certificates.discover-range';

export const DISCOVERY_LIMITS = {
  minTimeoutSeconds: 1,
  maxTimeoutSeconds: 300,
  /** When the request gives no TIMEOUT. */
  defaultTimeoutSeconds: 10,
  hostLength: 253,
} as const;

/** One host:port's outcome, as 40 and 41 report it (`["SUCCESS", "…"]`). */
export interface HostReport {
  readonly host: string;
  readonly port: number;
  readonly status: 'SUCCESS' | 'FAILURE';
  readonly message: string;
  /** Why it failed. */
  readonly reason?: ProbeFailureKind;
  readonly added: number;
  readonly known: number;
  readonly commonName?: string;
  readonly protocol?: string;
}

interface RangeJob {
  readonly start: string;
  readonly end: string;
  readonly ports: string;
  readonly timeoutMs: number;
  readonly actor: AuditActor;
}

export interface CertificateDiscoveryDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly jobs: JobRunner;
  readonly certificates: CertificatesService;
  /** BULWARK_CERT_DISCOVERY_MAX_HOSTS. */
  readonly maxTargets: number;
  readonly concurrency?: number;
  readonly probe?: (target: ProbeTarget) => Promise<ServedChain>;
}

const FAILURE_TEXT: Record<ProbeFailureKind, string> = {
  unreachable: 'Connection failed',
  timeout: 'Connection timed out',
  'not-tls': 'Not an SSL service',
  handshake: 'SSL handshake failed',
};

/** A host name or an IP literal; never a URL, a path or anything with spaces. */
export function checkHost(raw: string): string {
  const host = raw.trim();
  const name =
    /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;
  if (isIP(host) !== 0 || name.test(host)) return host;
  throw new InvalidInputError(`HOST "${raw.slice(0, 80)}" is not a host name or an IP address`);
}

export function timeoutMsOf(seconds: number | undefined): number {
  const s = seconds ?? DISCOVERY_LIMITS.defaultTimeoutSeconds;
  return s * 1000;
}

export type CertificateDiscovery = ReturnType<typeof createCertificateDiscovery>;

export function createCertificateDiscovery(deps: CertificateDiscoveryDeps) {
  const { database, audit, jobs, certificates } = deps;
  const db = database.db;
  const probe = deps.probe ?? readServedChain;
  const concurrency = deps.concurrency ?? DEFAULT_SCAN_CONCURRENCY;
  // Chains found at once often share an intermediate: storing one chain at a time in this
  // process keeps two transactions from inserting the same certificate together.
  const storing = createAsyncMutex();

  function refuseApplications(caller: Caller): void {
    const application = caller.principal.application;
    if (application) {
      throw new NotPermittedError(
        `The application ${application.name} is not allowed to discover certificates`,
      );
    }
  }

  async function store(caller: Caller, result: ScanResult): Promise<HostReport> {
    const { host, port } = result.target;
    if (!result.ok) {
      return {
        host,
        port,
        status: 'FAILURE',
        message: `${FAILURE_TEXT[result.error.kind]},no certificate found at port ${port}`,
        reason: result.error.kind,
        added: 0,
        known: 0,
      };
    }
    const { served } = result;
    const at = { host, port, servername: served.servername ?? '' };
    const stored = await storing.runExclusive(() =>
      db.transaction().execute((trx) => certificates.storeFound(trx, caller, served.chain, at)),
    );
    const leafSha = fingerprint(new X509Certificate(served.chain[0]!).fingerprint256);
    const leafIsNew = stored.added.some((c) => fingerprint(c.sha256) === leafSha);
    const leaf = [...stored.added, ...stored.known].find((c) => fingerprint(c.sha256) === leafSha);
    const name = leaf ? leaf.commonName || leaf.subject : 'an';
    return {
      host,
      port,
      status: 'SUCCESS',
      message: leafIsNew
        ? `SSL Certificate added, ${name} certificate found at port ${port}`
        : `SSL Certificate already available, ${name} certificate found at port ${port}`,
      added: stored.added.length,
      known: stored.known.length,
      ...(leaf ? { commonName: leaf.commonName } : {}),
      protocol: served.protocol,
    };
  }

  async function runRange(caller: Caller, targets: readonly DiscoveryTarget[], options: RangeRun) {
    const results = await scanTargets(targets, {
      timeoutMs: options.timeoutMs,
      concurrency,
      probe,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const reports: HostReport[] = [];
    for (const result of results) {
      try {
        reports.push(await store(caller, result));
      } catch (err) {
        // One unreadable chain (or a lost race on another node) is that host's failure, not the job's.
        const { host, port } = result.target;
        const why = err instanceof Error ? err.message : String(err);
        reports.push({
          host,
          port,
          status: 'FAILURE',
          message: `Certificate not stored (${why.slice(0, 200)}),certificate found at port ${port}`,
          added: 0,
          known: 0,
        });
      }
    }
    return reports;
  }

  return {
    /** Endpoint 40: one host and port, answered in the request. */
    async discoverHost(caller: Caller, input: { host: string; port: number; timeoutMs: number }) {
      refuseApplications(caller);
      const host = checkHost(input.host);
      const [result] = await scanTargets([{ host, port: input.port }], {
        timeoutMs: input.timeoutMs,
        concurrency: 1,
        probe,
      });
      return store(caller, result!);
    },

    /**
     * Endpoint 41: checks the range against the limit at once (Failed before any probe), then
     * queues the scan as a job of the caller's.
     */
    async startRange(
      caller: Caller,
      input: { start: string; end: string; ports: string; timeoutMs: number },
    ): Promise<{ jobId: number; total: number }> {
      refuseApplications(caller);
      const total = expandRange(input, deps.maxTargets).length;
      // The job exists only with its audit record, and the other way round.
      return db.transaction().execute(async (trx) => {
        const jobId = (await jobs.enqueue<RangeJob>(
          trx,
          RANGE_DISCOVERY_JOB,
          { ...input, actor: actorOf(caller) },
          { createdBy: caller.principal.userId },
        ))!;
        await audit.append(trx, actorOf(caller), {
          auditType: 'User',
          operation: AuditOperation.certificateDiscoveryStarted,
          reason: `Range ${input.start} - ${input.end}, port(s) ${input.ports}; job ${jobId}; ${total} target(s); timeout ${input.timeoutMs / 1000} s`,
        });
        return { jobId, total };
      });
    },

    /**
     * The range job. A scan stores each certificate once (by SHA-256) and its places once, so
     * running it again finds what an earlier attempt stored as known: an attempt cut short (its
     * node died and its lease expired, or the database went away under it) is run again, up to
     * three attempts in all, rather than leaving the caller a failed job to start again.
     */
    registerJobs(): void {
      jobs.register<RangeJob>(
        RANGE_DISCOVERY_JOB,
        async (payload, ctx) => {
          const { actor } = payload;
          const principal =
            actor.userId === null ? undefined : await discoveryRepository.principal(db, actor.userId);
          if (!principal)
            throw new PermanentJobError(
              'The user who started the certificate discovery is locked or deleted',
            );
          const caller: Caller = { clientIp: actor.clientIp, client: actor.client, principal };
          const targets = expandRange(payload, deps.maxTargets);
          await ctx.progress(0, targets.length, 'starting');
          const reports = await runRange(caller, targets, {
            timeoutMs: payload.timeoutMs,
            signal: ctx.signal,
            onProgress: (p) => ctx.progress(p.done, p.total, `found ${p.found}, failed ${p.failed}`),
          });
          return {
            total: targets.length,
            found: reports.filter((r) => r.status === 'SUCCESS').length,
            failed: reports.filter((r) => r.status === 'FAILURE').length,
            added: reports.reduce((n, r) => n + r.added, 0),
            details: detailsOf(reports),
          };
        },
        { maxAttempts: 3, concurrency: 2 },
      );
    },
  };
}

interface RangeRun {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { done: number; total: number; found: number; failed: number }) => Promise<void>;
}

const fingerprint = (text: string) => text.replace(/:/g, '').toLowerCase();

/** The reference's `details`: host → [status, message]; host:port when a host has several ports. */
export function detailsOf(reports: readonly HostReport[]): Record<string, [string, string]> {
  const perHost = new Map<string, number>();
  for (const r of reports) perHost.set(r.host, (perHost.get(r.host) ?? 0) + 1);
  return Object.fromEntries(
    reports.map((r) => [
      (perHost.get(r.host) ?? 0) > 1 ? `${r.host}:${r.port}` : r.host,
      [r.status, r.message] as [string, string],
    ]),
  );
}
