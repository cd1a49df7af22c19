import type { Executor } from '../../platform/db/database.js';
import type { PasswordPoliciesTable } from '../../platform/db/schema.js';
import { normaliseRules, type PasswordPolicy, type PolicyRules } from './policies.types.js';

type PolicyRow = Omit<PasswordPoliciesTable, 'id'> & { id: number };

function toPolicy(row: PolicyRow): PasswordPolicy {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description,
    builtIn: row.built_in === 1,
    isDefault: row.is_default === 1,
    rules: normaliseRules(JSON.parse(row.rules)),
  };
}

export const policyNameKey = (name: string) => name.normalize('NFC').trim().toLowerCase();

const COLUMNS = ['id', 'name', 'name_key', 'description', 'rules', 'built_in', 'is_default'] as const;

export const policiesRepository = {
  async list(db: Executor): Promise<PasswordPolicy[]> {
    const rows = await db.selectFrom('password_policies').select(COLUMNS).orderBy('id').execute();
    return rows.map(toPolicy);
  },

  async findByKey(db: Executor, key: string): Promise<PasswordPolicy | undefined> {
    const row = await db
      .selectFrom('password_policies')
      .select(COLUMNS)
      .where('name_key', '=', key)
      .executeTakeFirst();
    return row && toPolicy(row);
  },

  async findById(db: Executor, id: number): Promise<PasswordPolicy | undefined> {
    const row = await db
      .selectFrom('password_policies')
      .select(COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toPolicy(row);
  },

  async findDefault(db: Executor): Promise<PasswordPolicy | undefined> {
    const row = await db
      .selectFrom('password_policies')
      .select(COLUMNS)
      .where('is_default', '=', 1)
      .orderBy('id')
      .executeTakeFirst();
    return row && toPolicy(row);
  },

  async insert(
    trx: Executor,
    policy: { name: string; description: string; rules: PolicyRules; isDefault: boolean },
  ): Promise<number> {
    const row = await trx
      .insertInto('password_policies')
      .values({
        name: policy.name,
        name_key: policyNameKey(policy.name),
        description: policy.description,
        rules: JSON.stringify(policy.rules),
        built_in: 0,
        is_default: policy.isDefault ? 1 : 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  },

  async update(
    trx: Executor,
    id: number,
    policy: { name: string; description: string; rules: PolicyRules; isDefault: boolean },
  ): Promise<void> {
    await trx
      .updateTable('password_policies')
      .set({
        name: policy.name,
        name_key: policyNameKey(policy.name),
        description: policy.description,
        rules: JSON.stringify(policy.rules),
        is_default: policy.isDefault ? 1 : 0,
      })
      .where('id', '=', id)
      .execute();
  },

  async clearDefault(trx: Executor): Promise<void> {
    await trx.updateTable('password_policies').set({ is_default: 0 }).where('is_default', '=', 1).execute();
  },

  async delete(trx: Executor, id: number): Promise<void> {
    await trx.deleteFrom('password_policies').where('id', '=', id).execute();
  },

  /**
   * Where a policy (by canonical name) is used: resources, accounts and users name their
   * policy. Read here rather than through the vault and identity modules because it is one
   * indexed-free count per table on a rare administrative path, and those modules store the
   * name this module owns.
   */
  async usage(db: Executor, name: string): Promise<{ resources: number; accounts: number; users: number }> {
    const count = async (table: 'resources' | 'accounts' | 'users') => {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('password_policy', '=', name)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    return {
      resources: await count('resources'),
      accounts: await count('accounts'),
      users: await count('users'),
    };
  },
};
