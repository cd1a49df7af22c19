import type { Secret } from '../../platform/crypto/secret.js';

/** Which connector changes the resource's passwords. */
export type RemoteResetKind = 'linux' | 'postgresql' | 'mysql';

/** RESOURCETYPE of endpoint 63 (case-insensitive); MariaDB is MySQL. */
export const RESOURCE_TYPE_NAMES = ['Linux', 'PostgreSQL', 'MySQL', 'MariaDB'] as const;
export type ResourceTypeName = (typeof RESOURCE_TYPE_NAMES)[number];

export function kindOfResourceType(name: ResourceTypeName): RemoteResetKind {
  return name === 'Linux' ? 'linux' : name === 'PostgreSQL' ? 'postgresql' : 'mysql';
}

export const RESOURCE_TYPE_OF_KIND: Readonly<Record<RemoteResetKind, string>> = {
  linux: 'Linux',
  postgresql: 'PostgreSQL',
  mysql: 'MySQL',
};

export const DEFAULT_PORT: Readonly<Record<RemoteResetKind, number>> = {
  linux: 22,
  postgresql: 5432,
  mysql: 3306,
};

export type Elevation = 'su' | 'sudo';
export type Authentication = 'passauth' | 'keyauth';
export type ResourceIdentifier = 'linux' | 'others';

/** An account of the vault named by a configuration. */
export interface AccountRef {
  readonly id: number;
  readonly resourceId: number;
  /** Its login name on the target. */
  readonly name: string;
}

/**
 * The stored configuration of one resource, typed, for the rotation service (which builds the
 * connector's SshTarget / DatabaseTarget from it). No authorisation: the rotation service acts as
 * the system, on what an authorised caller configured.
 */
export interface RemoteResetConfiguration {
  readonly resourceId: number;
  readonly resourceName: string;
  readonly kind: RemoteResetKind;
  /** The host the configuration was confirmed for (ADR 030): the only host changes go to. */
  readonly host: string;
  /** The resource's DNSNAME now ('' when cleared); differing from `host`, nothing is sent. */
  readonly dnsNameNow: string;
  readonly port: number;
  readonly resourceIdentifier: ResourceIdentifier;
  /** LINUX_USERPROMPT and LINUXROOTUSERPROMPT (Linux). */
  readonly prompts: { readonly user: string; readonly root: string };
  /** LINUX_LANDINGSERVER: the landing (jump) resource; its own configuration names its login account. */
  readonly landingResourceId: number | undefined;
  /** REMOTELOGINACCOUNT: the account on this resource that logs in (Linux). */
  readonly loginAccount: AccountRef | undefined;
  /**
   * WDRESOURCEID/WDACCOUNTID: the account that performs resets. Databases: it runs ALTER ROLE /
   * ALTER USER (absent: each account changes its own password). Linux: it logs in when no
   * REMOTELOGINACCOUNT is named.
   */
  readonly resetAccount: AccountRef | undefined;
  /** ROOTACCOUNT: the account on this resource whose password su answers (Linux, su). */
  readonly rootAccount: AccountRef | undefined;
  readonly elevation: Elevation;
  readonly removeEnter: boolean;
  /** DATABASE (databases; PostgreSQL defaults to `postgres`, MySQL to none). */
  readonly database: string | undefined;
  readonly authentication: Authentication;
  /** The login account's private key, opened (keyauth only). */
  readonly privateKey: Secret | undefined;
  readonly passphrase: Secret | undefined;
}

/** A configuration as answered by the API: no secret, only whether a key is held and its fingerprint. */
export interface RemoteResetView {
  readonly resourceId: number;
  readonly resourceName: string;
  readonly kind: RemoteResetKind;
  readonly remoteMode: 'ssh';
  /** The confirmed host (ADR 030). */
  readonly host: string;
  /** The resource's DNSNAME when it differs from the confirmed host (an unconfirmed change). */
  readonly unconfirmedDnsName: string | undefined;
  readonly port: number;
  readonly resourceIdentifier: ResourceIdentifier;
  readonly userPrompt: string;
  readonly rootPrompt: string;
  readonly landingServer: { readonly id: number; readonly name: string } | undefined;
  readonly loginAccount: AccountRef | undefined;
  readonly resetAccount: (AccountRef & { readonly resourceName: string }) | undefined;
  readonly rootAccount: AccountRef | undefined;
  readonly elevation: Elevation;
  readonly removeEnter: boolean;
  readonly database: string | undefined;
  readonly authentication: Authentication;
  readonly keyPresent: boolean;
  readonly passphrasePresent: boolean;
  readonly keyFingerprint: string | undefined;
  readonly configuredAt: number;
}

/**
 * The fields of endpoint 63 (and of the native PUT, which changes only the fields given).
 * Accounts and the landing server are named as the reference names them; the service resolves
 * them per resource.
 */
export interface RemoteResetDraft {
  readonly remoteMode?: 'ssh' | 'telnet';
  readonly port?: number;
  readonly userPrompt?: string;
  readonly rootPrompt?: string;
  /** A resource name; '' removes the landing server. */
  readonly landingServer?: string;
  readonly resourceIdentifier?: ResourceIdentifier;
  /** WDRESOURCEID and WDACCOUNTID together; null removes the reset account. */
  readonly resetAccount?: { readonly resourceId: number; readonly accountId: number } | null;
  /** An account name on the configured resource; '' removes it. */
  readonly loginAccount?: string;
  readonly authentication?: Authentication;
  readonly elevation?: Elevation;
  /** An account name on the configured resource; '' removes it. */
  readonly rootAccount?: string;
  readonly resourceType?: ResourceTypeName;
  readonly removeEnter?: boolean;
  /** '' removes it. */
  readonly database?: string;
  readonly privateKey?: Secret;
  readonly passphrase?: Secret;
}

/** One line of `CONFIGURATION RESULT`. */
export interface ConfigurationResult {
  readonly resourceId: number;
  readonly resourceName: string | undefined;
  readonly ok: boolean;
  readonly message?: string;
}

export interface PinnedHostKey {
  readonly host: string;
  readonly port: number;
  readonly algorithm: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly pinnedAt: number;
  /** first-use or accepted. */
  readonly pinnedHow: string;
  readonly pinnedBy: string;
}

export interface OfferedHostKey {
  readonly host: string;
  readonly port: number;
  readonly algorithm: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly firstOfferedAt: number;
  readonly lastOfferedAt: number;
  readonly timesOffered: number;
}

export const LIMITS = {
  prompt: 64,
  name: 255,
  database: 128,
  privateKey: 16_384,
  passphrase: 1024,
  host: 255,
  fingerprint: 128,
} as const;
