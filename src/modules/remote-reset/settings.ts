import type { ConfigRow } from './remote-reset.repository.js';
import {
  DEFAULT_PORT,
  RESOURCE_TYPE_OF_KIND,
  type Authentication,
  type Elevation,
  type RemoteResetKind,
  type ResourceIdentifier,
} from './remote-reset.types.js';

/** The stored settings of one configuration, accounts resolved to ids. */
export interface Settings {
  kind: RemoteResetKind;
  port: number;
  userPrompt: string;
  rootPrompt: string;
  resourceIdentifier: ResourceIdentifier;
  landingResourceId: number | null;
  loginAccountId: number | null;
  resetAccountId: number | null;
  rootAccountId: number | null;
  authentication: Authentication;
  elevation: Elevation;
  removeEnter: boolean;
  database: string | null;
}

export function defaults(kind: RemoteResetKind): Settings {
  return {
    kind,
    port: DEFAULT_PORT[kind],
    userPrompt: '$',
    rootPrompt: '#',
    resourceIdentifier: 'linux',
    landingResourceId: null,
    loginAccountId: null,
    resetAccountId: null,
    rootAccountId: null,
    authentication: 'passauth',
    elevation: 'sudo',
    removeEnter: false,
    database: null,
  };
}

/** The account a keyauth key logs in as: the login account, else the reset account. */
export const keyOwner = (s: Settings): number | null => s.loginAccountId ?? s.resetAccountId;

export function settingsOf(row: ConfigRow): Settings {
  return {
    kind: row.kind as RemoteResetKind,
    port: Number(row.port),
    userPrompt: row.user_prompt,
    rootPrompt: row.root_prompt,
    resourceIdentifier: row.resource_identifier as ResourceIdentifier,
    landingResourceId: row.landing_resource_id === null ? null : Number(row.landing_resource_id),
    loginAccountId: row.login_account_id === null ? null : Number(row.login_account_id),
    resetAccountId: row.reset_account_id === null ? null : Number(row.reset_account_id),
    rootAccountId: row.root_account_id === null ? null : Number(row.root_account_id),
    authentication: row.authentication as Authentication,
    elevation: row.elevation as Elevation,
    removeEnter: Number(row.remove_enter) === 1,
    database: row.database_name,
  };
}

/** The audit text of a saved configuration: what it does, the accounts by name, never a secret. */
export function describe(
  s: Settings,
  names: { host: string; login?: string; reset?: string; root?: string; landing?: string },
  fingerprint: string | null,
): string {
  const parts = [
    s.kind === 'linux'
      ? `Linux over SSH to ${names.host}, port ${s.port}`
      : `${RESOURCE_TYPE_OF_KIND[s.kind]} on ${names.host}, port ${s.port}`,
  ];
  if (s.database) parts.push(`database ${s.database}`);
  if (names.login) parts.push(`login account ${names.login}`);
  if (names.reset) parts.push(`reset account ${names.reset}`);
  if (s.kind === 'linux') parts.push(`elevation ${s.elevation}`);
  if (names.root) parts.push(`root account ${names.root}`);
  if (names.landing) parts.push(`landing server ${names.landing}`);
  if (s.authentication === 'keyauth')
    parts.push(`key authentication${fingerprint ? ` (${fingerprint})` : ''}`);
  return parts.join(', ');
}
