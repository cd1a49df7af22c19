import type { Executor } from '../../platform/db/database.js';

/**
 * Password policy names. Today the four built-in policies of the original product; custom
 * policies (stored, with their rules, and enforced on every password) replace this catalogue
 * without changing its callers.
 */
export interface PolicyCatalog {
  /** The policy's canonical name, or undefined if no policy has that name (case-insensitive). */
  resolve(db: Executor, name: string): Promise<string | undefined>;
  readonly defaultPolicy: string;
}

const BUILT_IN = ['Low', 'Medium', 'Strong', 'Offline Password File'] as const;

export function createPolicyCatalog(): PolicyCatalog {
  const byKey = new Map<string, string>(BUILT_IN.map((name) => [name.toLowerCase(), name]));
  return {
    async resolve(_db, name) {
      return byKey.get(name.trim().toLowerCase());
    },
    defaultPolicy: 'Strong',
  };
}
