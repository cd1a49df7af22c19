import type { SelectQueryBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { Schema } from '../../platform/db/schema.js';
/**
 * What a caller may do with one object. Ordered: each level includes the ones before it.
 * - view: see it and read its password;
 * - modify: also change the password;
 * - full: also edit, delete and share it.
 */
export type Permission = 'none' | 'view' | 'modify' | 'full';

const RANK: Record<Permission, number> = { none: 0, view: 1, modify: 2, full: 3 };

export function allows(granted: Permission, needed: Permission): boolean {
  return RANK[granted] >= RANK[needed];
}

export function broadest(...permissions: Permission[]): Permission {
  return permissions.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'none');
}

/** Which resources a listing may show: all, or those whose ids the subquery yields. */
/** The accounts a summary may count: all, or the ids the subquery yields. */
export type AccountScope =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'user';
      readonly accountIds: (db: Executor) => SelectQueryBuilder<Schema, never, { id: number }>;
    };

export type ResourceScope =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'user';
      readonly userId: number;
      readonly resourceIds: (db: Executor) => SelectQueryBuilder<Schema, never, { id: number }>;
    };

/** Which SSH keys a listing may show (ADR 031): all, or those whose ids the subquery yields. */
export type SshKeyScope =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'user';
      readonly keyIds: (db: Executor) => SelectQueryBuilder<Schema, 'ssh_keys', { id: number }>;
    };

/** Which certificates a listing may show (ADR 040): all, or those whose ids the subquery yields. */
export type CertificateScope =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'user';
      readonly certificateIds: (db: Executor) => SelectQueryBuilder<Schema, 'certificates', { id: number }>;
    };
