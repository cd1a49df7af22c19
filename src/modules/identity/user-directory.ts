import type { Executor } from '../../platform/db/database.js';
import { identityRepository } from './identity.repository.js';
import { usernameKey } from './identity.types.js';

/** Looks users up by name for other modules (owner assignment, sharing). */
export interface UserDirectory {
  findByName(db: Executor, username: string): Promise<{ id: number; username: string } | undefined>;
  findById(db: Executor, userId: number): Promise<{ id: number; username: string } | undefined>;
}

export function createUserDirectory(): UserDirectory {
  return {
    /**
     * `DOMAIN\\user` (how the original names directory users) finds a user stored under that
     * exact name, else the local user named after the backslash.
     */
    async findByName(db, username) {
      const exact = await identityRepository.findUserIdByKey(db, usernameKey(username));
      const separator = username.lastIndexOf('\\');
      if (exact !== undefined || separator === -1) return exact;
      return identityRepository.findUserIdByKey(db, usernameKey(username.slice(separator + 1)));
    },
    findById: (db, userId) =>
      db.selectFrom('users').select(['id', 'username']).where('id', '=', userId).executeTakeFirst(),
  };
}
