import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { containsPattern, pageWithTotal } from '../../platform/db/paging.js';
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
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly fullName: string | null;
  readonly email: string | null;
  readonly role: string;
  readonly isSuperAdmin: boolean;
  readonly isApiUser: boolean;
  readonly department?: string | null;
  readonly location?: string | null;
  readonly allowedHost?: string | null;
  readonly passwordPolicy?: string | null;
  readonly passwordHash: string | null;
  readonly createdAt: number;
  readonly createdBy: number | null;
}

/** A user as other modules look one up (UserDirectory). */
export interface DirectoryUser {
  readonly id: number;
  readonly username: string;
  readonly isSuperAdmin: boolean;
}

function directoryUser(row: {
  id: number | string;
  username: string;
  is_super_admin: number;
}): DirectoryUser {
  return { id: Number(row.id), username: row.username, isSuperAdmin: row.is_super_admin === 1 };
}

/** A user as the management endpoints need it. */
export interface UserRow {
  readonly id: number;
  readonly username: string;
  readonly role: string;
  readonly isSuperAdmin: boolean;
  readonly isApiUser: boolean;
  readonly locked: boolean;
  readonly hasTotp: boolean;
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

const userColumns = [
  'id',
  'username',
  'role',
  'is_super_admin',
  'is_api_user',
  'locked',
  'totp_secret_sealed',
] as const;

function toUserRow(row: {
  id: number;
  username: string;
  role: string;
  is_super_admin: number;
  is_api_user: number;
  locked: number;
  totp_secret_sealed: Buffer | null;
}): UserRow {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    isSuperAdmin: row.is_super_admin === 1,
    isApiUser: row.is_api_user === 1,
    locked: row.locked === 1,
    hasTotp: row.totp_secret_sealed !== null,
  };
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
        first_name: user.firstName ?? null,
        last_name: user.lastName ?? null,
        full_name: user.fullName,
        email: user.email,
        role: user.role,
        is_super_admin: user.isSuperAdmin ? 1 : 0,
        is_api_user: user.isApiUser ? 1 : 0,
        department: user.department ?? null,
        location: user.location ?? null,
        allowed_host: user.allowedHost ?? null,
        password_policy: user.passwordPolicy ?? null,
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

  async deleteTokensOf(trx: Executor, userId: number): Promise<void> {
    await trx.deleteFrom('api_tokens').where('user_id', '=', userId).execute();
  },

  /** The validity end of the user's current token (null: never ends; undefined: no token). */
  async tokenExpiryOf(db: Executor, userId: number): Promise<number | null | undefined> {
    const row = await db
      .selectFrom('api_tokens')
      .select('expires_at')
      .where('user_id', '=', userId)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row === undefined ? undefined : row.expires_at;
  },

  async countUsers(db: Executor): Promise<number> {
    const row = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /**
   * A page of users by name with the total, for the console's user list and share dialog: a
   * case-insensitive substring of the user name or full name.
   */
  async pageUsers(db: Executor, filter: { search?: string; offset: number; limit: number }) {
    let query = db.selectFrom('users');
    if (filter.search) {
      const pattern = containsPattern(filter.search);
      query = query.where((eb) =>
        eb.or([
          sql<boolean>`lower(users.username) like ${pattern} escape '\\'`,
          sql<boolean>`lower(coalesce(users.full_name, '')) like ${pattern} escape '\\'`,
        ]),
      );
    }
    const { rows, total } = await pageWithTotal(query, (q) =>
      q
        .select(['id', 'username', 'full_name', 'email', 'role', 'is_super_admin', 'is_api_user', 'locked'])
        // Whether a second factor is enrolled, without reading the sealed secret.
        .select(sql<number>`case when totp_secret_sealed is null then 0 else 1 end`.as('has_totp'))
        .orderBy('username_key')
        .limit(filter.limit)
        .offset(filter.offset),
    );
    return {
      total,
      users: rows.map((r) => ({
        id: Number(r.id),
        username: r.username,
        fullName: r.full_name,
        email: r.email,
        role: r.role,
        isSuperAdmin: r.is_super_admin === 1,
        isApiUser: r.is_api_user === 1,
        locked: r.locked === 1,
        hasTotp: Number(r.has_totp) === 1,
      })),
    };
  },

  async findDirectoryUserByKey(db: Executor, key: string): Promise<DirectoryUser | undefined> {
    const row = await db
      .selectFrom('users')
      .select(['id', 'username', 'is_super_admin'])
      .where('username_key', '=', key)
      .executeTakeFirst();
    return row && directoryUser(row);
  },

  async findDirectoryUser(db: Executor, id: number): Promise<DirectoryUser | undefined> {
    const row = await db
      .selectFrom('users')
      .select(['id', 'username', 'is_super_admin'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && directoryUser(row);
  },

  async findUserByKey(db: Executor, key: string): Promise<UserRow | undefined> {
    const row = await db
      .selectFrom('users')
      .select(userColumns)
      .where('username_key', '=', key)
      .executeTakeFirst();
    return row && toUserRow(row);
  },

  async findUserById(db: Executor, id: number): Promise<UserRow | undefined> {
    const row = await db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
    return row && toUserRow(row);
  },

  /**
   * Ids of the super administrators that can still act (not locked), excluding one. On
   * PostgreSQL the rows are locked, so two concurrent removals cannot each leave the other as
   * the last one; SQLite write transactions are serialised already.
   */
  async activeSuperAdminsExcept(trx: Executor, excludedId: number, lockRows: boolean): Promise<number[]> {
    let query = trx
      .selectFrom('users')
      .select('id')
      .where('is_super_admin', '=', 1)
      .where('locked', '=', 0)
      .where('id', '!=', excludedId);
    if (lockRows) query = query.forUpdate();
    return (await query.execute()).map((r) => r.id);
  },

  /**
   * Hands everything `fromUserId` owns to `toUserId` (resources and accounts), as the original
   * does when a user is deleted. Returns how many objects moved.
   */
  async transferOwnership(trx: Executor, fromUserId: number, toUserId: number): Promise<number> {
    const resources = await trx
      .updateTable('resources')
      .set({ owner_id: toUserId })
      .where('owner_id', '=', fromUserId)
      .executeTakeFirst();
    const accounts = await trx
      .updateTable('accounts')
      .set({ owner_id: toUserId })
      .where('owner_id', '=', fromUserId)
      .executeTakeFirst();
    return Number(resources.numUpdatedRows) + Number(accounts.numUpdatedRows);
  },

  async deleteUser(trx: Executor, id: number): Promise<void> {
    await trx.deleteFrom('api_tokens').where('user_id', '=', id).execute();
    await trx.deleteFrom('users').where('id', '=', id).execute();
  },

  async setLocked(trx: Executor, id: number, locked: boolean): Promise<void> {
    await trx
      .updateTable('users')
      .set({ locked: locked ? 1 : 0 })
      .where('id', '=', id)
      .execute();
  },

  async setTotpSecret(trx: Executor, id: number, sealed: Buffer | null): Promise<void> {
    await trx.updateTable('users').set({ totp_secret_sealed: sealed }).where('id', '=', id).execute();
  },
};
