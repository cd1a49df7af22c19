import type { SharePermission } from '../../platform/db/schema.js';

/** Who receives a share: one user or one user group. */
export type Grantee =
  { readonly kind: 'user'; readonly id: number } | { readonly kind: 'group'; readonly id: number };

/** ACCESSTYPE as sent: a permission to grant, or revoke. */
export type ShareAction = SharePermission | 'revoke';

/**
 * ACCESSTYPE as sent (lower case, spaces and underscores removed) → the action. A Map: a
 * caller's text is never looked up in a plain object, whose prototype answers `constructor`.
 */
export const ACCESS_TYPES: ReadonlyMap<string, ShareAction> = new Map<string, ShareAction>([
  ['view', 'view'],
  ['modify', 'modify'],
  ['fullaccess', 'full'],
  ['full', 'full'],
  ['revoke', 'revoke'],
]);

/** What the share is on: a whole resource (all its accounts, present and future) or one account. */
export type ShareTarget = 'resource' | 'account';
