import type { Secret } from '../../platform/crypto/secret.js';

/** Roles as in the original product, in their canonical spelling (what is stored). */
export const ROLES = [
  'Administrator',
  'Password Administrator',
  'Privileged Administrator',
  'Password Auditor',
  'Password User',
] as const;
export type Role = (typeof ROLES)[number];

/** The canonical role for `text` (any letter case, surrounding spaces), or undefined. */
export function canonicalRole(text: string): Role | undefined {
  const wanted = text.trim().replace(/\s+/g, ' ').toLowerCase();
  return ROLES.find((r) => r.toLowerCase() === wanted);
}

export interface BootstrapCredentials {
  readonly username: string;
  readonly password: string;
  readonly authToken: string;
}

/** The canonical form of a user name: what uniqueness and lookups use. */
export function usernameKey(username: string): string {
  return username.normalize('NFC').trim().toLowerCase();
}

/** Validity of an API user's token: a last valid day, or no end. */
export type TokenExpiry =
  | { readonly kind: 'never' }
  | { readonly kind: 'date'; readonly year: number; readonly month: number; readonly day: number };

/** Endpoints 17 and 24: a user as the request describes it, checked for shape but not yet for state. */
export interface UserDraft {
  readonly username: string;
  readonly firstName: string | undefined;
  readonly lastName: string | undefined;
  readonly fullName: string | undefined;
  readonly email: string | undefined;
  /** A policy name as sent; resolved (case-insensitively) by the service. */
  readonly policy: string | undefined;
  readonly role: Role;
  readonly isSuperAdmin: boolean;
  readonly password: Secret | undefined;
  readonly department: string | undefined;
  readonly location: string | undefined;
  readonly isApiUser: boolean;
  readonly hostName: string | undefined;
  readonly expiry: TokenExpiry;
}

export interface CreatedUser {
  readonly userId: number;
  readonly username: string;
  /** Only for API users: shown once, stored hashed. */
  readonly authToken: string | undefined;
}

/** A user named by id (endpoint 23) or by user name (the others). */
export type UserRef = { readonly id: number } | { readonly name: string };

export const LIMITS = {
  username: 100,
  name: 100,
  email: 254,
  department: 100,
  location: 100,
  hostName: 253,
  password: 128,
} as const;
