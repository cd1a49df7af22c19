import { NotFoundError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import type { VaultContext } from './vault.context.js';
import { vaultRepository as repo } from './vault.repository.js';

/** A resource of an export with the accounts the caller reaches on it; no secret. */
export interface ExportableResource {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly dnsName: string | null;
  readonly url: string | null;
  readonly description: string | null;
  readonly department: string | null;
  readonly location: string | null;
  readonly accounts: readonly {
    readonly id: number;
    readonly name: string;
    readonly description: string | null;
    readonly notes: string | null;
  }[];
}

/**
 * What a user's export (docs/import.md, ADR 051) may hold: the resources and accounts the caller
 * sees, decided exactly as GET /resources and GET /resources/{id}/accounts decide it (the access
 * module's listing scope, then `visibleResource`'s reach per resource). Passwords are not read
 * here: the export asks for each through the release gate, as GET PASSWORD does.
 */
export function exportOperations(ctx: VaultContext) {
  const { db, access, authorization } = ctx;

  return {
    async exportableAccounts(caller: Caller): Promise<ExportableResource[]> {
      const listed = await repo.listResources(db, access.resourceScope(caller.principal), undefined);
      const resources: ExportableResource[] = [];
      for (const { id } of listed) {
        let visible;
        try {
          visible = await authorization.visibleResource(db, caller, Number(id));
        } catch (err) {
          // Deleted (or unshared) since the listing: as if it had never been listed.
          if (err instanceof NotFoundError) continue;
          throw err;
        }
        const { resource, reach } = visible;
        const accounts = (await repo.listAccountTexts(db, resource.id)).filter(
          (a) => reach === 'all' || reach.has(a.id),
        );
        if (accounts.length === 0) continue;
        resources.push({
          id: resource.id,
          name: resource.name,
          type: resource.resource_type,
          dnsName: resource.dns_name,
          url: resource.url,
          description: resource.description,
          department: resource.department,
          location: resource.location,
          accounts: accounts.map((a) => ({
            id: a.id,
            name: a.name,
            description: a.description,
            notes: a.notes,
          })),
        });
      }
      return resources;
    },
  };
}
