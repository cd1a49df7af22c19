import type { Executor } from '../../platform/db/database.js';

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

export const identityRepository = {
  async findTokenOwner(db: Executor, tokenHash: string): Promise<TokenOwner | undefined> {
    const row = await db
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
      .where('api_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
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
