import { request, requestFile, type DownloadedFile } from './http';
import type { SharePermission } from './resources';

export type SshKeyType = 'ssh-rsa' | 'ssh-dss' | 'ed25519' | 'ecdsa';

export interface SshKey {
  readonly id: number;
  readonly name: string;
  readonly type: SshKeyType;
  readonly bits: number;
  /** `SHA256:` and the base64 digest, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** The authorized_keys line. */
  readonly publicKey: string;
  readonly comment: string;
  readonly hasPassphrase: boolean;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly origin: 'created' | 'imported';
}

export interface SshKeys {
  readonly items: readonly SshKey[];
  /** The types a new key may have, with the lengths of each (the service's choices). */
  readonly types: readonly { readonly type: SshKeyType; readonly lengths: readonly number[] }[];
}

export interface NewSshKey {
  readonly name: string;
  readonly type: SshKeyType;
  readonly bits?: number;
  readonly comment?: string;
  readonly passphrase?: string;
}

export interface ImportedSshKey {
  readonly name: string;
  readonly privateKey: string;
  readonly comment?: string;
  readonly passphrase?: string;
}

export interface KeyDeployment {
  readonly resourceName: string;
  readonly userName: string;
  readonly deployedBy: string;
  readonly deployedAt: number;
}

export interface DeletedSshKey {
  readonly dissociated: readonly string[];
  /** Where the key stays (deleted without dissociation); `hiddenLeft` more on resources not visible. */
  readonly left: readonly string[];
  readonly hiddenLeft: number;
}

export const sshKeysApi = {
  sshKeys(signal?: AbortSignal): Promise<SshKeys> {
    return request('GET', '/ssh-keys', { signal });
  },
  createSshKey(key: NewSshKey): Promise<SshKey> {
    return request('POST', '/ssh-keys', { body: key });
  },
  importSshKey(key: ImportedSshKey): Promise<SshKey> {
    return request('POST', '/ssh-keys/import', { body: key });
  },
  /** The private key file: released through the vault's gate, audited. */
  exportSshKey(id: number, name: string): Promise<DownloadedFile> {
    return requestFile(`/ssh-keys/${id}/export`, {}, `${name}.key`);
  },
  deleteSshKey(id: number, withoutDissociation: boolean): Promise<DeletedSshKey> {
    return request('DELETE', `/ssh-keys/${id}`, { body: { withoutDissociation } });
  },
  /** Only the key's owner or a super administrator may share (the service decides). */
  shareSshKey(
    id: number,
    grantee: { kind: 'user' | 'group'; name: string },
    permission: SharePermission,
  ): Promise<{ key: string; grantee: string; shared: boolean }> {
    return request('POST', `/ssh-keys/${id}/shares`, { body: { grantee, permission } });
  },
  keyDeployments(id: number, signal?: AbortSignal): Promise<{ items: readonly KeyDeployment[] }> {
    return request('GET', `/ssh-keys/${id}/deployments`, { signal });
  },
  associateSshKey(
    id: number,
    target: { resourceName: string; userName: string },
  ): Promise<{ resourceName: string; userName: string; outcome: 'added' | 'present' }> {
    return request('POST', `/ssh-keys/${id}/deployments`, { body: target });
  },
  dissociateSshKey(
    id: number,
    target: { resourceName: string; userName: string },
  ): Promise<{ removed: number }> {
    return request('DELETE', `/ssh-keys/${id}/deployments`, { body: target });
  },
};
