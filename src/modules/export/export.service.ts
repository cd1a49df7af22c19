import type { Clock } from '../../platform/clock.js';
import { Secret } from '../../platform/crypto/secret.js';
import { DomainError, NotPermittedError, OperationNotAvailableError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { actorOf, AuditOperation, type AuditService } from '../audit/index.js';
import { IMPORT_LIMITS, writeBulwarkCsv, type ImportRecord } from '../import/index.js';
import type { VaultService } from '../vault/index.js';
import { DEFAULT_COST, sealExport, type ScryptCost } from './export.format.js';
import type { ExportRequest, ExportResult, ExportRowReport } from './export.types.js';

export interface ExportServiceDeps {
  readonly vault: Pick<VaultService, 'exportableAccounts' | 'retrievePassword'>;
  readonly audit: Pick<AuditService, 'recordAccess'>;
  readonly clock: Clock;
  /** scrypt's cost; the default outside tests of the format itself. */
  readonly cost?: ScryptCost;
}

export type ExportService = ReturnType<typeof createExportService>;

/**
 * A refusal the gate answers one account with (no grant that releases the password, a reason or
 * ticket missing, a checkout needed, no password stored): that account's row is withheld, as
 * GET PASSWORD would have answered it. Faults of the server (an unreachable database, a full
 * disk: statuses other than 200) stop the whole export instead.
 */
function isRefusal(err: unknown): err is DomainError {
  return err instanceof DomainError && err.httpStatus === 200;
}

/**
 * A user's export (docs/import.md, ADR 051): the resources and accounts the caller sees, each
 * password asked of the vault's release gate exactly as GET PASSWORD asks it (so each release
 * is audited, and each refusal is that of the retrieval endpoint, given as the row's reason),
 * written as Bulwark CSV and sealed under the caller's passphrase. One more audit record names
 * the export as a whole: who, how many accounts, how many passwords released; no secret.
 */
export function createExportService({ vault, audit, clock, cost = DEFAULT_COST }: ExportServiceDeps) {
  return {
    async run(caller: Caller, request: ExportRequest): Promise<ExportResult> {
      // Applications read passwords one by one (RETRIEVE); a bulk export is for people.
      if (caller.principal.application !== undefined) {
        throw new NotPermittedError(
          `The application ${caller.principal.application.name} may not export passwords`,
        );
      }
      const why = { reason: request.reason || null, ticketId: request.ticketId || null };
      const resources = await vault.exportableAccounts(caller);
      // Refused before any release: a file the import could not read back is no export.
      const count = resources.reduce((n, r) => n + r.accounts.length, 0);
      if (count > IMPORT_LIMITS.maxRows) {
        throw new OperationNotAvailableError(
          `The export would hold ${count} accounts; an import reads at most ${IMPORT_LIMITS.maxRows}`,
        );
      }
      const records: ImportRecord[] = [];
      const rows: ExportRowReport[] = [];
      for (const resource of resources) {
        for (const account of resource.accounts) {
          let password: Secret = new Secret('');
          let refusal: string | undefined;
          try {
            password = await vault.retrievePassword(caller, resource.id, account.id, why);
          } catch (err) {
            if (!isRefusal(err)) throw err;
            refusal = err.message;
          }
          records.push({
            resourceName: resource.name,
            resourceType: resource.type,
            dnsName: resource.dnsName ?? '',
            url: resource.url ?? '',
            resourceDescription: resource.description ?? '',
            department: resource.department ?? '',
            location: resource.location ?? '',
            // A resource may be in several groups, some the caller may not see: none is named.
            resourceGroup: '',
            accountName: account.name,
            password,
            accountDescription: account.description ?? '',
            notes: account.notes ?? '',
          });
          rows.push(
            refusal === undefined
              ? { resource: resource.name, account: account.name, status: 'exported' }
              : { resource: resource.name, account: account.name, status: 'withheld', reason: refusal },
          );
        }
      }
      const exported = rows.filter((r) => r.status === 'exported').length;
      const now = new Date(clock.now());
      const file = await sealExport(
        Buffer.from(writeBulwarkCsv(records), 'utf8'),
        new Secret(request.passphrase),
        now,
        cost,
      );
      // Durable before the file leaves, like every release.
      await audit.recordAccess(actorOf(caller), {
        auditType: 'User',
        operation: AuditOperation.passwordsExported,
        targetUser: caller.principal.username,
        reason: `${rows.length} account(s) of ${resources.length} resource(s); ${exported} password(s) exported, ${rows.length - exported} withheld`,
        ticketId: why.ticketId,
      });
      const stamp = now.toISOString().slice(0, 19).replaceAll(':', '').replace('T', '-');
      return {
        file,
        fileName: `bulwark-export-${caller.principal.username.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.bwexport`,
        report: {
          total: rows.length,
          exported,
          withheld: rows.length - exported,
          resources: resources.length,
          rows,
        },
      };
    },
  };
}
