/** A user group: a set of users that shares are granted to as one grantee. */
export interface UserGroup {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
}

/** The outcome for one (user, group) pair of a bulk membership change, as endpoint 90 answers it. */
export interface MembershipOutcome {
  readonly userId: number;
  readonly groupId: number;
  readonly removed: boolean;
  readonly message: string;
}

/** The outcome for one group id of a bulk delete, as endpoint 87 answers it. */
export interface GroupDeleteOutcome {
  readonly groupId: number;
  readonly deleted: boolean;
  readonly message: string;
}

export const GROUP_LIMITS = { name: 200, description: 1000, bulkIds: 1000 } as const;

/** The canonical form of a group name: what uniqueness and lookups use. */
export function groupNameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}
