import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { AgentKeyRow, ClusterNodeRow, LeaseRow } from './system.types.js';

/** Rows of agent_keys, cluster_nodes and cluster_leases. Never authorises. */
export const systemRepository = {
  async currentAgentKey(db: Executor): Promise<AgentKeyRow | undefined> {
    const row = await db
      .selectFrom('agent_keys')
      .select(['id', 'key_hash', 'created_at', 'expires_at', 'single_use', 'used_at'])
      .where('current_slot', '=', 1)
      .executeTakeFirst();
    return (
      row && {
        id: row.id,
        keyHash: row.key_hash,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        singleUse: row.single_use === 1,
        usedAt: row.used_at,
      }
    );
  },

  /** The current key stops being current; the new one (inserted next) takes its slot. */
  async retireCurrentAgentKey(db: Executor, now: number): Promise<void> {
    await db
      .updateTable('agent_keys')
      .set({ current_slot: null, replaced_at: now })
      .where('current_slot', '=', 1)
      .execute();
  },

  async insertAgentKey(
    db: Executor,
    key: {
      keyHash: string;
      createdAt: number;
      createdBy: number;
      expiresAt: number | null;
      singleUse: boolean;
    },
  ): Promise<void> {
    await db
      .insertInto('agent_keys')
      .values({
        key_hash: key.keyHash,
        created_at: key.createdAt,
        created_by: key.createdBy,
        expires_at: key.expiresAt,
        single_use: key.singleUse ? 1 : 0,
        current_slot: 1,
      })
      .execute();
  },

  /** Marks a single-use key used; false when another agent used it first. */
  async consumeAgentKey(db: Executor, id: number, now: number): Promise<boolean> {
    const result = await db
      .updateTable('agent_keys')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('current_slot', '=', 1)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  },

  async recordAgentKeyUse(db: Executor, id: number, now: number): Promise<void> {
    await db.updateTable('agent_keys').set({ used_at: now }).where('id', '=', id).execute();
  },

  /** The database's own clock (PostgreSQL), so nodes with skewed clocks still agree on expiry. */
  async postgresNow(db: Executor): Promise<number> {
    const result = await sql<{
      now: number | string;
    }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as now`.execute(db);
    return Number(result.rows[0]!.now);
  },

  async insertNode(db: Executor, node: Omit<ClusterNodeRow, 'stoppedAt'>): Promise<void> {
    await db
      .insertInto('cluster_nodes')
      .values({
        node_id: node.nodeId,
        host_name: node.hostName,
        address: node.address,
        port: node.port,
        pid: node.pid,
        started_at: node.startedAt,
        last_seen: node.lastSeen,
      })
      .execute();
  },

  async heartbeat(db: Executor, nodeId: string, now: number): Promise<void> {
    await db
      .updateTable('cluster_nodes')
      .set({ last_seen: now, stopped_at: null })
      .where('node_id', '=', nodeId)
      .execute();
  },

  async markStopped(db: Executor, nodeId: string, now: number): Promise<void> {
    await db
      .updateTable('cluster_nodes')
      .set({ last_seen: now, stopped_at: now })
      .where('node_id', '=', nodeId)
      .execute();
  },

  async nodesSeenSince(db: Executor, since: number): Promise<ClusterNodeRow[]> {
    const rows = await db
      .selectFrom('cluster_nodes')
      .selectAll()
      .where('last_seen', '>=', since)
      .orderBy('started_at')
      .execute();
    return rows.map((r) => ({
      nodeId: r.node_id,
      hostName: r.host_name,
      address: r.address,
      port: r.port,
      pid: r.pid,
      startedAt: r.started_at,
      lastSeen: r.last_seen,
      stoppedAt: r.stopped_at,
    }));
  },

  async pruneNodes(db: Executor, seenBefore: number): Promise<void> {
    await db.deleteFrom('cluster_nodes').where('last_seen', '<', seenBefore).execute();
  },

  /**
   * Takes or renews the lease: creates it if nobody ever held it, else updates it only when this
   * node holds it or it has expired. Each step is one conditional statement, atomic on both
   * dialects (PostgreSQL re-checks the WHERE against the row a concurrent update left), so two
   * nodes can never both hold the lease. True when this node holds it afterwards.
   */
  async tryAcquireLease(
    db: Executor,
    lease: { name: string; holder: string; now: number; expiresAt: number },
  ): Promise<boolean> {
    const inserted = await db
      .insertInto('cluster_leases')
      .values({ name: lease.name, holder: lease.holder, acquired_at: lease.now, expires_at: lease.expiresAt })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
    const updated = await db
      .updateTable('cluster_leases')
      .set((eb) => ({
        acquired_at: eb
          .case()
          .when('holder', '=', lease.holder)
          .then(eb.ref('acquired_at'))
          .else(lease.now)
          .end(),
        holder: lease.holder,
        expires_at: lease.expiresAt,
      }))
      .where('name', '=', lease.name)
      .where((eb) => eb.or([eb('holder', '=', lease.holder), eb('expires_at', '<=', lease.now)]))
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0;
  },

  async releaseLease(db: Executor, name: string, holder: string, now: number): Promise<void> {
    await db
      .updateTable('cluster_leases')
      .set({ expires_at: now })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  },

  async lease(db: Executor, name: string): Promise<LeaseRow | undefined> {
    const row = await db
      .selectFrom('cluster_leases')
      .select(['holder', 'acquired_at', 'expires_at'])
      .where('name', '=', name)
      .executeTakeFirst();
    return row && { holder: row.holder, acquiredAt: row.acquired_at, expiresAt: row.expires_at };
  },
};
