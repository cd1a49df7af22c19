import type { Executor } from '../../platform/db/database.js';
import type { Principal } from '../../platform/principal.js';
import { usernameKey } from '../identity/index.js';

/**
 * The user `bulwark import` acts as (`--as`), as a principal: the one named, else the oldest
 * super administrator (the `admin` that `init` created). Undefined when there is none or the user
 * is locked: the CLI then says so.
 */
export async function findActingUser(
  db: Executor,
  username: string | undefined,
): Promise<Principal | undefined> {
  let query = db
    .selectFrom('users')
    .select(['id', 'username', 'role', 'is_super_admin', 'is_api_user', 'locked'])
    .orderBy('id')
    .limit(1);
  query =
    username === undefined
      ? query.where('is_super_admin', '=', 1)
      : query.where('username_key', '=', usernameKey(username));
  const u = await query.executeTakeFirst();
  if (!u || Number(u.locked) === 1) return undefined;
  return {
    userId: Number(u.id),
    username: u.username,
    role: u.role,
    isSuperAdmin: Number(u.is_super_admin) === 1,
    isApiUser: Number(u.is_api_user) === 1,
  };
}
