import type { Executor } from '../../platform/db/database.js';
import type { Caller } from '../../platform/principal.js';
import { actorOf, AuditOperation } from '../audit/index.js';
import { eventOn } from './audit-events.js';
import type { CustomFields } from './custom-fields.js';
import type { VaultContext } from './vault.context.js';
import { vaultRepository as repo, type AccountRow, type ResourceRow } from './vault.repository.js';
import {
  ACCOUNT_FLAGS,
  LIMITS,
  type AccountFlagName,
  type AccountView,
  type CustomFieldValue,
  type ResourceView,
} from './vault.types.js';

const ACCESS_OPERATIONS = [AuditOperation.passwordRetrieved, AuditOperation.fileDownloaded] as const;

export type Views = ReturnType<typeof createViews>;

/** Resources and accounts as answers show them (secrets excluded, Password-type fields audited). */
export function createViews(ctx: VaultContext, { customFieldValues }: CustomFields) {
  const { audit, checkouts, effectivePolicy } = ctx;

  async function resourceView(executor: Executor, row: ResourceRow): Promise<ResourceView> {
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
      customFields: await customFieldValues(executor, 'resource', row.id),
    };
  }

  async function accountView(
    executor: Executor,
    row: AccountRow,
    resource: ResourceRow,
  ): Promise<AccountView> {
    const flags = {} as Record<AccountFlagName, boolean>;
    for (const [name, column] of Object.entries(ACCOUNT_FLAGS) as [
      AccountFlagName,
      (typeof ACCOUNT_FLAGS)[AccountFlagName],
    ][]) {
      flags[name] = row[column] === 1;
    }
    return {
      inUse: row.access_control === 1 && (await checkouts.inUse(executor, [row.id])).has(row.id),
      id: row.id,
      resourceId: row.resource_id,
      name: row.name,
      description: row.description,
      notes: row.notes,
      passwordPolicy: (await effectivePolicy(executor, row.password_policy, resource)).name,
      ownerName: row.owner_name,
      flags,
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
      passwordChangedAt: row.password_changed_at,
      lastAccessedAt: await audit.lastOperationAt(row.id, ACCESS_OPERATIONS),
      hasFile: await repo.hasFile(executor, row.id),
      customFields: await customFieldValues(executor, 'account', row.id),
    };
  }

  /** Password-type additional fields are secrets: showing them is an audited access. */
  async function auditRevealedFields(
    caller: Caller,
    fields: readonly CustomFieldValue[],
    resource: { id: number; name: string },
    account?: { id: number; name: string },
  ) {
    const revealed = fields.filter((f) => f.type === 'Password').map((f) => f.label);
    if (revealed.length === 0) return;
    const reason = `Fields: ${revealed.join(', ')}`.slice(0, LIMITS.reason);
    await audit.recordAccess(
      actorOf(caller),
      eventOn(AuditOperation.customFieldRetrieved, resource, account, { reason, ticketId: null }),
    );
  }

  return { resourceView, accountView, auditRevealedFields };
}
