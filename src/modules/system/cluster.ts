import { randomUUID } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { can } from '../access/index.js';
import { systemRepository as repo } from './system.repository.js';
import type { ClusterNodeRow, ClusterReport, ClusterSettings, NodeReport } from './system.types.js';

/** The lease whose holder runs the once-per-cluster periodic jobs: the primary. */
export const SCHEDULER_LEASE = 'scheduler';
/** A node whose heartbeat is older than this many intervals is down. */
export const DOWN_AFTER_HEARTBEATS = 3;
/** Nodes not seen for this long leave the list (and the table). */
const FORGET_AFTER_MS = 3_600_000;

export type ClusterNode = ReturnType<typeof createClusterNode>;

/**
 * This process as a node (endpoint 89, ADR 013). On SQLite there is one node by construction:
 * nothing is written and this node is always the primary. On PostgreSQL, once started, the node
 * writes a heartbeat row every interval and takes or renews the scheduler lease with a
 * conditional statement; times are the database's clock, so nodes need not agree on theirs.
 * A holder that cannot renew stops calling itself primary before its lease can pass to another.
 */
export function createClusterNode(deps: { database: Database; clock: Clock; settings: ClusterSettings }) {
  const { database, clock, settings } = deps;
  const db = database.db;
  const clustered = database.dialect === 'postgres';
  const nodeId = randomUUID();
  const startedAt = clock.now();
  let identity = { hostName: hostname(), address: hostname(), port: 0 };
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;
  /** Local monotonic-ish deadline up to which this node may act as primary. */
  let primaryUntil = 0;
  let ticking: Promise<void> | undefined;
  let onError: (err: unknown) => void = () => {};

  const now = () => (clustered ? repo.postgresNow(db) : Promise.resolve(clock.now()));
  const nameOf = (node: { hostName: string; port: number }) => `${node.hostName}:${node.port}`;

  async function tick(): Promise<void> {
    const localStart = Date.now();
    const at = await now();
    await repo.heartbeat(db, nodeId, at);
    const held = await repo.tryAcquireLease(db, {
      name: SCHEDULER_LEASE,
      holder: nodeId,
      now: at,
      expiresAt: at + settings.leaseMs,
    });
    // Measured from before the renewal was sent, less one heartbeat of margin.
    primaryUntil = held ? localStart + settings.leaseMs - settings.heartbeatMs : 0;
    if (held) await repo.pruneNodes(db, at - FORGET_AFTER_MS);
  }

  function runTick(): void {
    if (ticking || stopped) return;
    ticking = tick()
      .catch((err: unknown) => {
        primaryUntil = 0;
        onError(err);
      })
      .finally(() => (ticking = undefined));
  }

  return {
    nodeId,

    /** Joins the cluster (PostgreSQL): first heartbeat and lease attempt now, then every interval. */
    async start(
      listening: { host: string; port: number },
      reportError?: (err: unknown) => void,
    ): Promise<void> {
      if (reportError) onError = reportError;
      identity = { hostName: hostname(), address: addressOf(listening.host), port: listening.port };
      started = true;
      if (!clustered) return;
      const at = await now();
      await repo.insertNode(db, { nodeId, ...identity, pid: process.pid, startedAt: at, lastSeen: at });
      runTick();
      await ticking;
      timer = setInterval(runTick, settings.heartbeatMs);
      timer.unref();
    },

    /** Leaves the cluster: marks the node stopped and releases the lease. Idempotent. */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      await ticking;
      primaryUntil = 0;
      if (!clustered || !started) return;
      // A database that is gone must not stop the shutdown: the lease then simply expires.
      try {
        const at = await now();
        await repo.releaseLease(db, SCHEDULER_LEASE, nodeId, at);
        await repo.markStopped(db, nodeId, at);
      } catch (err) {
        onError(err);
      }
    },

    /**
     * Whether once-per-cluster jobs should run here now: always on SQLite; on PostgreSQL only
     * while this node holds an unexpired scheduler lease.
     */
    isPrimary(): boolean {
      if (!clustered) return true;
      return !stopped && Date.now() < primaryUntil;
    },

    /** Endpoint 89: administrators only. */
    async report(caller: Caller): Promise<ClusterReport> {
      if (!can(caller.principal, 'manageInstance')) {
        throw new NotPermittedError('Only administrators may read the high availability status');
      }
      const self: ClusterNodeRow = {
        nodeId,
        ...identity,
        pid: process.pid,
        startedAt,
        lastSeen: clock.now(),
        stoppedAt: null,
      };
      const thisNode = nameOf(identity);
      if (!clustered) {
        const primary: NodeReport = {
          ...self,
          name: thisNode,
          status: 'active',
          isPrimary: true,
          isThisNode: true,
        };
        return {
          mode: 'single',
          dialect: 'sqlite',
          thisNode,
          thisNodeIsPrimary: true,
          primary,
          secondaries: [],
        };
      }
      const at = await now();
      const [rows, lease] = await Promise.all([
        repo.nodesSeenSince(db, at - FORGET_AFTER_MS),
        repo.lease(db, SCHEDULER_LEASE),
      ]);
      if (!rows.some((r) => r.nodeId === nodeId)) rows.push(self);
      const downBefore = at - DOWN_AFTER_HEARTBEATS * settings.heartbeatMs;
      const holder = lease && lease.expiresAt > at ? lease.holder : undefined;
      const nodes: NodeReport[] = rows.map((r) => ({
        ...r,
        name: nameOf(r),
        status: r.nodeId === nodeId || (r.stoppedAt === null && r.lastSeen >= downBefore) ? 'active' : 'down',
        isPrimary: r.nodeId === holder,
        isThisNode: r.nodeId === nodeId,
      }));
      const primary = nodes.find((n) => n.isPrimary);
      const secondaries = nodes
        .filter((n) => !n.isPrimary)
        .sort((a, b) => (a.status === b.status ? b.lastSeen - a.lastSeen : a.status === 'active' ? -1 : 1));
      return {
        mode: nodes.length > 1 ? 'cluster' : 'single',
        dialect: 'postgres',
        thisNode,
        thisNodeIsPrimary: holder === nodeId,
        primary,
        secondaries,
      };
    },
  };
}

/** The address other nodes and operators know this node by: the listening one, or for a wildcard the first external IPv4. */
function addressOf(host: string): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
    }
  }
  return hostname();
}
