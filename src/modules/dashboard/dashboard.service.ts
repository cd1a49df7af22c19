import type { Clock } from '../../platform/clock.js';
import type { Caller } from '../../platform/principal.js';
import { can } from '../access/index.js';
import { AuditOperation, type AuditService } from '../audit/index.js';
import type { CertificatesService } from '../certificates/index.js';
import type { VaultService } from '../vault/index.js';

const DAY_MS = 86_400_000;
/** Certificates expiring within this many days are on the timeline (expired ones too). */
export const CERTIFICATE_HORIZON_DAYS = 90;
export const RETRIEVAL_DAYS = 30;
export const FAILED_LOGIN_DAYS = 7;

export interface DashboardServiceDeps {
  readonly vault: Pick<VaultService, 'passwordAges'>;
  readonly certificates: Pick<CertificatesService, 'list'>;
  readonly audit: Pick<AuditService, 'dailyCounts' | 'search'>;
  readonly clock: Clock;
}

export type DashboardService = ReturnType<typeof createDashboardService>;

/**
 * The console's dashboard (ADR 042): what needs attention, over what the caller may see. Each
 * part asks its own module, which authorises as always: password ages over the caller's
 * accounts, certificates the caller may see, retrievals (everyone's for audit readers, else
 * their own), failed sign-ins for audit readers only.
 */
export function createDashboardService({ vault, certificates, audit, clock }: DashboardServiceDeps) {
  return {
    async overview(caller: Caller) {
      const now = clock.now();
      const auditor = can(caller.principal, 'readAudit');
      const [passwords, expiring, retrievals, failures] = await Promise.all([
        vault.passwordAges(caller),
        certificates.list(caller, { expiringWithinDays: CERTIFICATE_HORIZON_DAYS }),
        audit.dailyCounts(caller, AuditOperation.passwordRetrieved, RETRIEVAL_DAYS),
        auditor
          ? audit.search(
              caller.principal,
              { operation: AuditOperation.authenticationFailed, since: now - FAILED_LOGIN_DAYS * DAY_MS },
              0,
              5,
            )
          : undefined,
      ]);
      return {
        passwords,
        certificates: expiring
          .sort((a, b) => a.notAfter - b.notAfter)
          .slice(0, 50)
          .map((c) => ({
            id: c.id,
            commonName: c.commonName,
            notAfter: c.notAfter,
            daysLeft: Math.floor((c.notAfter - now) / DAY_MS),
          })),
        retrievals: { scope: auditor ? ('everyone' as const) : ('mine' as const), days: retrievals },
        failedLogins: failures && {
          days: FAILED_LOGIN_DAYS,
          total: failures.total,
          recent: failures.records.map((r) => ({
            at: r.at,
            user: r.targetUser ?? r.operatorName,
            clientIp: r.clientIp,
            reason: r.reason,
          })),
        },
      };
    },
  };
}
