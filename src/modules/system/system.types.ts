import type { Secret } from '../../platform/crypto/secret.js';

export interface AgentKeyRow {
  readonly id: number;
  readonly keyHash: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly singleUse: boolean;
  readonly usedAt: number | null;
}

/** What endpoint 88 may tell about the current key: never the key itself once generated. */
export interface AgentKeyStatus {
  readonly exists: boolean;
  readonly createdAt?: number;
  /** Null: no time limit (single use). */
  readonly expiresAt?: number | null;
  readonly singleUse?: boolean;
}

export interface GeneratedAgentKey {
  readonly key: Secret;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly singleUse: boolean;
}

/** Longest `validityPeriod` accepted, in hours (one year). */
export const MAX_AGENT_KEY_HOURS = 8760;

export interface ClusterNodeRow {
  readonly nodeId: string;
  readonly hostName: string;
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  readonly startedAt: number;
  readonly lastSeen: number;
  readonly stoppedAt: number | null;
}

export interface LeaseRow {
  readonly holder: string;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

export interface ClusterSettings {
  /** How often each node writes its heartbeat and renews (or tries to take) the lease. */
  readonly heartbeatMs: number;
  /** How long the scheduler lease lasts unless renewed. */
  readonly leaseMs: number;
}

export type NodeStatus = 'active' | 'down';

export interface NodeReport extends ClusterNodeRow {
  readonly name: string;
  readonly status: NodeStatus;
  readonly isPrimary: boolean;
  readonly isThisNode: boolean;
}

export interface ClusterReport {
  /** 'single' (SQLite, or the only node seen on PostgreSQL) or 'cluster'. */
  readonly mode: 'single' | 'cluster';
  readonly dialect: string;
  readonly thisNode: string;
  readonly thisNodeIsPrimary: boolean;
  readonly primary: NodeReport | undefined;
  readonly secondaries: readonly NodeReport[];
}
