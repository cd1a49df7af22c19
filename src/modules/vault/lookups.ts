import { NotFoundError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { findByName, type NameCandidates, type VaultContext } from './vault.context.js';
import { vaultRepository as repo } from './vault.repository.js';
import { nameKey } from './vault.types.js';

/** Resources and accounts by name (endpoints 7 and 8), answered like missing ones when invisible. */
export function lookupOperations(ctx: VaultContext) {
  const { db, authorization } = ctx;
  const { resourceIsVisible, authorizedAccount } = authorization;

  const operations = {
    async resourceIdByName(caller: Caller, resourceNames: NameCandidates): Promise<number> {
      const resourceName = resourceNames[0];
      const resource = await findByName((name) => repo.findResourceByName(db, nameKey(name)), resourceNames);
      const notFound = () =>
        new NotFoundError(`Resource ${resourceName} does not exist or is not accessible to you`);
      if (!resource) throw notFound();
      if (!(await resourceIsVisible(db, caller, { id: resource.id, ownerId: resource.owner_id }))) {
        throw notFound();
      }
      return resource.id;
    },

    async accountIdsByName(
      caller: Caller,
      resourceNames: NameCandidates,
      accountNames: NameCandidates,
    ): Promise<{ resourceId: number; accountId: number }> {
      const [resourceName, accountName] = [resourceNames[0], accountNames[0]];
      const resourceId = await operations.resourceIdByName(caller, resourceNames);
      const accountId = await findByName(
        (name) => repo.findAccountIdByName(db, resourceId, nameKey(name)),
        accountNames,
      );
      const notFound = () =>
        new NotFoundError(
          `Account ${accountName} does not exist in resource ${resourceName} or is not accessible to you`,
        );
      if (accountId === undefined) throw notFound();
      await authorizedAccount(db, caller, resourceId, accountId, 'view').catch((err: unknown) => {
        throw err instanceof NotFoundError ? notFound() : err;
      });
      return { resourceId, accountId };
    },
  };
  return operations;
}
