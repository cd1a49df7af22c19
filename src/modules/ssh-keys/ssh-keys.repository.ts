import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { Schema, SharePermission, SshKeysTable } from '../../platform/db/schema.js';
import type { SshKeyScope } from '../access/index.js';

export type SshKeyRow = Selectable<SshKeysTable>;

/** Rows of the SSH key store; no decisions (the service authorises through access). */
export const sshKeysRepository = {
  findByName(db: Executor, nameKey: string): Promise<SshKeyRow | undefined> {
    return db.selectFrom('ssh_keys').selectAll().where('name_key', '=', nameKey).executeTakeFirst();
  },

  byId(db: Executor, id: number): Promise<SshKeyRow | undefined> {
    return db.selectFrom('ssh_keys').selectAll().where('id', '=', id).executeTakeFirst();
  },

  list(db: Executor, scope: SshKeyScope): Promise<SshKeyRow[]> {
    let query = db.selectFrom('ssh_keys').selectAll();
    if (scope.kind === 'user') query = query.where('id', 'in', scope.keyIds(db));
    return query.orderBy('name_key').orderBy('id').execute();
  },

  async insert(db: Executor, row: Insertable<Schema['ssh_keys']>): Promise<number> {
    const inserted = await db.insertInto('ssh_keys').values(row).returning('id').executeTakeFirstOrThrow();
    return Number(inserted.id);
  },

  async setSealed(db: Executor, id: number, privateKey: Buffer, passphrase: Buffer | null): Promise<void> {
    await db
      .updateTable('ssh_keys')
      .set({ private_key_sealed: privateKey, passphrase_sealed: passphrase })
      .where('id', '=', id)
      .execute();
  },

  async remove(db: Executor, id: number): Promise<void> {
    await db.deleteFrom('ssh_keys').where('id', '=', id).execute();
  },

  findUser(db: Executor, usernameKey: string): Promise<{ id: number; username: string } | undefined> {
    return db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('username_key', '=', usernameKey)
      .executeTakeFirst();
  },

  findGroup(db: Executor, nameKey: string): Promise<{ id: number; name: string } | undefined> {
    return db
      .selectFrom('user_groups')
      .select(['id', 'name'])
      .where('name_key', '=', nameKey)
      .executeTakeFirst();
  },

  async share(
    db: Executor,
    keyId: number,
    grantee: { user_id: number | null; group_id: number | null },
    permission: SharePermission,
    grantedBy: number,
    now: number,
  ): Promise<void> {
    await revoke(db, keyId, grantee);
    await db
      .insertInto('ssh_key_shares')
      .values({ key_id: keyId, ...grantee, permission, granted_at: now, granted_by: grantedBy })
      .execute();
  },

  /** True when a share was there to remove. */
  async revoke(
    db: Executor,
    keyId: number,
    grantee: { user_id: number | null; group_id: number | null },
  ): Promise<boolean> {
    return revoke(db, keyId, grantee);
  },
};

async function revoke(
  db: Executor,
  keyId: number,
  grantee: { user_id: number | null; group_id: number | null },
): Promise<boolean> {
  let query = db.deleteFrom('ssh_key_shares').where('key_id', '=', keyId);
  query =
    grantee.user_id !== null
      ? query.where('user_id', '=', grantee.user_id)
      : query.where('group_id', '=', grantee.group_id as number);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
