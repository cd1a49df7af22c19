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
    findByName: (db, username) => identityRepository.findUserIdByKey(db, usernameKey(username)),
    findById: (db, userId) =>
      db.selectFrom('users').select(['id', 'username']).where('id', '=', userId).executeTakeFirst(),
  };
}
