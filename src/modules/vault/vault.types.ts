import type { Secret } from '../../platform/crypto/secret.js';
import { DomainError } from '../../platform/errors.js';
import type { TotpAlgorithm } from '../../platform/crypto/totp.js';

/** Lengths beyond which input is refused (characters). */
export const LIMITS = {
  name: 255,
  description: 1024,
  shortText: 255,
  url: 2048,
  notes: 4096,
  password: 1024,
  policyName: 100,
  customLabel: 100,
  customValue: 2048,
  reason: 1024,
  ticketId: 255,
  totpSecret: 1024,
  customFieldsPerObject: 20,
  accountsPerRequest: 1000,
} as const;

/** Additional-field types (PMP "custom fields"); Password-type values are sealed at rest. */
export const CUSTOM_FIELD_TYPES = [
  'Character',
  'Text',
  'Numeric',
  'Date',
  'Password',
  'Email',
  'URL',
] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

/** PMP's column naming in answers (CUSTOMFIELDCOLUMNNAME), numbered per type. */
export const CUSTOM_FIELD_COLUMN_PREFIX: Record<CustomFieldType, string> = {
  Character: 'COLUMN_CHAR',
  Text: 'COLUMN_TEXT',
  Numeric: 'COLUMN_LONG',
  Date: 'COLUMN_DATE',
  Password: 'COLUMN_SCHAR',
  Email: 'COLUMN_EMAIL',
  URL: 'COLUMN_URL',
};

export interface CustomFieldInput {
  readonly label: string;
  /** Absent: keep the existing field's type on edit, Character on create. */
  readonly type: CustomFieldType | undefined;
  /** Absent: keep the existing value on edit, empty on create. */
  readonly value: Secret | undefined;
}

export interface CustomFieldValue {
  readonly label: string;
  readonly type: CustomFieldType;
  readonly columnName: string;
  readonly value: string;
}

/** Per-account switches documented for endpoints 21/22 (build 12230+). */
export const ACCOUNT_FLAGS = {
  RECORD_RDP_SESSIONS: 'record_rdp_sessions',
  RECORD_CLI_SESSIONS: 'record_cli_sessions',
  DISABLE_PASSWORD_RESETS: 'disable_password_resets',
  CONFIGURE_PASSWORD_RESET: 'configure_password_reset',
  IIS_WEB_CONFIG_RESET: 'iis_web_config_reset',
  IIS_APP_POOL_RESTART: 'iis_app_pool_restart',
  IIS_APP_POOL_RESET: 'iis_app_pool_reset',
  SERVICES_RESTART: 'services_restart',
  SERVICES_RESET: 'services_reset',
  SCHEDULED_TASK_RESET: 'scheduled_task_reset',
  // Retrieval controls (ADR 010): shown in the account list (2) and details (3) like PMP does.
  ISREASONREQUIRED: 'is_reason_required',
  IS_TICKETID_REQD: 'is_ticketid_reqd',
  IS_TICKETID_REQD_MANDATORY: 'is_ticketid_reqd_mandatory',
  ACCESS_CONTROL: 'access_control',
} as const;
export type AccountFlagName = keyof typeof ACCOUNT_FLAGS;
export type AccountFlags = Partial<Record<AccountFlagName, boolean>>;

export interface ResourceFields {
  readonly name: string;
  readonly type: string;
  readonly dnsName: string | null;
  readonly description: string | null;
  readonly department: string | null;
  readonly location: string | null;
  readonly url: string | null;
  /** Null: the default policy at creation time. */
  readonly passwordPolicy: string | null;
  readonly customFields: readonly CustomFieldInput[];
}

/** Only the fields present are changed. */
export type ResourcePatch = Partial<Omit<ResourceFields, 'customFields'>> & {
  readonly customFields?: readonly CustomFieldInput[];
};

export interface UploadedSecretFile {
  readonly fileName: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/**
 * TOTP_SECRET, TOTP_ALGORITHM, TOTP_DIGITS, TOTP_VALIDITY as given. `secret` null removes the
 * TOTP; undefined keeps the secret (an edit of the parameters only).
 */
export interface TotpInput {
  readonly secret: Buffer | null | undefined;
  readonly algorithm: TotpAlgorithm | undefined;
  readonly digits: number | undefined;
  readonly period: number | undefined;
}

export interface NewAccount {
  /** ACCOUNT_RESOURCE_GROUP_IDS: static resource groups the account is added to. */
  readonly groupIds?: readonly number[];
  readonly name: string;
  readonly password: Secret;
  readonly passwordPolicy: string | null;
  readonly description: string | null;
  readonly notes: string | null;
  readonly flags: AccountFlags;
  readonly customFields: readonly CustomFieldInput[];
  readonly file?: UploadedSecretFile | undefined;
  readonly totp?: TotpInput | undefined;
}

export interface AccountPatch {
  /** ACCOUNT_RESOURCE_GROUP_IDS: static resource groups the account is added to. */
  readonly groupIds?: readonly number[];
  readonly name?: string;
  readonly passwordPolicy?: string;
  readonly description?: string | null;
  readonly notes?: string | null;
  readonly flags?: AccountFlags;
  readonly customFields?: readonly CustomFieldInput[];
  readonly totp?: TotpInput;
}

/** Why a secret is being read or changed, recorded in the audit trail. */
export interface AccessJustification {
  readonly reason: string | null;
  readonly ticketId: string | null;
}

export interface ResourceSummary {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly description: string | null;
  readonly dnsName: string | null;
  readonly accountCount: number;
}

export interface ResourceView {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly dnsName: string | null;
  readonly description: string | null;
  readonly department: string | null;
  readonly location: string | null;
  readonly url: string | null;
  readonly passwordPolicy: string;
  readonly ownerName: string;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly customFields: readonly CustomFieldValue[];
}

/**
 * What a retrieval of an account's secret must satisfy (ADR 010). The access-request workflow
 * reads `accessControl` through {@link VaultService.accountControls} (or the repository function
 * exported from the vault's index inside its own transaction).
 */
export interface AccountControls {
  /** ISREASONREQUIRED: a REASON must accompany every retrieval. */
  readonly reasonRequired: boolean;
  /** IS_TICKETID_REQD: a TICKETID, when given, is validated by the ticket system. */
  readonly ticketIdRequired: boolean;
  /** IS_TICKETID_REQD_MANDATORY: a retrieval without a TICKETID is refused (implies validation). */
  readonly ticketIdMandatory: boolean;
  /** ACCESS_CONTROL: password access control (request → approve → check-out) applies. */
  readonly accessControl: boolean;
}

export interface AccountSummary {
  readonly id: number;
  readonly name: string;
  /** The TOTP code's period in seconds when the account has a TOTP secret, else null. */
  readonly totpPeriod: number | null;
  /** Whether this caller must request and check the password out first (access control, not an owner). */
  readonly checkoutRequired: boolean;
  readonly controls: AccountControls;
  /** Checked out under password access control right now (`[In Use]`). */
  readonly inUse: boolean;
  /** Older than its policy's validity period (ADR 029); undefined: the policy never expires it. */
  readonly expired: boolean | undefined;
}

export interface AccountView {
  /** Checked out under password access control right now (`[In Use]`). */
  readonly inUse: boolean;
  readonly id: number;
  readonly resourceId: number;
  readonly name: string;
  readonly description: string | null;
  readonly notes: string | null;
  readonly passwordPolicy: string;
  readonly ownerName: string;
  readonly flags: Required<AccountFlags>;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly passwordChangedAt: number;
  /** Older than its policy's validity period (ADR 029); undefined: the policy never expires it. */
  readonly expired: boolean | undefined;
  readonly lastAccessedAt: number | undefined;
  readonly hasFile: boolean;
  readonly customFields: readonly CustomFieldValue[];
}

/** An entry of an ADD ACCOUNTS request: readable, or refused with the reason. */
export type AccountDraft =
  | { readonly ok: true; readonly account: NewAccount }
  | { readonly ok: false; readonly name: string; readonly reason: string };

/** RESETTYPE of CHANGE PASSWORD: LOCAL changes the stored password; REMOTE also the target system. */
export type ResetType = 'LOCAL' | 'REMOTE';

export const ACCOUNT_EXISTS = 'Account is not added  as it already exists';

export type AddAccountOutcome =
  | { readonly name: string; readonly added: true; readonly accountId: number }
  | { readonly name: string; readonly added: false; readonly reason: string };

/** The canonical form of a resource or account name: what uniqueness and lookups use. */
export function nameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}

/** A resource, or an account of it, as the sharing module sees it. */
export interface ShareableObject {
  readonly resource: { readonly id: number; readonly name: string; readonly ownerId: number };
  readonly account?: { readonly id: number; readonly name: string; readonly ownerId: number };
  /** Whether the caller's access to it releases its passwords (not only through NoHelpDeskRetrieval groups). */
  readonly mayRetrieve: boolean;
}

/**
 * A retrieval the account's controls refuse because a REASON or TICKETID is missing (ADR 010).
 * Nothing is released.
 */
export class JustificationRequiredError extends DomainError {
  readonly code = 40006;
  constructor(
    readonly missing: 'REASON' | 'TICKETID',
    message: string,
  ) {
    super(message);
  }
}

const DAY_MS = 86_400_000;

/**
 * Whether a password changed at `changedAt` has outlived its policy's validity period at `now`
 * (ADR 029): undefined when the policy keeps passwords valid forever (0 days).
 */
export function passwordExpired(changedAt: number, validityDays: number, now: number): boolean | undefined {
  return validityDays > 0 ? now - changedAt >= validityDays * DAY_MS : undefined;
}
