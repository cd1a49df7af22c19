import type { Executor } from '../../platform/db/database.js';
import type { Principal } from '../../platform/principal.js';

const num = (v: unknown) => Number(v);

/** What certificate discovery reads besides the certificate repository (ADR 037). */
export const discoveryRepository = {
  /**
   * The user a range job acts for, as authentication builds a principal; undefined when the
   * user is gone or locked (the job then fails instead of storing under a stale identity).
   */
  async principal(db: Executor, userId: number): Promise<Principal | undefined> {
    const u = await db
      .selectFrom('users')
      .select(['id', 'username', 'role', 'is_super_admin', 'is_api_user', 'locked'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!u || num(u.locked) === 1) return undefined;
    return {
      userId: num(u.id),
      username: u.username,
      role: u.role,
      isSuperAdmin: num(u.is_super_admin) === 1,
      isApiUser: num(u.is_api_user) === 1,
    };
  },
};
