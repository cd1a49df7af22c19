import type { Executor } from '../../platform/db/database.js';
import { identityRepository, type DirectoryUser } from './identity.repository.js';
import { usernameKey } from './identity.types.js';

/** Looks users up by name for other modules (owner assignment, sharing). */
export interface UserDirectory {
  findByName(db: Executor, username: string): Promise<DirectoryUser | undefined>;
  findById(db: Executor, userId: number): Promise<DirectoryUser | undefined>;
}

export function createUserDirectory(): UserDirectory {
  return {
    /**
     * `DOMAIN\\user` (how the original names directory users) finds a user stored under that
     * exact name, else the local user named after the backslash.
     */
    async findByName(db, username) {
      const exact = await identityRepository.findDirectoryUserByKey(db, usernameKey(username));
      const separator = username.lastIndexOf('\\');
      if (exact !== undefined || separator === -1) return exact;
      return identityRepository.findDirectoryUserByKey(db, usernameKey(username.slice(separator + 1)));
    },
    findById: (db, userId) => identityRepository.findDirectoryUser(db, userId),
  };
}
