import type { Executor } from '../../platform/db/database.js';

export const userGroupsRepository = {
  async insert(
    trx: Executor,
    group: {
      name: string;
      nameKey: string;
      description: string | null;
      createdAt: number;
      createdBy: number;
    },
  ): Promise<number> {
    const row = await trx
      .insertInto('user_groups')
      .values({
        name: group.name,
        name_key: group.nameKey,
        description: group.description,
        created_at: group.createdAt,
        created_by: group.createdBy,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  /** Every group by name, with its member count (the console's list and share dialog). */
  async list(db: Executor) {
    const rows = await db
      .selectFrom('user_groups')
      .select(['id', 'name', 'description'])
      .select((eb) =>
        eb
          .selectFrom('user_group_members')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('user_group_members.group_id', '=', 'user_groups.id')
          .as('members'),
      )
      .orderBy('name_key')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      description: r.description,
      members: Number(r.members ?? 0),
    }));
  },

  /** A group's members by name. */
  async members(db: Executor, groupId: number) {
    const rows = await db
      .selectFrom('user_group_members')
      .innerJoin('users', 'users.id', 'user_group_members.user_id')
      .select(['users.id', 'users.username', 'users.full_name'])
      .where('user_group_members.group_id', '=', groupId)
      .orderBy('users.username_key')
      .execute();
    return rows.map((r) => ({ id: Number(r.id), username: r.username, fullName: r.full_name }));
  },

  async findByKey(db: Executor, key: string) {
    return db
      .selectFrom('user_groups')
      .select(['id', 'name', 'description'])
      .where('name_key', '=', key)
      .executeTakeFirst();
  },

  async findById(db: Executor, id: number) {
    return db
      .selectFrom('user_groups')
      .select(['id', 'name', 'description'])
      .where('id', '=', id)
      .executeTakeFirst();
  },

  async isMember(db: Executor, groupId: number, userId: number): Promise<boolean> {
    const row = await db
      .selectFrom('user_group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  },

  async addMember(trx: Executor, groupId: number, userId: number, at: number): Promise<void> {
    await trx
      .insertInto('user_group_members')
      .values({ group_id: groupId, user_id: userId, added_at: at })
      .execute();
  },

  async removeMember(trx: Executor, groupId: number, userId: number): Promise<boolean> {
    const result = await trx
      .deleteFrom('user_group_members')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },

  /** Deletes the group; memberships and shares to it go with it (foreign keys cascade). */
  async delete(trx: Executor, groupId: number): Promise<void> {
    await trx.deleteFrom('user_groups').where('id', '=', groupId).execute();
  },
};
