import type { Principal } from '../../platform/principal.js';
import type { Role } from '../identity/index.js';

/**
 * What a role may do beyond the objects it owns or has been shared (ADR 019). One typed table:
 * services ask {@link can}, never compare role names. Grants on objects (owner, shares, resource
 * groups) are the access policy's business, not capabilities.
 */
export type Capability =
  /** Create, delete, lock and unlock users, reset their MFA; manage user groups. */
  | 'manageUsers'
  /** Instance-wide settings: password policies, registered applications, agent key, cluster status. */
  | 'manageInstance'
  /** Read the audit trail. */
  | 'readAudit'
  /** Create resources owned by another user (OWNERNAME). */
  | 'assignOwners'
  /** Create resource groups. */
  | 'createResourceGroups'
  /** Decide password requests on accounts they can see, and name an account's approvers. */
  | 'decidePasswordRequests'
  /** The role may be given access scope "All passwords" (ISSUPERADMIN). */
  | 'holdAllPasswords'
  /** Read and cancel every user's background jobs (others read and cancel only their own). */
  | 'manageJobs'
  /** Import resources and accounts from other vaults' files (`bulwark import`, docs/import.md). */
  | 'importResources';

const ADMINISTRATOR: ReadonlySet<Capability> = new Set<Capability>([
  'manageUsers',
  'manageInstance',
  'readAudit',
  'assignOwners',
  'createResourceGroups',
  'decidePasswordRequests',
  'holdAllPasswords',
  'manageJobs',
  'importResources',
]);

/**
 * The roles of the original product and what each may do. A Privileged Administrator has the
 * Administrator's privileges; a Password Administrator manages passwords, not users; a Password
 * Auditor reads the audit trail; a Password User works with what it owns or is shared.
 */
export const ROLE_CAPABILITIES: { readonly [R in Role]: ReadonlySet<Capability> } = {
  Administrator: ADMINISTRATOR,
  'Privileged Administrator': ADMINISTRATOR,
  'Password Administrator': new Set<Capability>([
    'assignOwners',
    'createResourceGroups',
    'holdAllPasswords',
    'importResources',
  ]),
  'Password Auditor': new Set<Capability>(['readAudit']),
  'Password User': new Set<Capability>(),
};

const BY_KEY = new Map<string, ReadonlySet<Capability>>(
  Object.entries(ROLE_CAPABILITIES).map(([role, capabilities]) => [roleKey(role), capabilities]),
);

function roleKey(role: string): string {
  return role.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The capabilities of a role by name (any letter case); none for a name that is not a role. */
export function capabilitiesOf(role: string): ReadonlySet<Capability> {
  return BY_KEY.get(roleKey(role)) ?? new Set();
}

/** Whether the role (by name) has the capability, whoever holds it. */
export function roleCan(role: string, capability: Capability): boolean {
  return capabilitiesOf(role).has(capability);
}

/**
 * Whether `principal` may do `capability`. A super administrator (access scope "All passwords",
 * held only by roles with `holdAllPasswords`) may do everything.
 */
export function can(principal: Principal, capability: Capability): boolean {
  return principal.isSuperAdmin || roleCan(principal.role, capability);
}

/**
 * How much a role may do, for "does A hold at least what B holds" questions (registering an
 * application that inherits a user): a role outranks another when its capabilities include all
 * of the other's.
 */
export function roleCovers(role: string, other: string): boolean {
  const mine = capabilitiesOf(role);
  for (const capability of capabilitiesOf(other)) if (!mine.has(capability)) return false;
  return true;
}
