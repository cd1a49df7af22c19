import type { Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { ConsoleSessionsTable } from '../../platform/db/schema.js';

export type SessionRow = Selectable<ConsoleSessionsTable>;

/** A user as sign-in needs them: the password hash and the second factor. */
export interface LoginUser {
  readonly id: number;
  readonly username: string;
  readonly role: string;
  readonly isSuperAdmin: boolean;
  readonly isApiUser: boolean;
  readonly locked: boolean;
  readonly passwordHash: string | null;
  readonly totpSealed: Buffer | null;
  readonly totpLastStep: number | null;
}

const loginColumns = [
  'id',
  'username',
  'role',
  'is_super_admin',
  'is_api_user',
  'locked',
  'password_hash',
  'totp_secret_sealed',
  'totp_last_step',
] as const;

function loginUserOf(row: {
  id: number;
  username: string;
  role: string;
  is_super_admin: number;
  is_api_user: number;
  locked: number;
  password_hash: string | null;
  totp_secret_sealed: Buffer | null;
  totp_last_step: number | null;
}): LoginUser {
  return {
    id: Number(row.id),
    username: row.username,
    role: row.role,
    isSuperAdmin: row.is_super_admin === 1,
    isApiUser: row.is_api_user === 1,
    locked: row.locked === 1,
    passwordHash: row.password_hash,
    totpSealed: row.totp_secret_sealed,
    totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
  };
}

/** The SQL of console sessions and recovery codes (ADR 042). */
export const sessionsRepository = {
  async loginUserByKey(db: Executor, key: string): Promise<LoginUser | undefined> {
    const row = await db
      .selectFrom('users')
      .select(loginColumns)
      .where('username_key', '=', key)
      .executeTakeFirst();
    return row && loginUserOf(row);
  },

  async loginUserById(db: Executor, id: number): Promise<LoginUser | undefined> {
    const row = await db.selectFrom('users').select(loginColumns).where('id', '=', id).executeTakeFirst();
    return row && loginUserOf(row);
  },

  async insertSession(db: Executor, row: Omit<SessionRow, 'second_factor_failures'>): Promise<void> {
    await db.insertInto('console_sessions').values(row).execute();
  },

  async session(db: Executor, tokenHash: string): Promise<SessionRow | undefined> {
    return db
      .selectFrom('console_sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  },

  /** Deletes the session; true when it was there (one of two racing requests wins). */
  async deleteSession(db: Executor, tokenHash: string): Promise<boolean> {
    const result = await db
      .deleteFrom('console_sessions')
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  },

  /** Ends every session of the user but the one whose token hash is `keep`; how many ended. */
  async deleteOtherSessions(db: Executor, userId: number, keep: string): Promise<number> {
    const result = await db
      .deleteFrom('console_sessions')
      .where('user_id', '=', userId)
      .where('token_hash', '!=', keep)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  },

  async setPasswordHash(db: Executor, userId: number, hash: string): Promise<void> {
    await db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();
  },

  /** The name of the policy the user's login password follows (null: the default). */
  async passwordPolicyOf(db: Executor, userId: number): Promise<string | null> {
    const row = await db
      .selectFrom('users')
      .select('password_policy')
      .where('id', '=', userId)
      .executeTakeFirst();
    return row?.password_policy ?? null;
  },

  async touchSession(db: Executor, tokenHash: string, now: number): Promise<void> {
    await db
      .updateTable('console_sessions')
      .set({ last_seen_at: now })
      .where('token_hash', '=', tokenHash)
      .execute();
  },

  /** Counts a wrong second factor; returns the failures so far. */
  async countSecondFactorFailure(db: Executor, tokenHash: string): Promise<number> {
    await db
      .updateTable('console_sessions')
      .set((eb) => ({ second_factor_failures: eb('second_factor_failures', '+', 1) }))
      .where('token_hash', '=', tokenHash)
      .execute();
    const row = await db
      .selectFrom('console_sessions')
      .select('second_factor_failures')
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row?.second_factor_failures ?? Number.MAX_SAFE_INTEGER;
  },

  /** Sessions past their absolute end or idle too long; called at each sign-in. */
  async deleteExpiredSessions(db: Executor, now: number, idleMs: number): Promise<void> {
    await db
      .deleteFrom('console_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)]))
      .execute();
  },

  /**
   * Accepts TOTP time step `step` for the user only if it is later than the last accepted one:
   * of two sign-ins with the same code, one wins.
   */
  async acceptTotpStep(db: Executor, userId: number, step: number): Promise<boolean> {
    const result = await db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  },

  async enrolTotp(db: Executor, userId: number, sealed: Buffer, step: number): Promise<void> {
    await db
      .updateTable('users')
      .set({ totp_secret_sealed: sealed, totp_last_step: step })
      .where('id', '=', userId)
      .execute();
  },

  async replaceRecoveryCodes(
    db: Executor,
    userId: number,
    hashes: readonly string[],
    now: number,
  ): Promise<void> {
    await db.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
    await db
      .insertInto('user_recovery_codes')
      .values(hashes.map((code_hash) => ({ user_id: userId, code_hash, created_at: now, used_at: null })))
      .execute();
  },

  /** Marks an unused code used; true when it was one (a used or unknown code is false). */
  async useRecoveryCode(db: Executor, userId: number, hash: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable('user_recovery_codes')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('code_hash', '=', hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  },

  async unusedRecoveryCodes(db: Executor, userId: number): Promise<number> {
    const row = await db
      .selectFrom('user_recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** The second factor is forgotten (84 resetMFA): its recovery codes go with it. */
  async deleteRecoveryCodes(db: Executor, userId: number): Promise<void> {
    await db.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
  },
};
