/** Roles as in the original product. */
export const ROLES = [
  'Administrator',
  'Password Administrator',
  'Privileged Administrator',
  'Password Auditor',
  'Password User',
] as const;
export type Role = (typeof ROLES)[number];

export interface BootstrapCredentials {
  readonly username: string;
  readonly password: string;
  readonly authToken: string;
}

/** The canonical form of a user name: what uniqueness and lookups use. */
export function usernameKey(username: string): string {
  return username.normalize('NFC').trim().toLowerCase();
}
