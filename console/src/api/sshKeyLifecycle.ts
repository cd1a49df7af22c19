import { request } from './http';

/** One key line found in an account's authorized_keys by the last discovery. */
export interface FoundKey {
  readonly userName: string;
  readonly line: number;
  /** As sshd names it: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, … */
  readonly keyType: string;
  readonly bits: number;
  readonly fingerprint: string;
  readonly publicKey: string;
  readonly comment: string;
  readonly options: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** The key store holds a key with this fingerprint. */
  readonly known: boolean;
  /** The names of those keys the caller may see. */
  readonly vaultKeys: readonly string[];
}

export interface KeyFindings {
  readonly resourceId: number;
  readonly resourceName: string;
  readonly discoveredAt: number | null;
  readonly discoveredBy: string | null;
  readonly host: string | null;
  readonly attemptedAt: number | null;
  readonly lastError: { readonly reason: string; readonly message: string } | null;
  readonly accounts: readonly {
    readonly userName: string;
    readonly file: 'present' | 'missing' | 'unreadable' | 'symlink' | 'truncated';
    readonly invalid: readonly { readonly line: number; readonly text: string; readonly problem: string }[];
  }[];
  readonly keys: readonly FoundKey[];
}

/** A group discovery job's result (`GroupDiscoverySummary` on the server). */
export interface GroupKeyDiscoveryResult {
  readonly group: string;
  readonly total: number;
  readonly discovered: number;
  readonly failed: number;
  readonly skipped: number;
  readonly items: readonly {
    readonly resource: string;
    readonly status: 'discovered' | 'failed' | 'skipped';
    readonly message?: string;
  }[];
}

export interface KeyRotation {
  readonly rotationId: number;
  readonly status: 'pending' | 'completed' | 'failed';
  readonly phase: string;
  readonly trigger: string;
  readonly newFingerprint: string;
  readonly oldFingerprint: string;
  readonly requestedBy: string;
  readonly message: string;
  readonly createdAt: number;
  readonly switchedAt: number | null;
  readonly settledAt: number | null;
  readonly hosts: readonly {
    readonly resourceName: string;
    readonly userName: string;
    readonly status: string;
    readonly message: string;
  }[];
}

export interface KeyRotationSchedule {
  readonly timing:
    | { readonly kind: 'interval'; readonly days: number }
    | { readonly kind: 'cron'; readonly expression: string };
  readonly nextRunAt: number;
  readonly lastRunAt: number | null;
  readonly lastSummary: string | null;
  readonly createdBy: string;
}

export const sshKeyLifecycleApi = {
  /** Answered once the host was read (or refused, saying why). */
  discoverKeysOnResource(resourceName: string): Promise<KeyFindings> {
    return request('POST', '/ssh-key-discovery/resource', { body: { resourceName } });
  },
  /** A job: its progress at `/jobs/{jobId}`. */
  discoverKeysInGroup(
    groupName: string,
  ): Promise<{ jobId: number; group: string; total: number; permitted: number }> {
    return request('POST', '/ssh-key-discovery/group', { body: { groupName } });
  },
  keyFindings(resourceName: string, signal?: AbortSignal): Promise<KeyFindings> {
    return request('GET', `/ssh-key-discovery/findings?${new URLSearchParams({ resourceName }).toString()}`, {
      signal,
    });
  },
  keyRotations(
    id: number,
    signal?: AbortSignal,
  ): Promise<{ items: readonly KeyRotation[]; schedule: KeyRotationSchedule | null }> {
    return request('GET', `/ssh-keys/${id}/rotations`, { signal });
  },
  /** Sets or replaces the key's schedule: `everyDays` or `cron` (the server's time zone). */
  setKeyRotationSchedule(
    id: number,
    timing: { everyDays: number } | { cron: string },
  ): Promise<KeyRotationSchedule> {
    return request('PUT', `/ssh-keys/${id}/rotation-schedule`, { body: timing });
  },
  removeKeyRotationSchedule(id: number): Promise<{ removed: true }> {
    return request('DELETE', `/ssh-keys/${id}/rotation-schedule`);
  },
  /** Answers when every host is done, or the rotation rolled back, or was left pending. */
  rotateSshKey(
    id: number,
  ): Promise<{ outcome: 'rotated' | 'failed' | 'unsettled'; message: string; rotation: KeyRotation }> {
    return request('POST', `/ssh-keys/${id}/rotations`, { body: {} });
  },
};
