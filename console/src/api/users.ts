import { request } from './http';
import type { SessionUser } from './session';

export const ROLES = [
  'Administrator',
  'Password Administrator',
  'Privileged Administrator',
  'Password Auditor',
  'Password User',
] as const;
export type Role = (typeof ROLES)[number];

/** A user as everyone sees it; user managers also get the optional fields. */
export interface DirectoryUser {
  readonly id: number;
  readonly username: string;
  readonly fullName: string | null;
  readonly isApiUser: boolean;
  readonly email?: string | null;
  readonly role?: string;
  readonly isSuperAdmin?: boolean;
  readonly locked?: boolean;
  readonly hasTotp?: boolean;
}

export interface NewUser {
  readonly username: string;
  readonly fullName?: string;
  readonly email?: string;
  readonly role: string;
  readonly apiUser: boolean;
  readonly password?: string;
}

/** Whether the role may manage users (the server decides; this only hides what would be refused). */
export function managesUsers(user: SessionUser): boolean {
  return user.isSuperAdmin || user.role === 'Administrator' || user.role === 'Privileged Administrator';
}

/** Whether the role may read the audit trail. */
export function readsAudit(user: SessionUser): boolean {
  return managesUsers(user) || user.role === 'Password Auditor';
}

export const usersApi = {
  users(
    query: { search: string; offset: number; limit: number },
    signal?: AbortSignal,
  ): Promise<{ total: number; items: readonly DirectoryUser[] }> {
    const params = new URLSearchParams({
      search: query.search,
      offset: String(query.offset),
      limit: String(query.limit),
    });
    return request('GET', `/users?${params.toString()}`, { signal });
  },
  createUser(user: NewUser): Promise<{ id: number; username: string; authToken: string | null }> {
    return request('POST', '/users', { body: user });
  },
  userAction(verb: 'lock' | 'unlock' | 'reset-mfa', username: string): Promise<unknown> {
    return request('POST', `/users/${verb}`, { body: { username } });
  },
};
