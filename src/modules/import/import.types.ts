import { z } from 'zod';
import type { Secret } from '../../platform/crypto/secret.js';
import { InvalidInputError } from '../../platform/errors.js';

/** The file formats `bulwark import` and the import endpoints read (docs/import.md). */
export const IMPORT_FORMATS = ['csv', 'keepass', 'bitwarden', 'pmp'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const IMPORT_LIMITS = {
  /** Rows (accounts) in one file. */
  maxRows: 50_000,
  /** Characters of one file (the endpoints are also bounded by the body limit). */
  maxChars: 64 * 1024 * 1024,
  /** Accounts written in one transaction. */
  batchSize: 200,
} as const;

/** One account of a file, with its resource, as the format maps it (before the vault checks it). */
export interface ImportRecord {
  readonly resourceName: string;
  /** Empty: the format's default type. */
  readonly resourceType: string;
  readonly dnsName: string;
  readonly url: string;
  readonly resourceDescription: string;
  readonly department: string;
  readonly location: string;
  /** A static resource group a new resource joins (KeePass group path, Bitwarden folder). */
  readonly resourceGroup: string;
  readonly accountName: string;
  readonly password: Secret;
  readonly accountDescription: string;
  readonly notes: string;
}

/**
 * A row of a file: a record, or a row the format itself refuses (a non-login item, a missing
 * column value), with why. `row` is the file's line (CSV, XML) or item number (JSON).
 */
export type ParsedRow =
  | { readonly row: number; readonly ok: true; readonly record: ImportRecord }
  | {
      readonly row: number;
      readonly ok: false;
      readonly resource: string;
      readonly account: string;
      readonly reason: string;
    };

/** A file that cannot be read at all: refused whole before anything is written. */
export class ImportFileError extends InvalidInputError {}

/** What one row became; never the password. */
export interface ImportRowReport {
  readonly row: number;
  readonly resource: string;
  readonly account: string;
  readonly status: 'imported' | 'skipped';
  /** For skipped rows: why. */
  readonly reason?: string;
  /** For imported rows: whether the import created the resource. */
  readonly resourceCreated?: boolean;
}

export interface ImportReport {
  readonly format: ImportFormat;
  readonly dryRun: boolean;
  readonly total: number;
  readonly imported: number;
  readonly skipped: number;
  readonly resourcesCreated: number;
  readonly rows: readonly ImportRowReport[];
}

/**
 * An import request, whoever sends it (console JSON body, PMP route, CLI): the one place its
 * fields are checked by type.
 */
export const importRequestSchema = z.strictObject({
  format: z.enum(IMPORT_FORMATS, { error: `format must be one of ${IMPORT_FORMATS.join(', ')}` }),
  content: z
    .string({ error: 'content must be the text of the file' })
    .min(1, 'content is empty')
    .max(IMPORT_LIMITS.maxChars, `content is longer than ${IMPORT_LIMITS.maxChars} characters`),
  dryRun: z.boolean({ error: 'dryRun must be true or false' }).default(false),
});
export type ImportRequest = z.output<typeof importRequestSchema>;

/** Validates an import request by the schema; the first problem is the message, naming its field. */
export function readImportRequest(value: unknown): ImportRequest {
  const result = importRequestSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw new InvalidInputError(field === '' ? issue.message : `${field}: ${issue.message}`);
}
