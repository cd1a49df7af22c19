import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { RemoteResetConfigsTable } from '../../platform/db/schema.js';
import type { OfferedHostKey, PinnedHostKey } from './remote-reset.types.js';

export type ConfigRow = Selectable<RemoteResetConfigsTable>;
export type NewConfigRow = Insertable<RemoteResetConfigsTable>;

export interface ResourceRef {
  readonly id: number;
  readonly name: string;
  readonly dnsName: string | null;
  readonly ownerId: number;
}

export interface AccountRow {
  readonly id: number;
  readonly resourceId: number;
  readonly name: string;
  readonly ownerId: number;
}

const RESOURCE_COLUMNS = ['id', 'name', 'dns_name', 'owner_id'] as const;
const toResource = (r: { id: number; name: string; dns_name: string | null; owner_id: number }) => ({
  id: Number(r.id),
  name: r.name,
  dnsName: r.dns_name,
  ownerId: Number(r.owner_id),
});
const toAccount = (a: { id: number; resource_id: number; name: string; owner_id: number }) => ({
  id: Number(a.id),
  resourceId: Number(a.resource_id),
  name: a.name,
  ownerId: Number(a.owner_id),
});

/** Rows of remote_reset_configs, ssh_host_keys and ssh_offered_host_keys (and the few vault rows they name). Never authorises. */
export const remoteResetRepository = {
  async findResource(db: Executor, id: number): Promise<ResourceRef | undefined> {
    const row = await db
      .selectFrom('resources')
      .select(RESOURCE_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toResource(row);
  },

  async findResourceByKey(db: Executor, key: string): Promise<ResourceRef | undefined> {
    const row = await db
      .selectFrom('resources')
      .select(RESOURCE_COLUMNS)
      .where('name_key', '=', key)
      .executeTakeFirst();
    return row && toResource(row);
  },

  async findAccount(db: Executor, id: number): Promise<AccountRow | undefined> {
    const row = await db
      .selectFrom('accounts')
      .select(['id', 'resource_id', 'name', 'owner_id'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toAccount(row);
  },

  async findAccountByKey(db: Executor, resourceId: number, key: string): Promise<AccountRow | undefined> {
    const row = await db
      .selectFrom('accounts')
      .select(['id', 'resource_id', 'name', 'owner_id'])
      .where('resource_id', '=', resourceId)
      .where('name_key', '=', key)
      .executeTakeFirst();
    return row && toAccount(row);
  },

  async findConfig(db: Executor, resourceId: number): Promise<ConfigRow | undefined> {
    return db
      .selectFrom('remote_reset_configs')
      .selectAll()
      .where('resource_id', '=', resourceId)
      .executeTakeFirst();
  },

  /** Inserts or replaces the configuration of `row.resource_id`. */
  async saveConfig(db: Executor, row: NewConfigRow): Promise<void> {
    const { resource_id: _id, ...rest } = row;
    await db
      .insertInto('remote_reset_configs')
      .values(row)
      .onConflict((oc) => oc.column('resource_id').doUpdateSet(rest))
      .execute();
  },

  async setSealedKey(
    db: Executor,
    resourceId: number,
    sealed: { privateKey: Buffer | null; passphrase: Buffer | null; fingerprint: string | null },
  ): Promise<void> {
    await db
      .updateTable('remote_reset_configs')
      .set({
        private_key_sealed: sealed.privateKey,
        passphrase_sealed: sealed.passphrase,
        key_fingerprint: sealed.fingerprint,
      })
      .where('resource_id', '=', resourceId)
      .execute();
  },

  /** The names of the resources whose configuration goes through `resourceId` as landing server. */
  async landingDependents(db: Executor, resourceId: number): Promise<string[]> {
    const rows = await db
      .selectFrom('remote_reset_configs')
      .innerJoin('resources', 'resources.id', 'remote_reset_configs.resource_id')
      .select('resources.name')
      .where('remote_reset_configs.landing_resource_id', '=', resourceId)
      .orderBy('resources.name')
      .execute();
    return rows.map((r) => r.name);
  },

  async deleteConfig(db: Executor, resourceId: number): Promise<boolean> {
    const result = await db
      .deleteFrom('remote_reset_configs')
      .where('resource_id', '=', resourceId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },

  async pinnedKeys(db: Executor): Promise<PinnedHostKey[]> {
    const rows = await db.selectFrom('ssh_host_keys').selectAll().orderBy('host').orderBy('port').execute();
    return rows.map((r) => ({
      host: r.host,
      port: Number(r.port),
      algorithm: r.algorithm,
      key: r.public_key,
      fingerprint: r.fingerprint,
      pinnedAt: Number(r.pinned_at),
      pinnedHow: r.pinned_how,
      pinnedBy: r.pinned_by,
    }));
  },

  async pinnedKey(db: Executor, host: string, port: number): Promise<PinnedHostKey | undefined> {
    return (await this.pinnedKeys(db)).find((k) => k.host === host && k.port === port);
  },

  /** Pins the key when host:port has none; false when one was already pinned. */
  async pinIfAbsent(
    db: Executor,
    key: { host: string; port: number; algorithm: string; key: string; fingerprint: string },
    at: number,
    how: string,
    by: string,
  ): Promise<boolean> {
    const result = await db
      .insertInto('ssh_host_keys')
      .values({
        host: key.host,
        port: key.port,
        algorithm: key.algorithm,
        public_key: key.key,
        fingerprint: key.fingerprint,
        pinned_at: at,
        pinned_how: how,
        pinned_by: by,
      })
      .onConflict((oc) => oc.columns(['host', 'port']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  },

  async deletePin(db: Executor, host: string, port: number): Promise<boolean> {
    const result = await db
      .deleteFrom('ssh_host_keys')
      .where('host', '=', host)
      .where('port', '=', port)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },

  async offeredKeys(db: Executor): Promise<OfferedHostKey[]> {
    const rows = await db
      .selectFrom('ssh_offered_host_keys')
      .selectAll()
      .orderBy('host')
      .orderBy('port')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      host: r.host,
      port: Number(r.port),
      algorithm: r.algorithm,
      key: r.public_key,
      fingerprint: r.fingerprint,
      firstOfferedAt: Number(r.first_offered_at),
      lastOfferedAt: Number(r.last_offered_at),
      timesOffered: Number(r.times_offered),
    }));
  },

  async recordOffered(
    db: Executor,
    key: { host: string; port: number; algorithm: string; key: string; fingerprint: string },
    at: number,
  ): Promise<void> {
    await db
      .insertInto('ssh_offered_host_keys')
      .values({
        host: key.host,
        port: key.port,
        algorithm: key.algorithm,
        public_key: key.key,
        fingerprint: key.fingerprint,
        first_offered_at: at,
        last_offered_at: at,
        times_offered: 1,
      })
      .onConflict((oc) =>
        oc.columns(['host', 'port', 'fingerprint']).doUpdateSet((eb) => ({
          last_offered_at: at,
          times_offered: eb('ssh_offered_host_keys.times_offered', '+', 1),
        })),
      )
      .execute();
  },

  async deleteOffered(db: Executor, host: string, port: number, fingerprint: string): Promise<void> {
    await db
      .deleteFrom('ssh_offered_host_keys')
      .where('host', '=', host)
      .where('port', '=', port)
      .where('fingerprint', '=', fingerprint)
      .execute();
  },
};
