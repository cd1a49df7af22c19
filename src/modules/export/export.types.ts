import { z } from 'zod';
import { InvalidInputError } from '../../platform/errors.js';
import { VAULT_LIMITS } from '../vault/index.js';

export const EXPORT_LIMITS = {
  /** Characters of a passphrase: at least this many (the file may leave the server's hands). */
  minPassphrase: 12,
  maxPassphrase: 1024,
} as const;

/**
 * An export request, whoever sends it (console JSON body, PMP route, CLI): the one place its
 * fields are checked by type. There is no user field: the caller exports their own view (the
 * CLI names the user it acts as, as the trusted local operator).
 */
export const exportRequestSchema = z.strictObject({
  passphrase: z
    .string({
      error: (issue) => (issue.input === undefined ? 'passphrase is required' : 'passphrase must be text'),
    })
    .min(EXPORT_LIMITS.minPassphrase, `passphrase must be at least ${EXPORT_LIMITS.minPassphrase} characters`)
    .max(EXPORT_LIMITS.maxPassphrase, `passphrase is longer than ${EXPORT_LIMITS.maxPassphrase} characters`),
  /** Given to every release, as REASON is to GET PASSWORD (accounts that require one need it). */
  reason: z
    .string({ error: 'reason must be text' })
    .max(VAULT_LIMITS.reason, `reason is longer than ${VAULT_LIMITS.reason} characters`)
    .optional(),
  ticketId: z
    .string({ error: 'ticketId must be text' })
    .max(VAULT_LIMITS.ticketId, `ticketId is longer than ${VAULT_LIMITS.ticketId} characters`)
    .optional(),
});
export type ExportRequest = z.output<typeof exportRequestSchema>;

/** Validates an export request by the schema; the first problem is the message, naming its field, never its value. */
export function readExportRequest(value: unknown): ExportRequest {
  const result = exportRequestSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw new InvalidInputError(field === '' ? issue.message : `${field}: ${issue.message}`);
}

/** What became of one account the caller sees; never its password. */
export interface ExportRowReport {
  readonly resource: string;
  readonly account: string;
  /** exported: with its password; withheld: in the file without it, `reason` says why. */
  readonly status: 'exported' | 'withheld';
  readonly reason?: string;
}

export interface ExportReport {
  /** Accounts in the file. */
  readonly total: number;
  readonly exported: number;
  readonly withheld: number;
  readonly resources: number;
  readonly rows: readonly ExportRowReport[];
}

export interface ExportResult {
  /** The encrypted file (export.format.ts). */
  readonly file: Buffer;
  readonly fileName: string;
  readonly report: ExportReport;
}
