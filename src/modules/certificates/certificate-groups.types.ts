import type { SharePermission } from '../../platform/db/schema.js';

/** Bounds of what the certificate group and sharing endpoints accept (ADR 023). */
export const GROUP_LIMITS = {
  name: 255,
  description: 1024,
  mail: 254,
  /** Certificates named in one ssl_details. */
  members: 1000,
  /** The ssl_details text: ids separated by commas. */
  memberList: 16_000,
} as const;

/** A certificate group as the service answers it. */
export interface CertificateGroupView {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly mail: string | null;
  readonly ownerId: number;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly modifiedAt: number;
  /** The ids of its certificates, ascending. */
  readonly certificateIds: readonly number[];
}

/** What createCertificateGroup (73) gives; editCertificateGroup (75) changes what it names. */
export interface CertificateGroupInput {
  readonly name: string;
  readonly description?: string;
  readonly mail?: string;
  /** ssl_details: certificate ids; on edit, the group's new member set when given. */
  readonly certificateIds?: readonly number[];
}

/** Who receives a share (endpoints 65-72): a user or a user group, by id or by name. */
export type ShareGrantee =
  | { readonly kind: 'user'; readonly id: number }
  | { readonly kind: 'user'; readonly name: string }
  | { readonly kind: 'group'; readonly id: number }
  | { readonly kind: 'group'; readonly name: string };

/** A grant to give, or a revoke. */
export type ShareChange = { readonly grant: SharePermission } | { readonly revoke: true };

/** The permission of a share when the request names none (the reference's requests never do). */
export const DEFAULT_SHARE_PERMISSION: SharePermission = 'view';

/** A certificate group as its listing shows it: who owns it, how the caller reaches it, its members. */
export interface CertificateGroupListing {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly mail: string | null;
  readonly owner: string | null;
  /** 'owner', 'all' (super administrator or the local operator), or the broadest share reaching the caller. */
  readonly access: 'owner' | 'all' | SharePermission;
  readonly createdAt: number;
  readonly modifiedAt: number;
  /** The members the caller can see, by common name. */
  readonly members: readonly {
    readonly id: number;
    readonly commonName: string;
    readonly serial: string;
    readonly notAfter: number;
  }[];
}
