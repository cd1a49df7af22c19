import type { Executor } from '../../platform/db/database.js';
import {
  ConflictError,
  InvalidInputError,
  MissingFieldError,
  NotPermittedError,
} from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { can, type Permission } from '../access/index.js';
import { actorOf, AuditOperation } from '../audit/index.js';
import type { AccountRecords } from './account-records.js';
import { eventOn } from './audit-events.js';
import { accountNotFound } from './authorization.js';
import type { CustomFields } from './custom-fields.js';
import { findResourceType } from './resource-types.js';
import { resourceType, type VaultContext } from './vault.context.js';
import { vaultRepository as repo, controlsOf, type SearchFilter } from './vault.repository.js';
import {
  nameKey,
  passwordExpired,
  type AccountSummary,
  type NewAccount,
  type ResourceFields,
  type ResourcePatch,
  type ResourceSummary,
  type ResourceView,
  type ShareableObject,
} from './vault.types.js';
import type { Views } from './views.js';

/** Resources: listing, reading, creating (with the first account), editing, deleting, sharing. */
export function resourceOperations(
  ctx: VaultContext,
  { applyCustomFields }: CustomFields,
  { resourceView }: Views,
  { insertAccount }: AccountRecords,
) {
  const {
    db,
    access,
    audit,
    checkouts,
    clock,
    groups,
    users,
    authorization,
    canonicalPolicy,
    effectivePolicy,
    transaction,
  } = ctx;
  const { visibleResource, authorizedResource, authorizedResourceRelease, authorizedAccount } = authorization;

  return {
    async listResources(caller: Caller, search?: SearchFilter): Promise<ResourceSummary[]> {
      const scope = access.resourceScope(caller.principal);
      const [rows, reach] = await Promise.all([
        repo.listResources(db, scope, search),
        access.listingReach(db, caller.principal),
      ]);
      // A resource seen through some of its accounts counts only those.
      const summaries: ResourceSummary[] = rows.map((r) => ({
        id: r.id,
        name: r.name,
        type: r.resource_type,
        description: r.description,
        dnsName: r.dns_name,
        accountCount: reach(r.id, Number(r.account_count)),
      }));
      return summaries;
    },

    /** The console's resource list: one page and the total (search, type; by name). */
    async pageResources(
      caller: Caller,
      filter: { search?: string; type?: string; groupId?: number; offset: number; limit: number },
    ): Promise<{ total: number; items: ResourceSummary[] }> {
      const scope = access.resourceScope(caller.principal);
      const [page, reach] = await Promise.all([
        repo.pageResources(db, scope, filter),
        access.listingReach(db, caller.principal),
      ]);
      return {
        total: page.total,
        items: page.rows.map((r) => ({
          id: Number(r.id),
          name: r.name,
          type: r.resource_type,
          description: r.description,
          dnsName: r.dns_name,
          accountCount: reach(Number(r.id), Number(r.account_count ?? 0)),
        })),
      };
    },

    async getResource(
      caller: Caller,
      resourceId: number,
    ): Promise<{ resource: ResourceView; accounts: AccountSummary[]; permission: Permission }> {
      const { resource: row, reach } = await visibleResource(db, caller, resourceId);
      // The caller's own grant on the resource ('none' when seen only through some accounts).
      const permission = await access.resourcePermission(db, caller.principal, {
        id: row.id,
        ownerId: row.owner_id,
      });
      const resource = await resourceView(db, row, caller);
      const now = clock.now();
      const accounts = [];
      for (const a of (await repo.listAccounts(db, resourceId)).filter(
        (a) => reach === 'all' || reach.has(a.id),
      )) {
        // The validity period of the account's governing policy marks it expired (ADR 029).
        const policy = await effectivePolicy(db, a.password_policy, row);
        accounts.push({
          id: a.id,
          name: a.name,
          totpPeriod: a.totp_period === null ? null : Number(a.totp_period),
          controls: controlsOf(a),
          // As the checkout gate decides: owners of the account or its resource are not subject.
          checkoutRequired:
            controlsOf(a).accessControl &&
            caller.principal.userId !== Number(a.owner_id) &&
            caller.principal.userId !== Number(row.owner_id),
          expired: passwordExpired(Number(a.password_changed_at), policy.rules.validityDays, now),
        });
      }
      const inUse = await checkouts.inUse(
        db,
        accounts.filter((a) => a.controls.accessControl).map((a) => a.id),
      );
      return { resource, accounts: accounts.map((a) => ({ ...a, inUse: inUse.has(a.id) })), permission };
    },

    async createResource(
      caller: Caller,
      fields: ResourceFields,
      firstAccount: NewAccount,
      ownerName: string | undefined,
      groupName?: string,
    ): Promise<{ resourceId: number; accountId: number }> {
      const type = resourceType(fields.type);
      if (type.name === 'File Store' && !firstAccount.file) {
        throw new MissingFieldError(
          'file',
          'for a File Store resource (send it as multipart/form-data, part "file")',
        );
      }
      return transaction(async (trx) => {
        if (await repo.resourceNameTaken(trx, nameKey(fields.name))) {
          throw new ConflictError(`Resource ${fields.name} already exists`);
        }
        let ownerId = caller.principal.userId;
        if (ownerName !== undefined && nameKey(ownerName) !== nameKey(caller.principal.username)) {
          if (!can(caller.principal, 'assignOwners')) {
            throw new NotPermittedError(
              'Only administrators may create resources owned by another user (OWNERNAME)',
            );
          }
          const owner = await users.findByName(trx, ownerName);
          if (!owner) throw new InvalidInputError(`OWNERNAME: there is no user named ${ownerName}`);
          ownerId = owner.id;
        }
        const now = clock.now();
        // Without RESOURCEPASSWORDPOLICY, none of its own: a resource group's policy, else the
        // default, applies (ADR 012).
        const resourcePolicy =
          fields.passwordPolicy === null
            ? null
            : await canonicalPolicy(trx, fields.passwordPolicy, 'RESOURCEPASSWORDPOLICY');
        const resourceId = await repo.insertResource(trx, {
          name: fields.name,
          name_key: nameKey(fields.name),
          resource_type: type.name,
          dns_name: fields.dnsName,
          description: fields.description,
          department: fields.department,
          location: fields.location,
          url: fields.url,
          password_policy: resourcePolicy,
          owner_id: ownerId,
          created_at: now,
          modified_at: now,
        });
        await applyCustomFields(trx, 'resource', resourceId, fields.customFields);
        await audit.append(
          trx,
          actorOf(caller),
          eventOn(AuditOperation.resourceAdded, { id: resourceId, name: fields.name }),
        );
        if (groupName !== undefined) await groups.addCreatedResource(trx, caller, resourceId, groupName);
        const accountId = await insertAccount(
          trx,
          caller,
          { id: resourceId, name: fields.name, password_policy: resourcePolicy },
          firstAccount,
          now,
        );
        return { resourceId, accountId };
      }, `Resource ${fields.name} already exists`);
    },

    async editResource(caller: Caller, resourceId: number, patch: ResourcePatch): Promise<string> {
      return transaction(
        async (trx) => {
          const resource = await authorizedResource(trx, caller, resourceId, 'full');
          const update: Record<string, unknown> = {};
          if (patch.name !== undefined && patch.name !== resource.name) {
            if (await repo.resourceNameTaken(trx, nameKey(patch.name), resourceId)) {
              throw new ConflictError(`Resource ${patch.name} already exists`);
            }
            update.name = patch.name;
            update.name_key = nameKey(patch.name);
          }
          if (patch.type !== undefined) {
            const next = resourceType(patch.type);
            const current = findResourceType(resource.resource_type);
            if (next.name !== resource.resource_type && (next.typeLocked || current?.typeLocked)) {
              throw new InvalidInputError(
                `the resource type cannot be changed from ${resource.resource_type} to ${next.name} (Key Store, File Store, License Store, Rackspace and AWS IAM types are fixed)`,
              );
            }
            update.resource_type = next.name;
          }
          if (patch.passwordPolicy !== undefined && patch.passwordPolicy !== null)
            update.password_policy = await canonicalPolicy(
              trx,
              patch.passwordPolicy,
              'RESOURCEPASSWORDPOLICY',
            );
          if (patch.dnsName !== undefined) update.dns_name = patch.dnsName;
          if (patch.description !== undefined) update.description = patch.description;
          if (patch.department !== undefined) update.department = patch.department;
          if (patch.location !== undefined) update.location = patch.location;
          if (patch.url !== undefined) update.url = patch.url;
          update.modified_at = clock.now();
          await repo.updateResource(trx, resourceId, update);
          await applyCustomFields(trx, 'resource', resourceId, patch.customFields ?? []);
          const name = patch.name ?? resource.name;
          await audit.append(
            trx,
            actorOf(caller),
            eventOn(AuditOperation.resourceModified, { id: resourceId, name }),
          );
          return name;
        },
        `Resource ${patch.name ?? ''} already exists`,
      );
    },

    async deleteResource(caller: Caller, resourceId: number): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const resource = await authorizedResource(trx, caller, resourceId, 'full');
        await repo.deleteResource(trx, resourceId);
        await audit.append(trx, actorOf(caller), eventOn(AuditOperation.resourceDeleted, resource));
        return resource.name;
      });
    },

    /**
     * For the sharing module: the resource, or one of its accounts, that the caller may share
     * (full access), inside the caller's transaction, and whether that access releases its
     * passwords (read with the permission). Invisible objects answer as missing ones.
     * Without a resource id (`PUT /accounts/{id}/share`) the account's own resource is used.
     */
    async shareableObject(
      executor: Executor,
      caller: Caller,
      resourceId: number | undefined,
      accountId: number | undefined,
    ): Promise<ShareableObject> {
      if (accountId === undefined) {
        if (resourceId === undefined)
          throw new InvalidInputError('A resource or an account to share is needed');
        const { resource, mayRetrieve } = await authorizedResourceRelease(
          executor,
          caller,
          resourceId,
          'full',
        );
        return {
          resource: { id: resource.id, name: resource.name, ownerId: resource.owner_id },
          mayRetrieve,
        };
      }
      const inResource = resourceId ?? (await repo.resourceIdOfAccount(executor, accountId));
      if (inResource === undefined) throw accountNotFound(accountId);
      const { resource, account, mayRetrieve } = await authorizedAccount(
        executor,
        caller,
        inResource,
        accountId,
        'full',
      );
      return {
        resource: { id: resource.id, name: resource.name, ownerId: resource.owner_id },
        account: { id: account.id, name: account.name, ownerId: account.owner_id },
        mayRetrieve,
      };
    },

    /** For resource groups: the name of a resource the caller may see (the not-visible answer otherwise). */
    async visibleResourceName(executor: Executor, caller: Caller, resourceId: number): Promise<string> {
      return (await visibleResource(executor, caller, resourceId)).resource.name;
    },
  };
}
