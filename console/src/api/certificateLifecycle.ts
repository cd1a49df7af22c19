import { request } from './http';
import type { SharePermission } from './resources';

/** A certificate group as listed: how the caller reaches it and the members they can see. */
export interface CertificateGroup {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly owner: string | null;
  /** `owner`, `all` (super administrator) or the share reaching the caller. */
  readonly access: 'owner' | 'all' | 'view' | 'modify' | 'full';
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly members: readonly {
    readonly id: number;
    readonly commonName: string;
    readonly serial: string;
    readonly notAfter: number;
  }[];
}

export interface CertificateShare {
  readonly grantee: string;
  readonly kind: 'user' | 'group';
  readonly permission: 'view' | 'modify' | 'full';
  readonly grantedAt: number;
}

export interface SavedServer {
  readonly resourceId: number;
  readonly server: string;
  readonly certificatePath: string;
  readonly keyPath: string | null;
  readonly pfxPath: string | null;
  readonly owner: string | null;
  /** Only to those who hold full access to the certificate. */
  readonly reloadCommand: string | null;
  readonly hasReloadCommand: boolean;
  readonly verifyHost: string;
  readonly verifyPort: number;
  readonly lastStatus: 'Success' | 'Failed' | null;
  readonly lastMessage: string | null;
  readonly lastDeployedAt: number | null;
  readonly lastDeployedBy: string | null;
}

export interface DeployFields {
  /** A resource's name; absent: every saved server again. */
  readonly resource?: string;
  readonly certificatePath?: string;
  readonly keyPath?: string;
  readonly pfxPath?: string;
  readonly owner?: string;
  readonly reloadCommand?: string;
  readonly verifyHost?: string;
  readonly verifyPort?: string;
}

export interface DeployStatus {
  readonly server: string;
  readonly status: 'Success' | 'Failed';
  readonly message: string;
}

export type Grantee = { kind: 'user' | 'group'; id: number };

/** The grantee as the share routes take it: its kind and id only (the routes refuse other keys). */
const granteeBody = (grantee: Grantee): Grantee => ({ kind: grantee.kind, id: grantee.id });

export const certificateLifecycleApi = {
  certificateGroups(signal?: AbortSignal): Promise<{ items: readonly CertificateGroup[] }> {
    return request('GET', '/certificate-groups', { signal });
  },
  createCertificateGroup(input: {
    name: string;
    description?: string;
    certificateIds?: readonly number[];
  }): Promise<{ id: number; name: string }> {
    return request('POST', '/certificate-groups', { body: input });
  },
  editCertificateGroup(
    id: number,
    input: { name?: string; description?: string },
  ): Promise<{ id: number; name: string; certificateIds: readonly number[] }> {
    return request('PUT', `/certificate-groups/${id}`, { body: input });
  },
  addToCertificateGroup(id: number, certificateIds: readonly number[]): Promise<unknown> {
    return request('POST', `/certificate-groups/${id}/certificates`, { body: { certificateIds } });
  },
  removeFromCertificateGroup(id: number, certificateId: number): Promise<unknown> {
    return request('DELETE', `/certificate-groups/${id}/certificates/${certificateId}`);
  },
  deleteCertificateGroup(id: number): Promise<unknown> {
    return request('DELETE', `/certificate-groups/${id}`);
  },
  shareCertificateGroup(id: number, grantee: Grantee, permission: SharePermission): Promise<unknown> {
    return request('POST', `/certificate-groups/${id}/shares`, {
      body: { grantee: granteeBody(grantee), permission },
    });
  },
  certificateShares(id: number, signal?: AbortSignal): Promise<{ items: readonly CertificateShare[] }> {
    return request('GET', `/certificates/${id}/shares`, { signal });
  },
  shareCertificate(id: number, grantee: Grantee, permission: SharePermission): Promise<unknown> {
    return request('POST', `/certificates/${id}/shares`, {
      body: { grantee: granteeBody(grantee), permission },
    });
  },
  certificateDeployments(id: number, signal?: AbortSignal): Promise<{ items: readonly SavedServer[] }> {
    return request('GET', `/certificates/${id}/deployments`, { signal });
  },
  deployCertificate(id: number, fields: DeployFields): Promise<{ statuses: readonly DeployStatus[] }> {
    return request('POST', `/certificates/${id}/deployments`, { body: fields });
  },
};
