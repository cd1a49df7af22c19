import type { Executor } from '../../platform/db/database.js';
import type { Caller } from '../../platform/principal.js';
import { NotPermittedError } from '../../platform/errors.js';
import { AuditOperation } from '../audit/index.js';
import type { CustomFields } from './custom-fields.js';
import type { VaultContext } from './vault.context.js';
import { vaultRepository as repo, type AccountRow, type ResourceRow } from './vault.repository.js';
import {
  ACCOUNT_FLAGS,
  JustificationRequiredError,
  type AccessJustification,
  type AccountFlagName,
  passwordExpired,
  type AccountView,
  type ResourceView,
} from './vault.types.js';

const ACCESS_OPERATIONS = [AuditOperation.passwordRetrieved, AuditOperation.fileDownloaded] as const;

export type Views = ReturnType<typeof createViews>;

/**
 * Resources and accounts as answers show them: secrets excluded; Password-type additional fields
 * released through the gate (which audits them) or masked when it refuses (ADR 018).
 */
export function createViews(ctx: VaultContext, { customFieldValues }: CustomFields) {
  const { audit, checkouts, clock, effectivePolicy, gate } = ctx;

  /** A refusal of the gate masks the fields; any other failure is passed on. */
  async function maskedOnRefusal<T>(release: () => Promise<T>): Promise<T | undefined> {
    try {
      return await release();
    } catch (err) {
      if (err instanceof NotPermittedError || err instanceof JustificationRequiredError) return undefined;
      throw err;
    }
  }

  async function resourceView(executor: Executor, row: ResourceRow, caller: Caller): Promise<ResourceView> {
    return {
      id: row.id,
      name: row.name,
      type: row.resource_type,
      dnsName: row.dns_name,
      description: row.description,
      department: row.department,
      location: row.location,
      url: row.url,
      passwordPolicy: (await effectivePolicy(executor, null, row)).name,
      ownerName: row.owner_name,
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
      customFields: await customFieldValues(executor, 'resource', row.id, () =>
        maskedOnRefusal(() =>
          gate.releaseResourceFields(caller, { id: row.id, name: row.name, ownerId: row.owner_id }),
        ),
      ),
    };
  }

  async function accountView(
    executor: Executor,
    row: AccountRow,
    resource: ResourceRow,
    caller: Caller,
    why: AccessJustification = { reason: null, ticketId: null },
  ): Promise<AccountView> {
    const flags = {} as Record<AccountFlagName, boolean>;
    for (const [name, column] of Object.entries(ACCOUNT_FLAGS) as [
      AccountFlagName,
      (typeof ACCOUNT_FLAGS)[AccountFlagName],
    ][]) {
      flags[name] = row[column] === 1;
    }
    const policy = await effectivePolicy(executor, row.password_policy, resource);
    return {
      inUse: row.access_control === 1 && (await checkouts.inUse(executor, [row.id])).has(row.id),
      id: row.id,
      resourceId: row.resource_id,
      name: row.name,
      description: row.description,
      notes: row.notes,
      passwordPolicy: policy.name,
      ownerName: row.owner_name,
      flags,
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
      passwordChangedAt: row.password_changed_at,
      expired: passwordExpired(Number(row.password_changed_at), policy.rules.validityDays, clock.now()),
      lastAccessedAt: await audit.lastOperationAt(row.id, ACCESS_OPERATIONS),
      hasFile: await repo.hasFile(executor, row.id),
      customFields: await customFieldValues(executor, 'account', row.id, () =>
        maskedOnRefusal(() =>
          gate.release(caller, 'additionalFields', { resourceId: row.resource_id, accountId: row.id }, why),
        ),
      ),
    };
  }

  return { resourceView, accountView };
}
