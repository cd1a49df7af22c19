import type { Executor } from '../../platform/db/database.js';
import { InvalidInputError, NotFoundError } from '../../platform/errors.js';
import { nameKey } from './vault.types.js';

/** A resource as the modules that reach hosts (SSH key and certificate deployment) name it. */
export interface ResourceTarget {
  readonly id: number;
  readonly name: string;
  readonly ownerId: number;
  readonly dnsName: string | null;
}

/** The columns of a ResourceTarget, for queries that join resources. */
export const resourceTargetColumns = [
  'resources.id as id',
  'resources.name as name',
  'resources.owner_id as ownerId',
  'resources.dns_name as dnsName',
] as const;

export const asResourceTarget = (r: {
  id: number;
  name: string;
  ownerId: number;
  dnsName: string | null;
}): ResourceTarget => ({ id: Number(r.id), name: r.name, ownerId: Number(r.ownerId), dnsName: r.dnsName });

/** Resources by name or host; no decisions (callers ask the access module who may see them). */
export const resourceLookup = {
  async byName(db: Executor, name: string): Promise<ResourceTarget | undefined> {
    const row = await db
      .selectFrom('resources')
      .select(resourceTargetColumns)
      .where('name_key', '=', nameKey(name))
      .executeTakeFirst();
    return row && asResourceTarget(row);
  },

  /** Resources whose DNS name is `host` (letter case ignored), for clients that name hosts. */
  async byDnsName(db: Executor, host: string): Promise<ResourceTarget[]> {
    const rows = await db
      .selectFrom('resources')
      .select(resourceTargetColumns)
      .where((eb) => eb(eb.fn('lower', ['dns_name']), '=', host.trim().toLowerCase()))
      .orderBy('id')
      .limit(50)
      .execute();
    return rows.map(asResourceTarget);
  },
};

/**
 * The resource a client names, by its name, else by its DNS name (real PMP clients send
 * `"resourceName":"172.21.xxx.xx"`), among those `grantOf` says the caller can see: one
 * visible match, else refused as ambiguous or as missing (an invisible resource is missing).
 */
export async function visibleResourceNamed<G extends { readonly visible: boolean }>(
  executor: Executor,
  name: string,
  grantOf: (resource: ResourceTarget) => Promise<G>,
): Promise<{ resource: ResourceTarget; grant: G }> {
  const byName = await resourceLookup.byName(executor, name);
  if (byName) {
    const grant = await grantOf(byName);
    if (grant.visible) return { resource: byName, grant };
  }
  const byHost: { resource: ResourceTarget; grant: G }[] = [];
  for (const resource of await resourceLookup.byDnsName(executor, name)) {
    const grant = await grantOf(resource);
    if (grant.visible) byHost.push({ resource, grant });
  }
  if (byHost.length === 1) return byHost[0]!;
  if (byHost.length > 1) {
    throw new InvalidInputError(
      `${byHost.length} resources you can see have the DNS name ${name}: name the resource by its name`,
    );
  }
  throw new NotFoundError(`Resource ${name} does not exist or is not accessible to you`);
}
