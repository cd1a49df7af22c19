import type { Executor } from '../../platform/db/database.js';
import { precompiled } from '../../platform/db/precompiled.js';

export interface TokenOwner {
  readonly userId: number;
  readonly username: string;
  readonly role: string;
  readonly isSuperAdmin: boolean;
  readonly isApiUser: boolean;
  readonly locked: boolean;
  readonly allowedHost: string | null;
  readonly expiresAt: number | null;
}

export interface NewUser {
  readonly username: string;
  readonly usernameKey: string;
  readonly fullName: string | null;
  readonly email: string | null;
  readonly role: string;
  readonly isSuperAdmin: boolean;
  readonly isApiUser: boolean;
  readonly passwordHash: string | null;
  readonly createdAt: number;
  readonly createdBy: number | null;
}

const tokenOwnerQuery = precompiled<[tokenHash: string], TokenOwnerRow>(
  (db, tokenHash) =>
    db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'users.id as user_id',
        'users.username',
        'users.role',
        'users.is_super_admin',
        'users.is_api_user',
        'users.locked',
        'users.allowed_host',
        'api_tokens.expires_at',
      ])
      .where('api_tokens.token_hash', '=', tokenHash),
  1,
);

interface TokenOwnerRow {
  user_id: number;
  username: string;
  role: string;
  is_super_admin: number;
  is_api_user: number;
  locked: number;
  allowed_host: string | null;
  expires_at: number | null;
}

export const identityRepository = {
  /** On every request: compiled once (see precompiled). */
  async findTokenOwner(db: Executor, tokenHash: string): Promise<TokenOwner | undefined> {
    const [row] = await tokenOwnerQuery(db, tokenHash);
    if (!row) return undefined;
    return {
      userId: row.user_id,
      username: row.username,
      role: row.role,
      isSuperAdmin: row.is_super_admin === 1,
      isApiUser: row.is_api_user === 1,
      locked: row.locked === 1,
      allowedHost: row.allowed_host,
      expiresAt: row.expires_at,
    };
  },

  async insertUser(trx: Executor, user: NewUser): Promise<number> {
    const row = await trx
      .insertInto('users')
      .values({
        username: user.username,
        username_key: user.usernameKey,
        full_name: user.fullName,
        email: user.email,
        role: user.role,
        is_super_admin: user.isSuperAdmin ? 1 : 0,
        is_api_user: user.isApiUser ? 1 : 0,
        password_hash: user.passwordHash,
        locked: 0,
        created_at: user.createdAt,
        created_by: user.createdBy,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  async insertToken(
    trx: Executor,
    userId: number,
    tokenHash: string,
    createdAt: number,
    expiresAt: number | null,
  ) {
    await trx
      .insertInto('api_tokens')
      .values({ user_id: userId, token_hash: tokenHash, created_at: createdAt, expires_at: expiresAt })
      .execute();
  },

  async countUsers(db: Executor): Promise<number> {
    const row = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async findUserIdByKey(db: Executor, key: string): Promise<{ id: number; username: string } | undefined> {
    return db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('username_key', '=', key)
      .executeTakeFirst();
  },
};
