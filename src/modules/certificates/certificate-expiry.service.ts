import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { JobRunner } from '../../platform/jobs/index.js';
import { AuditOperation, type AuditService } from '../audit/index.js';
import { SYSTEM_ACTOR } from '../rotation/index.js';
import { eventOnCertificate } from '../vault/index.js';
import { expiryRepository as repo } from './certificate-expiry.repository.js';
import type { ExpiryCheck, ExpiringCertificate } from './certificate-expiry.types.js';
import type { CertificateActor, CertificatesService } from './certificates.service.js';

/** The periodic job kind of the expiry check (one queued instance per cluster, ADR 024). */
export const EXPIRY_JOB = 'certificates.expiry-check';

const DAY_MS = 86_400_000;

export interface CertificateExpiryDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly jobs: JobRunner;
  readonly certificates: CertificatesService;
  /** BULWARK_CERT_EXPIRY_DAYS: the thresholds in days, e.g. [30, 15, 7]. */
  readonly thresholdsDays: readonly number[];
  /** BULWARK_CERT_EXPIRY_CHECK_SECONDS, in milliseconds: the pause between two checks. */
  readonly intervalMs: number;
}

export type CertificateExpiry = ReturnType<typeof createCertificateExpiry>;

/** Whole days from `now` to `notAfter`, rounded down; negative once expired. */
export function daysLeft(notAfter: number, now: number): number {
  return Math.floor((notAfter - now) / DAY_MS);
}

/**
 * The thresholds a certificate is within, tightest last: less than `t` days remain, so whole
 * days left < t (a certificate with exactly 30 days left is not yet within 30, as
 * expiringBefore(now + 30 days) does not find it).
 */
export function crossed(thresholds: readonly number[], days: number): number[] {
  return [...thresholds].sort((a, b) => b - a).filter((t) => days < t);
}

/**
 * Certificate expiry (issue 14, ADR 041): a periodic job finds the certificates of the
 * repository expiring within the configured thresholds and records each certificate and
 * threshold once in `certificate_expiry_alerts`, auditing the alert in the same transaction. The
 * unique pair makes it once across nodes and runs: a second node, or the next run, inserts
 * nothing and audits nothing. A certificate that crosses several thresholds at once (found late,
 * or already expired) is alerted once, naming the tightest and recording the others with it.
 */
export function createCertificateExpiry(deps: CertificateExpiryDeps) {
  const { database, audit, clock, jobs, certificates } = deps;
  const db = database.db;
  const thresholds = [...new Set(deps.thresholdsDays)].sort((a, b) => b - a);
  const widest = thresholds[0] ?? 0;

  async function check(): Promise<ExpiryCheck> {
    const now = clock.now();
    const due = await repo.expiringBefore(db, now + widest * DAY_MS);
    const alerted: ExpiryCheck['alerted'][number][] = [];
    for (const cert of due) {
      const days = daysLeft(cert.notAfter, now);
      const within = crossed(thresholds, days);
      if (within.length === 0) continue;
      const fresh = await db.transaction().execute(async (trx) => {
        const inserted: number[] = [];
        for (const threshold of within) {
          if (
            await repo.recordOnce(trx, {
              certificateId: cert.id,
              thresholdDays: threshold,
              notAfter: cert.notAfter,
              daysLeft: days,
              at: now,
              by: jobs.nodeId,
            })
          )
            inserted.push(threshold);
        }
        if (inserted.length === 0) return inserted;
        const tightest = inserted.at(-1)!;
        const when = days < 0 ? `expired ${-days} day(s) ago` : `expires in ${days} day(s)`;
        const others = inserted.slice(0, -1);
        await audit.append(
          trx,
          SYSTEM_ACTOR,
          eventOnCertificate(
            AuditOperation.certificateExpiryAlert,
            cert,
            `${when}, on ${new Date(cert.notAfter).toISOString()}: within the ${tightest}-day threshold` +
              (others.length > 0 ? ` (the ${others.join(', ')}-day threshold(s) reached with it)` : '') +
              `; SHA-256 ${cert.sha256}`,
          ),
        );
        return inserted;
      });
      if (fresh.length > 0)
        alerted.push({
          certificateId: cert.id,
          commonName: cert.commonName,
          thresholds: fresh,
          daysLeft: days,
        });
    }
    return { checked: due.length, alerted };
  }

  return {
    thresholds,
    check,

    registerJobs(): void {
      // A failed check is not retried: the next periodic run is the retry.
      jobs.register(EXPIRY_JOB, () => check(), { maxAttempts: 1 });
      jobs.every(EXPIRY_JOB, deps.intervalMs);
    },

    /**
     * The certificates the actor may see that the job found within a threshold, soonest expiry
     * first; `withinDays` narrows to those expiring within that many days from now.
     */
    async list(who: CertificateActor, withinDays?: number): Promise<ExpiringCertificate[]> {
      const visible = new Set((await certificates.list(who)).map((c) => c.id));
      const now = clock.now();
      return (await repo.alerts(db))
        .filter((a) => visible.has(a.certificateId))
        .filter((a) => withinDays === undefined || a.notAfter < now + withinDays * DAY_MS)
        .map((a) => ({ ...a, daysLeft: daysLeft(a.notAfter, now) }));
    },
  };
}
