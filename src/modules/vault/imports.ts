import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { DomainError, InvalidInputError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { actorOf, AuditOperation, type AuditEvent } from '../audit/index.js';
import type { AccountBatch, AccountRecords } from './account-records.js';
import { eventOn } from './audit-events.js';
import type { CustomFields } from './custom-fields.js';
import { resourceType, type VaultContext } from './vault.context.js';
import { vaultRepository as repo } from './vault.repository.js';
import { nameKey, type NewAccount, type ResourceFields } from './vault.types.js';

/** One resource of an import batch: its fields, its resource group, and its accounts by row. */
export interface ImportedResource {
  readonly fields: ResourceFields;
  /** A static resource group a new resource joins (created when missing), as RESOURCEGROUPNAME. */
  readonly groupName: string | null;
  readonly accounts: readonly { readonly row: number; readonly account: NewAccount }[];
}

/** What became of one row: imported (and whether its resource was created), or skipped and why. */
export type ImportRowOutcome =
  | {
      readonly row: number;
      readonly resource: string;
      readonly account: string;
      readonly imported: true;
      readonly resourceCreated: boolean;
    }
  | {
      readonly row: number;
      readonly resource: string;
      readonly account: string;
      readonly imported: false;
      readonly reason: string;
    };

/** Thrown inside a dry run's transaction so that it rolls back with its outcomes. */
class DryRunRollback extends Error {
  constructor(readonly outcomes: ImportRowOutcome[]) {
    super('dry run');
  }
}

/**
 * Imports (docs/import.md): resources with their accounts, one transaction per batch, created
 * exactly as CREATE RESOURCE and ADD ACCOUNTS create them (the same type check, policy check,
 * sealing, resource group and audit records), owned by the caller. A new resource whose accounts
 * are all refused is not created (a savepoint). An existing resource of the same name receives
 * the accounts when the caller holds full access to it. A dry run does all of it, then rolls back.
 */
export function importOperations(
  ctx: VaultContext,
  { applyCustomFields }: CustomFields,
  { insertAccount }: AccountRecords,
) {
  const { audit, clock, groups, authorization, transaction } = ctx;

  async function addAccountsTo(
    trx: Executor,
    caller: Caller,
    resource: { id: number; name: string; password_policy: string | null },
    entry: ImportedResource,
    events: AuditEvent[],
    now: number,
    created: boolean,
  ): Promise<ImportRowOutcome[]> {
    const outcomes: ImportRowOutcome[] = [];
    const batch: AccountBatch = { policies: new Map(), events };
    const taken = await repo.takenAccountNames(
      trx,
      resource.id,
      entry.accounts.map((a) => nameKey(a.account.name)),
    );
    for (const { row, account } of entry.accounts) {
      const base = { row, resource: resource.name, account: account.name };
      const key = nameKey(account.name);
      if (taken.has(key)) {
        outcomes.push({
          ...base,
          imported: false,
          reason: `duplicate: account ${account.name} already exists on resource ${resource.name}`,
        });
        continue;
      }
      try {
        // A plain account (no fields, groups, TOTP or file) is refused, if at all, before its insert.
        await insertAccount(trx, caller, resource, account, now, batch);
        taken.add(key);
        // The first account imported into a new resource is the row that created it.
        const first = created && !outcomes.some((o) => o.imported);
        outcomes.push({ ...base, imported: true, resourceCreated: first });
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        outcomes.push({ ...base, imported: false, reason: err.message });
      }
    }
    return outcomes;
  }

  async function importResource(
    trx: Executor,
    caller: Caller,
    entry: ImportedResource,
    events: AuditEvent[],
    now: number,
  ): Promise<ImportRowOutcome[]> {
    const name = entry.fields.name;
    const skipAll = (reason: string): ImportRowOutcome[] =>
      entry.accounts.map(({ row, account }) => ({
        row,
        resource: name,
        account: account.name,
        imported: false,
        reason,
      }));
    const existing = await repo.findResourceByName(trx, nameKey(name));
    if (existing) {
      let resource;
      try {
        resource = await authorization.authorizedResource(trx, caller, existing.id, 'full');
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        // Seen or not, the name is taken: the same answer as CREATE RESOURCE's.
        return skipAll(`resource ${name} already exists and you do not have full access to it`);
      }
      return addAccountsTo(trx, caller, resource, entry, events, now, false);
    }
    let typeName: string;
    try {
      const type = resourceType(entry.fields.type);
      if (type.fileBased) throw new InvalidInputError(`bad type: ${type.name} resources hold a file`);
      typeName = type.name;
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      return skipAll(err.message);
    }
    const mark = events.length;
    await sql`savepoint import_resource`.execute(trx);
    try {
      const resourceId = await repo.insertResource(trx, {
        name,
        name_key: nameKey(name),
        resource_type: typeName,
        dns_name: entry.fields.dnsName,
        description: entry.fields.description,
        department: entry.fields.department,
        location: entry.fields.location,
        url: entry.fields.url,
        password_policy: null,
        owner_id: caller.principal.userId,
        created_at: now,
        modified_at: now,
      });
      await applyCustomFields(trx, 'resource', resourceId, entry.fields.customFields);
      events.push(eventOn(AuditOperation.resourceAdded, { id: resourceId, name }));
      // Before the accounts: a group's password policy governs them (ADR 012).
      if (entry.groupName !== null) await groups.addCreatedResource(trx, caller, resourceId, entry.groupName);
      const resource = { id: resourceId, name, password_policy: null };
      const outcomes = await addAccountsTo(trx, caller, resource, entry, events, now, true);
      if (outcomes.some((o) => o.imported)) {
        await sql`release savepoint import_resource`.execute(trx);
        return outcomes;
      }
      await rollbackResource(trx, events, mark);
      return outcomes;
    } catch (err) {
      await rollbackResource(trx, events, mark);
      if (!(err instanceof DomainError)) throw err;
      return skipAll(err.message);
    }
  }

  async function rollbackResource(trx: Executor, events: AuditEvent[], mark: number): Promise<void> {
    await sql`rollback to savepoint import_resource`.execute(trx);
    await sql`release savepoint import_resource`.execute(trx);
    events.length = mark;
  }

  return {
    /**
     * One batch of an import, in one transaction: an outcome per row, in the order given. With
     * `dryRun` everything is done, checked and audited as for real, then rolled back.
     */
    async importBatch(
      caller: Caller,
      resources: readonly ImportedResource[],
      options: { readonly dryRun: boolean },
    ): Promise<ImportRowOutcome[]> {
      try {
        return await transaction(async (trx) => {
          const now = clock.now();
          const events: AuditEvent[] = [];
          const outcomes: ImportRowOutcome[] = [];
          for (const entry of resources)
            outcomes.push(...(await importResource(trx, caller, entry, events, now)));
          if (events.length > 0) await audit.append(trx, actorOf(caller), ...events);
          if (options.dryRun) throw new DryRunRollback(outcomes);
          return outcomes;
        }, 'a resource or account of this batch was created concurrently; import the file again');
      } catch (err) {
        if (err instanceof DryRunRollback) return err.outcomes;
        throw err;
      }
    },
  };
}
