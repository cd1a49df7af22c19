import { request } from './http';

export interface ResourceGroup {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly type: 'static' | 'dynamic';
  readonly parentId: number | null;
  readonly isOwner: boolean;
  readonly access: string;
}

export interface ResourceGroups {
  readonly items: readonly ResourceGroup[];
  /** The criteria builder's fields (name, type, dnsName...) and operators. */
  readonly fields: readonly string[];
  readonly operators: readonly string[];
}

export interface Criterion {
  readonly field: string;
  readonly operator: string;
  readonly value: string;
}

export interface NewResourceGroup {
  readonly name: string;
  readonly description?: string;
  readonly type: 'static' | 'dynamic';
  readonly matchAll: boolean;
  readonly criteria: readonly Criterion[];
}

export interface UserGroup {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly members: number;
}

export const groupsApi = {
  resourceGroups(signal?: AbortSignal): Promise<ResourceGroups> {
    return request('GET', '/resource-groups', { signal });
  },
  createResourceGroup(group: NewResourceGroup): Promise<{ id: number }> {
    return request('POST', '/resource-groups', { body: group });
  },
  deleteResourceGroup(id: number): Promise<unknown> {
    return request('DELETE', `/resource-groups/${id}`);
  },
  userGroups(signal?: AbortSignal): Promise<{ items: readonly UserGroup[] }> {
    return request('GET', '/user-groups', { signal });
  },
  createUserGroup(group: { name: string; description?: string }): Promise<{ id: number }> {
    return request('POST', '/user-groups', { body: group });
  },
  addUserGroupMember(groupId: number, username: string): Promise<unknown> {
    return request('POST', `/user-groups/${groupId}/members`, { body: { username } });
  },
  deleteUserGroup(id: number): Promise<unknown> {
    return request('DELETE', `/user-groups/${id}`);
  },
  userGroupMembers(
    groupId: number,
  ): Promise<{ items: readonly { id: number; username: string; fullName: string | null }[] }> {
    return request('GET', `/user-groups/${groupId}/members`);
  },
  removeUserGroupMember(groupId: number, userId: number): Promise<unknown> {
    return request('DELETE', `/user-groups/${groupId}/members/${userId}`);
  },
};
