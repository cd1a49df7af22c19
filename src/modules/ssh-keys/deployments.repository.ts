import type { DialectName, Executor } from '../../platform/db/database.js';
import type { ResourceScope, SshKeyScope } from '../access/index.js';
import {
  asResourceTarget as asResource,
  resourceTargetColumns as resourceColumns,
  type ResourceTarget,
} from '../vault/index.js';

/** A resource as the deployments authorise and reach it. */
export type DeploymentResource = ResourceTarget;

/** A recorded deployment of one key, with its resource. */
export interface KeyDeployment {
  readonly resource: DeploymentResource;
  readonly userName: string;
}

/** Rows of ssh_key_associations (where keys are deployed); no decisions. */
export const deploymentsRepository = {
  async exists(db: Executor, keyId: number, resourceId: number, userName: string): Promise<boolean> {
    const row = await db
      .selectFrom('ssh_key_associations')
      .select('id')
      .where('key_id', '=', keyId)
      .where('resource_id', '=', resourceId)
      .where('user_name', '=', userName)
      .executeTakeFirst();
    return row !== undefined;
  },

  async insert(
    db: Executor,
    row: { keyId: number; resourceId: number; userName: string; at: number; by: string },
  ): Promise<void> {
    await db
      .insertInto('ssh_key_associations')
      .values({
        key_id: row.keyId,
        resource_id: row.resourceId,
        user_name: row.userName,
        deployed_at: row.at,
        deployed_by: row.by,
      })
      .execute();
  },

  /** True when the record was there to delete. */
  async remove(db: Executor, keyId: number, resourceId: number, userName: string): Promise<boolean> {
    const result = await db
      .deleteFrom('ssh_key_associations')
      .where('key_id', '=', keyId)
      .where('resource_id', '=', resourceId)
      .where('user_name', '=', userName)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },

  async removeAllOf(db: Executor, keyId: number): Promise<void> {
    await db.deleteFrom('ssh_key_associations').where('key_id', '=', keyId).execute();
  },

  /** Where one key is deployed, by resource name and account. */
  async ofKey(db: Executor, keyId: number): Promise<KeyDeployment[]> {
    const rows = await db
      .selectFrom('ssh_key_associations')
      .innerJoin('resources', 'resources.id', 'ssh_key_associations.resource_id')
      .select([...resourceColumns, 'ssh_key_associations.user_name as userName'])
      .where('ssh_key_associations.key_id', '=', keyId)
      .orderBy('resources.name_key')
      .orderBy('ssh_key_associations.user_name')
      .execute();
    return rows.map((r) => ({ resource: asResource(r), userName: r.userName }));
  },

  /**
   * The key's row, locked until the transaction ends on PostgreSQL (SQLite write transactions are
   * serialised already): a delete and a recording of a deployment of the same key never interleave.
   */
  async lockKey(db: Executor, dialect: DialectName, keyId: number): Promise<boolean> {
    let query = db.selectFrom('ssh_keys').select('id').where('id', '=', keyId);
    if (dialect === 'postgres') query = query.forUpdate();
    return (await query.executeTakeFirst()) !== undefined;
  },

  /** The keys the scope shows that are recorded for `userName` on the resource, by name. */
  async keysOfAccount(
    db: Executor,
    resourceId: number,
    userName: string,
    keys: SshKeyScope,
  ): Promise<{ name: string; fingerprint: string; publicKey: string }[]> {
    let query = db
      .selectFrom('ssh_key_associations')
      .innerJoin('ssh_keys', 'ssh_keys.id', 'ssh_key_associations.key_id')
      .select([
        'ssh_keys.name as name',
        'ssh_keys.fingerprint as fingerprint',
        'ssh_keys.public_key as publicKey',
      ])
      .where('ssh_key_associations.resource_id', '=', resourceId)
      .where('ssh_key_associations.user_name', '=', userName);
    if (keys.kind === 'user') query = query.where('ssh_keys.id', 'in', keys.keyIds(db));
    return query.orderBy('ssh_keys.name_key').execute();
  },

  /** Every deployment of a key the key scope shows on a resource the resource scope shows. */
  async list(
    db: Executor,
    keys: SshKeyScope,
    resources: ResourceScope,
    keyId?: number,
  ): Promise<
    {
      keyName: string;
      fingerprint: string;
      resourceName: string;
      userName: string;
      deployedBy: string;
      deployedAt: number;
    }[]
  > {
    let query = db
      .selectFrom('ssh_key_associations')
      .innerJoin('ssh_keys', 'ssh_keys.id', 'ssh_key_associations.key_id')
      .innerJoin('resources', 'resources.id', 'ssh_key_associations.resource_id')
      .select([
        'ssh_keys.name as keyName',
        'ssh_keys.fingerprint as fingerprint',
        'resources.name as resourceName',
        'ssh_key_associations.user_name as userName',
        'ssh_key_associations.deployed_by as deployedBy',
        'ssh_key_associations.deployed_at as deployedAt',
      ]);
    if (keys.kind === 'user') query = query.where('ssh_keys.id', 'in', keys.keyIds(db));
    if (resources.kind === 'user') query = query.where('resources.id', 'in', resources.resourceIds(db));
    if (keyId !== undefined) query = query.where('ssh_keys.id', '=', keyId);
    const rows = await query
      .orderBy('ssh_keys.name_key')
      .orderBy('resources.name_key')
      .orderBy('ssh_key_associations.user_name')
      .execute();
    return rows.map((r) => ({ ...r, deployedAt: Number(r.deployedAt) }));
  },
};
