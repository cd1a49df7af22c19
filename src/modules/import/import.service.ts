import { NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { can } from '../access/index.js';
import {
  nameKey,
  VAULT_LIMITS,
  type ImportedResource,
  type ImportRowOutcome,
  type NewAccount,
  type VaultService,
} from '../vault/index.js';
import {
  IMPORT_LIMITS,
  ImportFileError,
  type ImportFormat,
  type ImportRecord,
  type ImportReport,
  type ImportRequest,
  type ImportRowReport,
  type ParsedRow,
} from './import.types.js';
import { parseBitwarden } from './parsers/bitwarden.js';
import { parseBulwarkCsv } from './parsers/bulwark-csv.js';
import { parseKeepass } from './parsers/keepass.js';
import { parsePmpCsv } from './parsers/pmp.js';

export interface ImportServiceDeps {
  readonly vault: Pick<VaultService, 'importBatch'>;
}

export type ImportService = ReturnType<typeof createImportService>;

/** Told after each batch: the rows it settled, and how many of `total` are settled so far. */
export type ImportProgress = (rows: readonly ImportRowReport[], done: number, total: number) => void;

const PARSERS: Readonly<Record<ImportFormat, (content: string) => ParsedRow[]>> = {
  csv: parseBulwarkCsv,
  keepass: parseKeepass,
  bitwarden: parseBitwarden,
  pmp: parsePmpCsv,
};

// Control characters in names would break listings, logs and exports (as vault.input.ts).
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A row the vault may be given: the resource it belongs to and its account. */
interface ReadyRow {
  readonly row: number;
  readonly resource: Omit<ImportedResource, 'accounts'>;
  readonly account: NewAccount;
}

/**
 * Checks one record as the API's input readers check CREATE RESOURCE: names, lengths, no control
 * characters. Returns the reason a row is skipped, or the row ready for the vault. The password is
 * never part of a reason.
 */
function readyRow(row: number, record: ImportRecord): ReadyRow | string {
  const names: [string, string][] = [
    ['resource name', record.resourceName],
    ['account name', record.accountName],
    ['resource group', record.resourceGroup],
  ];
  for (const [what, value] of names) {
    if (value.length > VAULT_LIMITS.name)
      return `bad field: the ${what} is longer than ${VAULT_LIMITS.name} characters`;
    if (CONTROL.test(value)) return `bad field: the ${what} holds control characters`;
  }
  const lengths: [string, string, number][] = [
    ['resource type', record.resourceType, 100],
    ['DNS name', record.dnsName, VAULT_LIMITS.shortText],
    ['URL', record.url, VAULT_LIMITS.url],
    ['resource description', record.resourceDescription, VAULT_LIMITS.description],
    ['department', record.department, VAULT_LIMITS.shortText],
    ['location', record.location, VAULT_LIMITS.shortText],
    ['account description', record.accountDescription, VAULT_LIMITS.description],
    ['notes', record.notes, VAULT_LIMITS.notes],
    ['password', record.password.reveal(), VAULT_LIMITS.password],
  ];
  for (const [what, value, max] of lengths) {
    if (value.length > max) return `bad field: the ${what} is longer than ${max} characters`;
  }
  const orNull = (value: string) => (value === '' ? null : value);
  const type =
    record.resourceType !== '' ? record.resourceType : record.url !== '' ? 'Web Site Accounts' : 'Generic';
  return {
    row,
    resource: {
      fields: {
        name: record.resourceName.normalize('NFC'),
        type,
        dnsName: orNull(record.dnsName),
        description: orNull(record.resourceDescription),
        department: orNull(record.department),
        location: orNull(record.location),
        url: orNull(record.url),
        passwordPolicy: null,
        customFields: [],
      },
      groupName: orNull(record.resourceGroup.normalize('NFC')),
    },
    account: {
      name: record.accountName.normalize('NFC'),
      password: record.password,
      passwordPolicy: null,
      description: orNull(record.accountDescription),
      notes: orNull(record.notes),
      flags: {},
      customFields: [],
    },
  };
}

/**
 * The batches of an import: resources in the order the file first names them, each with its
 * accounts in file order (a resource named again later gets those accounts too; its first row's
 * resource fields are the ones used), cut into batches of at most `size` accounts.
 */
function batchesOf(rows: readonly ReadyRow[], size: number): ImportedResource[][] {
  const byResource = new Map<
    string,
    { resource: ReadyRow['resource']; accounts: ImportedResource['accounts'][number][] }
  >();
  for (const r of rows) {
    const key = nameKey(r.resource.fields.name);
    let entry = byResource.get(key);
    if (entry === undefined) byResource.set(key, (entry = { resource: r.resource, accounts: [] }));
    entry.accounts.push({ row: r.row, account: r.account });
  }
  const batches: ImportedResource[][] = [];
  let batch: ImportedResource[] = [];
  let count = 0;
  for (const { resource, accounts } of byResource.values()) {
    for (let start = 0; start < accounts.length;) {
      const take = Math.min(size - count, accounts.length - start);
      batch.push({ ...resource, accounts: accounts.slice(start, start + take) });
      count += take;
      start += take;
      if (count === size) {
        batches.push(batch);
        batch = [];
        count = 0;
      }
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function reportOf(outcome: ImportRowOutcome): ImportRowReport {
  const base = { row: outcome.row, resource: outcome.resource, account: outcome.account };
  return outcome.imported
    ? { ...base, status: 'imported', resourceCreated: outcome.resourceCreated }
    : { ...base, status: 'skipped', reason: outcome.reason };
}

/**
 * Imports files of other vaults (docs/import.md) through the vault service: the file is read
 * whole first (one that does not parse is refused before anything is written), each row checked,
 * then the rows are written in batches, one transaction each. Administrators, privileged
 * administrators and password administrators may import, as in the original product; what they
 * import is theirs.
 */
export function createImportService({ vault }: ImportServiceDeps) {
  return {
    /** The rows of a file, or ImportFileError when it cannot be read. */
    parse(format: ImportFormat, content: string): ParsedRow[] {
      if (content.length > IMPORT_LIMITS.maxChars) {
        throw new ImportFileError(`the file is longer than ${IMPORT_LIMITS.maxChars} characters`);
      }
      const rows = PARSERS[format](content);
      if (rows.length > IMPORT_LIMITS.maxRows) {
        throw new ImportFileError(`the file holds ${rows.length} rows; at most ${IMPORT_LIMITS.maxRows}`);
      }
      return rows;
    },

    async run(caller: Caller, request: ImportRequest, onProgress?: ImportProgress): Promise<ImportReport> {
      if (!can(caller.principal, 'importResources') || caller.principal.application !== undefined) {
        throw new NotPermittedError(
          'Only administrators, privileged administrators and password administrators may import resources',
        );
      }
      const parsed = this.parse(request.format, request.content);
      const reports: ImportRowReport[] = [];
      const ready: ReadyRow[] = [];
      for (const row of parsed) {
        if (!row.ok) {
          reports.push({
            row: row.row,
            resource: row.resource,
            account: row.account,
            status: 'skipped',
            reason: row.reason,
          });
          continue;
        }
        const checked = readyRow(row.row, row.record);
        if (typeof checked === 'string') {
          reports.push({
            row: row.row,
            resource: row.record.resourceName.slice(0, VAULT_LIMITS.name),
            account: row.record.accountName.slice(0, VAULT_LIMITS.name),
            status: 'skipped',
            reason: checked,
          });
        } else ready.push(checked);
      }
      const total = parsed.length;
      onProgress?.(reports.slice(), reports.length, total);
      // A dry run is one transaction, rolled back: later rows see what earlier ones would create.
      const batches = batchesOf(ready, request.dryRun ? Math.max(1, ready.length) : IMPORT_LIMITS.batchSize);
      for (const batch of batches) {
        const settled = (await vault.importBatch(caller, batch, { dryRun: request.dryRun })).map(reportOf);
        reports.push(...settled);
        onProgress?.(settled, reports.length, total);
      }
      reports.sort((a, b) => a.row - b.row);
      const imported = reports.filter((r) => r.status === 'imported');
      return {
        format: request.format,
        dryRun: request.dryRun,
        total,
        imported: imported.length,
        skipped: total - imported.length,
        resourcesCreated: new Set(imported.filter((r) => r.resourceCreated).map((r) => nameKey(r.resource)))
          .size,
        rows: reports,
      };
    },
  };
}
